#include <xigrad/optim/plot.hpp>

#include <fmt/format.h>
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <iterator>
#include <limits>
#include <optional>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <xigrad/autodiff/error.hpp>
#include <xigrad/optim/atomic_file.hpp>

namespace xi::optim {
namespace {

// ---------------------------------------------------------------------------------------------
// Text

/// Escapes text for XML character data and attribute values. Invalid UTF-8 and control
/// characters that XML 1.0 forbids become U+FFFD, so any label gives a well-formed document.
std::string xml_escape(std::string_view s) {
  constexpr std::string_view kReplacement = "\xEF\xBF\xBD";
  std::string out;
  out.reserve(s.size());
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      switch (c) {
        case '&':
          out += "&amp;";
          break;
        case '<':
          out += "&lt;";
          break;
        case '>':
          out += "&gt;";
          break;
        case '"':
          out += "&quot;";
          break;
        case '\'':
          out += "&apos;";
          break;
        case '\t':
        case '\n':
        case '\r':
          out += ' ';
          break;
        default:
          if (c < 0x20 || c == 0x7F) {
            out += kReplacement;
          } else {
            out += static_cast<char>(c);
          }
      }
      ++i;
      continue;
    }
    // Multi-byte sequence: validate length, continuation bytes, overlongs and surrogates.
    std::size_t len = 0;
    std::uint32_t cp = 0;
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
      cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      cp = c & 0x07;
    }
    bool ok = len != 0 && i + len <= s.size();
    for (std::size_t k = 1; ok && k < len; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      ok = (cc & 0xC0) == 0x80;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if (ok) {
      ok = !(len == 3 && cp < 0x800) && !(len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) &&
           !(cp >= 0xD800 && cp <= 0xDFFF) && cp != 0xFFFE && cp != 0xFFFF;
    }
    if (ok) {
      out.append(s.substr(i, len));
      i += len;
    } else {
      out += kReplacement;
      ++i;
    }
  }
  return out;
}

/// Number of characters (code points) of UTF-8 text, for width estimates.
std::size_t text_length(std::string_view s) {
  std::size_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80 ? 1 : 0;
  return n;
}

/// Estimated width in pixels of text in a sans-serif font (DejaVu Sans averages ~0.6 em).
double text_width(std::string_view s, double font_size) {
  return 0.6 * font_size * static_cast<double>(text_length(s));
}

/// Shortens text to at most `max_chars` code points, ending with an ellipsis when cut.
std::string truncate_text(std::string_view s, std::size_t max_chars) {
  if (text_length(s) <= max_chars) return std::string(s);
  std::string out;
  std::size_t n = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const bool starts_char = (static_cast<unsigned char>(s[i]) & 0xC0) != 0x80;
    if (starts_char && ++n > max_chars - 1) break;
    out += s[i];
  }
  return out + "\u2026";
}

/// A pixel coordinate with one decimal, which is all a screen or printer resolves.
std::string px(double v) {
  if (std::abs(v) < 0.05) v = 0.0;  // no "-0.0"
  return fmt::format("{:.1f}", v);
}

// ---------------------------------------------------------------------------------------------
// Axes and ticks

/// One tick of an axis: its position in axis units (log10 of the value on a log axis) and its
/// label as SVG text content (already escaped; may contain a <tspan> for an exponent).
struct Tick {
  double pos;
  std::string label;
  double label_chars;  ///< approximate width of the label in characters
};

/// An axis: a range in axis units mapped onto a pixel interval, with major and minor ticks.
struct Axis {
  double lo = 0.0;
  double hi = 1.0;
  bool log = false;
  std::vector<Tick> ticks;
  std::vector<double> minor;
  double pixel_lo = 0.0;  ///< pixel coordinate of `lo`
  double pixel_hi = 1.0;  ///< pixel coordinate of `hi`

  double to_pixel(double u) const {
    return pixel_lo + (u - lo) / (hi - lo) * (pixel_hi - pixel_lo);
  }
};

/// "2e6", "−1.5e−4": scientific notation without the '+' and leading zeros of printf; with
/// `trim`, without trailing zeros in the mantissa either.
std::string compact_scientific(double v, int decimals, bool trim = false) {
  std::string s = fmt::format("{:.{}e}", v, decimals);
  const std::size_t e = s.find('e');
  std::string mantissa = s.substr(0, e);
  if (trim && mantissa.find('.') != std::string::npos) {
    mantissa.erase(mantissa.find_last_not_of('0') + 1);
    if (mantissa.back() == '.') mantissa.pop_back();
  }
  const int exponent = std::stoi(s.substr(e + 1));
  std::string out = fmt::format("{}e{}", mantissa, exponent);
  for (std::size_t minus = out.find('-'); minus != std::string::npos; minus = out.find('-')) {
    out.replace(minus, 1, "\u2212");
  }
  return out;
}

/// Label of a tick at k * step on a linear axis whose largest |value| is `max_abs`.
std::string linear_tick_label(double v, double step, double max_abs) {
  if (std::abs(v) < step * 1e-6) return "0";
  const int step_exp = static_cast<int>(std::floor(std::log10(step) + 1e-9));
  if (max_abs >= 1e6 || max_abs < 1e-3) {
    const int v_exp = static_cast<int>(std::floor(std::log10(std::abs(v)) + 1e-9));
    return compact_scientific(v, std::max(0, v_exp - step_exp));  // "2e6", "−1.5e−4"
  }
  std::string s = fmt::format("{:.{}f}", v, std::max(0, -step_exp));
  if (s.front() == '-') s.replace(0, 1, "\u2212");
  return s;
}

/// A "nice" step of 1, 2 or 5 times a power of ten giving about `target` intervals on a span.
double nice_step(double span, double target) {
  const double raw = span / target;
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  const double normalized = raw / magnitude;
  const double factor = normalized <= 1.0   ? 1.0
                        : normalized <= 2.0 ? 2.0
                        : normalized <= 5.0 ? 5.0
                                            : 10.0;
  return factor * magnitude;
}

/// A linear axis over [lo, hi] with ticks at multiples of a 1-2-5 step (at least `min_step`).
/// With `extend`, the range grows outwards to the nearest ticks.
Axis linear_axis(double lo, double hi, double target, double min_step, bool extend) {
  if (!(hi > lo)) {
    const double pad = std::max(std::abs(lo) * 0.1, 1e-9);
    lo -= pad;
    hi += pad;
    if (min_step >= 1.0) {
      lo = std::floor(lo);
      hi = std::max(std::ceil(hi), lo + 1.0);
    }
  }
  const double step = std::max(nice_step(hi - lo, target), min_step);
  const double tolerance = step * 1e-9;
  if (extend) {
    lo = std::floor((lo + tolerance) / step) * step;
    hi = std::ceil((hi - tolerance) / step) * step;
  }
  Axis axis;
  axis.lo = lo;
  axis.hi = hi;
  const double max_abs = std::max(std::abs(lo), std::abs(hi));
  const auto first = static_cast<long long>(std::ceil((lo - tolerance) / step));
  const auto last = static_cast<long long>(std::floor((hi + tolerance) / step));
  for (long long k = first; k <= last; ++k) {
    const double v = static_cast<double>(k) * step;
    std::string label = linear_tick_label(v, step, max_abs);
    const auto chars = static_cast<double>(text_length(label));
    axis.ticks.push_back({v, std::move(label), chars});
  }
  return axis;
}

