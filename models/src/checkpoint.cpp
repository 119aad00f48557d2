// Checkpoints: the text format of checkpoint.hpp, its writer and its strict reader.

#include <xigrad/models/checkpoint.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <xigrad/autodiff/error.hpp>
#include <xigrad/models/limits.hpp>
#include <xigrad/optim/atomic_file.hpp>
#include <xigrad/optim/input_file.hpp>

namespace xi::models {
namespace {

constexpr std::string_view kMagic = "xigrad-checkpoint";

// ------------------------------------------------------------------ writing

std::string quote(std::string_view s) {
  std::string out = "\"";
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    switch (ch) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          out += fmt::format("\\x{:02x}", c);
        } else {
          out += ch;
        }
    }
  }
  out += '"';
  return out;
}

/// A double exactly, as a C99 hexadecimal float ("0x1.8p+1"); "inf", "-inf", "nan".
std::string hex(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  return fmt::format("{:a}", v);
}

class Writer {
 public:
  template <class... Tokens>
  void line(std::string_view key, const Tokens&... tokens) {
    out_ += key;
    ((out_ += ' ', out_ += tokens), ...);
    out_ += '\n';
  }
  void numbers(std::string_view key, std::string prefix, const double* v, std::size_t n) {
    out_ += key;
    if (!prefix.empty()) {
      out_ += ' ';
      out_ += prefix;
    }
    for (std::size_t i = 0; i < n; ++i) {
      out_ += ' ';
      out_ += hex(v[i]);
    }
    out_ += '\n';
  }
  std::string& str() { return out_; }

 private:
  std::string out_;
};

std::string u64(std::uint64_t v) {
  return std::to_string(v);
}

std::string_view task_name(Task t) {
  return t == Task::regression ? "regression" : "binary";
}

// ------------------------------------------------------------------ reading

/// A value for a message: quoted and escaped, cut after 40 bytes ("…" and its length after).
std::string shown(std::string_view value) {
  constexpr std::size_t kShown = 40;
  if (value.size() <= kShown) return quote(value);
  return fmt::format("{}… ({} bytes)", quote(value.substr(0, kShown)), value.size());
}

struct Line {
  std::size_t number = 0;  // line number in the file
  std::string key;
  std::vector<std::string> tokens;
};

class Reader {
 public:
  Reader(std::string source, std::string_view payload, std::size_t first_line)
      : source_(std::move(source)) {
    std::size_t number = first_line;
    std::size_t pos = 0;
    while (pos < payload.size()) {
      std::size_t end = payload.find('\n', pos);
      if (end == std::string_view::npos) fail(number, "the last line does not end with a newline");
      lines_.push_back(tokenize(payload.substr(pos, end - pos), number));
      pos = end + 1;
      ++number;
    }
  }

  [[noreturn]] void fail(std::size_t line, const std::string& what) const {
    throw InputError(fmt::format("{}:{}: {}", source_, line, what));
  }
  [[noreturn]] void fail(const std::string& what) const {
    throw InputError(fmt::format("{}: {}", source_, what));
  }

  /// The one line with `key` (throws if missing or repeated).
  const Line& one(std::string_view key) {
    const Line* found = nullptr;
    for (const Line& l : lines_) {
      if (l.key != key) continue;
      if (found != nullptr) fail(l.number, fmt::format("field '{}' appears twice", key));
      found = &l;
    }
    if (found == nullptr) fail(fmt::format("the checkpoint has no field '{}'", key));
    used_.insert(std::string(key));
    return *found;
  }
  /// Every line with `key`, in order.
  std::vector<const Line*> all(std::string_view key) {
    std::vector<const Line*> out;
    for (const Line& l : lines_) {
      if (l.key == key) out.push_back(&l);
    }
    used_.insert(std::string(key));
    return out;
  }
  void require_all_used() const {
    for (const Line& l : lines_) {
      if (used_.count(l.key) == 0) fail(l.number, fmt::format("unknown field {}", shown(l.key)));
    }
  }

  void arity(const Line& l, std::size_t n) const {
    if (l.tokens.size() != n) {
      fail(l.number,
           fmt::format("field '{}' has {} values (expected {})", l.key, l.tokens.size(), n));
    }
  }
  void min_arity(const Line& l, std::size_t n) const {
    if (l.tokens.size() < n) {
      fail(l.number, fmt::format("field '{}' has {} values (expected at least {})", l.key,
                                 l.tokens.size(), n));
    }
  }

