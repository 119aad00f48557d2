#!/usr/bin/env bash
# clang's UndefinedBehaviorSanitizer (float-cast-overflow included, which GCC's -fsanitize=undefined
# lacks) over the CLI tests: every command the tests run goes through the sanitized xigrad binary.
# Builds only the targets it runs.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD_DIR:-build-clang-ubsan}
flags="-fsanitize=undefined,float-cast-overflow -fno-sanitize-recover=all"
flags="$flags -fno-omit-frame-pointer -O1 -g1"
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ \
  "-DCMAKE_CXX_FLAGS=$flags" -DCMAKE_EXE_LINKER_FLAGS=-fsanitize=undefined \
  -DXIGRAD_BUILD_BENCH=OFF -DXIGRAD_BUILD_EXAMPLES=OFF >/dev/null
cmake --build "$build" -j "${JOBS:-$(nproc)}" --target cli_tests xigrad_cli
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 "$build/tests/cli/cli_tests" --gtest_brief=1