/// "10" with the exponent raised: 10⁻³ drawn with plain glyphs.
std::string decade_label(long long exponent) {
  std::string digits =
      exponent < 0 ? "\u2212" + std::to_string(-exponent) : std::to_string(exponent);
  return fmt::format(R"(10<tspan dy="-6" font-size="0.75em">{}</tspan>)", digits);
}

/// A log10 axis over [lo, hi] (in decades) widened to whole decades, with major ticks at every
/// decade (or every 2nd, 5th, 10th, ... when there are many) and minor ticks at 2..9 times a
/// decade when they fit.
Axis log_axis(double lo, double hi) {
  Axis axis;
  axis.log = true;
  axis.lo = std::floor(lo + 1e-9);
  axis.hi = std::ceil(hi - 1e-9);
  if (axis.hi <= axis.lo) axis.hi = axis.lo + 1.0;
  const double decades = axis.hi - axis.lo;
  // Whole decades only: 1, 2, 5, 10, 20, ... decades between labelled ticks, and both ends of the
  // axis on a labelled tick.
  const double every = decades > 8.0 ? std::max(1.0, std::round(nice_step(decades, 6.0))) : 1.0;
  axis.lo = std::floor(axis.lo / every) * every;
  axis.hi = std::ceil(axis.hi / every) * every;
  const auto first = static_cast<long long>(std::ceil(axis.lo / every - 1e-9) * every);
  for (double d = static_cast<double>(first); d <= axis.hi + 1e-9; d += every) {
    const auto e = static_cast<long long>(std::llround(d));
    const std::string exp_text = std::to_string(e);
    axis.ticks.push_back({static_cast<double>(e), decade_label(e),
                          2.0 + 0.75 * static_cast<double>(exp_text.size())});
  }
  if (every == 1.0 && decades <= 6.0) {
    for (double d = axis.lo; d < axis.hi; d += 1.0) {
      for (int m = 2; m <= 9; ++m) axis.minor.push_back(d + std::log10(static_cast<double>(m)));
    }
  }
  return axis;
}

// ---------------------------------------------------------------------------------------------
// Colours and layout

/// Distinct colours for loss curves (Tableau 10); beyond ten, runs also differ by dash pattern.
constexpr std::array<std::string_view, 10> kPalette = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728",
                                                       "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
                                                       "#bcbd22", "#17becf"};
/// The same colours reordered for paths over blue contour lines: warm, saturated ones first.
constexpr std::array<std::string_view, 10> kPathPalette = {
    "#d62728", "#ff7f0e", "#2ca02c", "#9467bd", "#e377c2",
    "#8c564b", "#17becf", "#bcbd22", "#7f7f7f", "#1f77b4"};
constexpr std::array<std::string_view, 3> kDashes = {"", "6 3", "2 2"};

struct Style {
  std::string_view colour;
  std::string_view dash;
};

/// Style of run `i` drawn from `palette`.
Style run_style(std::size_t i, const std::array<std::string_view, 10>& palette = kPalette) {
  return {palette[i % palette.size()], kDashes[(i / palette.size()) % kDashes.size()]};
}

std::string dash_attribute(std::string_view dash) {
  return dash.empty() ? std::string() : fmt::format(R"( stroke-dasharray="{}")", dash);
}

constexpr double kFontSize = 12.0;
constexpr double kTitleSize = 15.0;
constexpr double kLegendRow = 18.0;
constexpr std::size_t kMaxLegendChars = 32;

/// One legend entry: the run's label (escaped at drawing time) and an optional note.
struct LegendEntry {
  std::string label;
  std::string note;
  Style style;
  bool path_markers = false;  ///< contour plots: show the start and end markers in the sample
};

/// Pixel layout of a plot: the plot area and where the legend goes.
struct Layout {
  double left, top, right, bottom;  // plot area
  double legend_x;
};

std::string run_label(const Trace& t, std::size_t i) {
  return t.label.empty() ? fmt::format("run {}", i + 1) : t.label;
}

std::string legend_text(const LegendEntry& e) {
  return truncate_text(e.label, kMaxLegendChars);
}

double legend_width(const std::vector<LegendEntry>& entries,
                    const std::vector<std::string>& notes) {
  double w = 0.0;
  for (const LegendEntry& e : entries) {
    double line = text_width(legend_text(e), kFontSize);
    if (!e.note.empty()) line = std::max(line, text_width(e.note, kFontSize - 1.0) + 8.0);
    w = std::max(w, line);
  }
  for (const std::string& n : notes) w = std::max(w, text_width(n, kFontSize - 1.0) - 34.0);
  return w + 50.0;  // sample line, gaps and padding
}

void validate(const PlotOptions& options, std::string_view what) {
  if (options.width < 240 || options.height < 180 || options.width > 20000 ||
      options.height > 20000) {
    throw InputError(fmt::format("{}: plot size {}x{} is out of range (240x180 to 20000x20000)",
                                 what, options.width, options.height));
  }
}

Layout make_layout(const PlotOptions& options, const Axis& y_axis, double legend_w) {
  double tick_chars = 0.0;
  for (const Tick& t : y_axis.ticks) tick_chars = std::max(tick_chars, t.label_chars);
  const double tick_w = 0.6 * kFontSize * tick_chars;
  const double w = options.width;
  const double h = options.height;
  Layout l{};
  l.left = 12.0 + kFontSize + 10.0 + tick_w + 8.0;
  l.top = options.title.empty() ? 16.0 : 44.0;
  l.bottom = h - 48.0;
  const double max_legend = 0.4 * w;
  legend_w = std::min(legend_w, max_legend);
  l.right = w - 16.0 - legend_w;
  l.legend_x = l.right + 14.0;
  return l;
}

