#include "data_input.hpp"

#include <algorithm>
#include <charconv>
#include <map>
#include <optional>

#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <xigrad/autodiff/error.hpp>
#include <xigrad/models/csv.hpp>
#include <xigrad/models/dataset.hpp>

#include "expression_input.hpp"

namespace xi::cli {
namespace {

// "\"a\", \"b\", ... (14 in all)"
std::string list_names(const std::vector<std::string>& names) {
  constexpr std::size_t kShown = 20;
  std::string out;
  for (std::size_t i = 0; i < names.size() && i < kShown; ++i) {
    out += fmt::format("{}\"{}\"", i > 0 ? ", " : "", names[i]);
  }
  if (names.size() > kShown) out += fmt::format(", ... ({} in all)", names.size());
  return out;
}

// The columns of the table by header and by mangled header.
class Columns {
 public:
  explicit Columns(const models::CsvTable& table) : table_(table) {
    for (std::size_t c = 0; c < table.header.size(); ++c) {
      const std::string m = mangle_column_name(table.header[c]);
      if (m != table.header[c]) mangled_[m].push_back(c);
    }
  }

  /// The column called `name` (its header, or else its mangled header). Throws InputError when
  /// the mangled name is ambiguous; nothing when there is no such column.
  std::optional<std::size_t> find(const std::string& name, const std::string& context) const {
    if (auto c = table_.find_column(name)) return c;
    const auto it = mangled_.find(name);
    if (it == mangled_.end()) return std::nullopt;
    if (it->second.size() > 1) {
      std::vector<std::string> headers;
      for (std::size_t c : it->second) headers.push_back(table_.header[c]);
      throw InputError(
          fmt::format("{}: '{}' is the mangled name of several columns of {} ({}); "
                      "name one by its header with --matrix",
                      context, name, table_.source, list_names(headers)));
    }
    return it->second.front();
  }

  std::size_t require(const std::string& name, const std::string& context) const {
    if (auto c = find(name, context)) return *c;
    throw InputError(fmt::format("{}: no column \"{}\" in {}; the columns are {}", context, name,
                                 table_.source, list_names(table_.header)));
  }

