// GCC 12 to 14 warn -Wmaybe-uninitialized inside libstdc++'s <regex> (a std::function moved
// while the NFA is built) when this file is compiled at -O1 with -fsanitize=address, as the
// sanitizer build does: a false positive of the compiler (GCC bug 105616), not of this test.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include <xigrad/optim/plot.hpp>

#include <gtest/gtest.h>
#include <unistd.h>

#include <fmt/format.h>
#include <array>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>
#include <xigrad/autodiff/error.hpp>

namespace fs = std::filesystem;
using xi::optim::Box;
using xi::optim::LevelSpacing;
using xi::optim::plot_contour;
using xi::optim::plot_loss;
using xi::optim::PlotOptions;
using xi::optim::Trace;
using xi::optim::TraceRow;

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

bool have_tool(const char* name) {
  return std::system((std::string("command -v ") + name + " >/dev/null 2>&1").c_str()) == 0;
}

/// A fresh directory per test for files handed to xmllint and rsvg-convert.
class PlotTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() /
           ("xigrad_plot_" + std::to_string(::getpid()) + "_" + info->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  fs::path write(const std::string& name, const std::string& text) const {
    const fs::path p = dir_ / name;
    std::ofstream(p, std::ios::binary) << text;
    return p;
  }

  /// Checks that `svg` is well-formed XML with xmllint (skipped only if xmllint is missing).
  void expect_well_formed(const std::string& svg) const {
    if (!have_tool("xmllint")) {
      std::cerr << "xmllint not found: skipping the well-formedness check\n";
      return;
    }
    const fs::path file = write("check.svg", svg);
    const fs::path log = dir_ / "xmllint.log";
    const std::string cmd = "xmllint --noout '" + file.string() + "' 2>'" + log.string() + "'";
    const int rc = std::system(cmd.c_str());
    std::ifstream in(log);
    std::stringstream errors;
    errors << in.rdbuf();
    EXPECT_EQ(rc, 0) << "xmllint rejects the SVG:\n" << errors.str();
  }

  fs::path dir_;
};

/// Plain gradient descent on 0.5 (x² + 10 y²): the lecture's learning-rate picture.
Trace quadratic_run(std::string label, double lr, int n) {
  Trace t{std::move(label), {"x", "y"}, {}};
  double x = 1.5;
  double y = 1.0;
  for (int i = 0; i < n; ++i) {
    const double gx = x;
    const double gy = 10.0 * y;
    t.rows.push_back({static_cast<std::size_t>(i),
                      0.5 * (x * x + 10.0 * y * y),
                      std::hypot(gx, gy),
                      lr,
                      {x, y}});
    x -= lr * gx;
    y -= lr * gy;
  }
  return t;
}

Trace loss_only(std::string label, const std::vector<double>& losses) {
  Trace t{std::move(label), {}, {}};
  for (std::size_t i = 0; i < losses.size(); ++i) t.rows.push_back({i, losses[i], 0.0, 0.1, {}});
  return t;
}

double rosenbrock(double x, double y) {
  return (1.0 - x) * (1.0 - x) + 100.0 * (y - x * x) * (y - x * x);
}

/// A made-up path down the Rosenbrock valley.
Trace rosenbrock_path() {
  Trace t{"GD lr=0.001", {"w1", "w2"}, {}};
  const std::vector<std::pair<double, double>> points = {
      {-1.5, 2.0}, {-1.2, 1.5}, {-1.0, 1.0}, {-0.6, 0.4}, {-0.2, 0.05}, {0.2, 0.05},
      {0.5, 0.25}, {0.7, 0.5},  {0.85, 0.7}, {0.95, 0.9}, {1.0, 1.0}};
  for (std::size_t i = 0; i < points.size(); ++i) {
    const auto [x, y] = points[i];
    t.rows.push_back({i, rosenbrock(x, y), 0.0, 0.001, {x, y}});
  }
  return t;
}

/// Contents of the first element `<g class="NAME" ...>...</g>` (no nested groups expected).
std::string group(const std::string& svg, const std::string& name) {
  const std::size_t start = svg.find("<g class=\"" + name + "\"");
  if (start == std::string::npos) return "";
  const std::size_t end = svg.find("</g>", start);
  return svg.substr(start, end - start);
}

