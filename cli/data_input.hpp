#pragma once
// Data from a CSV file in expressions: `--data FILE.csv` binds each column the expressions use
// as a constant vector named after its header, `--matrix NAME=COL,COL,...` binds a design matrix
// (rows × the listed columns) and `--positive NAME=COL:LABEL` (or `--positive COL=LABEL`, which
// names it COL) a 0/1 vector that is 1 where COL is LABEL. Rows with a missing value in any column
// in use are dropped and counted. The file is read and typed by the models module (read_csv,
// make_dataset), so the CSV and missing-value rules are the ones `train` follows.

#include <cstddef>
#include <memory>
#include <ostream>
#include <span>
#include <string>
#include <vector>

#include <xigrad/autodiff/matrix.hpp>
#include <xigrad/autodiff/shape.hpp>

#include "expr/program.hpp"

namespace CLI {
class App;
}

namespace xi::cli {

/// --data, --matrix and --positive on a subcommand.
struct DataArgs {
  std::string file;
  std::vector<std::string> matrix;
  std::vector<std::string> positive;
  void add_to(CLI::App& cmd);
};

/// One name bound to data: a vector (rows) or a matrix (rows × columns), row-major.
struct DataBinding {
  std::string name;
  Shape shape;
  Matrix values;  // 1 × rows for a vector
};

/// The data the expressions use, after dropping rows with missing values.
struct BoundData {
  std::string source;             // the file, as given
  std::size_t rows = 0;           // rows kept
  std::size_t dropped_rows = 0;   // rows dropped for a missing value in a column in use
  std::vector<std::string> used;  // the CSV columns in use
  std::vector<DataBinding> bindings;

  const DataBinding* find(const std::string& name) const;
};

/// A CSV header as a variable name: every character other than a letter, digit or '_' becomes
/// '_', and a name that would start with a digit gets a leading '_' ("Chest Pain" → Chest_Pain,
/// "2nd" → _2nd).
std::string mangle_column_name(const std::string& header);

/// Reads `args.file` and binds the names that `programs` use and `bound` (the --at or --from
/// variables) does not give, plus every --matrix and --positive name. Returns null when --data
/// is not given (and refuses --matrix or --positive without it). Notes the dropped rows on `err`.
/// Throws InputError (file, line and column for the CSV; the option for a bad --matrix or
/// --positive; a name both given with --at and a column the expressions use).
std::shared_ptr<const BoundData> load_data(const DataArgs& args,
                                           std::span<const Program* const> programs,
                                           std::span<const std::string> bound, std::ostream& err);

}  // namespace xi::cli