  /// A whole number from 0 to `max`, read as an integer (never through a double).
  std::uint64_t count(const Line& l, std::size_t i,
                      std::uint64_t max = std::numeric_limits<std::uint64_t>::max()) const {
    const std::string& t = l.tokens[i];
    std::uint64_t v = 0;
    const auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
    if (t.empty() || (ec != std::errc() && ec != std::errc::result_out_of_range) ||
        p != t.data() + t.size() || ec == std::errc::result_out_of_range || v > max) {
      fail(l.number,
           fmt::format("field '{}': {} is not a whole number from 0 to {}", l.key, shown(t), max));
    }
    return v;
  }
  std::uint64_t u64(const Line& l, std::size_t i) const { return count(l, i); }
  std::size_t size(const Line& l, std::size_t i) const {
    return static_cast<std::size_t>(count(l, i, std::numeric_limits<std::uint32_t>::max()));
  }
  double real(const Line& l, std::size_t i) const {
    const std::string& t = l.tokens[i];
    if (t == "inf") return std::numeric_limits<double>::infinity();
    if (t == "-inf") return -std::numeric_limits<double>::infinity();
    if (t == "nan" || t == "-nan") return std::numeric_limits<double>::quiet_NaN();
    std::string_view s = t;
    bool negative = false;
    if (!s.empty() && s[0] == '-') {
      negative = true;
      s.remove_prefix(1);
    }
    double v = 0.0;
    bool ok = s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
    if (ok) {
      s.remove_prefix(2);
      const auto [p, ec] =
          std::from_chars(s.data(), s.data() + s.size(), v, std::chars_format::hex);
      if (ec == std::errc::result_out_of_range && p == s.data() + s.size()) {
        fail(l.number,
             fmt::format("field '{}': {} is out of the range of a double", l.key, shown(t)));
      }
      ok = ec == std::errc() && p == s.data() + s.size();
    }
    if (!ok) {
      fail(l.number, fmt::format("field '{}': {} is not a hexadecimal float", l.key, shown(t)));
    }
    return negative ? -v : v;
  }
  /// A finite number: every number xigrad saves is finite (a diverged run is not saved).
  double finite(const Line& l, std::size_t i) const {
    const double v = real(l, i);
    if (!std::isfinite(v)) {
      fail(l.number, fmt::format("field '{}' holds a non-finite value ({})", l.key, v));
    }
    return v;
  }
  std::vector<double> reals(const Line& l, std::size_t from, std::size_t n) const {
    if (l.tokens.size() != from + n) {
      fail(l.number, fmt::format("field '{}' has {} numbers (expected {})", l.key,
                                 l.tokens.size() < from ? 0 : l.tokens.size() - from, n));
    }
    std::vector<double> v(n);
    for (std::size_t i = 0; i < n; ++i) v[i] = finite(l, from + i);
    return v;
  }
  bool boolean(const Line& l, std::size_t i) const {
    if (l.tokens[i] == "true") return true;
    if (l.tokens[i] == "false") return false;
    fail(l.number, fmt::format("field '{}': {} is not true or false", l.key, shown(l.tokens[i])));
  }

 private:
  Line tokenize(std::string_view text, std::size_t number) const {
    Line line;
    line.number = number;
    std::size_t i = 0;
    auto word = [&](std::size_t start) {
      std::size_t end = text.find(' ', start);
      if (end == std::string_view::npos) end = text.size();
      i = end;
      return std::string(text.substr(start, end - start));
    };
    if (!text.empty() && text.back() == '\r') {
      fail(number,
           "the line ends with CR LF but the first line with LF (mixed line ends: the file was "
           "changed after it was written)");
    }
    line.key = word(0);
    if (line.key.empty()) fail(number, "empty line or missing field name");
    while (i < text.size()) {
      if (text[i] != ' ') fail(number, "expected a space between values");
      ++i;
      if (i < text.size() && text[i] == '"') {
        std::string s;
        ++i;
        for (;;) {
          if (i >= text.size()) fail(number, "unterminated quoted string");
          const char c = text[i++];
          if (c == '"') break;
          if (c != '\\') {
            s += c;
            continue;
          }
          if (i >= text.size()) fail(number, "unterminated escape in a quoted string");
          const char e = text[i++];
          switch (e) {
            case '\\':
              s += '\\';
              break;
            case '"':
              s += '"';
              break;
            case 'n':
              s += '\n';
              break;
            case 'r':
              s += '\r';
              break;
            case 't':
              s += '\t';
              break;
            case 'x': {
              unsigned v = 0;
              const auto [p, ec] = std::from_chars(
                  text.data() + i, text.data() + std::min(i + 2, text.size()), v, 16);
              if (ec != std::errc() || p != text.data() + i + 2) fail(number, "bad \\x escape");
              s += static_cast<char>(v);
              i += 2;
              break;
            }
            default:
              fail(number, fmt::format("unknown escape '\\{}'", e));
          }
        }
        if (i < text.size() && text[i] != ' ')
          fail(number, "expected a space after a quoted string");
        line.tokens.push_back(std::move(s));
      } else {
        std::string w = word(i);
        if (w.empty()) fail(number, "two spaces in a row");
        line.tokens.push_back(std::move(w));
      }
    }
    return line;
  }