/// Texts of the tick labels in a group.
std::vector<std::string> tick_labels(const std::string& g) {
  std::vector<std::string> out;
  const std::regex tick(R"re(<text class="tick"[^>]*>(.*?)</text>)re");
  for (auto it = std::sregex_iterator(g.begin(), g.end(), tick); it != std::sregex_iterator();
       ++it) {
    out.push_back((*it)[1]);
  }
  return out;
}

/// Numeric value of a linear tick label ("−2", "0.5", "2e6").
double tick_value(const std::string& s) {
  const std::string minus = "\u2212";
  std::string ascii;
  for (std::size_t i = 0; i < s.size();) {
    if (s.compare(i, minus.size(), minus) == 0) {
      ascii += '-';
      i += minus.size();
    } else {
      ascii += s[i++];
    }
  }
  return std::stod(ascii);
}

/// No attribute or text in the SVG says nan or inf (except inside the given labels).
void expect_no_non_finite_numbers(const std::string& svg) {
  const std::regex bad(R"re((^|[^A-Za-z])-?(nan|inf)([^A-Za-z]|$))re", std::regex::icase);
  std::smatch m;
  EXPECT_FALSE(std::regex_search(svg, m, bad)) << "found \"" << m.str() << "\"";
}

/// The plot frame (x, y, width, height) in pixels.
std::array<double, 4> frame(const std::string& svg) {
  const std::regex r(
      R"re(<rect class="frame" x="([-0-9.]+)" y="([-0-9.]+)" width="([-0-9.]+)" height="([-0-9.]+)")re");
  std::smatch m;
  if (!std::regex_search(svg, m, r)) return {0, 0, 0, 0};
  return {std::stod(m[1]), std::stod(m[2]), std::stod(m[3]), std::stod(m[4])};
}

/// Coordinates (x, y) of the path data of every `<path class="level" ...>`.
std::vector<std::vector<std::pair<double, double>>> level_points(const std::string& svg) {
  std::vector<std::vector<std::pair<double, double>>> levels;
  const std::regex path(R"re(<path class="level" stroke="[^"]*" d="([^"]*)")re");
  const std::regex point(R"re([ML](-?[0-9.]+) (-?[0-9.]+))re");
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), path); it != std::sregex_iterator();
       ++it) {
    const std::string d = (*it)[1];
    std::vector<std::pair<double, double>> pts;
    for (auto p = std::sregex_iterator(d.begin(), d.end(), point); p != std::sregex_iterator();
         ++p) {
      pts.emplace_back(std::stod((*p)[1]), std::stod((*p)[2]));
    }
    levels.push_back(std::move(pts));
  }
  return levels;
}

std::size_t count(const std::string& s, const std::string& what) {
  std::size_t n = 0;
  for (std::size_t p = s.find(what); p != std::string::npos; p = s.find(what, p + 1)) ++n;
  return n;
}

// ------------------------------------------------------------------------------------------------
// Loss plots

TEST_F(PlotTest, LossPlotIsWellFormedWithLegendAxesAndTitle) {
  const std::vector<Trace> runs = {quadratic_run("lr = 0.01", 0.01, 60),
                                   quadratic_run("lr = 0.15", 0.15, 60),
                                   quadratic_run("lr = 0.19", 0.19, 60)};
  const std::string svg = plot_loss(runs, {.title = "Three learning rates"});
  expect_well_formed(svg);
  expect_no_non_finite_numbers(svg);
  EXPECT_EQ(svg.rfind("<?xml", 0), 0u);
  EXPECT_NE(svg.find("xmlns=\"http://www.w3.org/2000/svg\""), std::string::npos);
  const std::string legend = group(svg, "legend");
  for (const Trace& r : runs)
    EXPECT_NE(legend.find(">" + r.label + "<"), std::string::npos) << r.label;
  EXPECT_NE(svg.find(">Three learning rates<"), std::string::npos);
  EXPECT_NE(svg.find(">iteration<"), std::string::npos);
  EXPECT_NE(svg.find(">loss<"), std::string::npos);
  // Three distinct colours.
  EXPECT_EQ(count(svg, "<g class=\"run\""), 3u);
  std::regex stroke(R"re(<g class="run" stroke="([^"]+)")re");
  std::set<std::string> colours;
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), stroke); it != std::sregex_iterator();
       ++it) {
    colours.insert((*it)[1]);
  }
  EXPECT_EQ(colours.size(), 3u);
  // Linear ticks: 1-2-5 steps, evenly spaced, covering the data (0 .. 6.5).
  const auto y_ticks = tick_labels(group(svg, "y-axis"));
  ASSERT_GE(y_ticks.size(), 3u);
  const double step = tick_value(y_ticks[1]) - tick_value(y_ticks[0]);
  const double mantissa = step / std::pow(10.0, std::floor(std::log10(step)));
  EXPECT_TRUE(std::abs(mantissa - 1) < 1e-9 || std::abs(mantissa - 2) < 1e-9 ||
              std::abs(mantissa - 5) < 1e-9)
      << step;
  EXPECT_LE(tick_value(y_ticks.front()), 0.0);
  EXPECT_GE(tick_value(y_ticks.back()), 6.5);
  // Iteration ticks are whole numbers.
  for (const std::string& t : tick_labels(group(svg, "x-axis"))) {
    EXPECT_EQ(t.find('.'), std::string::npos) << t;
  }
}