 private:
  const models::CsvTable& table_;
  std::map<std::string, std::vector<std::size_t>> mangled_;
};

struct MatrixSpec {
  std::string name, item;
  std::vector<std::size_t> columns;
};

struct PositiveSpec {
  std::string name, item, label;
  std::size_t column = 0;
};

struct VectorSpec {
  std::string name;
  std::size_t column = 0;
};

std::pair<std::string, std::string> split_name(const std::string& item, const std::string& option,
                                               const char* form) {
  const auto eq = item.find('=');
  if (eq == std::string::npos) {
    throw InputError(fmt::format("{} '{}': expected {}", option, item, form));
  }
  std::string name = trim(std::string_view(item).substr(0, eq));
  check_variable_name(name, fmt::format("{} {}", option, item));
  return {name, item.substr(eq + 1)};
}

// One CSV column as typed by make_dataset: numeric values, or the 0/1 columns of its levels.
struct TypedColumn {
  std::optional<Eigen::Index> numeric;         // column of Dataset::X
  std::map<std::string, Eigen::Index> levels;  // level → its 0/1 column of Dataset::X
};

// make_dataset appends each feature's block in order: one column named like the feature when it
// is numeric, or one "feature=level" column per level (drop_first off).
std::vector<TypedColumn> typed_columns(const models::Dataset& d,
                                       const std::vector<std::string>& features) {
  std::vector<TypedColumn> out(features.size());
  std::size_t p = 0;
  for (std::size_t j = 0; j < features.size(); ++j) {
    const std::string& f = features[j];
    if (p < d.feature_names.size() && d.feature_names[p] == f) {
      out[j].numeric = static_cast<Eigen::Index>(p++);
      continue;
    }
    const std::string prefix = f + "=";
    while (p < d.feature_names.size() && d.feature_names[p].rfind(prefix, 0) == 0 &&
           (j + 1 == features.size() || d.feature_names[p] != features[j + 1])) {
      out[j].levels[d.feature_names[p].substr(prefix.size())] = static_cast<Eigen::Index>(p);
      ++p;
    }
  }
  return out;
}

std::string levels_text(const TypedColumn& t) {
  std::vector<std::string> names;
  for (const auto& [level, column] : t.levels) names.push_back(level);
  return list_names(names);
}

}  // namespace

const DataBinding* BoundData::find(const std::string& name) const {
  for (const DataBinding& b : bindings) {
    if (b.name == name) return &b;
  }
  return nullptr;
}

std::string mangle_column_name(const std::string& header) {
  std::string out;
  for (char c : header) {
    const bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    out += ok ? c : '_';
  }
  if (out.empty() || (out[0] >= '0' && out[0] <= '9')) out.insert(0, "_");
  return out;
}

void DataArgs::add_to(CLI::App& cmd) {
  cmd.add_option("--data", file,
                 "a CSV file: each column the expression names is a constant vector (see "
                 "docs/cli.md)")
      ->type_name("FILE.csv");
  cmd.add_option("--matrix", matrix, "bind NAME to the matrix of these columns (repeatable)")
      ->allow_extra_args(false)
      ->type_name("NAME=COL,COL,...");
  cmd.add_option("--positive", positive,
                 "bind NAME to 1 where column COL is LABEL, 0 elsewhere; COL=LABEL binds COL "
                 "itself (repeatable)")
      ->allow_extra_args(false)
      ->type_name("NAME=COL:LABEL");
}

std::shared_ptr<const BoundData> load_data(const DataArgs& args,
                                           std::span<const Program* const> programs,
                                           std::span<const std::string> bound, std::ostream& err) {
  if (args.file.empty()) {
    if (!args.matrix.empty()) throw InputError("--matrix needs --data FILE.csv");
    if (!args.positive.empty()) throw InputError("--positive needs --data FILE.csv");
    return nullptr;
  }
  const models::CsvTable table = models::read_csv(args.file);
  const Columns columns(table);
  const auto is_bound = [&](const std::string& name) {
    return std::find(bound.begin(), bound.end(), name) != bound.end();
  };
  std::vector<std::string> declared;  // --matrix and --positive names
  const auto declare = [&](const std::string& name, const std::string& context) {
    if (is_bound(name)) {
      throw InputError(fmt::format("{}: '{}' is also given a value with --at", context, name));
    }
    if (std::find(declared.begin(), declared.end(), name) != declared.end()) {
      throw InputError(fmt::format("{}: '{}' is bound twice", context, name));
    }
    declared.push_back(name);
  };

  std::vector<MatrixSpec> matrices;
  for (const std::string& item : args.matrix) {
    const std::string context = fmt::format("--matrix {}", item);
    auto [name, list] = split_name(item, "--matrix", "NAME=COL,COL,...");
    declare(name, context);
    MatrixSpec m{name, item, {}};
    std::size_t from = 0;
    for (;;) {
      const auto comma = list.find(',', from);
      const std::string col = trim(std::string_view(list).substr(
          from, comma == std::string::npos ? std::string::npos : comma - from));
      if (col.empty()) throw InputError(fmt::format("{}: a column name is missing", context));
      const std::size_t c = columns.require(col, context);
      if (std::find(m.columns.begin(), m.columns.end(), c) != m.columns.end()) {
        throw InputError(fmt::format("{}: column \"{}\" is listed twice", context, col));
      }
      m.columns.push_back(c);
      if (comma == std::string::npos) break;
      from = comma + 1;
    }
    matrices.push_back(std::move(m));
  }

  std::vector<PositiveSpec> positives;
  for (const std::string& item : args.positive) {
    const std::string context = fmt::format("--positive {}", item);
    auto [name, rest] = split_name(item, "--positive", "NAME=COL:LABEL or COL=LABEL");
    PositiveSpec p{name, item, "", 0};
    const auto colon = rest.find(':');
    std::optional<std::size_t> column;
    if (colon != std::string::npos) column = columns.find(trim(rest.substr(0, colon)), context);
    if (column) {
      p.column = *column;
      p.label = trim(rest.substr(colon + 1));
    } else {
      p.column = columns.require(name, context);
      p.label = trim(rest);
    }
    if (p.label.empty()) throw InputError(fmt::format("{}: the label is missing", context));
    declare(name, context);
    positives.push_back(std::move(p));
  }

  // Every other name the expressions use and --at does not give: a column of that name.
  std::vector<VectorSpec> vectors;
  for (const Program* program : programs) {
    for (const VariableRef& ref : program->variables) {
      const bool declared_here =
          std::find(declared.begin(), declared.end(), ref.name) != declared.end() ||
          std::any_of(vectors.begin(), vectors.end(),
                      [&](const VectorSpec& v) { return v.name == ref.name; });
      if (declared_here) continue;
      const auto c = columns.find(ref.name, fmt::format("--data {}", args.file));
      if (!c) continue;  // not data: resolve() says it is unknown
      if (is_bound(ref.name)) {
        throw InputError(fmt::format(
            "'{}' is given with --at and is also a column of {}: the expression would be "
            "ambiguous; give the variable another name",
            ref.name, args.file));
      }
      vectors.push_back({ref.name, *c});
    }
  }

  // The columns in use, in order of first use, then typed and cleaned by make_dataset with the
  // original row number as its (numeric, never missing) target.
  std::vector<std::size_t> used;
  const auto use = [&](std::size_t c) {
    if (std::find(used.begin(), used.end(), c) == used.end()) used.push_back(c);
  };
  for (const VectorSpec& v : vectors) use(v.column);
  for (const MatrixSpec& m : matrices)
    for (std::size_t c : m.columns) use(c);
  for (const PositiveSpec& p : positives) use(p.column);

  auto data = std::make_shared<BoundData>();
  data->source = args.file;
  data->rows = table.rows.size();
  for (std::size_t c : used) data->used.push_back(table.header[c]);
  if (used.empty()) return data;

  models::CsvTable sub;
  sub.source = table.source;
  std::string row_name = "#row";
  while (std::find(data->used.begin(), data->used.end(), row_name) != data->used.end()) {
    row_name += "#";
  }
  sub.header.push_back(row_name);
  sub.header_locations.push_back(table.header_locations.front());
  for (std::size_t c : used) {
    sub.header.push_back(table.header[c]);
    sub.header_locations.push_back(table.header_locations[c]);
  }
  sub.rows.reserve(table.rows.size());
  sub.locations.reserve(table.rows.size());
  for (std::size_t r = 0; r < table.rows.size(); ++r) {
    std::vector<std::string> row{std::to_string(r)};
    std::vector<models::CsvLocation> at{table.locations[r].front()};
    for (std::size_t c : used) {
      row.push_back(table.rows[r][c]);
      at.push_back(table.locations[r][c]);
    }
    sub.rows.push_back(std::move(row));
    sub.locations.push_back(std::move(at));
  }
  models::DatasetOptions options;
  options.target = row_name;
  options.features = data->used;
  options.na = models::NaPolicy::drop;
  options.drop_first = false;
  const models::Dataset d = models::make_dataset(sub, options);
  const std::vector<TypedColumn> typed = typed_columns(d, data->used);
  const auto typed_of = [&](std::size_t c) -> const TypedColumn& {
    return typed[static_cast<std::size_t>(std::find(used.begin(), used.end(), c) - used.begin())];
  };
  const auto numeric = [&](std::size_t c, const std::string& context) {
    const TypedColumn& t = typed_of(c);
    if (t.numeric) return *t.numeric;
    throw InputError(fmt::format(
        "{}: column \"{}\" is not numeric (its values are {}); bind a two-valued column as 0/1 "
        "with --positive NAME={}:LABEL",
        context, table.header[c], levels_text(t), mangle_column_name(table.header[c])));
  };

  data->rows = static_cast<std::size_t>(d.rows());
  data->dropped_rows = d.dropped_rows;
  const auto n = static_cast<Index>(d.rows());
  for (const VectorSpec& v : vectors) {
    const Eigen::Index k =
        numeric(v.column, fmt::format("--data {} (for '{}')", args.file, v.name));
    data->bindings.push_back({v.name, Shape::vector(n), Matrix(d.X.col(k).transpose())});
  }
  for (const MatrixSpec& m : matrices) {
    Matrix values(d.rows(), static_cast<Eigen::Index>(m.columns.size()));
    for (std::size_t j = 0; j < m.columns.size(); ++j) {
      values.col(static_cast<Eigen::Index>(j)) =
          d.X.col(numeric(m.columns[j], fmt::format("--matrix {}", m.item)));
    }
    data->bindings.push_back(
        {m.name, Shape::matrix(n, static_cast<Index>(m.columns.size())), std::move(values)});
  }
  for (const PositiveSpec& p : positives) {
    const std::string context = fmt::format("--positive {}", p.item);
    const TypedColumn& t = typed_of(p.column);
    Matrix values(1, d.rows());
    if (t.numeric) {
      double label = 0;
      const auto [ptr, ec] =
          std::from_chars(p.label.data(), p.label.data() + p.label.size(), label);
      if (ec != std::errc() || ptr != p.label.data() + p.label.size()) {
        throw InputError(fmt::format("{}: column \"{}\" is numeric, and '{}' is not a number",
                                     context, table.header[p.column], p.label));
      }
      values.row(0) = (d.X.col(*t.numeric).array() == label).cast<double>().transpose();
    } else {
      const auto it = t.levels.find(p.label);
      if (it == t.levels.end()) {
        throw InputError(
            fmt::format("{}: \"{}\" does not occur in column \"{}\"; its values are {}", context,
                        p.label, table.header[p.column], levels_text(t)));
      }
      values.row(0) = d.X.col(it->second).transpose();
    }
    const double ones = values.sum();
    if (ones == 0 || ones == static_cast<double>(d.rows())) {
      throw InputError(
          fmt::format("{}: every row{} of column \"{}\" {} '{}': a 0/1 vector needs "
                      "both classes",
                      context, data->dropped_rows > 0 ? " kept" : "", table.header[p.column],
                      ones == 0 ? "differs from" : "is", p.label));
    }
    data->bindings.push_back({p.name, Shape::vector(n), std::move(values)});
  }
  if (data->dropped_rows > 0) {
    err << fmt::format(
        "xigrad: note: {}: dropped {} of {} rows with a missing value (NA or empty) in a column "
        "in use ({}); {} rows remain\n",
        args.file, data->dropped_rows, table.rows.size(), fmt::format("{}", list_names(data->used)),
        data->rows);
  }
  return data;
}

}  // namespace xi::cli