/// Accumulates an SVG document.
class Svg {
 public:
  Svg(const PlotOptions& options, std::string_view kind) {
    fmt::format_to(out(),
                   "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                   "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" height=\"{1}\" "
                   "viewBox=\"0 0 {0} {1}\" font-family=\"DejaVu Sans, Helvetica, Arial, "
                   "sans-serif\" font-size=\"{2}\" class=\"xigrad-{3}\">\n",
                   options.width, options.height, kFontSize, kind);
    const std::string title = options.title.empty() ? std::string(kind) + " plot" : options.title;
    fmt::format_to(out(), "<title>{}</title>\n", xml_escape(title));
    fmt::format_to(out(), "<rect width=\"{}\" height=\"{}\" fill=\"white\"/>\n", options.width,
                   options.height);
  }

  std::back_insert_iterator<std::string> out() { return std::back_inserter(text_); }
  void raw(std::string_view s) { text_ += s; }

  std::string finish() && {
    text_ += "</svg>\n";
    return std::move(text_);
  }

 private:
  std::string text_;
};

/// Title, grid, frame, ticks, tick labels and axis labels.
void draw_axes(Svg& svg, const PlotOptions& options, const Layout& l, const Axis& x, const Axis& y,
               std::string_view x_label, std::string_view y_label) {
  if (!options.title.empty()) {
    fmt::format_to(svg.out(),
                   "<text class=\"title\" x=\"{}\" y=\"28\" text-anchor=\"middle\" "
                   "font-size=\"{}\" font-weight=\"bold\">{}</text>\n",
                   px((l.left + l.right) / 2.0), kTitleSize, xml_escape(options.title));
  }
  // Grid lines under everything else.
  svg.raw("<g class=\"grid\" stroke-width=\"1\">\n");
  for (double m : y.minor) {
    const double py = y.to_pixel(m);
    fmt::format_to(svg.out(),
                   "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#f0f0f0\"/>\n",
                   px(l.left), px(py), px(l.right), px(py));
  }
  for (const Tick& t : x.ticks) {
    const double p = x.to_pixel(t.pos);
    fmt::format_to(svg.out(),
                   "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#e0e0e0\"/>\n", px(p),
                   px(l.top), px(p), px(l.bottom));
  }
  for (const Tick& t : y.ticks) {
    const double p = y.to_pixel(t.pos);
    fmt::format_to(svg.out(),
                   "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#e0e0e0\"/>\n",
                   px(l.left), px(p), px(l.right), px(p));
  }
  svg.raw("</g>\n");

  // Ticks and their labels.
  svg.raw("<g class=\"x-axis\" text-anchor=\"middle\">\n");
  for (const Tick& t : x.ticks) {
    const double p = x.to_pixel(t.pos);
    fmt::format_to(svg.out(),
                   "<line x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\" stroke=\"#333\"/>\n", px(p),
                   px(l.bottom), px(l.bottom + 5.0));
    fmt::format_to(svg.out(), "<text class=\"tick\" x=\"{}\" y=\"{}\">{}</text>\n", px(p),
                   px(l.bottom + 19.0), t.label);
  }
  fmt::format_to(svg.out(), "<text class=\"axis-label\" x=\"{}\" y=\"{}\">{}</text>\n",
                 px((l.left + l.right) / 2.0), px(l.bottom + 40.0), xml_escape(x_label));
  svg.raw("</g>\n");

  svg.raw("<g class=\"y-axis\" text-anchor=\"end\">\n");
  for (double m : y.minor) {
    const double p = y.to_pixel(m);
    fmt::format_to(svg.out(),
                   "<line x1=\"{0}\" y1=\"{1}\" x2=\"{2}\" y2=\"{1}\" stroke=\"#333\"/>\n",
                   px(l.left - 3.0), px(p), px(l.left));
  }
  for (const Tick& t : y.ticks) {
    const double p = y.to_pixel(t.pos);
    fmt::format_to(svg.out(),
                   "<line x1=\"{0}\" y1=\"{1}\" x2=\"{2}\" y2=\"{1}\" stroke=\"#333\"/>\n",
                   px(l.left - 5.0), px(p), px(l.left));
    fmt::format_to(svg.out(), "<text class=\"tick\" x=\"{}\" y=\"{}\">{}</text>\n",
                   px(l.left - 8.0), px(p + 4.0), t.label);
  }
  const double ly = (l.top + l.bottom) / 2.0;
  fmt::format_to(svg.out(),
                 "<text class=\"axis-label\" x=\"{0}\" y=\"{1}\" text-anchor=\"middle\" "
                 "transform=\"rotate(-90 {0} {1})\">{2}</text>\n",
                 px(12.0 + kFontSize * 0.8), px(ly), xml_escape(y_label));
  svg.raw("</g>\n");
}

/// The frame around the plot area, drawn last so lines end cleanly at it.
void draw_frame(Svg& svg, const Layout& l) {
  fmt::format_to(svg.out(),
                 "<rect class=\"frame\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" "
                 "fill=\"none\" stroke=\"#333\"/>\n",
                 px(l.left), px(l.top), px(l.right - l.left), px(l.bottom - l.top));
}

void draw_legend(Svg& svg, const Layout& l, const std::vector<LegendEntry>& entries,
                 const std::vector<std::string>& notes, bool explain_markers) {
  double y = l.top + 4.0;
  svg.raw("<g class=\"legend\">\n");
  for (const LegendEntry& e : entries) {
    const double cy = y + kLegendRow / 2.0;
    const double x = l.legend_x;
    fmt::format_to(svg.out(),
                   "<line x1=\"{0}\" y1=\"{2}\" x2=\"{1}\" y2=\"{2}\" stroke=\"{3}\" "
                   "stroke-width=\"2.5\"{4}/>\n",
                   px(x), px(x + 26.0), px(cy), e.style.colour, dash_attribute(e.style.dash));
    if (e.path_markers) {
      fmt::format_to(svg.out(),
                     "<circle cx=\"{}\" cy=\"{}\" r=\"3.5\" fill=\"white\" stroke=\"{}\" "
                     "stroke-width=\"1.5\"/>\n",
                     px(x + 2.0), px(cy), e.style.colour);
      fmt::format_to(svg.out(),
                     "<circle cx=\"{}\" cy=\"{}\" r=\"3.5\" fill=\"{}\" stroke=\"white\"/>\n",
                     px(x + 24.0), px(cy), e.style.colour);
    }
    fmt::format_to(svg.out(), "<text class=\"legend-label\" x=\"{}\" y=\"{}\">{}</text>\n",
                   px(x + 34.0), px(cy + 4.0), xml_escape(legend_text(e)));
    y += kLegendRow;
    if (!e.note.empty()) {
      fmt::format_to(svg.out(),
                     "<text class=\"legend-note\" x=\"{}\" y=\"{}\" font-size=\"{}\" "
                     "font-style=\"italic\" fill=\"#b00\">{}</text>\n",
                     px(x + 34.0), px(y + 9.0), kFontSize - 1.0, xml_escape(e.note));
      y += kLegendRow - 4.0;
    }
  }
  if (explain_markers && !entries.empty()) {
    y += 6.0;
    const double cy = y + kLegendRow / 2.0;
    const double x = l.legend_x;
    fmt::format_to(svg.out(),
                   "<circle cx=\"{}\" cy=\"{}\" r=\"4\" fill=\"white\" stroke=\"#333\" "
                   "stroke-width=\"1.5\"/>\n"
                   "<text x=\"{}\" y=\"{}\" font-size=\"{}\">start</text>\n"
                   "<circle cx=\"{}\" cy=\"{}\" r=\"4\" fill=\"#333\"/>\n"
                   "<text x=\"{}\" y=\"{}\" font-size=\"{}\">end</text>\n",
                   px(x + 4.0), px(cy), px(x + 12.0), px(cy + 4.0), kFontSize - 1.0, px(x + 54.0),
                   px(cy), px(x + 62.0), px(cy + 4.0), kFontSize - 1.0);
    y += kLegendRow;
  }
  for (const std::string& n : notes) {
    y += 4.0;
    fmt::format_to(svg.out(),
                   "<text class=\"legend-info\" x=\"{}\" y=\"{}\" font-size=\"{}\" "
                   "fill=\"#555\">{}</text>\n",
                   px(l.legend_x), px(y + kLegendRow / 2.0 + 4.0), kFontSize - 1.0, xml_escape(n));
    y += kLegendRow - 4.0;
  }
  svg.raw("</g>\n");
}

