#include <xigrad/optim/trace.hpp>

#include <gtest/gtest.h>
#include <unistd.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <random>
#include <string>
#include <xigrad/autodiff/error.hpp>

namespace fs = std::filesystem;
using xi::optim::parse_trace_csv;
using xi::optim::read_trace_csv;
using xi::optim::save_trace_csv;
using xi::optim::Trace;
using xi::optim::trace_to_csv;
using xi::optim::TraceRow;

namespace {

/// Bit-exact equality, with every NaN equal to every NaN.
bool same(double a, double b) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
  return std::bit_cast<std::uint64_t>(a) == std::bit_cast<std::uint64_t>(b);
}

void expect_same(const Trace& a, const Trace& b) {
  EXPECT_EQ(a.param_names, b.param_names);
  ASSERT_EQ(a.rows.size(), b.rows.size());
  for (std::size_t i = 0; i < a.rows.size(); ++i) {
    const TraceRow& x = a.rows[i];
    const TraceRow& y = b.rows[i];
    EXPECT_EQ(x.iteration, y.iteration) << "row " << i;
    EXPECT_TRUE(same(x.loss, y.loss)) << "row " << i << ": " << x.loss << " vs " << y.loss;
    EXPECT_TRUE(same(x.grad_norm, y.grad_norm)) << "row " << i;
    EXPECT_TRUE(same(x.learning_rate, y.learning_rate)) << "row " << i;
    ASSERT_EQ(x.params.size(), y.params.size()) << "row " << i;
    for (std::size_t k = 0; k < x.params.size(); ++k) {
      EXPECT_TRUE(same(x.params[k], y.params[k]))
          << "row " << i << " param " << k << ": " << x.params[k] << " vs " << y.params[k];
    }
  }
}

/// The message of the InputError that `f` throws ("" if it throws none).
template <class F>
std::string input_error(F f) {
  try {
    f();
  } catch (const xi::InputError& e) {
    return e.what();
  }
  return "";
}

TEST(TraceCsv, HeaderAndShortestNumbers) {
  const Trace t{
      "run", {"w", "b"}, {{0, 2.5, 3.0, 0.1, {0.0, 0.0}}, {1, 1.2, 2.0, 0.1, {0.1 + 0.2, 1e-5}}}};
  EXPECT_EQ(trace_to_csv(t),
            "iteration,loss,grad_norm,lr,w,b\n"
            "0,2.5,3,0.1,0,0\n"
            "1,1.2,2,0.1,0.30000000000000004,1e-05\n");
}

TEST(TraceCsv, NonFiniteValuesPrintAsNanAndInf) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  const Trace t{"", {}, {{3, nan, inf, -inf, {}}, {4, -nan, 0.0, 1.0, {}}}};
  EXPECT_EQ(trace_to_csv(t), "iteration,loss,grad_norm,lr\n3,nan,inf,-inf\n4,nan,0,1\n");
}

TEST(TraceCsv, RoundTripIsExact) {
  std::mt19937_64 rng(42);
  std::uniform_real_distribution<double> uniform(-10.0, 10.0);
  std::uniform_int_distribution<std::uint64_t> bits;
  Trace t{"exact", {"a", "b", "c"}, {}};
  const std::vector<double> special = {0.1,
                                       1.0 / 3.0,
                                       -0.0,
                                       0.0,
                                       1e308,
                                       -1.7976931348623157e308,
                                       std::numeric_limits<double>::denorm_min(),
                                       std::numeric_limits<double>::min(),
                                       std::numeric_limits<double>::epsilon(),
                                       123456789012345680.0,
                                       std::numeric_limits<double>::quiet_NaN(),
                                       std::numeric_limits<double>::infinity(),
                                       -std::numeric_limits<double>::infinity()};
  for (std::size_t i = 0; i < 500; ++i) {
    auto random_double = [&] {
      // Mix ordinary values, values of every exponent (raw bits) and special ones.
      switch (i % 3) {
        case 0:
          return uniform(rng) * std::pow(10.0, uniform(rng) * 30.0);
        case 1:
          return std::bit_cast<double>(bits(rng));
        default:
          return special[bits(rng) % special.size()];
      }
    };
    t.rows.push_back({i * 7919,
                      random_double(),
                      random_double(),
                      random_double(),
                      {random_double(), random_double(), random_double()}});
  }
  t.rows.push_back({std::numeric_limits<std::size_t>::max(), 1.0, 2.0, 3.0, {4.0, 5.0, 6.0}});
  expect_same(t, parse_trace_csv(trace_to_csv(t)));
}