TEST_F(PlotTest, LossPlotRendersToPng) {
  if (!have_tool("rsvg-convert")) GTEST_SKIP() << "rsvg-convert not found";
  const fs::path svg = dir_ / "loss.svg";
  xi::optim::save_loss_plot(svg, {quadratic_run("a", 0.05, 50), quadratic_run("b", 0.15, 50)},
                            {.title = "loss", .log_y = true});
  const fs::path png = dir_ / "loss.png";
  ASSERT_EQ(std::system(("rsvg-convert '" + svg.string() + "' -o '" + png.string() + "'").c_str()),
            0);
  ASSERT_TRUE(fs::exists(png));
  EXPECT_GT(fs::file_size(png), 1000u);
  std::ifstream in(png, std::ios::binary);
  char magic[4] = {};
  in.read(magic, 4);
  EXPECT_EQ(std::string(magic, 4), "\x89PNG");
}

TEST_F(PlotTest, LogAxisTicksAreDecades) {
  const std::vector<Trace> runs = {loss_only("a", {100.0, 3.0, 0.2, 1e-3, 2e-5}),
                                   loss_only("b", {50.0, 20.0, 7.0, 1.0})};
  const std::string svg = plot_loss(runs, {.log_y = true});
  expect_well_formed(svg);
  const auto ticks = tick_labels(group(svg, "y-axis"));
  ASSERT_GE(ticks.size(), 3u);
  const std::regex decade(R"re(10<tspan[^>]*>((?:−)?)([0-9]+)</tspan>)re");
  std::vector<int> exponents;
  for (const std::string& t : ticks) {
    std::smatch m;
    ASSERT_TRUE(std::regex_match(t, m, decade)) << t;
    exponents.push_back((m[1].length() > 0 ? -1 : 1) * std::stoi(m[2]));
  }
  for (std::size_t i = 1; i < exponents.size(); ++i) EXPECT_EQ(exponents[i] - exponents[i - 1], 1);
  EXPECT_LE(exponents.front(), -5);  // the range covers 2e-5 .. 100
  EXPECT_GE(exponents.back(), 2);
  EXPECT_NE(svg.find(">loss (log scale)<"), std::string::npos);
}

TEST_F(PlotTest, LogAxisOverManyDecadesLabelsEveryFewDecades) {
  std::vector<double> losses;
  for (int k = 0; k <= 40; ++k) losses.push_back(std::pow(10.0, 2 - k));
  const std::string svg = plot_loss({loss_only("fast", losses)}, {.log_y = true});
  expect_well_formed(svg);
  const auto ticks = tick_labels(group(svg, "y-axis"));
  EXPECT_GE(ticks.size(), 3u);
  EXPECT_LE(ticks.size(), 9u);
  for (const std::string& t : ticks) EXPECT_EQ(t.rfind("10<tspan", 0), 0u) << t;
}

