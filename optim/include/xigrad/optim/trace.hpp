#pragma once
// The record of an optimizer run, one row per iteration, and its CSV form.

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace xi::optim {

/// One iteration of an optimizer run.
struct TraceRow {
  std::size_t iteration = 0;     ///< iteration number (0 = the starting point)
  double loss = 0.0;             ///< loss at the parameters of this row
  double grad_norm = 0.0;        ///< Euclidean norm of the gradient there
  double learning_rate = 0.0;    ///< learning rate used for the step that follows
  std::vector<double> params{};  ///< parameters (empty when the run does not record them)
};

/// A whole run: a label (shown in plot legends), the parameter names and the rows.
///
/// Every row has either exactly `param_names.size()` parameters or none at all (runs of large
/// models record no parameters; then `param_names` is empty too).
struct Trace {
  std::string label{};                     ///< e.g. "lr = 0.1"; not stored in the CSV
  std::vector<std::string> param_names{};  ///< names of the recorded parameters, in order
  std::vector<TraceRow> rows{};            ///< in order of iteration (see append_row)
  /// Rows kept by append_row are at iterations that are multiples of this, plus the last row.
  std::size_t stride = 1;
};

/// Appends `row` to a trace that keeps at most about `max_rows` rows, so that a run of millions
/// of iterations has a trace of bounded size. While the trace is short every row is kept; when
/// the rows at multiples of `trace.stride` would number more than `max_rows`, every other one is
/// dropped and the stride doubles (1, 2, 4, ...). The first row (iteration 0) and the last row
/// appended are always kept, so a plot of the trace starts and ends where the run did.
/// `max_rows` = 0 keeps every row.
void append_row(Trace& trace, TraceRow row, std::size_t max_rows);

/// Formats a trace as CSV: a header `iteration,loss,grad_norm,lr,<param names...>` and one line
/// per row.
///
/// Numbers are printed in the shortest form that reads back to the same double (`0.1`, `1e-05`),
/// so `read_trace_csv` returns exactly the values written; non-finite values print as `nan`,
/// `inf` and `-inf`. Names containing a comma, a quote or a line break are quoted as in RFC 4180.
/// The label is not part of the CSV.
///
/// Throws `xi::InputError` if a row has a number of parameters other than `param_names.size()`.
///
/// Example output:
/// \code
///   iteration,loss,grad_norm,lr,w,b
///   0,2.5,3.1622776601683795,0.1,0,0
///   1,1.2,2,0.1,0.30000000000000004,0.1
/// \endcode
std::string trace_to_csv(const Trace& trace);

/// Writes `trace_to_csv(trace)` to `path` atomically (see `write_file_atomically`).
/// Throws `xi::InputError` for an inconsistent trace and `xi::Error` if the file cannot be written.
void save_trace_csv(const std::filesystem::path& path, const Trace& trace);

/// Parses the CSV form written by `trace_to_csv` (line endings may be LF or CRLF).
/// Throws `xi::InputError` naming the text's position as `<source>:<line>:<column>` when the text
/// is not such a CSV.
///
/// `source` is used in error messages only; the label of the returned trace is empty.
Trace parse_trace_csv(std::string_view text, std::string_view source = "<trace>");

/// Reads a trace written by `save_trace_csv`. The label of the result is the file's stem
/// (`runs/lr_0.1.csv` gives `lr_0.1`). Throws `xi::InputError` (with file, line and column) for
/// a malformed file and `xi::Error` if the file cannot be read.
Trace read_trace_csv(const std::filesystem::path& path);

}  // namespace xi::optim
