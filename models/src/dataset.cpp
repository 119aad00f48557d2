// Data sets: typing and encoding of CSV tables, standardisation, splits, mini-batches and
// synthetic generators.

#include <xigrad/models/dataset.hpp>

#include <xigrad/autodiff/error.hpp>
#include <xigrad/autodiff/printable.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <iterator>
#include <numbers>
#include <random>
#include <system_error>
#include <unordered_set>
#include <utility>

namespace xi::models {
namespace {

// ---------------------------------------------------------------------------------------------
// Portable randomness: std::mt19937_64 output is fixed by the standard; everything built on it
// here is spelled out so that a seed means the same numbers with every standard library.

/// SplitMix64 finaliser: decorrelates nearby seeds.
std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30U)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27U)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31U);
}

/// Uniform in [0, 1) with 53 random bits.
double uniform01(std::mt19937_64& rng) {
  return static_cast<double>(rng() >> 11U) * 0x1.0p-53;
}

/// Uniform in [lo, hi).
double uniform(std::mt19937_64& rng, double lo, double hi) {
  return lo + (hi - lo) * uniform01(rng);
}

/// Standard normal by the Box-Muller transform (one draw per call, two uniforms consumed).
double standard_normal(std::mt19937_64& rng) {
  const double u1 = 1.0 - uniform01(rng);  // in (0, 1], so the log is finite
  const double u2 = uniform01(rng);
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

/// Uniform integer in [0, n), n > 0, without modulo bias (rejects the low 2^64 mod n values).
std::uint64_t uniform_below(std::mt19937_64& rng, std::uint64_t n) {
  const std::uint64_t threshold = (0 - n) % n;
  for (;;) {
    const std::uint64_t r = rng();
    if (r >= threshold) return r % n;
  }
}

/// Fisher-Yates shuffle.
void shuffle(std::vector<std::size_t>& values, std::mt19937_64& rng) {
  for (std::size_t i = values.size(); i > 1; --i) {
    std::swap(values[i - 1], values[uniform_below(rng, i)]);
  }
}

std::vector<std::size_t> identity_order(std::size_t n) {
  std::vector<std::size_t> order(n);
  for (std::size_t i = 0; i < n; ++i) order[i] = i;
  return order;
}

double sigmoid(double z) {
  return 1.0 / (1.0 + std::exp(-z));
}

// ---------------------------------------------------------------------------------------------
// Cells.

std::string_view trim(std::string_view s) {
  const auto first = s.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  const auto last = s.find_last_not_of(" \t");
  return s.substr(first, last - first + 1);
}

/// "NA", "?" and empty cells (spaces ignored) are missing.
bool is_missing(std::string_view cell) {
  const std::string_view t = trim(cell);
  return t.empty() || t == "NA" || t == "?";
}

enum class NumberStatus { ok, not_a_number, out_of_range };

struct ParsedNumber {
  NumberStatus status = NumberStatus::not_a_number;
  double value = 0.0;
};

bool starts_number(std::string_view t) {
  const auto digit_or_point = [](char c) { return (c >= '0' && c <= '9') || c == '.'; };
  if (t.empty()) return false;
  if (t[0] == '-') return t.size() > 1 && digit_or_point(t[1]);
  return digit_or_point(t[0]);
}

/// Reads a whole cell as a finite double: an optional sign, then what std::from_chars accepts
/// in general format. "inf", "nan", hexadecimal and trailing text are not numbers.
ParsedNumber parse_number(std::string_view cell) {
  std::string_view t = trim(cell);
  if (t.size() > 1 && t[0] == '+' && t[1] != '-') t.remove_prefix(1);
  ParsedNumber parsed;
  if (!starts_number(t)) return parsed;
  const char* end = t.data() + t.size();
  const auto [ptr, ec] = std::from_chars(t.data(), end, parsed.value);
  if (ec == std::errc::result_out_of_range && ptr == end) {
    parsed.status = NumberStatus::out_of_range;
  } else if (ec == std::errc{} && ptr == end && std::isfinite(parsed.value)) {
    parsed.status = NumberStatus::ok;
  }
  return parsed;
}

/// Text from the file as a message shows it: escaped, cut if long, in double quotes.
std::string shown(std::string_view text) {
  constexpr std::size_t kMaxShown = 40;
  return "\"" + printable(text, kMaxShown) + "\"";
}

/// "a, b, c", or the first ten and a count when there are more.
std::string join_labels(const std::vector<std::string>& labels) {
  constexpr std::size_t kShown = 10;
  std::string out;
  for (std::size_t i = 0; i < labels.size() && i < kShown; ++i) {
    if (i > 0) out += ", ";
    out += shown(labels[i]);
  }
  if (labels.size() > kShown) out += fmt::format(", ... ({} in all)", labels.size());
  return out;
}

// ---------------------------------------------------------------------------------------------
// Column selection.

std::string header_where(const CsvTable& table, std::size_t column) {
  return table.where(table.header_locations.at(column));
}

/// The column's name as a message shows it.
std::string column_name(const CsvTable& table, std::size_t column) {
  return shown(table.header[column]);
}

std::size_t require_column(const CsvTable& table, const std::string& name, const char* role) {
  if (const auto index = table.find_column(name)) return *index;
  throw InputError(fmt::format("{}: no {} column {}; the columns are {}", header_where(table, 0),
                               role, shown(name), join_labels(table.header)));
}

struct Columns {
  std::size_t target = 0;
  std::vector<std::size_t> features;
  std::vector<std::size_t> categorical;  // declared categorical
  bool features_given = false;

  bool declared_categorical(std::size_t c) const {
    return std::find(categorical.begin(), categorical.end(), c) != categorical.end();
  }
};

void select_categorical(const CsvTable& table, const DatasetOptions& options, Columns& columns) {
  for (const std::string& name : options.categorical) {
    const std::size_t c = require_column(table, name, "categorical");
    if (c == columns.target) {
      throw InputError(
          fmt::format("{}: column {} is the target; only a feature can be declared categorical (a "
                      "non-numeric target needs a positive class)",
                      header_where(table, c), shown(name)));
    }
    if (std::find(columns.features.begin(), columns.features.end(), c) == columns.features.end()) {
      throw InputError(fmt::format("{}: column {} is declared categorical but is not a feature",
                                   header_where(table, c), shown(name)));
    }
    if (columns.declared_categorical(c)) {
      throw InputError(fmt::format("{}: categorical column {} is listed twice",
                                   header_where(table, c), shown(name)));
    }
    columns.categorical.push_back(c);
  }
}

Columns select_columns(const CsvTable& table, const DatasetOptions& options) {
  if (options.target.empty()) {
    throw InputError(table.source + ": no target column given; name one of " +
                     join_labels(table.header));
  }
  Columns columns;
  columns.target = require_column(table, options.target, "target");
  columns.features_given = !options.features.empty();
  if (!columns.features_given) {
    for (std::size_t c = 0; c < table.header.size(); ++c) {
      if (c != columns.target) columns.features.push_back(c);
    }
  }
  for (const std::string& name : options.features) {
    const std::size_t c = require_column(table, name, "feature");
    if (c == columns.target) {
      throw InputError(fmt::format("{}: column {} is the target; it cannot also be a feature",
                                   header_where(table, c), shown(name)));
    }
    if (std::find(columns.features.begin(), columns.features.end(), c) != columns.features.end()) {
      throw InputError(fmt::format("{}: feature column {} is listed twice", header_where(table, c),
                                   shown(name)));
    }
    columns.features.push_back(c);
  }
  select_categorical(table, options, columns);
  return columns;
}

// ---------------------------------------------------------------------------------------------
// Rows with missing values.

[[noreturn]] void missing_value_error(const CsvTable& table, std::size_t row, std::size_t column) {
  const std::string_view cell = trim(table.rows[row][column]);
  const std::string what = cell.empty() ? "an empty cell" : shown(cell);
  throw InputError(
      fmt::format("{}: missing value ({}) in column {} and the NA policy is "
                  "\"error\"",
                  table.where(row, column), what, column_name(table, column)));
}

/// Indices of the rows to keep; under NaPolicy::drop, counts the others in `dropped`.
std::vector<std::size_t> kept_rows(const CsvTable& table, const Columns& columns, NaPolicy policy,
                                   std::size_t& dropped) {
  std::vector<std::size_t> used = columns.features;
  used.push_back(columns.target);
  std::sort(used.begin(), used.end());
  std::vector<std::size_t> kept;
  dropped = 0;
  for (std::size_t r = 0; r < table.rows.size(); ++r) {
    const auto missing = std::find_if(used.begin(), used.end(),
                                      [&](std::size_t c) { return is_missing(table.rows[r][c]); });
    if (missing == used.end()) {
      kept.push_back(r);
    } else if (policy == NaPolicy::error) {
      missing_value_error(table, r, *missing);
    } else {
      ++dropped;
    }
  }
  if (kept.empty()) {
    throw InputError(fmt::format("{}: no rows to use: the file has {} data row{}{}",
                                 header_where(table, 0), table.rows.size(),
                                 table.rows.size() == 1 ? "" : "s",
                                 dropped > 0 ? " and every one has a missing value" : ""));
  }
  return kept;
}

// ---------------------------------------------------------------------------------------------
// Column typing.

enum class ColumnKind { numeric, categorical };

/// The one typing rule (documented at Dataset): numeric if every non-missing cell is a number,
/// categorical if none is or if declared so; a column with both is refused at the first cell of
/// the minority kind (a stray "x5" among numbers, or a lone "3" among words).
ColumnKind column_kind(const CsvTable& table, std::size_t column, bool declared_categorical) {
  if (declared_categorical) return ColumnKind::categorical;
  std::size_t numbers = 0, texts = 0;
  std::optional<std::size_t> first_number, first_text;
  for (std::size_t r = 0; r < table.rows.size(); ++r) {
    const std::string& cell = table.rows[r][column];
    if (is_missing(cell)) continue;
    if (parse_number(cell).status == NumberStatus::not_a_number) {
      ++texts;
      if (!first_text) first_text = r;
    } else {
      ++numbers;
      if (!first_number) first_number = r;
    }
  }
  if (texts == 0) return ColumnKind::numeric;
  if (numbers == 0) return ColumnKind::categorical;
  const bool mostly_numbers = numbers >= texts;
  const std::size_t row = mostly_numbers ? *first_text : *first_number;
  const std::string& name = table.header[column];
  throw InputError(fmt::format(
      "{}: column {} mixes numbers and text: {} {} (nan and inf are not numbers in data), but "
      "{} of its {} values {}; correct the cell, write NA where a value is missing, or declare "
      "the column categorical (--categorical {})",
      table.where(row, column), shown(name), shown(trim(table.rows[row][column])),
      mostly_numbers ? "is not a number" : "is a number", mostly_numbers ? numbers : texts,
      numbers + texts, mostly_numbers ? "are numbers" : "are text", printable(name, 40)));
}

/// The column's values over `rows` (a numeric column); throws for a number out of range.
std::vector<double> numeric_values(const CsvTable& table, std::size_t column,
                                   const std::vector<std::size_t>& rows) {
  std::vector<double> values;
  values.reserve(rows.size());
  for (const std::size_t r : rows) {
    const ParsedNumber parsed = parse_number(table.rows[r][column]);
    if (parsed.status != NumberStatus::ok) {
      throw InputError(fmt::format("{}: number {} in column {} is out of the range of a double",
                                   table.where(r, column), shown(trim(table.rows[r][column])),
                                   column_name(table, column)));
    }
    values.push_back(parsed.value);
  }
  return values;
}

/// Number of distinct non-missing values in the column, counting no further than `limit` + 1.
std::size_t count_levels(const CsvTable& table, std::size_t column, std::size_t limit) {
  std::unordered_set<std::string_view> seen;
  for (const auto& row : table.rows) {
    if (is_missing(row[column])) continue;
    seen.insert(trim(row[column]));
    if (seen.size() > limit) break;
  }
  return seen.size();
}

struct Feature {
  std::size_t column = 0;
  ColumnKind kind = ColumnKind::numeric;
};

/// Types the feature columns; refuses, or under implicit features leaves out (recorded in
/// `data`), the categorical ones with more than `max_levels` distinct values.
std::vector<Feature> type_features(const CsvTable& table, const Columns& columns,
                                   std::size_t max_levels, Dataset& data) {
  std::vector<Feature> kept;
  for (const std::size_t c : columns.features) {
    const bool declared = columns.declared_categorical(c);
    const ColumnKind kind = column_kind(table, c, declared);
    if (kind == ColumnKind::numeric || count_levels(table, c, max_levels) <= max_levels) {
      kept.push_back({c, kind});
      continue;
    }
    std::unordered_set<std::string_view> all;
    for (const auto& row : table.rows) {
      if (!is_missing(row[c])) all.insert(trim(row[c]));
    }
    if (!columns.features_given && !declared) {
      data.skipped_columns.push_back({table.header[c], all.size()});
      continue;
    }
    throw InputError(fmt::format(
        "{}: categorical column {} has {} distinct values, more than the limit of {} (an "
        "identifier or free text, not a category: one-hot encoding would make a column per "
        "value); leave it out of {}",
        header_where(table, c), column_name(table, c), all.size(), max_levels,
        declared ? "--categorical and --features" : "--features"));
  }
  if (kept.empty()) {
    throw InputError(fmt::format(
        "{}: no feature columns left: every one has more than {} distinct text values; name "
        "the features with --features",
        header_where(table, 0), max_levels));
  }
  return kept;
}

/// Distinct trimmed values of the column over `rows`, sorted.
std::vector<std::string> levels_of(const CsvTable& table, std::size_t column,
                                   const std::vector<std::size_t>& rows) {
  std::vector<std::string> levels;
  for (const std::size_t r : rows) levels.emplace_back(trim(table.rows[r][column]));
  std::sort(levels.begin(), levels.end());
  levels.erase(std::unique(levels.begin(), levels.end()), levels.end());
  return levels;
}

// ---------------------------------------------------------------------------------------------
// Target.

struct Target {
  Eigen::VectorXd y;
  std::vector<std::string> classes;
};

/// Decides whether a label is the positive class: by value when the positive label and every
/// label in the column are numbers (so "1" matches "1.0"), by text otherwise.
class PositiveMatcher {
 public:
  PositiveMatcher(const CsvTable& table, std::size_t column, const std::vector<std::string>& labels,
                  const std::string& positive)
      : positive_(trim(positive)) {
    const ParsedNumber number = parse_number(positive_);
    const bool numeric_labels = std::all_of(labels.begin(), labels.end(), [](const auto& label) {
      return parse_number(label).status == NumberStatus::ok;
    });
    if (number.status == NumberStatus::ok && numeric_labels) by_value_ = number.value;
    if (std::none_of(labels.begin(), labels.end(), *this)) {
      throw InputError(
          fmt::format("{}: positive class {} does not occur in column {}; the labels found are {}",
                      header_where(table, column), shown(positive_), column_name(table, column),
                      join_labels(labels)));
    }
  }

  bool operator()(std::string_view label) const {
    if (!by_value_) return trim(label) == positive_;
    const ParsedNumber number = parse_number(label);
    return number.status == NumberStatus::ok && number.value == *by_value_;
  }

  /// The positive label as the user wrote it (trimmed).
  const std::string& label() const { return positive_; }

 private:
  std::string positive_;
  std::optional<double> by_value_;
};

Target binary_target(const CsvTable& table, std::size_t column,
                     const std::vector<std::size_t>& rows, const std::string& positive) {
  const std::vector<std::string> labels = levels_of(table, column, rows);
  const PositiveMatcher is_positive(table, column, labels, positive);
  Target target;
  target.y.resize(static_cast<Eigen::Index>(rows.size()));
  for (std::size_t i = 0; i < rows.size(); ++i) {
    target.y(static_cast<Eigen::Index>(i)) = is_positive(table.rows[rows[i]][column]) ? 1.0 : 0.0;
  }
  std::vector<std::string> negatives;
  std::copy_if(labels.begin(), labels.end(), std::back_inserter(negatives),
               [&](const std::string& label) { return !is_positive(label); });
  target.classes = {negatives.size() == 1 ? negatives[0] : "not " + is_positive.label(),
                    is_positive.label()};
  return target;
}

/// Throws if the 0/1 target `y` holds one class only; `where` and `rows_name` place the message.
void require_both_classes(const Eigen::VectorXd& y, const std::vector<std::string>& classes,
                          const std::string& target_name, const std::string& where,
                          std::string_view rows_name, std::string_view hint) {
  const auto positives = static_cast<std::size_t>((y.array() == 1.0).count());
  const auto n = static_cast<std::size_t>(y.size());
  if (positives != 0 && positives != n) return;
  const std::string& present = classes.at(positives == 0 ? 0 : 1);
  throw InputError(
      fmt::format("{}only one class in target column {}: all {} {} are {}; a classifier needs "
                  "rows of both classes{}",
                  where, shown(target_name), n, rows_name, shown(present), hint));
}

Target encode_target(const CsvTable& table, std::size_t column,
                     const std::vector<std::size_t>& rows,
                     const std::optional<std::string>& positive) {
  if (positive) return binary_target(table, column, rows, *positive);
  if (column_kind(table, column, false) != ColumnKind::numeric) {
    throw InputError(
        fmt::format("{}: target column {} is not numeric; name the positive "
                    "class among the labels found: {}",
                    header_where(table, column), column_name(table, column),
                    join_labels(levels_of(table, column, rows))));
  }
  const std::vector<double> values = numeric_values(table, column, rows);
  Target target;
  target.y = Eigen::Map<const Eigen::VectorXd>(values.data(), Eigen::Index(values.size()));
  return target;
}

// ---------------------------------------------------------------------------------------------
// Features.

/// The design-matrix columns made from one CSV column.
struct FeatureBlock {
  std::vector<std::string> names;
  Eigen::MatrixXd values;  // rows x names.size()
};

FeatureBlock one_hot(const CsvTable& table, std::size_t column,
                     const std::vector<std::size_t>& rows, bool drop_first) {
  std::vector<std::string> levels = levels_of(table, column, rows);
  if (drop_first) levels.erase(levels.begin());
  FeatureBlock block;
  block.values = Eigen::MatrixXd::Zero(Eigen::Index(rows.size()), Eigen::Index(levels.size()));
  for (const std::string& level : levels) {
    block.names.push_back(table.header[column] + "=" + level);
  }
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const std::string_view cell = trim(table.rows[rows[i]][column]);
    const auto it = std::lower_bound(levels.begin(), levels.end(), cell);
    if (it != levels.end() && *it == cell) {
      block.values(Eigen::Index(i), it - levels.begin()) = 1.0;
    }
  }
  return block;
}