TEST_F(PlotTest, DivergingRunDoesNotSquashTheOthers) {
  std::vector<double> blowup;
  for (int k = 0; k < 30; ++k) blowup.push_back(std::pow(10.0, 12.0 * k));
  blowup.push_back(kInf);
  blowup.push_back(kNaN);
  const std::vector<Trace> runs = {loss_only("good", {1.0, 0.5, 0.25, 0.125, 0.06, 0.03}),
                                   loss_only("too large", blowup)};
  for (bool log : {false, true}) {
    SCOPED_TRACE(log ? "log axis" : "linear axis");
    const std::string svg = plot_loss(runs, {.log_y = log});
    expect_well_formed(svg);
    expect_no_non_finite_numbers(svg);
    const auto ticks = tick_labels(group(svg, "y-axis"));
    ASSERT_FALSE(ticks.empty());
    if (log) {
      // Top decade at most a few decades above the starting loss of 1.
      const std::regex decade(R"re(10<tspan[^>]*>((?:−)?)([0-9]+)</tspan>)re");
      std::smatch m;
      ASSERT_TRUE(std::regex_match(ticks.back(), m, decade));
      EXPECT_LE(m[1].length() > 0 ? -std::stoi(m[2]) : std::stoi(m[2]), 3);
    } else {
      EXPECT_LE(tick_value(ticks.back()), 2.0);
    }
    const std::string legend = group(svg, "legend");
    EXPECT_NE(legend.find("diverged"), std::string::npos);
    EXPECT_EQ(count(legend, "diverged"), 1u);  // only the run that blew up
    EXPECT_NE(svg.find("class=\"off-scale\""), std::string::npos);
  }
}

TEST_F(PlotTest, RunThatComesBackIsMarkedOffScale) {
  const std::vector<Trace> runs = {loss_only("spike", {1.0, 0.8, 1e6, 0.5, 0.4}),
                                   loss_only("calm", {1.0, 0.7, 0.5, 0.3, 0.2})};
  const std::string svg = plot_loss(runs);
  expect_well_formed(svg);
  const std::string legend = group(svg, "legend");
  EXPECT_NE(legend.find("off scale"), std::string::npos);
  EXPECT_EQ(legend.find("diverged"), std::string::npos);
}

TEST_F(PlotTest, NonFiniteAndNonPositivePointsBreakTheLine) {
  // Linear axis: the NaN splits the line into two pieces.
  const std::string linear = plot_loss({loss_only("gap", {3.0, 2.0, kNaN, 1.0, 0.5})});
  expect_well_formed(linear);
  expect_no_non_finite_numbers(linear);
  const std::string run = group(linear, "run");
  EXPECT_EQ(count(run, "M"), 2u) << run;
  // Log axis: zero and negative losses are skipped too; an isolated point becomes a dot.
  const std::string log =
      plot_loss({loss_only("gap", {3.0, 2.0, 0.0, 1.0, -1.0, 0.5, 0.25})}, {.log_y = true});
  expect_well_formed(log);
  expect_no_non_finite_numbers(log);
  const std::string log_run = group(log, "run");
  EXPECT_EQ(count(log_run, "M"), 2u) << log_run;
  EXPECT_EQ(count(log_run, "<circle"), 1u) << log_run;
}

TEST_F(PlotTest, DegenerateRunsStillRender) {
  const std::vector<std::vector<Trace>> cases = {
      {loss_only("empty", {})},
      {loss_only("single", {2.0})},
      {loss_only("flat", {1.0, 1.0, 1.0})},
      {loss_only("zero", {0.0, 0.0})},
      {loss_only("all missing", {kNaN, kNaN}), loss_only("", {5.0, 4.0})},
      {loss_only("huge", {1e300, 1e301, 1e302})},
      {loss_only("tiny", {1e-300, 1e-310})},
      {loss_only("negative", {-5.0, -7.5, -8.0})},
      {loss_only("extreme", {1e308, -1e308, 5.0, -1.7e308, 1e-320})},
      {loss_only("late start", {}),
       Trace{"late", {}, {{1000000, 2.0, 0, 0, {}}, {2000000, 1.0, 0, 0, {}}}}},
  };
  for (const auto& runs : cases) {
    for (bool log : {false, true}) {
      SCOPED_TRACE(runs.front().label + (log ? " (log)" : ""));
      const std::string svg = plot_loss(runs, {.log_y = log});
      expect_well_formed(svg);
      expect_no_non_finite_numbers(svg);
    }
  }
  // A run without a label is called "run N".
  const std::string svg = plot_loss({loss_only("", {1.0, 0.5}), loss_only("", {2.0, 1.0})});
  EXPECT_NE(svg.find(">run 2<"), std::string::npos);
}