// ---------------------------------------------------------------------------------------------
// Lines

struct Point {
  double x;
  double y;
  bool operator==(const Point&) const = default;
};

/// Clips the segment a-b to a rectangle (Liang-Barsky). Returns false if nothing is left.
bool clip_segment(Point& a, Point& b, double x0, double x1, double y0, double y1) {
  double t0 = 0.0;
  double t1 = 1.0;
  const double dx = b.x - a.x;
  const double dy = b.y - a.y;
  const std::array<double, 4> p = {-dx, dx, -dy, dy};
  const std::array<double, 4> q = {a.x - x0, x1 - a.x, a.y - y0, y1 - a.y};
  for (int i = 0; i < 4; ++i) {
    if (p[i] == 0.0) {
      if (q[i] < 0.0) return false;
      continue;
    }
    const double r = q[i] / p[i];
    if (p[i] < 0.0) {
      if (r > t1) return false;
      t0 = std::max(t0, r);
    } else {
      if (r < t0) return false;
      t1 = std::min(t1, r);
    }
  }
  const Point start{a.x + t0 * dx, a.y + t0 * dy};
  const Point end{a.x + t1 * dx, a.y + t1 * dy};
  a = start;
  b = end;
  return true;
}

/// Collects segments into polylines (in pixels), dropping points closer than 0.4 px to the
/// previous kept one (the last point of a line is always kept) so long runs stay small.
class PolylineBuilder {
 public:
  void add_segment(Point a, Point b) {
    if (current_.empty() || !(current_.back() == a)) {
      finish();
      current_.push_back(a);
    }
    current_.push_back(b);
  }
  void finish() {
    if (current_.size() >= 2) {
      std::vector<Point> kept{current_.front()};
      for (std::size_t i = 1; i + 1 < current_.size(); ++i) {
        const Point& p = current_[i];
        if (std::hypot(p.x - kept.back().x, p.y - kept.back().y) >= 0.4) kept.push_back(p);
      }
      kept.push_back(current_.back());
      lines_.push_back(std::move(kept));
    }
    current_.clear();
  }
  std::vector<std::vector<Point>> take() {
    finish();
    return std::move(lines_);
  }

 private:
  std::vector<Point> current_;
  std::vector<std::vector<Point>> lines_;
};

std::string path_data(const std::vector<std::vector<Point>>& lines, bool close_loops = false) {
  std::string d;
  for (const auto& line : lines) {
    for (std::size_t i = 0; i < line.size(); ++i) {
      if (i == 0) {
        fmt::format_to(std::back_inserter(d), "M{} {}", px(line[i].x), px(line[i].y));
      } else {
        fmt::format_to(std::back_inserter(d), "L{} {}", px(line[i].x), px(line[i].y));
      }
    }
    if (close_loops && line.size() > 2 && line.front() == line.back()) d += 'Z';
  }
  return d;
}

// ---------------------------------------------------------------------------------------------
// Loss plot

/// A loss value in axis units: a number, "above everything" (+inf) or a gap.
struct AxisValue {
  enum Kind { value, above, gap } kind;
  double u;
};

AxisValue to_axis(double loss, bool log) {
  if (std::isnan(loss) || loss == -std::numeric_limits<double>::infinity()) {
    return {AxisValue::gap, 0.0};
  }
  if (loss == std::numeric_limits<double>::infinity()) return {AxisValue::above, 0.0};
  if (log) {
    if (loss <= 0.0) return {AxisValue::gap, 0.0};
    return {AxisValue::value, std::log10(loss)};
  }
  // Beyond +-1e300 the axis span and its rounding to nice ticks could overflow: such losses
  // count as off the top (or, below, as missing).
  if (loss > 1e300) return {AxisValue::above, 0.0};
  if (loss < -1e300) return {AxisValue::gap, 0.0};
  return {AxisValue::value, loss};
}

}  // namespace