FeatureBlock encode_feature(const CsvTable& table, const Feature& feature,
                            const std::vector<std::size_t>& rows, bool drop_first) {
  if (feature.kind == ColumnKind::categorical) {
    return one_hot(table, feature.column, rows, drop_first);
  }
  const std::vector<double> values = numeric_values(table, feature.column, rows);
  FeatureBlock block;
  block.names = {table.header[feature.column]};
  block.values = Eigen::Map<const Eigen::VectorXd>(values.data(), Eigen::Index(values.size()));
  return block;
}

void append_blocks(const std::vector<FeatureBlock>& blocks, Eigen::Index rows, Dataset& data) {
  Eigen::Index width = 0;
  for (const FeatureBlock& block : blocks) width += block.values.cols();
  data.X.resize(rows, width);
  Eigen::Index at = 0;
  for (const FeatureBlock& block : blocks) {
    if (block.values.cols() > 0) data.X.middleCols(at, block.values.cols()) = block.values;
    at += block.values.cols();
    data.feature_names.insert(data.feature_names.end(), block.names.begin(), block.names.end());
  }
}

// ---------------------------------------------------------------------------------------------
// Synthetic data helpers.

std::string shape_of(const Eigen::MatrixXd& m) {
  return fmt::format("({}, {})", m.rows(), m.cols());
}