TEST_F(PlotTest, ManyRunsGetDistinctStyles) {
  std::vector<Trace> runs;
  for (int i = 0; i < 12; ++i) runs.push_back(loss_only(fmt::format("r{}", i), {1.0 + i, 0.5}));
  const std::string svg = plot_loss(runs);
  expect_well_formed(svg);
  EXPECT_NE(svg.find("stroke-dasharray"), std::string::npos);  // runs 11 and 12 reuse colours
}

TEST_F(PlotTest, TextIsEscaped) {
  const std::string nasty = "a<b & \"c\" 'd' > e";
  PlotOptions options{.title = "title <&>", .x_label = "x & y", .y_label = "f(\"w\") < 1"};
  const std::string svg = plot_loss({loss_only(nasty, {1.0, 0.5})}, options);
  expect_well_formed(svg);
  EXPECT_NE(svg.find("a&lt;b &amp; &quot;c&quot; &apos;d&apos; &gt; e"), std::string::npos);
  EXPECT_NE(svg.find("title &lt;&amp;&gt;"), std::string::npos);
  EXPECT_NE(svg.find("x &amp; y"), std::string::npos);
  EXPECT_NE(svg.find("f(&quot;w&quot;) &lt; 1"), std::string::npos);
  EXPECT_EQ(svg.find("a<b"), std::string::npos);

  // Control characters and invalid UTF-8 cannot break the document; valid UTF-8 passes through.
  const std::string bytes = std::string("bad\x01\x1f") + "\xff\xc3(" + " ok: \xce\xbe\xe2\x82\x81";
  const std::string svg2 = plot_loss({loss_only(bytes, {1.0, 0.5})}, {.title = bytes});
  expect_well_formed(svg2);
  EXPECT_NE(svg2.find("ok: \xce\xbe\xe2\x82\x81"), std::string::npos);  // "ξ₁"
}

TEST_F(PlotTest, LongLabelsAreShortenedInTheLegend) {
  const std::string label(200, 'w');
  const std::string svg = plot_loss({loss_only(label, {1.0, 0.5})});
  expect_well_formed(svg);
  EXPECT_EQ(group(svg, "legend").find(label), std::string::npos);
  EXPECT_NE(group(svg, "legend").find("\u2026"), std::string::npos);
  EXPECT_NE(svg.find(label), std::string::npos);  // the full label stays in the run's <title>
}

TEST_F(PlotTest, BadLossPlotInputIsRejected) {
  EXPECT_THROW(plot_loss({}), xi::InputError);
  EXPECT_THROW(plot_loss({loss_only("a", {1.0})}, {.width = 10}), xi::InputError);
  EXPECT_THROW(plot_loss({loss_only("a", {1.0})}, {.height = -1}), xi::InputError);
}

TEST_F(PlotTest, SaveLossPlotWritesTheSameDocument) {
  const std::vector<Trace> runs = {loss_only("a", {1.0, 0.5})};
  const fs::path file = dir_ / "plot.svg";
  xi::optim::save_loss_plot(file, runs);
  std::ifstream in(file);
  std::stringstream s;
  s << in.rdbuf();
  EXPECT_EQ(s.str(), plot_loss(runs));
  EXPECT_THROW(xi::optim::save_loss_plot(dir_ / "missing" / "plot.svg", runs), xi::Error);
}

// ------------------------------------------------------------------------------------------------
// Contour plots

TEST_F(PlotTest, RosenbrockContourWithPath) {
  const Trace path = rosenbrock_path();
  const std::string svg =
      plot_contour(rosenbrock, {-2.0, 2.0, -1.0, 3.0}, {path}, {.title = "Rosenbrock"});
  expect_well_formed(svg);
  expect_no_non_finite_numbers(svg);
  EXPECT_GE(count(svg, "<path class=\"level\""), 12u);
  EXPECT_NE(group(svg, "legend").find(">GD lr=0.001<"), std::string::npos);
  EXPECT_NE(group(svg, "legend").find("log-spaced"), std::string::npos);
  EXPECT_EQ(count(svg, "class=\"start\""), 1u);
  EXPECT_EQ(count(svg, "class=\"end\""), 1u);
  EXPECT_NE(svg.find(">w1<"), std::string::npos);  // axis labels default to the parameter names
  EXPECT_NE(svg.find(">w2<"), std::string::npos);
  EXPECT_LT(svg.size(), 400000u);

  if (!have_tool("rsvg-convert")) GTEST_SKIP() << "rsvg-convert not found";
  const fs::path file = write("rosenbrock.svg", svg);
  const fs::path png = dir_ / "rosenbrock.png";
  ASSERT_EQ(std::system(("rsvg-convert '" + file.string() + "' -o '" + png.string() + "'").c_str()),
            0);
  EXPECT_GT(fs::file_size(png), 1000u);
}