std::string plot_loss(const std::vector<Trace>& runs, const PlotOptions& options) {
  validate(options, "plot_loss");
  if (runs.empty()) throw InputError("plot_loss: no runs to plot");
  const bool log = options.log_y;

  // Axis units of every point, and the data ranges.
  std::vector<std::vector<AxisValue>> values(runs.size());
  double x_min = std::numeric_limits<double>::infinity();
  double x_max = -x_min;
  double u_min = std::numeric_limits<double>::infinity();
  double u_max = -u_min;
  double u_start = -std::numeric_limits<double>::infinity();  // highest first value of a run
  for (std::size_t r = 0; r < runs.size(); ++r) {
    bool first = true;
    for (const TraceRow& row : runs[r].rows) {
      const auto x = static_cast<double>(row.iteration);
      x_min = std::min(x_min, x);
      x_max = std::max(x_max, x);
      const AxisValue v = to_axis(row.loss, log);
      values[r].push_back(v);
      if (v.kind != AxisValue::value) continue;
      u_min = std::min(u_min, v.u);
      u_max = std::max(u_max, v.u);
      if (first) u_start = std::max(u_start, v.u);
      first = false;
    }
  }
  if (!std::isfinite(x_min)) {
    x_min = 0.0;
    x_max = 1.0;
  }
  if (!std::isfinite(u_min)) {
    u_min = 0.0;
    u_max = 1.0;
    u_start = 1.0;
  }
  // Clip the top a little above the highest starting loss, so a run that blows up does not
  // squash the others into a flat line at the bottom.
  const double span = u_start - u_min;
  const double cap = u_start + (log ? std::max(0.5 * span, 1.0) : 0.5 * span);
  const double u_top = span > 0.0 ? std::min(u_max, cap) : u_max;

  Axis y = log ? log_axis(u_min, u_top) : linear_axis(u_min, u_top, 6.0, 0.0, true);
  Axis x = linear_axis(x_min, x_max, 8.0, 1.0, false);

  // Legend entries with notes for runs that leave the plot.
  std::vector<LegendEntry> entries;
  for (std::size_t r = 0; r < runs.size(); ++r) {
    LegendEntry e{run_label(runs[r], r), "", run_style(r), false};
    bool off = false;
    for (const AxisValue& v : values[r]) {
      off = off || v.kind == AxisValue::above || (v.kind == AxisValue::value && v.u > y.hi);
    }
    const bool ends_badly =
        !runs[r].rows.empty() &&
        (!std::isfinite(runs[r].rows.back().loss) ||
         (values[r].back().kind == AxisValue::value && values[r].back().u > y.hi));
    if (ends_badly) {
      e.note = "diverged";
    } else if (off) {
      e.note = "off scale";
    }
    entries.push_back(std::move(e));
  }

  const Layout l = make_layout(options, y, legend_width(entries, {}));
  x.pixel_lo = l.left;
  x.pixel_hi = l.right;
  y.pixel_lo = l.bottom;
  y.pixel_hi = l.top;

  Svg svg(options, "loss");
  draw_axes(svg, options, l, x, y, options.x_label.empty() ? "iteration" : options.x_label,
            options.y_label.empty() ? (log ? "loss (log scale)" : "loss") : options.y_label);

  fmt::format_to(svg.out(),
                 "<clipPath id=\"xigrad-plot-area\"><rect x=\"{}\" y=\"{}\" width=\"{}\" "
                 "height=\"{}\"/></clipPath>\n",
                 px(l.left - 2.0), px(l.top - 2.0), px(l.right - l.left + 4.0),
                 px(l.bottom - l.top + 4.0));
  svg.raw(
      "<g class=\"runs\" clip-path=\"url(#xigrad-plot-area)\" fill=\"none\" "
      "stroke-linejoin=\"round\" stroke-linecap=\"round\">\n");
  for (std::size_t r = 0; r < runs.size(); ++r) {
    const Style style = run_style(r);
    PolylineBuilder lines;
    std::vector<Point> exits;     // where the run leaves through the top
    std::vector<Point> isolated;  // points with no drawn neighbour
    const auto& vals = values[r];
    const auto& rows = runs[r].rows;
    auto pixel = [&](std::size_t i, double u) {
      return Point{x.to_pixel(static_cast<double>(rows[i].iteration)), y.to_pixel(u)};
    };
    std::vector<bool> drawn(vals.size(), false);
    for (std::size_t i = 1; i < vals.size(); ++i) {
      const AxisValue& p = vals[i - 1];
      const AxisValue& q = vals[i];
      if (p.kind == AxisValue::gap || q.kind == AxisValue::gap) continue;
      const bool p_above = p.kind == AxisValue::above || p.u > y.hi;
      const bool q_above = q.kind == AxisValue::above || q.u > y.hi;
      if (p_above && q_above) continue;
      // Clip at the top in axis units (values may be huge). A value at +inf is drawn as
      // reaching the top edge at its own iteration.
      double xa = static_cast<double>(rows[i - 1].iteration);
      double xb = static_cast<double>(rows[i].iteration);
      double ua = p.u;
      double ub = q.u;
      if (q_above) {
        if (q.kind == AxisValue::value) xb = xa + (xb - xa) * ((y.hi - ua) / (ub - ua));
        ub = y.hi;
      } else if (p_above) {
        if (p.kind == AxisValue::value) xa = xb + (xa - xb) * ((y.hi - ub) / (ua - ub));
        ua = y.hi;
      }
      const Point a{x.to_pixel(xa), y.to_pixel(ua)};
      const Point b{x.to_pixel(xb), y.to_pixel(ub)};
      if (!(std::isfinite(a.x) && std::isfinite(b.x))) continue;
      lines.add_segment(a, b);
      drawn[i - 1] = drawn[i] = true;
      if (q_above) exits.push_back(b);
    }
    for (std::size_t i = 0; i < vals.size(); ++i) {
      if (!drawn[i] && vals[i].kind == AxisValue::value && vals[i].u <= y.hi) {
        isolated.push_back(pixel(i, vals[i].u));
      }
    }
    fmt::format_to(svg.out(), "<g class=\"run\" stroke=\"{}\"><title>{}</title>\n", style.colour,
                   xml_escape(run_label(runs[r], r)));
    const std::string d = path_data(lines.take());
    if (!d.empty()) {
      fmt::format_to(svg.out(), "<path d=\"{}\" stroke-width=\"2\"{}/>\n", d,
                     dash_attribute(style.dash));
    }
    for (const Point& p : isolated) {
      fmt::format_to(svg.out(),
                     "<circle cx=\"{}\" cy=\"{}\" r=\"2.5\" fill=\"{}\" stroke=\"none\"/>\n",
                     px(p.x), px(p.y), style.colour);
    }
    for (const Point& p : exits) {
      // A small upward triangle where the run leaves the plot.
      fmt::format_to(svg.out(),
                     "<path class=\"off-scale\" d=\"M{} {}L{} {}L{} {}Z\" fill=\"{}\" "
                     "stroke=\"none\"/>\n",
                     px(p.x - 5.0), px(l.top + 9.0), px(p.x + 5.0), px(l.top + 9.0), px(p.x),
                     px(l.top + 1.0), style.colour);
    }
    svg.raw("</g>\n");
  }
  svg.raw("</g>\n");
  draw_frame(svg, l);
  draw_legend(svg, l, entries, {}, false);
  return std::move(svg).finish();
}

void save_loss_plot(const std::filesystem::path& path, const std::vector<Trace>& runs,
                    const PlotOptions& options) {
  write_file_atomically(path, plot_loss(runs, options));
}

// ---------------------------------------------------------------------------------------------
// Contour plot

namespace {

/// f sampled on a regular (n+1) x (n+1) grid; non-finite values are stored as NaN.
struct Grid {
  int n;
  Box box;
  std::vector<double> z;  // row-major, z[j * (n + 1) + i] at (x_i, y_j)