  std::string source_;
  std::vector<Line> lines_;
  std::set<std::string> used_;
};

Task parse_task(const Reader& r, const Line& l) {
  if (l.tokens[0] == "regression") return Task::regression;
  if (l.tokens[0] == "binary") return Task::binary;
  r.fail(l.number, fmt::format("unknown task {} (known: regression, binary)", shown(l.tokens[0])));
}

template <class F>
auto wrap(const Reader& r, const Line& l, F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const InputError& e) {
    r.fail(l.number, e.what());
  }
}

}  // namespace

std::uint64_t fnv1a64(std::string_view bytes, std::uint64_t hash) {
  for (const char c : bytes) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

std::uint64_t data_fingerprint(const Matrix& X, const Vector& y) {
  std::uint64_t h = fnv1a64(std::string_view(reinterpret_cast<const char*>(X.data()),
                                             static_cast<std::size_t>(X.size()) * sizeof(double)));
  h = fnv1a64(std::string_view(reinterpret_cast<const char*>(y.data()),
                               static_cast<std::size_t>(y.size()) * sizeof(double)),
              h);
  const std::string sizes = fmt::format("{}x{}:{}", X.rows(), X.cols(), y.size());
  return fnv1a64(sizes, h);
}

std::string serialize_checkpoint(const Checkpoint& c) {
  Writer w;
  const ModelSpec& m = c.model;
  w.line("model.kind", quote(m.kind));
  w.line("model.inputs", u64(m.inputs));
  {
    std::string hidden;
    for (std::size_t h : m.hidden) (hidden += ' ') += u64(h);
    w.str() += "model.hidden" + hidden + "\n";
  }
  w.line("model.activation", std::string(activation_name(m.activation)));
  w.line("model.init", std::string(init_name(m.init)));
  w.line("model.seed", u64(m.seed));
  w.line("model.task", std::string(task_name(m.task)));

  const TrainOptions& t = c.training;
  w.line("train.optimizer", quote(t.optimizer));
  w.line("train.lr", t.lr ? hex(*t.lr) : std::string("none"));
  w.line("train.epochs", u64(t.epochs));
  w.line("train.batch_size", u64(t.batch_size));
  w.line("train.l2", hex(t.l2));
  w.line("train.seed", u64(t.seed));
  w.line("train.patience", u64(t.patience));
  w.line("train.min_delta", hex(t.min_delta));
  w.line("train.divergence_factor", hex(t.divergence_factor));

  {
    std::string names;
    for (const std::string& n : c.feature_names) (names += ' ') += quote(n);
    w.str() += "features" + names + "\n";
  }
  w.numbers("feature_mean", "", c.feature_mean.data(),
            static_cast<std::size_t>(c.feature_mean.size()));
  w.numbers("feature_scale", "", c.feature_scale.data(),
            static_cast<std::size_t>(c.feature_scale.size()));
  w.line("data_fingerprint", fmt::format("{:016x}", c.data_fingerprint));
  for (const auto& [k, v] : c.settings) w.line("setting", quote(k), quote(v));

  const TrainerState& s = c.state;
  w.line("state.epoch", u64(s.epoch));
  for (std::size_t i = 0; i < s.parameters.size(); ++i) {
    const Matrix& p = s.parameters[i];
    w.numbers("param", fmt::format("{} {}", p.rows(), p.cols()), p.data(),
              static_cast<std::size_t>(p.size()));
  }
  w.line("optimizer.name", quote(s.optimizer.name));
  w.line("optimizer.step", u64(s.optimizer.step));
  for (const auto& [name, values] : s.optimizer.buffers) {
    w.numbers("optimizer.buffer", fmt::format("{} {}", quote(name), values.size()), values.data(),
              values.size());
  }
  w.line("sampler", u64(s.sampler.seed), u64(s.sampler.epoch), u64(s.sampler.position));
  w.line("state.best_loss", hex(s.best_loss));
  w.line("state.bad_epochs", u64(s.bad_epochs));
  w.line("state.initial_loss", hex(s.initial_loss));
  w.line("state.stop_reason", quote(s.stop_reason));
  {
    std::string names;
    for (const std::string& n : s.trace.param_names) (names += ' ') += quote(n);
    w.str() += "trace.param_names" + names + "\n";
  }
  for (const optim::TraceRow& row : s.trace.rows) {
    const std::array<double, 3> v{row.loss, row.grad_norm, row.learning_rate};
    w.numbers("trace.row",
              fmt::format("{} {} {} {} {}", row.iteration, hex(v[0]), hex(v[1]), hex(v[2]),
                          row.params.size()),
              row.params.data(), row.params.size());
  }

  const std::string& payload = w.str();
  return fmt::format("{} {}\npayload {} fnv1a64 {:016x}\n", kMagic, kCheckpointVersion,
                     payload.size(), fnv1a64(payload)) +
         payload;
}

namespace {

/// The settings `xigrad train` saves, each checked by type and by the range of its option.
/// Other keys are kept as they are (free-form settings of another program).
void check_setting(const Reader& r, const Line& l) {
  const std::string& key = l.tokens[0];
  const std::string& value = l.tokens[1];
  const auto bad = [&](std::string_view allowed) {
    r.fail(l.number, fmt::format("setting '{}': {} is not {}", key, shown(value), allowed));
  };
  const auto number = [&](double lo, bool lo_open, double hi, bool hi_open,
                          std::string_view allowed) {
    double v = 0.0;
    const auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
    if (value.empty() || ec != std::errc() || p != value.data() + value.size() ||
        !std::isfinite(v) || (lo_open ? !(v > lo) : !(v >= lo)) ||
        (hi_open ? !(v < hi) : !(v <= hi))) {
      bad(allowed);
    }
  };
  const auto whole = [&](std::uint64_t max) {
    std::uint64_t v = 0;
    const auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
    if (value.empty() || ec != std::errc() || p != value.data() + value.size() || v > max) {
      bad(fmt::format("a whole number from 0 to {}", max));
    }
  };
  const auto one_of = [&](const std::vector<std::string_view>& names) {
    if (std::find(names.begin(), names.end(), value) == names.end()) {
      bad(fmt::format("one of {}", fmt::join(names, ", ")));
    }
  };
  constexpr double kMax = std::numeric_limits<double>::max();
  if (key == "model") {
    one_of(model_names());
  } else if (key == "optimizer") {
    one_of(trainer_optimizer_names());
  } else if (key == "na") {
    one_of({"drop", "error"});
  } else if (key == "activation") {
    if (!value.empty()) one_of({"relu", "tanh", "sigmoid"});
  } else if (key == "hidden") {
    if (!value.empty()) wrap(r, l, [&] { return parse_layer_sizes(value); });
  } else if (key == "lr") {
    if (!value.empty()) number(0.0, true, kMax, false, "a finite number > 0");
  } else if (key == "l2") {
    number(0.0, false, kMax, false, "a finite number >= 0");
  } else if (key == "test_fraction") {
    number(0.0, false, 1.0, true, "a number from 0 to less than 1");
  } else if (key == "epochs" || key == "patience") {
    whole(limits::max_epochs);
  } else if (key == "batch") {
    whole(limits::max_batch_size);
  } else if (key == "seed") {
    whole(std::numeric_limits<std::uint64_t>::max());
  }
}

/// The bytes with every CR LF turned into LF, or nothing if some line ends with LF alone.
std::optional<std::string> from_crlf(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (bytes[i] == '\r' && i + 1 < bytes.size() && bytes[i + 1] == '\n') continue;
    if (bytes[i] == '\n' && (i == 0 || bytes[i - 1] != '\r')) return std::nullopt;
    out += bytes[i];
  }
  return out;
}

}  // namespace