void require_noise(double noise, const char* generator) {
  if (!(noise >= 0.0) || !std::isfinite(noise)) {
    throw InputError(
        fmt::format("{}: noise must be a finite number >= 0, got {}", generator, noise));
  }
}

void require_positive(std::size_t value, const char* what, const char* generator) {
  if (value == 0) throw InputError(fmt::format("{}: {} must be at least 1", generator, what));
}

std::vector<std::string> numbered_names(std::size_t d) {
  std::vector<std::string> names;
  for (std::size_t j = 1; j <= d; ++j) names.push_back(fmt::format("x{}", j));
  return names;
}

Eigen::MatrixXd normal_matrix(Eigen::Index rows, Eigen::Index cols, std::mt19937_64& rng) {
  Eigen::MatrixXd m(rows, cols);
  for (Eigen::Index i = 0; i < rows; ++i) {
    for (Eigen::Index j = 0; j < cols; ++j) m(i, j) = standard_normal(rng);
  }
  return m;
}

Dataset two_feature_classification(Eigen::MatrixXd X, Eigen::VectorXd y) {
  Dataset data;
  data.X = std::move(X);
  data.y = std::move(y);
  data.feature_names = {"x1", "x2"};
  data.target_name = "y";
  data.classes = {"0", "1"};
  return data;
}