TEST(TraceCsv, NamesNeedingQuotesRoundTrip) {
  const Trace t{"", {"w[0,1]", "say \"hi\"", "plain"}, {{0, 1.0, 2.0, 0.5, {1.0, 2.0, 3.0}}}};
  const std::string csv = trace_to_csv(t);
  EXPECT_EQ(csv.substr(0, csv.find('\n')),
            R"(iteration,loss,grad_norm,lr,"w[0,1]","say ""hi""",plain)");
  expect_same(t, parse_trace_csv(csv));
}

TEST(TraceCsv, ParsesCrlfAndSkipsBlankLines) {
  const Trace t =
      parse_trace_csv("iteration,loss,grad_norm,lr,x\r\n0,1,2,0.1,5\r\n\r\n1,0.5,1,0.1,4\r\n");
  ASSERT_EQ(t.rows.size(), 2u);
  EXPECT_EQ(t.param_names, std::vector<std::string>{"x"});
  EXPECT_EQ(t.rows[1].params, std::vector<double>{4.0});
}

TEST(TraceCsv, RowWithWrongParameterCountIsRejected) {
  const Trace t{"bad", {"x", "y"}, {{0, 1.0, 1.0, 0.1, {1.0}}}};
  const std::string msg = input_error([&] { trace_to_csv(t); });
  EXPECT_NE(msg.find("1 parameters"), std::string::npos) << msg;
  EXPECT_NE(msg.find("names 2"), std::string::npos) << msg;
}

TEST(TraceCsv, ErrorsGiveLineAndColumn) {
  EXPECT_NE(input_error([] { parse_trace_csv("", "t.csv"); }).find("t.csv:1:1"), std::string::npos);
  EXPECT_NE(input_error([] { parse_trace_csv("iter,loss\n", "t.csv"); }).find("t.csv:1:1"),
            std::string::npos);
  const std::string bad_number = input_error(
      [] { parse_trace_csv("iteration,loss,grad_norm,lr\n0,1,2,3\n1,1x,2,3\n", "t.csv"); });
  EXPECT_NE(bad_number.find("t.csv:3:3"), std::string::npos) << bad_number;
  EXPECT_NE(bad_number.find("loss"), std::string::npos) << bad_number;
  EXPECT_NE(bad_number.find("1x"), std::string::npos) << bad_number;
  const std::string bad_iteration =
      input_error([] { parse_trace_csv("iteration,loss,grad_norm,lr\n-1,1,2,3\n", "t.csv"); });
  EXPECT_NE(bad_iteration.find("t.csv:2:1"), std::string::npos) << bad_iteration;
  const std::string too_many =
      input_error([] { parse_trace_csv("iteration,loss,grad_norm,lr\n0,1,2,3,4\n", "t.csv"); });
  EXPECT_NE(too_many.find("t.csv:2:9"), std::string::npos) << too_many;
  EXPECT_NE(too_many.find("expected 4 fields"), std::string::npos) << too_many;
  EXPECT_NE(
      input_error([] { parse_trace_csv("iteration,loss,grad_norm,lr\n0,1\n"); }).find("found 2"),
      std::string::npos);
  EXPECT_NE(input_error([] {
              parse_trace_csv("iteration,loss,grad_norm,lr,\"x\n0,1,2,3,4\n");
            }).find("not closed"),
            std::string::npos);
  EXPECT_NE(input_error([] {
              parse_trace_csv("iteration,loss,grad_norm,lr\n0,,2,3\n");
            }).find("expected a number"),
            std::string::npos);
}

TEST(TraceCsv, SaveAndReadFile) {
  const fs::path dir = fs::temp_directory_path() / ("xigrad_trace_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const fs::path file = dir / "lr_0.1.csv";
  const Trace t{
      "lr = 0.1", {"w1", "w2"}, {{0, 4.0, 2.0, 0.1, {1.0, -1.0}}, {1, 3.0, 1.5, 0.1, {0.9, -0.8}}}};
  save_trace_csv(file, t);
  const Trace back = read_trace_csv(file);
  expect_same(t, back);
  EXPECT_EQ(back.label, "lr_0.1");
  EXPECT_EQ(fs::directory_iterator(dir)->path(), file);  // only the trace, no temporary file

  std::string missing;
  try {
    read_trace_csv(dir / "missing.csv");
  } catch (const xi::Error& e) {
    missing = e.what();
  }
  EXPECT_NE(missing.find("missing.csv"), std::string::npos) << missing;
  fs::remove_all(dir);
}

}  // namespace

namespace {

TEST(TraceBound, KeepsEveryRowWhileShortAndWithoutABound) {
  xi::optim::Trace t;
  for (std::size_t k = 0; k < 10; ++k) xi::optim::append_row(t, {k, 1.0, 0.0, 0.1, {}}, 10);
  ASSERT_EQ(t.rows.size(), 10u);
  EXPECT_EQ(t.stride, 1u);
  xi::optim::Trace all;
  for (std::size_t k = 0; k < 5000; ++k) xi::optim::append_row(all, {k, 1.0, 0.0, 0.1, {}}, 0);
  EXPECT_EQ(all.rows.size(), 5000u);
}

TEST(TraceBound, AMillionIterationsKeepABoundedEvenlySpacedTraceWithFirstAndLast) {
  xi::optim::Trace t;
  const std::size_t n = 1'000'000;
  for (std::size_t k = 0; k < n; ++k) {
    xi::optim::append_row(t, {k, static_cast<double>(k), 0.0, 0.1, {static_cast<double>(k)}}, 1000);
    ASSERT_LE(t.rows.size(), 1001u);
    ASSERT_EQ(t.rows.back().iteration, k);  // the last row appended is always there
  }
  EXPECT_EQ(t.stride, 1024u);  // 2^10: the first power of two that keeps 1e6 / stride ≤ 1000
  EXPECT_EQ(t.rows.front().iteration, 0u);
  EXPECT_EQ(t.rows.back().iteration, n - 1);
  for (std::size_t i = 0; i + 1 < t.rows.size(); ++i) {
    EXPECT_EQ(t.rows[i].iteration, i * t.stride);
    EXPECT_EQ(t.rows[i].loss, static_cast<double>(t.rows[i].iteration));
    ASSERT_EQ(t.rows[i].params.size(), 1u);  // rows that stay keep their parameters
    EXPECT_EQ(t.rows[i].params[0], t.rows[i].loss);
  }
}

}  // namespace