Checkpoint parse_checkpoint(std::string_view bytes, const std::string& source) {
  const auto fail = [&](const std::string& what) -> void {
    throw InputError(fmt::format("{}: {}", source, what));
  };
  if (bytes.empty()) fail("not an xigrad checkpoint: the file is empty");
  if (bytes.substr(0, kMagic.size() + 1) != std::string(kMagic) + " ") {
    fail(fmt::format(
        "not an xigrad checkpoint: it does not begin with \"{} <version>\" (checkpoints are "
        "written by `xigrad train --save FILE`)",
        kMagic));
  }
  // Line 1: the version.
  const std::size_t eol1 = bytes.find('\n');
  if (eol1 == std::string_view::npos) fail("is truncated: the header ends after its first line");
  if (bytes[eol1 - 1] == '\r') {
    // Line ends converted to CR LF (git's autocrlf, a Windows editor): the checksum, taken over
    // the LF form xigrad writes, still decides whether anything else changed.
    const std::optional<std::string> lf = from_crlf(bytes);
    if (!lf) {
      fail(
          "line ends are mixed: the first line ends with CR LF, others with LF (the file was "
          "changed after it was written)");
    }
    return parse_checkpoint(*lf, source);
  }
  const std::string_view version_text = bytes.substr(kMagic.size() + 1, eol1 - kMagic.size() - 1);
  int version = 0;
  {
    const auto [p, ec] =
        std::from_chars(version_text.data(), version_text.data() + version_text.size(), version);
    if (ec != std::errc() || p != version_text.data() + version_text.size()) {
      fail(fmt::format("is corrupt: the format version {} is not a number", shown(version_text)));
    }
  }
  if (version != kCheckpointVersion) {
    fail(fmt::format("checkpoint format version {} is not supported (this xigrad reads version {})",
                     version, kCheckpointVersion));
  }
  // Line 2: payload length and checksum.
  const std::size_t eol2 = bytes.find('\n', eol1 + 1);
  if (eol2 == std::string_view::npos) fail("is truncated: the header ends after its first line");
  const std::string header2(bytes.substr(eol1 + 1, eol2 - eol1 - 1));
  std::size_t length = 0;
  std::uint64_t stored = 0;
  {
    std::istringstream in(header2);
    std::string w1, w3, hash, rest;
    if (!(in >> w1 >> length >> w3 >> hash) || w1 != "payload" || w3 != "fnv1a64" ||
        hash.size() != 16 || (in >> rest)) {
      fail(
          fmt::format("is corrupt: the second line {} is not \"payload <bytes> fnv1a64 "
                      "<16 hex digits>\"",
                      shown(header2)));
    }
    const auto [p, ec] = std::from_chars(hash.data(), hash.data() + hash.size(), stored, 16);
    if (ec != std::errc() || p != hash.data() + hash.size()) {
      fail(fmt::format("is corrupt: the checksum {} is not hexadecimal", shown(hash)));
    }
  }
  const std::string_view payload = bytes.substr(eol2 + 1);
  if (payload.size() < length) {
    fail(fmt::format("is truncated: the payload has {} bytes, the header says {}", payload.size(),
                     length));
  }
  if (payload.size() > length) {
    fail(fmt::format("is corrupt: {} unexpected bytes after the payload of {} bytes",
                     payload.size() - length, length));
  }
  const std::uint64_t computed = fnv1a64(payload);
  if (computed != stored) {
    fail(fmt::format(
        "is corrupt: the payload's FNV-1a checksum is {:016x}, the header says {:016x} (the file "
        "was changed or damaged after it was written)",
        computed, stored));
  }
  return parse_checkpoint_payload(payload, source);
}

