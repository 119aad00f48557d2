#!/usr/bin/env bash
# Installs the dependencies, builds xigrad (Release) and runs the whole test suite with CTest.
#   bash scripts/test.sh              # build dir: build/
#   BUILD_DIR=build-asan CMAKE_ARGS="-DXIGRAD_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug" bash scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
build=${BUILD_DIR:-build}
jobs=${JOBS:-$(nproc)}
# shellcheck disable=SC2086
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release ${CMAKE_ARGS:-}
cmake --build "$build" -j "$jobs"
ctest --test-dir "$build" --output-on-failure -j "$jobs"
