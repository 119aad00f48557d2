#pragma once
// Standalone SVG plots of optimizer runs: loss curves and, for two-parameter problems, a contour
// map of the loss with each run's path. The output is a complete SVG document (UTF-8, no external
// resources) that browsers, Inkscape and rsvg-convert display as is.

#include <cstddef>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>
#include <xigrad/optim/trace.hpp>

namespace xi::optim {

/// How `plot_contour` spaces its contour levels.
enum class LevelSpacing {
  automatic,   ///< `logarithmic` when small values fill little of the box (narrow valleys such
               ///< as Rosenbrock's), else `quantile`
  quantile,    ///< levels at evenly spaced quantiles of f over the grid (equal area between lines)
  logarithmic  ///< levels at min f + r, with r log-spaced, so that detail near the minimum shows
};

/// Appearance of a plot. Empty labels take a default that depends on the plot.
struct PlotOptions {
  std::string title{};    ///< drawn above the plot; empty: no title
  std::string x_label{};  ///< empty: "iteration" (loss) or the first parameter's name (contour)
  std::string y_label{};  ///< empty: "loss" (loss) or the second parameter's name (contour)
  bool log_y = false;     ///< loss plot: log10 y axis with ticks at decades (ignored by contours)
  int width = 720;        ///< size of the SVG in pixels, at least 240 x 180
  int height = 480;
  int contour_grid = 120;   ///< contour: f is evaluated on (grid+1) x (grid+1) points, 8..1000
  int contour_levels = 15;  ///< contour: number of contour lines, 1..100
  LevelSpacing level_spacing = LevelSpacing::automatic;  ///< contour: how the levels are chosen
};

/// An axis-aligned rectangle of the (x, y) = (params[0], params[1]) plane, x0 < x1 and y0 < y1.
struct Box {
  double x0 = 0.0;
  double x1 = 1.0;
  double y0 = 0.0;
  double y1 = 1.0;
};

/// Loss per iteration of one or more runs, overlaid with distinct colours and a legend of their
/// labels (an empty label shows as "run 1", "run 2", ...).
///
/// The y axis is linear or, with `options.log_y`, log10 with ticks at decades. Points whose loss
/// is not finite (or not positive on a log axis) are skipped and the line is broken there. The y
/// range follows the finite data, but a run that blows up does not squash the others: the range
/// stops a little above the highest starting loss, a run that leaves it is drawn to the edge with
/// a marker, and its legend entry says "diverged" (it ends off the plot or at a non-finite loss)
/// or "off scale" (it comes back).
///
/// Throws `xi::InputError` if `runs` is empty or the options are out of range.
///
/// Example:
/// \code
///   std::string svg = xi::optim::plot_loss({slow, good, too_big},
///                                          {.title = "Three learning rates", .log_y = true});
/// \endcode
std::string plot_loss(const std::vector<Trace>& runs, const PlotOptions& options = {});

/// Writes `plot_loss(runs, options)` to `path` atomically (see `write_file_atomically`).
void save_loss_plot(const std::filesystem::path& path, const std::vector<Trace>& runs,
                    const PlotOptions& options = {});

/// Contour lines of `f` over `box` with the path of each run drawn on top.
///
/// f is evaluated on a regular grid (`options.contour_grid`); the lines are traced by marching
/// squares (saddle cells resolved by the cell's mean) at `options.contour_levels` levels chosen
/// by `options.level_spacing`. Lower levels are drawn darker. Points where f is not finite leave
/// a gap. Each run's path joins (params[0], params[1]) of its rows, with an open circle at the
/// start and a filled circle at the end (and a dot at each iterate for short runs); the path is
/// clipped to the box and its legend entry notes "leaves plot" or "diverged" when that happens.
///
/// Throws `xi::InputError` if `f` is empty, the box is empty or not finite, a path's rows do not
/// all have exactly two parameters, or the options are out of range. Exceptions thrown by `f`
/// propagate.
///
/// Example:
/// \code
///   auto rosenbrock = [](double x, double y) { return (1 - x) * (1 - x) + 100 * (y - x * x) * (y -
///   x * x); }; std::string svg = xi::optim::plot_contour(rosenbrock, {-2, 2, -1, 3}, {gd_run,
///   adam_run});
/// \endcode
std::string plot_contour(const std::function<double(double, double)>& f, const Box& box,
                         const std::vector<Trace>& paths, const PlotOptions& options = {});

/// Writes `plot_contour(f, box, paths, options)` to `path` atomically.
void save_contour_plot(const std::filesystem::path& path,
                       const std::function<double(double, double)>& f, const Box& box,
                       const std::vector<Trace>& paths, const PlotOptions& options = {});

/// The smallest box holding every finite (params[0], params[1]) of the paths, widened by
/// `margin` times its size on each side (and to at least 1e-6 or 1% of the coordinates' size, so
/// a single point gives a usable box). Rows without two parameters are ignored; with no usable
/// point the result is the default box [0, 1] x [0, 1].
Box bounding_box(const std::vector<Trace>& paths, double margin = 0.15);

}  // namespace xi::optim
