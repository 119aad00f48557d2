#pragma once
// Showing training progress: on a terminal, one line redrawn in place (a bar, the epoch, the
// loss and the speed in examples per second); elsewhere (a pipe, a log file), plain lines for a
// handful of epochs; or nothing.
//
//   xi::models::Progress progress(std::cerr, xi::models::Progress::detect(json), epochs);
//   trainer.run(progress.callbacks());
//   progress.finish();

#include <chrono>
#include <cstddef>
#include <optional>
#include <ostream>
#include <string>

#include <xigrad/models/train.hpp>

namespace xi::models {

class Progress {
 public:
  enum class Mode {
    none,   ///< print nothing (e.g. with --json)
    bar,    ///< a terminal: one line redrawn with '\r' at most 10 times a second
    lines,  ///< not a terminal: about ten plain lines per run
  };

  /// none when `quiet`; bar when standard error is a terminal (isatty); lines otherwise.
  static Mode detect(bool quiet);

  /// Progress of a run to `epochs` epochs (the total), starting after `start_epoch` (a resumed
  /// run) on `out`.
  Progress(std::ostream& out, Mode mode, std::size_t epochs, std::size_t start_epoch = 0);

  /// Callbacks for Trainer::run.
  TrainCallbacks callbacks();

  /// Ends the display (a terminal's bar line is finished with a newline).
  void finish();

  Mode mode() const noexcept { return mode_; }

  /// "412k" for 412345, "1.2M" for 1234567: examples per second for people.
  static std::string rate(double per_second);

 private:
  using Clock = std::chrono::steady_clock;
  void on_batch(std::size_t epoch, std::size_t batch, std::size_t batches, double loss);
  void on_epoch(const EpochStats& s);
  void draw(std::size_t epoch, double fraction, double loss, double rate);
  void print_line(const EpochStats& s);

  std::ostream& out_;
  Mode mode_;
  std::size_t epochs_;
  std::size_t start_epoch_;
  std::size_t every_;
  Clock::time_point epoch_start_;
  Clock::time_point last_draw_;
  bool drawn_ = false;
  bool epoch_started_ = false;
  double last_loss_ = 0.0;
  double last_rate_ = 0.0;
  std::size_t width_ = 0;           // characters of the last bar line
  std::optional<EpochStats> last_;  // lines: the last epoch seen, and whether it was printed
  bool last_printed_ = false;
};

}  // namespace xi::models