// The traced lines lie on the level set: for f = x² + y² every point of a contour is at the
// same distance from the origin (up to the grid's interpolation error).
TEST_F(PlotTest, ContourLinesFollowTheLevelSets) {
  auto bowl = [](double x, double y) { return x * x + y * y; };
  const Box box{-1.0, 1.0, -1.0, 1.0};
  const std::string svg = plot_contour(
      bowl, box, {},
      {.width = 600, .height = 600, .contour_levels = 5, .level_spacing = LevelSpacing::quantile});
  expect_well_formed(svg);
  const auto [fx, fy, fw, fh] = frame(svg);
  ASSERT_GT(fw, 0.0);
  const auto levels = level_points(svg);
  ASSERT_EQ(levels.size(), 5u);
  double previous_radius = 0.0;
  for (auto it = levels.rbegin(); it != levels.rend(); ++it) {  // drawn from the highest level
    ASSERT_GT(it->size(), 20u);
    double r_min = kInf;
    double r_max = 0.0;
    for (const auto& [px, py] : *it) {
      const double x = box.x0 + (px - fx) / fw * (box.x1 - box.x0);
      const double y = box.y1 - (py - fy) / fh * (box.y1 - box.y0);
      r_min = std::min(r_min, std::hypot(x, y));
      r_max = std::max(r_max, std::hypot(x, y));
    }
    EXPECT_LT(r_max - r_min, 0.02) << r_min << " .. " << r_max;
    EXPECT_GT(r_min, previous_radius);  // nested circles, lowest level innermost
    previous_radius = r_max;
  }
  EXPECT_NE(svg.find("Z\""), std::string::npos);  // the circles are closed
}

TEST_F(PlotTest, ContourPathLeavingTheBoxIsClipped) {
  Trace t{"escape", {"a", "b"}, {}};
  t.rows = {{0, 0.0, 0.0, 0.1, {0.0, 0.0}},
            {1, 0.0, 0.0, 0.1, {0.5, 0.5}},
            {2, 0.0, 0.0, 0.1, {50.0, 80.0}},
            {3, 0.0, 0.0, 0.1, {1e300, -1e300}},
            {4, 0.0, 0.0, 0.1, {kNaN, kInf}}};
  Trace u{"stays", {"a", "b"}, {{0, 0.0, 0.0, 0.1, {-0.5, -0.5}}, {1, 0.0, 0.0, 0.1, {-0.2, 0.1}}}};
  auto f = [](double x, double y) { return std::sin(3 * x) + std::cos(2 * y); };
  const std::string svg = plot_contour(f, {-1.0, 1.0, -1.0, 1.0}, {t, u});
  expect_well_formed(svg);
  expect_no_non_finite_numbers(svg);
  const std::string legend = group(svg, "legend");
  EXPECT_NE(legend.find("diverged"), std::string::npos);
  EXPECT_EQ(count(legend, "diverged") + count(legend, "leaves plot"), 1u);
  // Every coordinate of the paths lies within the frame.
  const auto [fx, fy, fw, fh] = frame(svg);
  const std::string paths = svg.substr(svg.find("<g class=\"paths\""));
  const std::regex point(R"re([ML](-?[0-9.]+) (-?[0-9.]+))re");
  std::size_t n = 0;
  for (auto p = std::sregex_iterator(paths.begin(), paths.end(), point);
       p != std::sregex_iterator(); ++p, ++n) {
    const double x = std::stod((*p)[1]);
    const double y = std::stod((*p)[2]);
    EXPECT_GE(x, fx - 0.1);
    EXPECT_LE(x, fx + fw + 0.1);
    EXPECT_GE(y, fy - 0.1);
    EXPECT_LE(y, fy + fh + 0.1);
  }
  EXPECT_GE(n, 4u);
  EXPECT_EQ(count(svg, "class=\"end\""), 1u);  // the escaping run's end is off the plot
}

