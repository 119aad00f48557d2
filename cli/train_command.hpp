#pragma once
// xigrad train: trains a model (linear or logistic regression, a single neuron, an MLP) on a CSV
// file or on the embedded synthetic data set, with progress, metrics, a loss plot, and save /
// resume (see docs/models.md).

#include <memory>

#include "command.hpp"

namespace xi::cli {

/// The `train` subcommand (registered in commands/commands.def as XIGRAD_COMMAND(train)).
std::unique_ptr<Command> make_train_command();

}  // namespace xi::cli