double round_to(double value, double step) {
  return std::round(value / step) * step;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Data sets from CSV.

Dataset make_dataset(const CsvTable& table, const DatasetOptions& options) {
  Columns columns = select_columns(table, options);
  Dataset data;
  data.target_name = options.target;
  const std::vector<Feature> features = type_features(table, columns, options.max_levels, data);
  columns.features.clear();  // a column left out drops no row for its missing values
  for (const Feature& f : features) columns.features.push_back(f.column);
  const std::vector<std::size_t> rows = kept_rows(table, columns, options.na, data.dropped_rows);
  Target target = encode_target(table, columns.target, rows, options.positive);
  data.y = std::move(target.y);
  data.classes = std::move(target.classes);
  if (!data.classes.empty()) {
    const std::string dropped =
        data.dropped_rows == 0
            ? std::string()
            : fmt::format(" (after dropping {} with a missing value)", data.dropped_rows);
    require_both_classes(data.y, data.classes, data.target_name,
                         header_where(table, columns.target) + ": ", "rows used" + dropped, "");
  }
  std::vector<FeatureBlock> blocks;
  for (const Feature& f : features) {
    blocks.push_back(encode_feature(table, f, rows, options.drop_first));
  }
  append_blocks(blocks, Eigen::Index(rows.size()), data);
  return data;
}

Dataset read_dataset(const std::filesystem::path& path, const DatasetOptions& options) {
  return make_dataset(read_csv(path), options);
}

void require_both_classes(const Dataset& data, std::string_view rows_name) {
  if (data.classes.size() != 2) return;
  require_both_classes(data.y, data.classes, data.target_name, "", rows_name, "");
}

Dataset select_rows(const Dataset& data, std::span<const std::size_t> rows) {
  Dataset subset;
  subset.feature_names = data.feature_names;
  subset.target_name = data.target_name;
  subset.dropped_rows = data.dropped_rows;
  subset.classes = data.classes;
  subset.X.resize(Eigen::Index(rows.size()), data.X.cols());
  subset.y.resize(Eigen::Index(rows.size()));
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (rows[i] >= std::size_t(data.rows())) {
      throw InputError(
          fmt::format("select_rows: row {} is out of range for {} rows", rows[i], data.rows()));
    }
    // A matrix without columns has no storage; a row of it would offset a null pointer.
    if (data.X.cols() > 0) subset.X.row(Eigen::Index(i)) = data.X.row(Eigen::Index(rows[i]));
    subset.y(Eigen::Index(i)) = data.y(Eigen::Index(rows[i]));
  }
  return subset;
}