  double x(double i) const { return box.x0 + (box.x1 - box.x0) * i / n; }
  double y(double j) const { return box.y0 + (box.y1 - box.y0) * j / n; }
  double at(int i, int j) const { return z[static_cast<std::size_t>(j) * (n + 1) + i]; }
};

Grid sample(const std::function<double(double, double)>& f, const Box& box, int n) {
  Grid g{n, box, {}};
  g.z.reserve(static_cast<std::size_t>(n + 1) * (n + 1));
  for (int j = 0; j <= n; ++j) {
    for (int i = 0; i <= n; ++i) {
      const double v = f(g.x(i), g.y(j));
      g.z.push_back(std::isfinite(v) ? v : std::numeric_limits<double>::quiet_NaN());
    }
  }
  return g;
}

/// Quantile of sorted values (linear interpolation between order statistics).
double quantile(const std::vector<double>& sorted, double q) {
  const double pos = q * static_cast<double>(sorted.size() - 1);
  const auto i = static_cast<std::size_t>(std::floor(pos));
  const std::size_t k = std::min(i + 1, sorted.size() - 1);
  return sorted[i] + (sorted[k] - sorted[i]) * (pos - static_cast<double>(i));
}

/// The contour levels, ascending and distinct, and whether they are log-spaced.
std::pair<std::vector<double>, bool> choose_levels(const Grid& g, int count, LevelSpacing spacing) {
  std::vector<double> v;
  for (double z : g.z) {
    if (!std::isnan(z)) v.push_back(z);
  }
  if (v.size() < 2) return {{}, false};
  std::sort(v.begin(), v.end());
  const double lo = v.front();
  if (v.back() <= lo) return {{}, false};
  // Offsets above the minimum; a "valley" means most of the box is far above the median offset.
  const double median = quantile(v, 0.5) - lo;
  const double high = quantile(v, 0.98) - lo;
  bool log = spacing == LevelSpacing::logarithmic;
  if (spacing == LevelSpacing::automatic) log = high > 0.0 && median < 0.25 * high;

  std::vector<double> levels;
  if (log && high > 0.0) {
    // The lowest level encloses ~2% of the grid points: lower ones are narrower than a grid cell
    // in a valley and would come out as broken fragments.
    double low = quantile(v, 0.02) - lo;
    low = std::max(low, high * 1e-6);
    if (!(low < high)) low = high * 1e-3;
    for (int k = 0; k < count; ++k) {
      const double t = count == 1 ? 0.5 : static_cast<double>(k) / (count - 1);
      levels.push_back(lo + low * std::pow(high / low, t));
    }
  } else {
    log = false;
    for (int k = 0; k < count; ++k) {
      levels.push_back(quantile(v, (k + 0.5) / count));
    }
  }
  levels.erase(std::unique(levels.begin(), levels.end()), levels.end());
  return {levels, log};
}

/// Contour lines of one level by marching squares, as chains of grid points (grid units).
/// A crossing point is identified by the grid edge it lies on, so neighbouring cells share it
/// exactly and segments join into polylines.
std::vector<std::vector<Point>> march(const Grid& g, double level) {
  const int n = g.n;
  // Edge ids: horizontal edge (i,j)-(i+1,j) -> 2*(j*n+i); vertical (i,j)-(i,j+1) ->
  // 2*(j*(n+1)+i)+1.
  auto h_edge = [n](int i, int j) { return std::int64_t{2} * (std::int64_t{j} * n + i); };
  auto v_edge = [n](int i, int j) { return std::int64_t{2} * (std::int64_t{j} * (n + 1) + i) + 1; };
  std::unordered_map<std::int64_t, Point> where;  // edge id -> crossing point (grid units)
  std::vector<std::pair<std::int64_t, std::int64_t>> segments;

  auto crossing = [&](std::int64_t id, double ax, double ay, double za, double bx, double by,
                      double zb) {
    if (where.find(id) == where.end()) {
      const double t = std::clamp((level - za) / (zb - za), 0.0, 1.0);
      where.emplace(id, Point{ax + t * (bx - ax), ay + t * (by - ay)});
    }
    return id;
  };

  for (int j = 0; j < n; ++j) {
    for (int i = 0; i < n; ++i) {
      const double z00 = g.at(i, j), z10 = g.at(i + 1, j), z11 = g.at(i + 1, j + 1),
                   z01 = g.at(i, j + 1);
      if (std::isnan(z00) || std::isnan(z10) || std::isnan(z11) || std::isnan(z01)) continue;
      const int c = (z00 >= level ? 1 : 0) | (z10 >= level ? 2 : 0) | (z11 >= level ? 4 : 0) |
                    (z01 >= level ? 8 : 0);
      if (c == 0 || c == 15) continue;
      const double x0 = i, x1 = i + 1, y0 = j, y1 = j + 1;
      auto bottom = [&] { return crossing(h_edge(i, j), x0, y0, z00, x1, y0, z10); };
      auto right = [&] { return crossing(v_edge(i + 1, j), x1, y0, z10, x1, y1, z11); };
      auto top = [&] { return crossing(h_edge(i, j + 1), x0, y1, z01, x1, y1, z11); };
      auto left = [&] { return crossing(v_edge(i, j), x0, y0, z00, x0, y1, z01); };
      switch (c) {
        case 1:
        case 14:
          segments.emplace_back(left(), bottom());
          break;
        case 2:
        case 13:
          segments.emplace_back(bottom(), right());
          break;
        case 3:
        case 12:
          segments.emplace_back(left(), right());
          break;
        case 4:
        case 11:
          segments.emplace_back(right(), top());
          break;
        case 6:
        case 9:
          segments.emplace_back(bottom(), top());
          break;
        case 7:
        case 8:
          segments.emplace_back(left(), top());
          break;
        case 5:
        case 10: {
          // Saddle: the mean of the corners decides which diagonal pair is connected.
          const bool centre_high = (z00 + z10 + z11 + z01) / 4.0 >= level;
          if ((c == 5) == centre_high) {
            segments.emplace_back(left(), top());
            segments.emplace_back(bottom(), right());
          } else {
            segments.emplace_back(left(), bottom());
            segments.emplace_back(right(), top());
          }
          break;
        }
        default:
          break;
      }
    }
  }

  // Join segments that share an edge point into chains.
  std::unordered_map<std::int64_t, std::array<int, 2>> touching;
  for (std::size_t s = 0; s < segments.size(); ++s) {
    for (std::int64_t id : {segments[s].first, segments[s].second}) {
      auto [it, inserted] = touching.try_emplace(id, std::array<int, 2>{-1, -1});
      (it->second[0] < 0 ? it->second[0] : it->second[1]) = static_cast<int>(s);
    }
  }
  std::vector<bool> used(segments.size(), false);
  auto other_segment = [&](std::int64_t id, int s) {
    const auto& t = touching.at(id);
    return t[0] == s ? t[1] : t[0];
  };
  auto walk = [&](int s, std::int64_t from, std::vector<std::int64_t>& chain) {
    // Follows segments starting with s, entering it at point `from`.
    while (s >= 0 && !used[static_cast<std::size_t>(s)]) {
      used[static_cast<std::size_t>(s)] = true;
      const auto& seg = segments[static_cast<std::size_t>(s)];
      const std::int64_t to = seg.first == from ? seg.second : seg.first;
      chain.push_back(to);
      from = to;
      s = other_segment(to, s);
    }
  };
  std::vector<std::vector<Point>> lines;
  auto emit = [&](const std::vector<std::int64_t>& chain) {
    std::vector<Point> line;
    line.reserve(chain.size());
    double x_lo = n, x_hi = 0.0, y_lo = n, y_hi = 0.0;
    for (std::int64_t id : chain) {
      const Point p = where.at(id);
      line.push_back(p);
      x_lo = std::min(x_lo, p.x);
      x_hi = std::max(x_hi, p.x);
      y_lo = std::min(y_lo, p.y);
      y_hi = std::max(y_hi, p.y);
    }
    // A closed loop within two cells is a level set the grid does not resolve (a valley narrower
    // than a cell breaks into such specks); drop it rather than draw a dashed-looking line.
    const bool closed = chain.size() > 2 && chain.front() == chain.back();
    if (closed && x_hi - x_lo < 2.0 && y_hi - y_lo < 2.0) return;
    lines.push_back(std::move(line));
  };
  // Open chains start at an end point (touching one segment), then the closed loops.
  for (const auto& [id, t] : touching) {
    if (t[1] >= 0 || used[static_cast<std::size_t>(t[0])]) continue;
    std::vector<std::int64_t> chain{id};
    walk(t[0], id, chain);
    emit(chain);
  }
  for (std::size_t s = 0; s < segments.size(); ++s) {
    if (used[s]) continue;
    std::vector<std::int64_t> chain{segments[s].first};
    walk(static_cast<int>(s), segments[s].first, chain);
    emit(chain);
  }
  return lines;
}

/// Colour of contour level k of `count`: dark blue for low values fading to pale blue-grey.
std::string level_colour(std::size_t k, std::size_t count) {
  const double t = count <= 1 ? 0.0 : static_cast<double>(k) / static_cast<double>(count - 1);
  constexpr std::array<double, 3> low = {0x1b, 0x3a, 0x6b};
  constexpr std::array<double, 3> high = {0xa9, 0xbc, 0xd0};
  std::array<int, 3> rgb{};
  for (int c = 0; c < 3; ++c) {
    rgb[static_cast<std::size_t>(c)] = static_cast<int>(
        std::lround(low[static_cast<std::size_t>(c)] +
                    (high[static_cast<std::size_t>(c)] - low[static_cast<std::size_t>(c)]) * t));
  }
  return fmt::format("#{:02x}{:02x}{:02x}", rgb[0], rgb[1], rgb[2]);
}

/// A number with three significant digits for the legend ("0.105", "1580", "2.5e−5").
std::string short_number(double v) {
  if (v == 0.0) return "0";
  const double a = std::abs(v);
  if (a < 1e-3 || a >= 1e5) return compact_scientific(v, 2, true);
  const int magnitude = static_cast<int>(std::floor(std::log10(a)));
  std::string s = fmt::format("{:.{}f}", v, std::max(0, 2 - magnitude));
  if (s.find('.') != std::string::npos) {
    s.erase(s.find_last_not_of('0') + 1);
    if (s.back() == '.') s.pop_back();
  }
  if (s.front() == '-') s.replace(0, 1, "\u2212");
  return s;
}

/// The tick axis of a contour plot: exactly the box side, with nice ticks inside it.
Axis box_axis(double lo, double hi, double target) {
  return linear_axis(lo, hi, target, 0.0, false);
}

}  // namespace

