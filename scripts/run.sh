#!/usr/bin/env bash
# Installs the dependencies, builds xigrad and runs the main job: `xigrad train` on its embedded
# default data set (extra arguments are passed on, e.g. `bash scripts/run.sh --model mlp`).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
build=${BUILD_DIR:-build}
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j "${JOBS:-$(nproc)}" --target xigrad
exec "$build/cli/xigrad" train "$@"