// ---------------------------------------------------------------------------------------------
// Standardizer.

Standardizer::Standardizer(Eigen::VectorXd mean, Eigen::VectorXd scale)
    : mean_(std::move(mean)), scale_(std::move(scale)) {
  if (mean_.size() != scale_.size()) {
    throw ShapeError(fmt::format("Standardizer: mean has shape ({}) but scale has shape ({})",
                                 mean_.size(), scale_.size()));
  }
  for (Eigen::Index j = 0; j < scale_.size(); ++j) {
    if (!(scale_(j) > 0.0) || !std::isfinite(scale_(j)) || !std::isfinite(mean_(j))) {
      throw InputError(
          fmt::format("Standardizer: column {} has mean {} and scale {}; the scale "
                      "must be finite and positive",
                      j, mean_(j), scale_(j)));
    }
  }
}

Standardizer Standardizer::fit(const Eigen::MatrixXd& X, const std::vector<std::string>& names) {
  if (X.rows() == 0) throw InputError("Standardizer::fit: the matrix has no rows");
  if (!names.empty() && names.size() != std::size_t(X.cols())) {
    throw ShapeError(fmt::format("Standardizer::fit: {} names for a matrix of shape {}",
                                 names.size(), shape_of(X)));
  }
  const auto fail = [&](Eigen::Index j, const char* why) {
    const std::string name = names.empty() ? fmt::format("column {}", j)
                                           : fmt::format("feature \"{}\"", printable(names[j], 40));
    throw InputError(fmt::format("{}: its values (from {} to {}) {}; rescale the column", name,
                                 X.col(j).minCoeff(), X.col(j).maxCoeff(), why));
  };
  const auto n = double(X.rows());
  Eigen::VectorXd mean = X.colwise().mean().transpose();
  for (Eigen::Index j = 0; j < mean.size(); ++j) {
    if (!X.col(j).allFinite()) fail(j, "are not all finite");
    // Only if the plain sum overflows (values near 1e308): divide first, then sum.
    if (!std::isfinite(mean(j))) mean(j) = (X.col(j) / n).sum();
  }
  const Eigen::MatrixXd centered = X.rowwise() - mean.transpose();
  Eigen::VectorXd scale = (centered.colwise().squaredNorm().transpose() / n).cwiseSqrt();
  for (Eigen::Index j = 0; j < scale.size(); ++j) {
    if (!centered.col(j).allFinite())
      fail(j, "overflow when standardised: their spread is not a finite number");
    // Only if the squares overflow (values beyond 1e154): Eigen's scaled norm.
    if (!std::isfinite(scale(j))) scale(j) = (centered.col(j) / std::sqrt(n)).stableNorm();
  }
  std::vector<Eigen::Index> constant;
  for (Eigen::Index j = 0; j < scale.size(); ++j) {
    if (scale(j) <= 1e-12 * std::max(1.0, std::abs(mean(j)))) {
      scale(j) = 1.0;
      constant.push_back(j);
    }
  }
  Standardizer standardizer(mean, std::move(scale));
  standardizer.constant_ = std::move(constant);
  return standardizer;
}

