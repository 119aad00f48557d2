#pragma once
// The optimizer module: every optimizer behind one interface, learning-rate schedules, stopping
// rules, the minimize driver, traces (CSV) and plots (SVG).

#include <xigrad/optim/atomic_file.hpp>
#include <xigrad/optim/minimize.hpp>
#include <xigrad/optim/optimizer.hpp>
#include <xigrad/optim/optimizers.hpp>
#include <xigrad/optim/plot.hpp>
#include <xigrad/optim/schedule.hpp>
#include <xigrad/optim/stopping.hpp>
#include <xigrad/optim/trace.hpp>
