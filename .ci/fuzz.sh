#!/usr/bin/env bash
# Short libFuzzer runs (clang, ASan + UBSan) of every fuzz target: the expression parser (and
# derive), the ξ tables of check --nodes, the CSV
# reader with column typing, and the checkpoint reader. Each run starts from the seed corpus
# beside its harness (when there is one) and a scratch corpus in the build folder.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD_DIR:-build-fuzz}
seconds=${XIGRAD_FUZZ_SECONDS:-30}
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ \
  -DXIGRAD_FUZZ=ON -DXIGRAD_BUILD_TESTS=OFF -DXIGRAD_BUILD_BENCH=OFF \
  -DXIGRAD_BUILD_EXAMPLES=OFF >/dev/null
mapfile -t targets < <(cmake --build "$build" --target help |
  sed -n 's/^\(xigrad_[a-z_]*_fuzzer\):.*/\1/p')
[ ${#targets[@]} -gt 0 ] || { echo "no fuzz targets found"; exit 1; }
cmake --build "$build" -j "${JOBS:-$(nproc)}" --target "${targets[@]}"
for t in "${targets[@]}"; do
  exe=$(find "$build" -type f -name "$t" -perm -u+x | head -n 1)
  name=${t#xigrad_}
  name=${name%_fuzzer}
  corpus="$build/corpus/$name"
  mkdir -p "$corpus"
  seeds=()
  for d in cli/fuzz/corpus/"$name" models/fuzz/corpus/"$name"; do
    if [ -d "$d" ]; then seeds+=("$d"); fi
  done
  echo "-- $t for ${seconds}s"
  log="$build/$name.log"
  if "$exe" -max_total_time="$seconds" -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 "$corpus" "${seeds[@]}" >"$log" 2>&1; then
    tail -n 4 "$log"
  else
    cat "$log"
    echo "$t found a failure (the input is saved in the current folder as crash-*)"
    exit 1
  fi
done