Eigen::MatrixXd Standardizer::transform(const Eigen::MatrixXd& X) const {
  if (X.cols() != mean_.size()) {
    throw ShapeError(
        fmt::format("Standardizer::transform: input has shape {} but the "
                    "standardiser was fitted on {} columns",
                    shape_of(X), mean_.size()));
  }
  return (X.rowwise() - mean_.transpose()).array().rowwise() / scale_.transpose().array();
}

LinearCoefficients Standardizer::to_original_units(const Eigen::VectorXd& weights,
                                                   double bias) const {
  if (weights.size() != mean_.size()) {
    throw ShapeError(
        fmt::format("Standardizer::to_original_units: weights have shape ({}) but "
                    "the standardiser was fitted on {} columns",
                    weights.size(), mean_.size()));
  }
  LinearCoefficients original;
  original.weights = weights.cwiseQuotient(scale_);
  original.bias = bias - original.weights.dot(mean_);
  return original;
}

// ---------------------------------------------------------------------------------------------
// Train/test split.

TrainTestSplit train_test_split(const Dataset& data, double test_fraction, std::uint64_t seed) {
  if (!(test_fraction >= 0.0 && test_fraction < 1.0)) {
    throw InputError(
        fmt::format("train_test_split: test fraction must be in [0, 1), got {}", test_fraction));
  }
  const auto n = std::size_t(data.rows());
  const auto n_test = std::size_t(std::floor(test_fraction * double(n) + 0.5));
  if (n_test >= n) {
    throw InputError(
        fmt::format("train_test_split: a test fraction of {} of {} rows leaves no "
                    "training rows",
                    test_fraction, n));
  }
  std::vector<std::size_t> order = identity_order(n);
  std::mt19937_64 rng(seed);
  shuffle(order, rng);
  TrainTestSplit split;
  split.test_rows.assign(order.begin(), order.begin() + std::ptrdiff_t(n_test));
  split.train_rows.assign(order.begin() + std::ptrdiff_t(n_test), order.end());
  std::sort(split.test_rows.begin(), split.test_rows.end());
  std::sort(split.train_rows.begin(), split.train_rows.end());
  split.train = select_rows(data, split.train_rows);
  split.test = select_rows(data, split.test_rows);
  if (split.train.classes.size() == 2) {
    require_both_classes(
        split.train.y, split.train.classes, split.train.target_name, "",
        fmt::format("training rows (test fraction {}, seed {})", test_fraction, seed),
        "; hold out fewer rows or choose another seed");
  }
  return split;
}

