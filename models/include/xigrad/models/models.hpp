#pragma once
// The whole public API of the models module in one include: data sets, losses, models, metrics,
// the training loop, progress display and checkpoints.

#include <xigrad/models/checkpoint.hpp>
#include <xigrad/models/csv.hpp>
#include <xigrad/models/dataset.hpp>
#include <xigrad/models/limits.hpp>
#include <xigrad/models/losses.hpp>
#include <xigrad/models/metrics.hpp>
#include <xigrad/models/model.hpp>
#include <xigrad/models/progress.hpp>
#include <xigrad/models/train.hpp>
