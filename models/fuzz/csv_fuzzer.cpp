// libFuzzer target for the CSV reader and column typing: any byte string either parses and
// types (under a few option sets) or is refused with an xi::InputError; nothing else may escape,
// and no message may hold a raw control character (text from the file is shown escaped).

#include <xigrad/autodiff/error.hpp>
#include <xigrad/models/csv.hpp>
#include <xigrad/models/dataset.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace {

using xi::models::CsvTable;
using xi::models::DatasetOptions;

/// Aborts (a finding) if an error message shows a control character raw.
void check_message(const xi::InputError& e) {
  for (const char c : std::string_view(e.what())) {
    const auto b = static_cast<unsigned char>(c);
    if (b < 0x20 || b == 0x7F) std::abort();
  }
}

/// make_dataset, then what train does with the result; only xi::InputError may come out.
void exercise(const CsvTable& table, const DatasetOptions& options) {
  try {
    const xi::models::Dataset data = xi::models::make_dataset(table, options);
    if (data.X.rows() == 0 || std::size_t(data.y.size()) != std::size_t(data.X.rows()) ||
        data.feature_names.size() != std::size_t(data.X.cols()) || !data.X.allFinite() ||
        !data.y.allFinite()) {
      std::abort();
    }
    if (data.X.cols() > 0) {
      const auto standardizer = xi::models::Standardizer::fit(data.X, data.feature_names);
      if (!standardizer.transform(data.X).allFinite()) std::abort();
    }
    if (data.X.rows() > 1) xi::models::train_test_split(data, 0.5, 1);
  } catch (const xi::InputError& e) {
    check_message(e);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(bytes), size);
  CsvTable table;
  try {
    table = xi::models::parse_csv(text, "fuzz.csv");
  } catch (const xi::InputError& e) {
    if (!std::string_view(e.what()).starts_with("fuzz.csv:")) std::abort();
    check_message(e);
    return 0;
  }
  if (table.header.empty()) return 0;
  const std::string& last = table.header.back();
  DatasetOptions plain;  // a regression on the last column, every other column a feature
  plain.target = last;
  exercise(table, plain);

  DatasetOptions binary = plain;  // a classifier: the first label is the positive class
  if (!table.rows.empty()) binary.positive = table.rows.front().back();
  binary.max_levels = 3;
  exercise(table, binary);

  if (table.header.size() >= 2) {
    DatasetOptions declared = plain;  // the first column named and declared categorical
    declared.features = {table.header.front()};
    declared.categorical = {table.header.front()};
    declared.na = xi::models::NaPolicy::error;
    declared.drop_first = false;
    exercise(table, declared);
  }
  return 0;
}
