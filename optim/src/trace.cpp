#include <xigrad/optim/input_file.hpp>
#include <xigrad/optim/trace.hpp>

#include <fmt/format.h>
#include <fmt/std.h>
#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <sstream>
#include <system_error>
#include <xigrad/autodiff/error.hpp>
#include <xigrad/optim/atomic_file.hpp>

namespace xi::optim {
namespace {

constexpr std::string_view kFixedColumns[] = {"iteration", "loss", "grad_norm", "lr"};

/// Shortest round-trip form; every NaN prints as `nan` whatever its sign bit.
void append_number(std::string& out, double v) {
  if (std::isnan(v)) {
    out += "nan";
  } else {
    fmt::format_to(std::back_inserter(out), "{}", v);
  }
}

/// RFC 4180 quoting, only when the field needs it.
void append_field(std::string& out, std::string_view s) {
  const bool needs_quotes = s.find_first_of(",\"\r\n") != std::string_view::npos;
  if (!needs_quotes) {
    out += s;
    return;
  }
  out += '"';
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
}

/// One CSV field with the position (1-based line and column) where it starts.
struct Field {
  std::string text;
  std::size_t line;
  std::size_t column;
};

/// Splits CSV text into records of fields. Handles quoted fields, LF and CRLF; skips empty lines.
class CsvReader {
 public:
  CsvReader(std::string_view text, std::string_view source) : text_(text), source_(source) {}

  /// Reads the next non-empty record into `fields`; false at the end of the text.
  bool next(std::vector<Field>& fields) {
    fields.clear();
    while (pos_ < text_.size()) {
      if (text_[pos_] == '\n') {
        advance_line();
        continue;
      }
      if (text_[pos_] == '\r' && pos_ + 1 < text_.size() && text_[pos_ + 1] == '\n') {
        ++pos_;
        advance_line();
        continue;
      }
      break;
    }
    if (pos_ >= text_.size()) return false;
    record_line_ = line_;
    for (;;) {
      fields.push_back(read_field());
      if (pos_ >= text_.size()) return true;
      const char c = text_[pos_];
      if (c == ',') {
        advance();
        continue;
      }
      // End of record: LF or CRLF.
      if (c == '\r') ++pos_;
      advance_line();
      return true;
    }
  }

  std::size_t record_line() const { return record_line_; }

  [[noreturn]] void fail(std::size_t line, std::size_t column, std::string_view what) const {
    throw InputError(fmt::format("{}:{}:{}: {}", source_, line, column, what));
  }

 private:
  void advance() {
    ++pos_;
    ++column_;
  }
  void advance_line() {
    ++pos_;
    ++line_;
    column_ = 1;
  }

  Field read_field() {
    Field f{{}, line_, column_};
    if (pos_ < text_.size() && text_[pos_] == '"') {
      advance();
      for (;;) {
        if (pos_ >= text_.size()) fail(f.line, f.column, "quoted field is not closed");
        const char c = text_[pos_];
        if (c == '"') {
          if (pos_ + 1 < text_.size() && text_[pos_ + 1] == '"') {
            f.text += '"';
            advance();
            advance();
            continue;
          }
          advance();
          break;
        }
        f.text += c;
        if (c == '\n') {
          advance_line();
        } else {
          advance();
        }
      }
      if (pos_ < text_.size() && !is_separator(pos_)) {
        fail(line_, column_, "unexpected character after a closing quote");
      }
      return f;
    }
    while (pos_ < text_.size() && !is_separator(pos_)) {
      f.text += text_[pos_];
      advance();
    }
    return f;
  }

  bool is_separator(std::size_t i) const {
    const char c = text_[i];
    return c == ',' || c == '\n' || (c == '\r' && i + 1 < text_.size() && text_[i + 1] == '\n');
  }