Checkpoint parse_checkpoint_payload(std::string_view payload, const std::string& source) {
  Reader r(source, payload, 3);
  Checkpoint c;
  const auto size_field = [&](std::string_view key, std::uint64_t max) {
    const Line& l = r.one(key);
    r.arity(l, 1);
    return static_cast<std::size_t>(r.count(l, 0, max));
  };
  const auto finite_field = [&](std::string_view key) {
    const Line& l = r.one(key);
    r.arity(l, 1);
    return r.finite(l, 0);
  };
  const auto u64_field = [&](std::string_view key) {
    const Line& l = r.one(key);
    r.arity(l, 1);
    return r.u64(l, 0);
  };
  const auto string_field = [&](std::string_view key) {
    const Line& l = r.one(key);
    r.arity(l, 1);
    return l.tokens[0];
  };

  // ---------------------------------------------------------------- model spec
  c.model.kind = string_field("model.kind");
  c.model.inputs = size_field("model.inputs", limits::max_layer_size);
  {
    const Line& l = r.one("model.hidden");
    if (l.tokens.size() > limits::max_hidden_layers) {
      r.fail(l.number, fmt::format("field 'model.hidden' has {} sizes (at most {})",
                                   l.tokens.size(), limits::max_hidden_layers));
    }
    for (std::size_t i = 0; i < l.tokens.size(); ++i) {
      c.model.hidden.push_back(r.count(l, i, limits::max_layer_size));
    }
  }
  {
    const Line& l = r.one("model.activation");
    r.arity(l, 1);
    c.model.activation = wrap(r, l, [&] { return parse_activation(l.tokens[0]); });
  }
  {
    const Line& l = r.one("model.init");
    r.arity(l, 1);
    c.model.init = wrap(r, l, [&] { return parse_init(l.tokens[0]); });
  }
  c.model.seed = u64_field("model.seed");
  {
    const Line& l = r.one("model.task");
    r.arity(l, 1);
    c.model.task = parse_task(r, l);
  }
  std::size_t numel = 0;
  try {
    numel = parameter_count(c.model);
  } catch (const InputError& e) {
    r.fail(fmt::format("the model (fields model.*): {}", e.what()));
  }

  // ---------------------------------------------------------------- training options
  c.training.optimizer = string_field("train.optimizer");
  {
    const Line& l = r.one("train.lr");
    r.arity(l, 1);
    if (l.tokens[0] != "none") c.training.lr = r.finite(l, 0);
  }
  c.training.epochs = size_field("train.epochs", limits::max_epochs);
  c.training.batch_size = size_field("train.batch_size", limits::max_batch_size);
  c.training.l2 = finite_field("train.l2");
  c.training.seed = u64_field("train.seed");
  c.training.patience = size_field("train.patience", limits::max_epochs);
  c.training.min_delta = finite_field("train.min_delta");
  c.training.divergence_factor = finite_field("train.divergence_factor");
  try {
    check_train_options(c.training);
  } catch (const InputError& e) {
    r.fail(fmt::format("the training options (fields train.*): {}", e.what()));
  }

  // ---------------------------------------------------------------- data
  c.feature_names = r.one("features").tokens;
  {
    const Line& l = r.one("feature_mean");
    const auto v = r.reals(l, 0, l.tokens.size());
    c.feature_mean =
        Eigen::Map<const Eigen::VectorXd>(v.data(), static_cast<Eigen::Index>(v.size()));
  }
  {
    const Line& l = r.one("feature_scale");
    const auto v = r.reals(l, 0, l.tokens.size());
    for (std::size_t j = 0; j < v.size(); ++j) {
      if (!(v[j] > 0.0)) {
        r.fail(l.number, fmt::format("field 'feature_scale': value {} is {} (a scale must be > 0)",
                                     j + 1, v[j]));
      }
    }
    c.feature_scale =
        Eigen::Map<const Eigen::VectorXd>(v.data(), static_cast<Eigen::Index>(v.size()));
  }
  if (c.feature_names.size() != c.model.inputs ||
      static_cast<std::size_t>(c.feature_mean.size()) != c.model.inputs ||
      static_cast<std::size_t>(c.feature_scale.size()) != c.model.inputs) {
    r.fail(fmt::format("{} feature names, {} means and {} scales for a model with {} inputs",
                       c.feature_names.size(), c.feature_mean.size(), c.feature_scale.size(),
                       c.model.inputs));
  }
  {
    const Line& l = r.one("data_fingerprint");
    r.arity(l, 1);
    const std::string& h = l.tokens[0];
    const auto [p, ec] = std::from_chars(h.data(), h.data() + h.size(), c.data_fingerprint, 16);
    if (h.size() != 16 || ec != std::errc() || p != h.data() + h.size()) {
      r.fail(l.number, "data_fingerprint is not 16 hexadecimal digits");
    }
  }
  for (const Line* l : r.all("setting")) {
    r.arity(*l, 2);
    check_setting(r, *l);
    if (!c.settings.emplace(l->tokens[0], l->tokens[1]).second) {
      r.fail(l->number, fmt::format("setting {} appears twice", shown(l->tokens[0])));
    }
  }

  // ---------------------------------------------------------------- training state
  TrainerState& s = c.state;
  s.epoch = size_field("state.epoch", limits::max_epochs);
  std::size_t stored = 0;
  for (const Line* l : r.all("param")) {
    r.min_arity(*l, 2);
    const std::size_t rows = r.size(*l, 0), cols = r.size(*l, 1);
    const auto v = r.reals(*l, 2, rows * cols);  // checks the count against the line first
    Matrix m(static_cast<Eigen::Index>(rows), static_cast<Eigen::Index>(cols));
    std::copy(v.begin(), v.end(), m.data());
    s.parameters.push_back(std::move(m));
    stored += v.size();
  }
  if (stored != numel) {
    r.fail(fmt::format("the parameters hold {} values, the model (fields model.*) has {}", stored,
                       numel));
  }
  s.optimizer.name = string_field("optimizer.name");
  s.optimizer.step = u64_field("optimizer.step");
  for (const Line* l : r.all("optimizer.buffer")) {
    r.min_arity(*l, 2);
    const std::size_t n = r.size(*l, 1);
    if (!s.optimizer.buffers.emplace(l->tokens[0], r.reals(*l, 2, n)).second) {
      r.fail(l->number, fmt::format("optimizer buffer {} appears twice", shown(l->tokens[0])));
    }
  }
  {
    const Line& l = r.one("sampler");
    r.arity(l, 3);
    s.sampler.seed = r.u64(l, 0);
    s.sampler.epoch = r.count(l, 1, limits::max_epochs + 1);
    s.sampler.position = r.size(l, 2);
  }
  s.best_loss = finite_field("state.best_loss");
  s.bad_epochs = size_field("state.bad_epochs", s.epoch);
  s.initial_loss = finite_field("state.initial_loss");
  s.stop_reason = string_field("state.stop_reason");
  s.trace.param_names = r.one("trace.param_names").tokens;
  for (const Line* l : r.all("trace.row")) {
    r.min_arity(*l, 5);
    optim::TraceRow row;
    row.iteration = r.count(*l, 0, s.trace.rows.size());
    if (row.iteration != s.trace.rows.size()) {
      r.fail(l->number, fmt::format("field 'trace.row': row {} is numbered {}", s.trace.rows.size(),
                                    row.iteration));
    }
    row.loss = r.finite(*l, 1);
    row.grad_norm = r.finite(*l, 2);
    row.learning_rate = r.finite(*l, 3);
    const std::size_t n = r.size(*l, 4);
    if (n != 0 && n != s.trace.param_names.size()) {
      r.fail(l->number, fmt::format("field 'trace.row' has {} parameters for {} names", n,
                                    s.trace.param_names.size()));
    }
    row.params = r.reals(*l, 5, n);
    s.trace.rows.push_back(std::move(row));
  }
  r.require_all_used();
  if (s.trace.rows.size() != s.epoch + 1) {
    r.fail(fmt::format("{} trace rows for {} epochs (expected {})", s.trace.rows.size(), s.epoch,
                       s.epoch + 1));
  }
  // Everything the counts and sizes say must fit together: restore the parameters into the
  // model of the saved spec and the optimizer state into the optimizer of the saved options (the
  // sizes above are checked first, so this allocates no more than the file holds).
  try {
    const std::unique_ptr<Model> model = make_model(c.model);
    model->set_parameter_values(s.parameters);
    make_trainer_optimizer(c.training, model->parameters())->load_state(s.optimizer);
  } catch (const InputError& e) {
    r.fail(e.what());
  }
  return c;
}

void save_checkpoint(const std::filesystem::path& path, const Checkpoint& checkpoint) {
  optim::write_file_atomically(path, serialize_checkpoint(checkpoint));
}

Checkpoint load_checkpoint(const std::filesystem::path& path) {
  // One line holds a whole parameter matrix (an MLP layer of 784 × 256 is about 4.6 MB): only
  // the file's size is bounded.
  optim::InputLimits limits;
  limits.max_line_bytes = limits.max_bytes;
  return parse_checkpoint(optim::read_input_file(path, "checkpoint", limits), path.string());
}

}  // namespace xi::models
