#!/usr/bin/env bash
# ThreadSanitizer over the tests that use threads (by convention their names contain "Thread"):
# per-thread tapes, parameters shared by threads, the atomic writer under concurrent writers.
# Builds only the test executables that hold such tests; each must run at least one.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD_DIR:-build-tsan}
flags="-fsanitize=thread -fno-omit-frame-pointer -O1 -g1"
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_CXX_FLAGS=$flags" \
  -DCMAKE_EXE_LINKER_FLAGS=-fsanitize=thread -DXIGRAD_BUILD_BENCH=OFF \
  -DXIGRAD_BUILD_EXAMPLES=OFF -DXIGRAD_BUILD_CLI=OFF >/dev/null
suites=(autodiff_tests optim_tests)
cmake --build "$build" -j "${JOBS:-$(nproc)}" --target "${suites[@]}"
for s in "${suites[@]}"; do
  echo "-- $s"
  TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
    "$build/tests/$s" --gtest_filter="${XIGRAD_TSAN_FILTER:-*Thread*}" --gtest_brief=1 |
    tee "$build/$s.log"
  grep -Eq '\[  PASSED  \] [1-9][0-9]* test' "$build/$s.log" || { echo "no threading test ran in $s"; exit 1; }
done