  std::string_view text_;
  std::string_view source_;
  std::size_t pos_ = 0;
  std::size_t line_ = 1;
  std::size_t column_ = 1;
  std::size_t record_line_ = 1;
};

double parse_double(const CsvReader& reader, const Field& f, std::string_view column_name) {
  double v = 0.0;
  const char* first = f.text.data();
  const char* last = first + f.text.size();
  const auto [ptr, ec] = std::from_chars(first, last, v);
  // from_chars reports out-of-range for subnormal results but still stores the nearest value;
  // only reject text that is not a number at all.
  if (f.text.empty() || ptr != last ||
      (ec != std::errc() && ec != std::errc::result_out_of_range)) {
    reader.fail(f.line, f.column,
                fmt::format("{}: expected a number, found \"{}\"", column_name, f.text));
  }
  if (ec == std::errc::result_out_of_range) {
    // Overflow: from_chars leaves v unchanged; fall back to strtod, which returns +-inf / the
    // subnormal value, matching how the text would print.
    v = std::strtod(f.text.c_str(), nullptr);
  }
  return v;
}

std::size_t parse_index(const CsvReader& reader, const Field& f) {
  unsigned long long v = 0;
  const char* first = f.text.data();
  const char* last = first + f.text.size();
  const auto [ptr, ec] = std::from_chars(first, last, v);
  if (f.text.empty() || ptr != last || ec != std::errc()) {
    reader.fail(f.line, f.column,
                fmt::format("iteration: expected a non-negative integer, found \"{}\"", f.text));
  }
  return static_cast<std::size_t>(v);
}

}  // namespace

std::string trace_to_csv(const Trace& trace) {
  std::string out;
  for (std::string_view name : kFixedColumns) {
    if (name != kFixedColumns[0]) out += ',';
    out += name;
  }
  for (const std::string& name : trace.param_names) {
    out += ',';
    append_field(out, name);
  }
  out += '\n';
  for (std::size_t i = 0; i < trace.rows.size(); ++i) {
    const TraceRow& row = trace.rows[i];
    if (row.params.size() != trace.param_names.size()) {
      throw InputError(fmt::format(
          "trace \"{}\": row {} (iteration {}) has {} parameters but the trace names {}",
          trace.label, i, row.iteration, row.params.size(), trace.param_names.size()));
    }
    fmt::format_to(std::back_inserter(out), "{}", row.iteration);
    for (double v : {row.loss, row.grad_norm, row.learning_rate}) {
      out += ',';
      append_number(out, v);
    }
    for (double v : row.params) {
      out += ',';
      append_number(out, v);
    }
    out += '\n';
  }
  return out;
}

void save_trace_csv(const std::filesystem::path& path, const Trace& trace) {
  write_file_atomically(path, trace_to_csv(trace));
}

Trace parse_trace_csv(std::string_view text, std::string_view source) {
  CsvReader reader(text, source);
  std::vector<Field> fields;
  if (!reader.next(fields)) reader.fail(1, 1, "empty trace: expected a header line");

  Trace trace;
  const std::size_t fixed = std::size(kFixedColumns);
  for (std::size_t i = 0; i < fixed; ++i) {
    if (i >= fields.size() || fields[i].text != kFixedColumns[i]) {
      const std::size_t column = i < fields.size() ? fields[i].column : fields.back().column;
      reader.fail(reader.record_line(), column,
                  fmt::format("expected the header to start with iteration,loss,grad_norm,lr "
                              "(column {} should be \"{}\")",
                              i + 1, kFixedColumns[i]));
    }
  }
  for (std::size_t i = fixed; i < fields.size(); ++i) {
    trace.param_names.push_back(std::move(fields[i].text));
  }
  const std::size_t width = fixed + trace.param_names.size();

  while (reader.next(fields)) {
    if (fields.size() != width) {
      reader.fail(
          reader.record_line(), fields[std::min(width, fields.size() - 1)].column,
          fmt::format("expected {} fields as in the header, found {}", width, fields.size()));
    }
    TraceRow row;
    row.iteration = parse_index(reader, fields[0]);
    row.loss = parse_double(reader, fields[1], "loss");
    row.grad_norm = parse_double(reader, fields[2], "grad_norm");
    row.learning_rate = parse_double(reader, fields[3], "lr");
    row.params.reserve(trace.param_names.size());
    for (std::size_t i = fixed; i < width; ++i) {
      row.params.push_back(parse_double(reader, fields[i], trace.param_names[i - fixed]));
    }
    trace.rows.push_back(std::move(row));
  }
  return trace;
}

void append_row(Trace& trace, TraceRow row, std::size_t max_rows) {
  auto& rows = trace.rows;
  const auto on_stride = [&](const TraceRow& r) { return r.iteration % trace.stride == 0; };
  // The previous last row was kept only for being last.
  if (!rows.empty() && !on_stride(rows.back())) rows.pop_back();
  rows.push_back(std::move(row));
  if (max_rows == 0 || rows.size() <= max_rows || !on_stride(rows.back())) return;
  trace.stride *= 2;
  std::size_t kept = 0;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (!on_stride(rows[i]) && i + 1 != rows.size()) continue;
    if (kept != i) rows[kept] = std::move(rows[i]);  // never a self-move, which empties params
    ++kept;
  }
  rows.resize(kept);
}

Trace read_trace_csv(const std::filesystem::path& path) {
  Trace trace = parse_trace_csv(read_input_file(path, "trace file"), path.string());
  trace.label = path.stem().string();
  return trace;
}

}  // namespace xi::optim