std::string plot_contour(const std::function<double(double, double)>& f, const Box& box,
                         const std::vector<Trace>& paths, const PlotOptions& options) {
  validate(options, "plot_contour");
  if (!f) throw InputError("plot_contour: no function given");
  if (!std::isfinite(box.x1 - box.x0) || !std::isfinite(box.y1 - box.y0) || !(box.x0 < box.x1) ||
      !(box.y0 < box.y1)) {
    throw InputError(fmt::format(
        "plot_contour: the box [{}, {}] x [{}, {}] is empty or not finite (need x0 < x1, y0 < y1)",
        box.x0, box.x1, box.y0, box.y1));
  }
  if (options.contour_grid < 8 || options.contour_grid > 1000) {
    throw InputError(fmt::format("plot_contour: contour_grid {} is out of range (8 to 1000)",
                                 options.contour_grid));
  }
  if (options.contour_levels < 1 || options.contour_levels > 100) {
    throw InputError(fmt::format("plot_contour: contour_levels {} is out of range (1 to 100)",
                                 options.contour_levels));
  }
  for (std::size_t p = 0; p < paths.size(); ++p) {
    const auto& rows = paths[p].rows;
    for (std::size_t i = 0; i < rows.size(); ++i) {
      if (rows[i].params.size() != 2) {
        throw InputError(fmt::format(
            "plot_contour: path \"{}\" row {} (iteration {}) has {} parameters; a contour plot "
            "needs exactly 2",
            run_label(paths[p], p), i, rows[i].iteration, rows[i].params.size()));
      }
    }
  }

  const Grid grid = sample(f, box, options.contour_grid);
  const auto [levels, log_levels] =
      choose_levels(grid, options.contour_levels, options.level_spacing);

  Axis x = box_axis(box.x0, box.x1, 8.0);
  Axis y = box_axis(box.y0, box.y1, 6.0);

  std::vector<LegendEntry> entries;
  for (std::size_t p = 0; p < paths.size(); ++p) {
    LegendEntry e{run_label(paths[p], p), "", run_style(p, kPathPalette), true};
    bool outside = false;
    bool non_finite = false;
    for (const TraceRow& row : paths[p].rows) {
      const double a = row.params[0];
      const double b = row.params[1];
      if (!std::isfinite(a) || !std::isfinite(b)) {
        non_finite = true;
      } else if (a < box.x0 || a > box.x1 || b < box.y0 || b > box.y1) {
        outside = true;
      }
    }
    if (non_finite) {
      e.note = "diverged";
    } else if (outside) {
      e.note = "leaves plot";
    }
    entries.push_back(std::move(e));
  }
  std::vector<std::string> notes;
  if (levels.empty()) {
    notes.push_back("f is constant or not finite");
  } else {
    notes.push_back(fmt::format("contours ({}):", log_levels ? "log-spaced" : "quantiles"));
    notes.push_back(
        fmt::format("{} \u2026 {}", short_number(levels.front()), short_number(levels.back())));
  }

  const Layout l = make_layout(options, y, legend_width(entries, notes));
  x.pixel_lo = l.left;
  x.pixel_hi = l.right;
  y.pixel_lo = l.bottom;
  y.pixel_hi = l.top;

  const std::string x_name = !options.x_label.empty() ? options.x_label
                             : !paths.empty() && paths[0].param_names.size() == 2
                                 ? paths[0].param_names[0]
                                 : "x";
  const std::string y_name = !options.y_label.empty() ? options.y_label
                             : !paths.empty() && paths[0].param_names.size() == 2
                                 ? paths[0].param_names[1]
                                 : "y";

  Svg svg(options, "contour");
  draw_axes(svg, options, l, x, y, x_name, y_name);

  // Contour lines, lowest level last so the valley floor is drawn on top.
  const double sx = (l.right - l.left) / grid.n;
  const double sy = (l.bottom - l.top) / grid.n;
  svg.raw("<g class=\"contours\" fill=\"none\" stroke-width=\"1\" stroke-linejoin=\"round\">\n");
  for (std::size_t k = levels.size(); k-- > 0;) {
    auto lines = march(grid, levels[k]);
    for (auto& line : lines) {
      for (Point& p : line) p = Point{l.left + p.x * sx, l.bottom - p.y * sy};
    }
    if (lines.empty()) continue;
    fmt::format_to(svg.out(),
                   "<path class=\"level\" stroke=\"{}\" d=\"{}\"><title>f = {}</title></path>\n",
                   level_colour(k, levels.size()), path_data(lines, true), short_number(levels[k]));
  }
  svg.raw("</g>\n");

  // Paths: a white halo under a coloured line; then, above every line, dots at the iterates of
  // short runs and the start and end markers.
  svg.raw("<g class=\"paths\" fill=\"none\" stroke-linejoin=\"round\" stroke-linecap=\"round\">\n");
  std::string markers;
  auto mark = std::back_inserter(markers);
  for (std::size_t p = 0; p < paths.size(); ++p) {
    const Style style = run_style(p, kPathPalette);
    const auto& rows = paths[p].rows;
    auto pixel = [&](const TraceRow& row) {
      return Point{x.to_pixel(row.params[0]), y.to_pixel(row.params[1])};
    };
    auto finite = [](const TraceRow& row) {
      return std::isfinite(row.params[0]) && std::isfinite(row.params[1]);
    };
    auto inside = [&](const TraceRow& row) {
      return finite(row) && row.params[0] >= box.x0 && row.params[0] <= box.x1 &&
             row.params[1] >= box.y0 && row.params[1] <= box.y1;
    };
    PolylineBuilder builder;
    for (std::size_t i = 1; i < rows.size(); ++i) {
      if (!finite(rows[i - 1]) || !finite(rows[i])) continue;
      Point a{rows[i - 1].params[0], rows[i - 1].params[1]};
      Point b{rows[i].params[0], rows[i].params[1]};
      if (!clip_segment(a, b, box.x0, box.x1, box.y0, box.y1)) continue;
      builder.add_segment({x.to_pixel(a.x), y.to_pixel(a.y)}, {x.to_pixel(b.x), y.to_pixel(b.y)});
    }
    const std::string d = path_data(builder.take());
    const std::string label = xml_escape(run_label(paths[p], p));
    fmt::format_to(svg.out(), "<g class=\"path\"><title>{}</title>\n", label);
    if (!d.empty()) {
      fmt::format_to(
          svg.out(),
          "<path d=\"{0}\" stroke=\"white\" stroke-width=\"4.5\" stroke-opacity=\"0.8\"/>\n"
          "<path d=\"{0}\" stroke=\"{1}\" stroke-width=\"2\"{2}/>\n",
          d, style.colour, dash_attribute(style.dash));
    }
    svg.raw("</g>\n");
    fmt::format_to(mark, "<g class=\"path-markers\"><title>{}</title>\n", label);
    if (rows.size() <= 200) {
      for (const TraceRow& row : rows) {
        if (!inside(row)) continue;
        const Point q = pixel(row);
        fmt::format_to(mark, "<circle cx=\"{}\" cy=\"{}\" r=\"1.8\" fill=\"{}\"/>\n", px(q.x),
                       px(q.y), style.colour);
      }
    }
    if (!rows.empty() && inside(rows.front())) {
      const Point q = pixel(rows.front());
      fmt::format_to(mark,
                     "<circle class=\"start\" cx=\"{}\" cy=\"{}\" r=\"5\" fill=\"white\" "
                     "stroke=\"{}\" stroke-width=\"2\"/>\n",
                     px(q.x), px(q.y), style.colour);
    }
    if (!rows.empty() && inside(rows.back())) {
      const Point q = pixel(rows.back());
      fmt::format_to(mark,
                     "<circle class=\"end\" cx=\"{}\" cy=\"{}\" r=\"5\" fill=\"{}\" "
                     "stroke=\"white\" stroke-width=\"1.5\"/>\n",
                     px(q.x), px(q.y), style.colour);
    }
    markers += "</g>\n";
  }
  svg.raw(markers);
  svg.raw("</g>\n");
  draw_frame(svg, l);
  draw_legend(svg, l, entries, notes, !paths.empty());
  return std::move(svg).finish();
}

