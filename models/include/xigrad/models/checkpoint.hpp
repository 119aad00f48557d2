#pragma once
// Saving and resuming a training run: one file holds the model spec, the training options, the
// feature standardisation, the parameters, the optimizer's state, the mini-batch sampler's state,
// the epoch, the early-stopping counters and the trace, so that a run resumed from it continues
// with exactly the iterates (bit for bit) of a run that was never interrupted.
//
// The file is text, written atomically (xi::optim::write_file_atomically):
//
//     xigrad-checkpoint 1
//     payload 2893 fnv1a64 5b2c4e0a9d1f7e36
//     model.kind logistic
//     ...
//     param w 1 1 3 0x1.5bf0a8b145769p+1 -0x1.8p-3 0x0p+0
//     ...
//
// The first line names the format and its version; the second gives the payload's length in
// bytes and its FNV-1a 64-bit checksum; the payload follows, one "key value..." per line, strings
// quoted, every double as a C99 hexadecimal float (exact). A file that is not a checkpoint, has
// another version, is truncated or whose bytes changed after writing is refused with an
// xi::InputError that names the file and says which of these it is.

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <xigrad/models/model.hpp>
#include <xigrad/models/train.hpp>

namespace xi::models {

/// The checkpoint format version this build writes and reads.
inline constexpr int kCheckpointVersion = 1;

/// Everything a saved run holds.
struct Checkpoint {
  ModelSpec model{};
  TrainOptions training{};
  std::vector<std::string> feature_names{};  ///< one per input, original names
  Eigen::VectorXd feature_mean{};            ///< the standardiser (one per input)
  Eigen::VectorXd feature_scale{};
  /// FNV-1a 64 of the training rows (see data_fingerprint): a resumed run must see the same data.
  std::uint64_t data_fingerprint = 0;
  /// Free-form settings of the program that saved it (the command line stores the data file,
  /// target, positive class, features, NA policy and test fraction here).
  std::map<std::string, std::string> settings{};
  TrainerState state{};
};

/// FNV-1a, 64 bits, over `bytes` (continuing from `hash`).
std::uint64_t fnv1a64(std::string_view bytes, std::uint64_t hash = 0xcbf29ce484222325ULL);

/// FNV-1a 64 over the bytes of X's values (row-major), then y's, then the two sizes.
std::uint64_t data_fingerprint(const Matrix& X, const Vector& y);

/// The file's text (header and payload).
std::string serialize_checkpoint(const Checkpoint& checkpoint);

/// Reads a checkpoint from the bytes of a file called `source` (used in messages).
/// Throws xi::InputError: "<source>: not an xigrad checkpoint ...", "... format version N is not
/// supported ...", "... is truncated ...", "... is corrupt: checksum ... does not match ...",
/// or, for the payload, see parse_checkpoint_payload. A file whose every line ends with CR LF
/// (converted by a text tool) is read as the LF file xigrad wrote; mixed line ends are refused.
Checkpoint parse_checkpoint(std::string_view bytes, const std::string& source);

/// Reads the payload of a checkpoint (the lines after the two header lines; no checksum) and
/// checks every field by type and range before anything is allocated from it: counts are whole
/// numbers read as integers within limits.hpp (never through a double), every number is finite,
/// the settings xigrad train saves are valid values of their options, the parameters have the
/// shapes of the saved model spec, and the optimizer state fits the saved optimizer (sizes,
/// L-BFGS history, counters). Throws xi::InputError "<source>:<line>: field 'KEY' ..." or
/// "<source>: ..." naming the field. The checkpoint fuzzer calls it directly.
Checkpoint parse_checkpoint_payload(std::string_view payload, const std::string& source);

/// Writes the checkpoint to `path` atomically (a crash leaves the old file or none, never a
/// partial one). Throws xi::Error if the file cannot be written.
void save_checkpoint(const std::filesystem::path& path, const Checkpoint& checkpoint);

/// Reads and checks the checkpoint at `path`. Throws xi::InputError if it cannot be read or is
/// not a valid checkpoint (see parse_checkpoint).
Checkpoint load_checkpoint(const std::filesystem::path& path);

}  // namespace xi::models
