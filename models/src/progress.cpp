// The progress display of training (see progress.hpp).

#include <xigrad/models/progress.hpp>

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include <fmt/format.h>

namespace xi::models {

Progress::Mode Progress::detect(bool quiet) {
  if (quiet) return Mode::none;
  return ::isatty(STDERR_FILENO) != 0 ? Mode::bar : Mode::lines;
}

Progress::Progress(std::ostream& out, Mode mode, std::size_t epochs, std::size_t start_epoch)
    : out_(out),
      mode_(mode),
      epochs_(epochs),
      start_epoch_(start_epoch),
      every_(std::max<std::size_t>(1, (epochs > start_epoch ? epochs - start_epoch : 1) / 10)),
      epoch_start_(Clock::now()),
      last_draw_(Clock::now()) {}

std::string Progress::rate(double per_second) {
  if (!std::isfinite(per_second) || per_second <= 0) return "-";
  if (per_second >= 1e9) return fmt::format("{:.1f}G", per_second / 1e9);
  if (per_second >= 1e6) return fmt::format("{:.1f}M", per_second / 1e6);
  if (per_second >= 1e4) return fmt::format("{:.0f}k", per_second / 1e3);
  if (per_second >= 1e3) return fmt::format("{:.1f}k", per_second / 1e3);
  return fmt::format("{:.0f}", per_second);
}

TrainCallbacks Progress::callbacks() {
  TrainCallbacks c;
  if (mode_ == Mode::none) return c;
  c.on_batch = [this](std::size_t epoch, std::size_t batch, std::size_t batches, double loss) {
    on_batch(epoch, batch, batches, loss);
  };
  c.on_epoch = [this](const EpochStats& s) { on_epoch(s); };
  return c;
}

void Progress::on_batch(std::size_t epoch, std::size_t batch, std::size_t batches, double loss) {
  if (mode_ != Mode::bar) return;
  const auto now = Clock::now();
  if (!epoch_started_) {
    epoch_started_ = true;
    epoch_start_ = now;
  }
  last_loss_ = loss;
  if (now - last_draw_ < std::chrono::milliseconds(100)) return;
  const double fraction = static_cast<double>(batch) / static_cast<double>(batches);
  draw(epoch, (static_cast<double>(epoch - 1) + fraction) / static_cast<double>(epochs_), loss,
       last_rate_);
}

void Progress::on_epoch(const EpochStats& s) {
  epoch_started_ = false;
  const double rate = s.seconds > 0 ? static_cast<double>(s.examples) / s.seconds : 0.0;
  last_rate_ = rate;
  last_ = s;
  last_printed_ = false;
  if (mode_ == Mode::bar) {
    const auto now = Clock::now();
    if (now - last_draw_ >= std::chrono::milliseconds(100) || s.epoch == s.epochs) {
      draw(s.epoch, static_cast<double>(s.epoch) / static_cast<double>(epochs_), s.loss, rate);
      last_printed_ = true;
    }
    return;
  }
  const std::size_t done = s.epoch - start_epoch_;
  if (s.epoch == start_epoch_ + 1 || done % every_ == 0 || s.epoch == s.epochs ||
      s.seconds >= 2.0) {
    print_line(s);
  }
}

void Progress::print_line(const EpochStats& s) {
  const double rate = s.seconds > 0 ? static_cast<double>(s.examples) / s.seconds : 0.0;
  out_ << fmt::format("epoch {:>{}}/{}  loss {:<10.6g}  |gradient| {:<10.3g}  {} examples/s\n",
                      s.epoch, fmt::formatted_size("{}", epochs_), epochs_, s.loss, s.grad_norm,
                      Progress::rate(rate));
  out_.flush();
  last_printed_ = true;
}

void Progress::draw(std::size_t epoch, double fraction, double loss, double rate) {
  constexpr int kBar = 24;
  fraction = std::clamp(fraction, 0.0, 1.0);
  const int filled = static_cast<int>(std::floor(fraction * kBar + 1e-9));
  std::string bar(static_cast<std::size_t>(filled), '#');
  bar.append(static_cast<std::size_t>(kBar - filled), '.');
  std::string line = fmt::format("epoch {:>{}}/{} [{}] {:3.0f}%  loss {:<10.6g}  {} examples/s",
                                 epoch, fmt::formatted_size("{}", epochs_), epochs_, bar,
                                 100.0 * fraction, loss, Progress::rate(rate));
  const std::size_t width = line.size();
  if (width < width_) line.append(width_ - width, ' ');
  width_ = width;
  out_ << '\r' << line;
  out_.flush();
  drawn_ = true;
  last_draw_ = Clock::now();
}

void Progress::finish() {
  // A run that stopped early (converged, early stopping): show where it ended.
  if (last_ && !last_printed_) {
    if (mode_ == Mode::lines) print_line(*last_);
    if (mode_ == Mode::bar) {
      const double rate =
          last_->seconds > 0 ? static_cast<double>(last_->examples) / last_->seconds : 0.0;
      draw(last_->epoch, static_cast<double>(last_->epoch) / static_cast<double>(epochs_),
           last_->loss, rate);
    }
    last_printed_ = true;
  }
  if (mode_ == Mode::bar && drawn_) {
    out_ << '\n';
    out_.flush();
    drawn_ = false;
  }
}

}  // namespace xi::models