void save_contour_plot(const std::filesystem::path& path,
                       const std::function<double(double, double)>& f, const Box& box,
                       const std::vector<Trace>& paths, const PlotOptions& options) {
  write_file_atomically(path, plot_contour(f, box, paths, options));
}

Box bounding_box(const std::vector<Trace>& paths, double margin) {
  double x0 = std::numeric_limits<double>::infinity();
  double x1 = -x0;
  double y0 = x0;
  double y1 = -x0;
  for (const Trace& t : paths) {
    for (const TraceRow& row : t.rows) {
      if (row.params.size() != 2 || !std::isfinite(row.params[0]) ||
          !std::isfinite(row.params[1])) {
        continue;
      }
      x0 = std::min(x0, row.params[0]);
      x1 = std::max(x1, row.params[0]);
      y0 = std::min(y0, row.params[1]);
      y1 = std::max(y1, row.params[1]);
    }
  }
  if (!std::isfinite(x0)) return Box{};
  if (!(margin >= 0.0) || !std::isfinite(margin)) margin = 0.0;
  auto widen = [margin](double& lo, double& hi) {
    const double size = hi - lo;
    const double least = std::max(1e-6, 0.01 * std::max(std::abs(lo), std::abs(hi)));
    double pad = margin * size;
    if (size + 2.0 * pad < least) pad = (least - size) / 2.0;
    lo -= pad;
    hi += pad;
  };
  widen(x0, x1);
  widen(y0, y1);
  return Box{x0, x1, y0, y1};
}

}  // namespace xi::optim
