// libFuzzer target for the checkpoint reader. Each input is read twice: as a whole file
// (parse_checkpoint: magic, version, CR LF, length and checksum) and as a payload whose checksum
// is taken to be right (parse_checkpoint_payload), so that mutations reach every field check
// instead of stopping at the checksum. Either may only throw xi::InputError. A payload that
// parses is then resumed as `xigrad train --resume` does: the saved model is built, a trainer
// over a small synthetic data set restores the state and trains one more epoch.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <xigrad/autodiff/error.hpp>
#include <xigrad/models/checkpoint.hpp>
#include <xigrad/models/model.hpp>
#include <xigrad/models/train.hpp>

namespace {

void resume(const xi::models::Checkpoint& c) {
  const auto rows = static_cast<Eigen::Index>(8);
  const auto cols = static_cast<Eigen::Index>(c.model.inputs);
  xi::Matrix X(rows, cols);
  xi::Vector y(rows);
  for (Eigen::Index i = 0; i < rows; ++i) {
    for (Eigen::Index j = 0; j < cols; ++j) X(i, j) = static_cast<double>((i * 7 + j * 3) % 5) - 2;
    y[i] = static_cast<double>(i % 2);
  }
  const auto model = xi::models::make_model(c.model);
  xi::models::TrainOptions options = c.training;
  options.epochs = c.state.epoch + 1;
  try {
    xi::models::Trainer trainer(*model, X, y, options);
    trainer.restore(c.state);
    (void)trainer.run();
  } catch (const xi::Error&) {
    // A state that does not fit these rows (e.g. a sampler position beyond them), or a
    // non-finite objective, is reported as an error: that is the behaviour under test.
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  try {
    (void)xi::models::parse_checkpoint(bytes, "fuzz.ckpt");
  } catch (const xi::InputError&) {
  }
  xi::models::Checkpoint c;
  try {
    c = xi::models::parse_checkpoint_payload(bytes, "fuzz.ckpt");
  } catch (const xi::InputError&) {
    return 0;
  }
  resume(c);
  return 0;
}
