// Tests for checkpoint files: exact round trip, and refusal of corrupt, truncated, foreign and
// future files with a message that names the file and the problem.

#include <xigrad/models/checkpoint.hpp>
#include <xigrad/models/train.hpp>

#include <xigrad/autodiff/error.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>
#include <string>

namespace xi::models {
namespace {

using ::testing::HasSubstr;

class TempDir {
 public:
  TempDir() {
    path_ = std::filesystem::temp_directory_path() /
            ("xigrad-checkpoint-test-" +
             std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

bool same_bits(double a, double b) {
  return std::memcmp(&a, &b, sizeof(double)) == 0;
}

Checkpoint sample() {
  Checkpoint c;
  c.model.kind = "mlp";
  c.model.inputs = 2;
  c.model.hidden = {3};
  c.model.activation = Activation::sigmoid;
  c.model.init = Init::xavier;
  c.model.seed = 18446744073709551615ULL;
  c.model.task = Task::regression;
  c.training.optimizer = "adam";
  c.training.lr = 0.1;
  c.training.epochs = 12;
  c.training.batch_size = 7;
  c.training.l2 = 1e-300;
  c.training.seed = 99;
  c.training.patience = 4;
  c.feature_names = {"Age", "Chest \"pain\", type=a\nb\\c"};
  c.feature_mean = Eigen::Vector2d(54.5, -0.0);
  c.feature_scale = Eigen::Vector2d(9.1, 4.9e-324);
  c.data_fingerprint = 0x0123456789abcdefULL;
  c.settings = {{"data", "../shared/data/Heart.csv"}, {"positive", ""}};
  c.state.epoch = 2;
  // The shapes and the optimizer state of a real model, with values whose bits must survive.
  const std::unique_ptr<Model> model = make_model(c.model);
  c.state.parameters = model->parameter_values();
  c.state.parameters[0] << 0.1, -0.2, 1.0 / 3.0, std::numeric_limits<double>::denorm_min(), -1e308,
      2.5;
  c.state.parameters[1].setConstant(-0.0);
  c.state.optimizer = make_trainer_optimizer(c.training, model->parameters())->state();
  c.state.optimizer.step = 21;
  c.state.optimizer.buffers["exp_avg"].front() = std::nextafter(1.0, 2.0);
  c.state.sampler.seed = 99;
  c.state.sampler.epoch = 2;
  c.state.sampler.position = 0;
  c.state.best_loss = 0.6931471805599453;
  c.state.bad_epochs = 1;
  c.state.initial_loss = 0.7;
  c.state.stop_reason = "";
  for (std::size_t k = 0; k <= 2; ++k) {
    optim::TraceRow row;
    row.iteration = k;
    row.loss = 1.0 / static_cast<double>(k + 3);
    row.grad_norm = k == 2 ? std::numeric_limits<double>::max() : 0.5;
    row.learning_rate = 0.1;
    c.state.trace.rows.push_back(row);
  }
  return c;
}

TEST(Checkpoint, RoundTripsExactly) {
  const Checkpoint c = sample();
  const std::string text = serialize_checkpoint(c);
  EXPECT_THAT(text, ::testing::StartsWith("xigrad-checkpoint 1\npayload "));
  const Checkpoint r = parse_checkpoint(text, "mem.ckpt");
  EXPECT_EQ(r.model.kind, "mlp");
  EXPECT_EQ(r.model.hidden, c.model.hidden);
  EXPECT_EQ(r.model.activation, Activation::sigmoid);
  EXPECT_EQ(r.model.init, Init::xavier);
  EXPECT_EQ(r.model.seed, c.model.seed);
  EXPECT_EQ(r.model.task, Task::regression);
  EXPECT_EQ(r.training.optimizer, "adam");
  ASSERT_TRUE(r.training.lr.has_value());
  EXPECT_TRUE(same_bits(*r.training.lr, 0.1));
  EXPECT_TRUE(same_bits(r.training.l2, 1e-300));
  EXPECT_EQ(r.training.batch_size, 7u);
  EXPECT_EQ(r.training.patience, 4u);
  EXPECT_EQ(r.feature_names, c.feature_names);
  EXPECT_TRUE(same_bits(r.feature_mean[1], -0.0));
  EXPECT_TRUE(same_bits(r.feature_scale[1], 4.9e-324));
  EXPECT_EQ(r.data_fingerprint, c.data_fingerprint);
  EXPECT_EQ(r.settings, c.settings);
  ASSERT_EQ(r.state.parameters.size(), 4u);
  for (std::size_t i = 0; i < 4; ++i) {
    ASSERT_EQ(r.state.parameters[i].size(), c.state.parameters[i].size());
    for (Eigen::Index j = 0; j < r.state.parameters[i].size(); ++j) {
      EXPECT_TRUE(same_bits(r.state.parameters[i].data()[j], c.state.parameters[i].data()[j]));
    }
  }
  EXPECT_EQ(r.state.optimizer, c.state.optimizer);
  EXPECT_EQ(r.state.sampler.seed, 99u);
  EXPECT_EQ(r.state.sampler.epoch, 2u);
  EXPECT_TRUE(same_bits(r.state.best_loss, c.state.best_loss));
  EXPECT_EQ(r.state.bad_epochs, 1u);
  ASSERT_EQ(r.state.trace.rows.size(), 3u);
  EXPECT_EQ(r.state.trace.rows[2].grad_norm, std::numeric_limits<double>::max());
  EXPECT_TRUE(same_bits(r.state.trace.rows[1].loss, 0.25));
  EXPECT_EQ(serialize_checkpoint(r), text);  // a second round trip changes nothing
}

TEST(Checkpoint, SavesAtomicallyAndLoads) {
  TempDir dir;
  const auto file = dir.path() / "model.ckpt";
  save_checkpoint(file, sample());
  save_checkpoint(file, sample());  // replaces it
  const Checkpoint r = load_checkpoint(file);
  EXPECT_EQ(r.state.optimizer.step, 21u);
  std::size_t files = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir.path())) ++files;
  EXPECT_EQ(files, 1u);  // no temporary file left behind
}

/// Loads `bytes` written to a file and returns the error message (or "" if it loaded).
std::string refusal(const TempDir& dir, const std::string& bytes, const char* name = "bad.ckpt") {
  const auto file = dir.path() / name;
  {
    std::ofstream out(file, std::ios::binary);
    out << bytes;
  }
  try {
    (void)load_checkpoint(file);
  } catch (const InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr(file.string())) << "the message does not name the file";
    return e.what();
  }
  return "";
}

TEST(Checkpoint, RefusesAFileWithAFlippedByte) {
  TempDir dir;
  const std::string good = serialize_checkpoint(sample());
  // Flip one byte at several places in the payload: every one is caught by the checksum.
  const std::size_t payload_start = good.find('\n', good.find('\n') + 1) + 1;
  for (std::size_t pos : {payload_start, payload_start + 40, good.size() / 2, good.size() - 2}) {
    std::string bad = good;
    bad[pos] = static_cast<char>(bad[pos] ^ 0x01);
    const std::string msg = refusal(dir, bad);
    EXPECT_THAT(msg, HasSubstr("is corrupt")) << "flipped byte " << pos;
    EXPECT_THAT(msg, HasSubstr("checksum"));
  }
  // A flipped byte in the header is refused too.
  std::string bad = good;
  bad[good.find("fnv1a64") + 9] ^= 0x01;
  EXPECT_THAT(refusal(dir, bad), HasSubstr("is corrupt"));
  bad = good;
  bad[2] ^= 0x20;  // "xIgrad-checkpoint"
  EXPECT_THAT(refusal(dir, bad), HasSubstr("not an xigrad checkpoint"));
}

TEST(Checkpoint, RefusesTruncatedAndExtendedFiles) {
  TempDir dir;
  const std::string good = serialize_checkpoint(sample());
  EXPECT_THAT(refusal(dir, good.substr(0, good.size() - 10)), HasSubstr("is truncated"));
  EXPECT_THAT(refusal(dir, good.substr(0, 25)), HasSubstr("is truncated"));
  EXPECT_THAT(refusal(dir, good + "x"), HasSubstr("is corrupt"));
}

TEST(Checkpoint, RefusesForeignFiles) {
  TempDir dir;
  std::mt19937_64 rng(1);
  std::string random(4096, '\0');
  for (char& c : random) c = static_cast<char>(rng() & 0xff);
  EXPECT_THAT(refusal(dir, random, "random.bin"), HasSubstr("not an xigrad checkpoint"));
  EXPECT_THAT(refusal(dir, "", "empty.ckpt"), HasSubstr("the file is empty"));
  EXPECT_THAT(refusal(dir, "iteration,loss\n0,1\n", "trace.csv"),
              HasSubstr("not an xigrad checkpoint"));
  try {
    (void)load_checkpoint(dir.path() / "missing.ckpt");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr("missing.ckpt"));
    EXPECT_THAT(e.what(), HasSubstr("cannot open"));
  }
}

TEST(Checkpoint, RefusesAnotherVersion) {
  TempDir dir;
  std::string text = serialize_checkpoint(sample());
  text.replace(0, std::string("xigrad-checkpoint 1").size(), "xigrad-checkpoint 2");
  EXPECT_THAT(refusal(dir, text), HasSubstr("format version 2 is not supported"));
}

/// A payload with a valid header around it (to test the payload checks).
std::string with_header(const std::string& payload) {
  return fmt::format("xigrad-checkpoint 1\npayload {} fnv1a64 {:016x}\n", payload.size(),
                     fnv1a64(payload)) +
         payload;
}

TEST(Checkpoint, NamesTheLineOfAMalformedField) {
  TempDir dir;
  std::string text = serialize_checkpoint(sample());
  std::string payload = text.substr(text.find('\n', text.find('\n') + 1) + 1);
  std::string bad = payload;
  bad.replace(bad.find("model.inputs 2"), 14, "model.inputs x");
  const std::string msg = refusal(dir, with_header(bad));
  EXPECT_THAT(msg, HasSubstr("bad.ckpt:4:"));  // payload line 2 is file line 4
  EXPECT_THAT(msg,
              HasSubstr("field 'model.inputs': \"x\" is not a whole number from 0 to 1000000"));
  bad = payload + "surprise 1\n";
  EXPECT_THAT(refusal(dir, with_header(bad)), HasSubstr("unknown field \"surprise\""));
  bad = payload;
  bad.erase(bad.find("sampler"), bad.find('\n', bad.find("sampler")) - bad.find("sampler") + 1);
  EXPECT_THAT(refusal(dir, with_header(bad)), HasSubstr("no field 'sampler'"));
}

/// The payload of sample() with the line starting with `prefix` replaced by `line`.
std::string payload_with(const std::string& prefix, const std::string& line) {
  const std::string text = serialize_checkpoint(sample());
  std::string payload = text.substr(text.find('\n', text.find('\n') + 1) + 1);
  const std::size_t at = payload.find("\n" + prefix) + 1;
  EXPECT_NE(at, 0u) << prefix;
  payload.replace(at, payload.find('\n', at) - at, line);
  return payload;
}

std::string payload_refusal(const std::string& prefix, const std::string& line) {
  try {
    (void)parse_checkpoint_payload(payload_with(prefix, line), "x.ckpt");
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

TEST(Checkpoint, ChecksEveryFieldByTypeAndRange) {
  EXPECT_THAT(payload_refusal("train.epochs", "train.epochs 18446744073709551616"),
              HasSubstr("x.ckpt:12: field 'train.epochs': \"18446744073709551616\" is not a whole "
                        "number from 0 to 100000000"));
  EXPECT_THAT(payload_refusal("train.lr", "train.lr 0x1p+5000"),
              HasSubstr("field 'train.lr': \"0x1p+5000\" is out of the range of a double"));
  EXPECT_THAT(payload_refusal("train.lr", "train.lr -0x1p+0"),
              HasSubstr("x.ckpt: the training options (fields train.*): learning rate -1 must be "
                        "finite and > 0"));
  EXPECT_THAT(payload_refusal("state.best_loss", "state.best_loss nan"),
              HasSubstr("field 'state.best_loss' holds a non-finite value (nan)"));
  EXPECT_THAT(payload_refusal("feature_scale", "feature_scale 0x1p+0 0x0p+0"),
              HasSubstr("field 'feature_scale': value 2 is 0 (a scale must be > 0)"));
  EXPECT_THAT(payload_refusal("state.bad_epochs", "state.bad_epochs 3"),
              HasSubstr("field 'state.bad_epochs': \"3\" is not a whole number from 0 to 2"));
  EXPECT_THAT(payload_refusal("trace.row 1", "trace.row 7 0x1p+0 0x1p+0 0x1p+0 0"),
              HasSubstr("field 'trace.row': \"7\" is not a whole number from 0 to 1"));
  // The parameters must be those of the saved model spec, before anything is built from them.
  EXPECT_THAT(payload_refusal("param 1 3", "param 1 2 0x0p+0 0x0p+0"),
              HasSubstr("the parameters hold 12 values, the model (fields model.*) has 13"));
  EXPECT_THAT(payload_refusal("model.hidden", "model.hidden 2"),
              HasSubstr("the parameters hold 13 values, the model (fields model.*) has 9"));
  // The optimizer state must fit the saved optimizer and parameter count.
  EXPECT_THAT(payload_refusal("optimizer.buffer \"exp_avg\"",
                              "optimizer.buffer \"exp_avg\" 2 0x0p+0 0x0p+0"),
              HasSubstr("the buffer 'exp_avg' has 2 values, expected 13"));
  EXPECT_THAT(payload_refusal("optimizer.name", "optimizer.name \"lbfgs\""),
              HasSubstr("cannot load the state of optimizer 'lbfgs'"));
}

TEST(Checkpoint, ReadsCrLfLineEndsAsWrittenAndRefusesMixedOnes) {
  const std::string text = serialize_checkpoint(sample());
  std::string crlf;
  for (const char c : text) crlf += c == '\n' ? std::string("\r\n") : std::string(1, c);
  EXPECT_EQ(serialize_checkpoint(parse_checkpoint(crlf, "crlf.ckpt")), text);
  std::string mixed = crlf;
  mixed.erase(mixed.find("\r\nmodel.inputs"), 1);
  try {
    (void)parse_checkpoint(mixed, "mixed.ckpt");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr("mixed.ckpt: line ends are mixed"));
  }
  // An LF file with one CR LF line: named by its line.
  std::string one = text;
  const std::size_t payload_start = one.find('\n', one.find('\n') + 1) + 1;
  one.insert(one.find("\nmodel.seed"), "\r");
  const std::string payload = one.substr(payload_start);
  try {
    (void)parse_checkpoint_payload(payload, "one.ckpt");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr("one.ckpt:7: the line ends with CR LF"));
  }
}

TEST(Checkpoint, CutsALongVersionInTheMessage) {
  try {
    (void)parse_checkpoint("xigrad-checkpoint " + std::string(100000, '9') + "x\n", "v.ckpt");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr("… (100001 bytes) is not a number"));
    EXPECT_LT(std::string(e.what()).size(), 200u);
  }
}

TEST(Checkpoint, LoadsAParameterLineLongerThanAMebibyte) {
  TempDir dir;
  Checkpoint c = sample();
  c.model.hidden = {60000};  // W1 is 2 × 60000: one line of about 2.6 MB
  const std::unique_ptr<Model> model = make_model(c.model);
  c.state.parameters = model->parameter_values();
  c.state.optimizer = make_trainer_optimizer(c.training, model->parameters())->state();
  save_checkpoint(dir.path() / "big.ckpt", c);
  const Checkpoint r = load_checkpoint(dir.path() / "big.ckpt");
  EXPECT_EQ(r.state.parameters[0].size(), 120000);
  EXPECT_EQ(r.state.parameters[0](1, 59999), c.state.parameters[0](1, 59999));
}

TEST(Checkpoint, Fnv1a64KnownValues) {
  EXPECT_EQ(fnv1a64(""), 0xcbf29ce484222325ULL);
  EXPECT_EQ(fnv1a64("a"), 0xaf63dc4c8601ec8cULL);
  EXPECT_EQ(fnv1a64("foobar"), 0x85944171f73967e8ULL);
}

}  // namespace
}  // namespace xi::models
