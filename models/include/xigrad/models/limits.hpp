#pragma once
// The bounds on sizes and counts that the models module accepts, in one place: the command line's
// options, the checkpoint reader and make_model check against these numbers, so that no size
// read from a user or a file can ask for an absurd allocation or wrap a counter.

#include <cstddef>

namespace xi::models::limits {

/// Features of a model, and units of one hidden layer.
inline constexpr std::size_t max_layer_size = 1'000'000;
/// Hidden layers of an MLP.
inline constexpr std::size_t max_hidden_layers = 100;
/// Scalar parameters of a model (weights and biases together): 50 million doubles, 400 MB for the
/// values alone (training keeps gradients and optimizer buffers of the same size).
inline constexpr std::size_t max_parameters = 50'000'000;
/// Training epochs (also the bound of --patience and of a checkpoint's epoch counter).
inline constexpr std::size_t max_epochs = 100'000'000;
/// Rows per mini-batch (0 means the full batch).
inline constexpr std::size_t max_batch_size = 1'000'000'000;

}  // namespace xi::models::limits