// ---------------------------------------------------------------------------------------------
// BatchSampler.

BatchSampler::BatchSampler(std::size_t rows, std::size_t batch_size, std::uint64_t seed)
    : rows_(rows), batch_size_(batch_size), state_{seed, 0, 0} {
  if (rows == 0) throw InputError("BatchSampler: there are no rows to sample");
  if (batch_size == 0) throw InputError("BatchSampler: the batch size must be at least 1");
  order_ = epoch_order(rows_, seed, 0);
}

std::vector<std::size_t> BatchSampler::next() {
  const std::size_t end = std::min(state_.position + batch_size_, rows_);
  std::vector<std::size_t> batch(order_.begin() + std::ptrdiff_t(state_.position),
                                 order_.begin() + std::ptrdiff_t(end));
  if (end == rows_) {
    restore({state_.seed, state_.epoch + 1, 0});
  } else {
    state_.position = end;
  }
  return batch;
}

void BatchSampler::restore(const State& state) {
  if (state.position >= rows_) {
    throw InputError(fmt::format("BatchSampler: saved position {} is not below the {} rows",
                                 state.position, rows_));
  }
  state_ = state;
  order_ = epoch_order(rows_, state_.seed, state_.epoch);
}

std::vector<std::size_t> BatchSampler::epoch_order(std::size_t rows, std::uint64_t seed,
                                                   std::uint64_t epoch) {
  std::vector<std::size_t> order = identity_order(rows);
  std::mt19937_64 rng(splitmix64(seed ^ splitmix64(epoch)));
  shuffle(order, rng);
  return order;
}

// ---------------------------------------------------------------------------------------------
// Synthetic generators.

SyntheticData make_regression(std::size_t n, std::size_t d, double noise, std::uint64_t seed) {
  require_positive(n, "the number of rows", "make_regression");
  require_positive(d, "the number of features", "make_regression");
  require_noise(noise, "make_regression");
  std::mt19937_64 rng(seed);
  SyntheticData out;
  out.true_weights = normal_matrix(Eigen::Index(d), 1, rng);
  out.true_bias = standard_normal(rng);
  Dataset& data = out.data;
  data.X = normal_matrix(Eigen::Index(n), Eigen::Index(d), rng);
  data.y = (data.X * out.true_weights).array() + out.true_bias;
  for (Eigen::Index i = 0; i < data.y.size(); ++i) data.y(i) += noise * standard_normal(rng);
  data.feature_names = numbered_names(d);
  data.target_name = "y";
  return out;
}