TEST_F(PlotTest, ContourOfPartlyUndefinedOrConstantFunction) {
  auto partly = [](double x, double y) { return std::log(x) + y * y; };  // NaN for x < 0
  const std::string svg = plot_contour(partly, {-1.0, 2.0, -1.0, 1.0}, {});
  expect_well_formed(svg);
  expect_no_non_finite_numbers(svg);
  EXPECT_GE(count(svg, "<path class=\"level\""), 5u);

  const std::string flat = plot_contour([](double, double) { return 3.0; }, {0, 1, 0, 1}, {});
  expect_well_formed(flat);
  EXPECT_NE(flat.find("constant"), std::string::npos);
  EXPECT_EQ(count(flat, "<path class=\"level\""), 0u);
}

TEST_F(PlotTest, BadContourInputIsRejected) {
  const Trace good = rosenbrock_path();
  EXPECT_THROW(plot_contour(nullptr, {-2, 2, -1, 3}, {good}), xi::InputError);
  EXPECT_THROW(plot_contour(rosenbrock, {2, -2, -1, 3}, {good}), xi::InputError);
  EXPECT_THROW(plot_contour(rosenbrock, {-2, 2, 1, 1}, {good}), xi::InputError);
  EXPECT_THROW(plot_contour(rosenbrock, {-2, 2, -1, kNaN}, {good}), xi::InputError);
  EXPECT_THROW(plot_contour(rosenbrock, {-1e308, 1e308, -1, 1}, {good}), xi::InputError);
  EXPECT_THROW(plot_contour(rosenbrock, {-2, 2, -1, 3}, {good}, {.contour_grid = 2}),
               xi::InputError);
  EXPECT_THROW(plot_contour(rosenbrock, {-2, 2, -1, 3}, {good}, {.contour_levels = 0}),
               xi::InputError);
  Trace three{"3d", {"a", "b", "c"}, {{0, 1.0, 1.0, 0.1, {1.0, 2.0, 3.0}}}};
  try {
    plot_contour(rosenbrock, {-2, 2, -1, 3}, {good, three});
    FAIL() << "expected InputError";
  } catch (const xi::InputError& e) {
    EXPECT_NE(std::string(e.what()).find("3d"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("3 parameters"), std::string::npos) << e.what();
  }
}

TEST_F(PlotTest, SaveContourPlotRendersToPng) {
  if (!have_tool("rsvg-convert")) GTEST_SKIP() << "rsvg-convert not found";
  const std::vector<Trace> runs = {quadratic_run("lr = 0.15", 0.15, 30),
                                   quadratic_run("lr = 0.19", 0.19, 30)};
  auto f = [](double x, double y) { return 0.5 * (x * x + 10 * y * y); };
  const fs::path svg = dir_ / "bowl.svg";
  xi::optim::save_contour_plot(svg, f, xi::optim::bounding_box(runs), runs, {.title = "bowl"});
  std::ifstream in(svg);
  std::stringstream text;
  text << in.rdbuf();
  expect_well_formed(text.str());
  const fs::path png = dir_ / "bowl.png";
  ASSERT_EQ(std::system(("rsvg-convert '" + svg.string() + "' -o '" + png.string() + "'").c_str()),
            0);
  EXPECT_GT(fs::file_size(png), 1000u);
}

TEST(BoundingBox, CoversThePathsWithAMargin) {
  Trace t{"",
          {"x", "y"},
          {{0, 0, 0, 0, {0.0, 1.0}}, {1, 0, 0, 0, {2.0, 3.0}}, {2, 0, 0, 0, {kNaN, 9.0}}}};
  const Box b = xi::optim::bounding_box({t}, 0.25);
  EXPECT_DOUBLE_EQ(b.x0, -0.5);
  EXPECT_DOUBLE_EQ(b.x1, 2.5);
  EXPECT_DOUBLE_EQ(b.y0, 0.5);
  EXPECT_DOUBLE_EQ(b.y1, 3.5);

  Trace point{"", {"x", "y"}, {{0, 0, 0, 0, {5.0, 5.0}}}};
  const Box p = xi::optim::bounding_box({point});
  EXPECT_LT(p.x0, 5.0);
  EXPECT_GT(p.x1, 5.0);
  EXPECT_LT(p.y0, p.y1);

  const Box none = xi::optim::bounding_box({});
  EXPECT_EQ(none.x0, 0.0);
  EXPECT_EQ(none.x1, 1.0);
}

}  // namespace