SyntheticData make_classification(std::size_t n, std::size_t d, std::uint64_t seed) {
  require_positive(n, "the number of rows", "make_classification");
  require_positive(d, "the number of features", "make_classification");
  std::mt19937_64 rng(seed);
  SyntheticData out;
  out.true_weights = 2.0 * normal_matrix(Eigen::Index(d), 1, rng);
  out.true_bias = standard_normal(rng);
  Dataset& data = out.data;
  data.X = normal_matrix(Eigen::Index(n), Eigen::Index(d), rng);
  const Eigen::VectorXd logits = (data.X * out.true_weights).array() + out.true_bias;
  data.y.resize(logits.size());
  for (Eigen::Index i = 0; i < logits.size(); ++i) {
    data.y(i) = uniform01(rng) < sigmoid(logits(i)) ? 1.0 : 0.0;
  }
  data.feature_names = numbered_names(d);
  data.target_name = "y";
  data.classes = {"0", "1"};
  return out;
}

Dataset make_xor(std::size_t n, double noise, std::uint64_t seed) {
  require_positive(n, "the number of rows", "make_xor");
  require_noise(noise, "make_xor");
  std::mt19937_64 rng(seed);
  const auto rows = static_cast<Eigen::Index>(n);
  Eigen::MatrixXd X(rows, 2);
  Eigen::VectorXd y(rows);
  for (Eigen::Index i = 0; i < X.rows(); ++i) {
    const double a = uniform(rng, -1.0, 1.0);
    const double b = uniform(rng, -1.0, 1.0);
    y(i) = (a < 0.0) != (b < 0.0) ? 1.0 : 0.0;
    X(i, 0) = a + noise * standard_normal(rng);
    X(i, 1) = b + noise * standard_normal(rng);
  }
  return two_feature_classification(std::move(X), std::move(y));
}

Dataset make_two_moons(std::size_t n, double noise, std::uint64_t seed) {
  if (n < 2) throw InputError("make_two_moons: the number of rows must be at least 2");
  require_noise(noise, "make_two_moons");
  std::mt19937_64 rng(seed);
  const std::size_t n0 = (n + 1) / 2;
  const std::size_t n1 = n / 2;
  const auto rows = static_cast<Eigen::Index>(n);
  Eigen::MatrixXd moons(rows, 2);
  Eigen::VectorXd labels(rows);
  for (std::size_t i = 0; i < n; ++i) {
    const bool upper = i < n0;
    const std::size_t k = upper ? i : i - n0;
    const std::size_t count = upper ? n0 : n1;
    const double t = count > 1 ? std::numbers::pi * double(k) / double(count - 1) : 0.0;
    const auto r = Eigen::Index(i);
    moons(r, 0) = (upper ? std::cos(t) : 1.0 - std::cos(t)) + noise * standard_normal(rng);
    moons(r, 1) = (upper ? std::sin(t) : 0.5 - std::sin(t)) + noise * standard_normal(rng);
    labels(r) = upper ? 0.0 : 1.0;
  }
  std::vector<std::size_t> order = identity_order(n);
  shuffle(order, rng);
  return select_rows(two_feature_classification(std::move(moons), std::move(labels)), order);
}

Dataset make_default_classification() {
  constexpr std::size_t kRows = 400;
  std::mt19937_64 rng(20240303);
  Dataset data;
  data.X.resize(kRows, 3);
  data.y.resize(kRows);
  for (Eigen::Index i = 0; i < Eigen::Index(kRows); ++i) {
    const double age = std::clamp(std::round(54.0 + 9.0 * standard_normal(rng)), 29.0, 77.0);
    const double max_hr =
        std::clamp(std::round(200.0 - 0.85 * age + 20.0 * standard_normal(rng)), 71.0, 202.0);
    const double oldpeak = std::max(0.0, round_to(0.7 + 1.1 * standard_normal(rng), 0.1));
    const double logit =
        -0.1 + 0.05 * (age - 54.0) - 0.04 * (max_hr - 150.0) + 0.9 * (oldpeak - 1.0);
    data.X.row(i) << age, max_hr, oldpeak;
    data.y(i) = uniform01(rng) < sigmoid(logit) ? 1.0 : 0.0;
  }
  data.feature_names = {"Age", "MaxHR", "Oldpeak"};
  data.target_name = "AHD";
  data.classes = {"No", "Yes"};
  return data;
}

}  // namespace xi::models
