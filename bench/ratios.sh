#!/usr/bin/env bash
# Runs xigrad_bench (it builds nothing) and prints the figures that count, each a ratio of an
# engine workload to its reference measured in the same process, from the medians of the
# repetitions, with its target and a PASS / MISS verdict.
#
#   bench/ratios.sh [--strict] [BINARY] [-- EXTRA BENCHMARK ARGS...]
#
#   BINARY                      default build/bench/xigrad_bench
#   --strict                    exit 1 when a figure misses its target or a benchmark failed
#                               (default: always exit 0; benchmarks report, they do not gate)
#   XIGRAD_BENCH_REPS=N         repetitions (default 5; 1 for a quick look)
#   XIGRAD_BENCH_MIN_TIME=S     minimum seconds per repetition (default: Google Benchmark's 0.5)
#   XIGRAD_BENCH_FILTER=REGEX   run only matching benchmarks (default: all)
#   XIGRAD_BENCH_TIME=cpu|real  which time the ratios use (default cpu: on a shared machine it
#                               is less disturbed by other processes than wall-clock time)
#   XIGRAD_BENCH_JSON=FILE      also keep the raw JSON there
#   XIGRAD_BENCH_INTERLEAVE=0   run each benchmark's repetitions back to back (default: all
#                               repetitions in random order, --benchmark_enable_random_interleaving)
#
# Quick run: XIGRAD_BENCH_REPS=1 XIGRAD_BENCH_MIN_TIME=0.1 bench/ratios.sh
set -euo pipefail

strict=0
binary=""
extra=()
while (($#)); do
  case "$1" in
    --strict) strict=1 ;;
    --) shift; extra=("$@"); break ;;
    -h|--help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) binary="$1" ;;
  esac
  shift
done
binary="${binary:-build/bench/xigrad_bench}"
if [[ ! -x "$binary" ]]; then
  echo "ratios.sh: no benchmark binary at '$binary' (build the xigrad_bench target first)" >&2
  exit 2
fi

reps="${XIGRAD_BENCH_REPS:-5}"
args=(--benchmark_format=json --benchmark_repetitions="$reps")
if ((reps > 1)); then
  args+=(--benchmark_report_aggregates_only=true)
  # Repetitions of all benchmarks in random order, so that a change in the machine's speed
  # while it runs (a neighbour, the clock) falls on both sides of each ratio alike.
  if [[ "${XIGRAD_BENCH_INTERLEAVE:-1}" != 0 ]]; then
    args+=(--benchmark_enable_random_interleaving=true)
  fi
fi
if [[ -n "${XIGRAD_BENCH_MIN_TIME:-}" ]]; then args+=(--benchmark_min_time="$XIGRAD_BENCH_MIN_TIME"); fi
if [[ -n "${XIGRAD_BENCH_FILTER:-}" ]]; then args+=(--benchmark_filter="$XIGRAD_BENCH_FILTER"); fi

json="$(mktemp "${TMPDIR:-/tmp}/xigrad_bench.XXXXXX.json")"
trap 'rm -f "$json"' EXIT
echo "running $binary ${args[*]} ${extra[*]:-}" >&2
"$binary" "${args[@]}" "${extra[@]}" >"$json"
if [[ -n "${XIGRAD_BENCH_JSON:-}" ]]; then cp "$json" "$XIGRAD_BENCH_JSON"; fi

XIGRAD_BENCH_TIME="${XIGRAD_BENCH_TIME:-cpu}" python3 - "$json" "$strict" <<'PY'
import json, os, statistics, sys

path, strict = sys.argv[1], sys.argv[2] == "1"
field = "real_time" if os.environ.get("XIGRAD_BENCH_TIME") == "real" else "cpu_time"
to_ns = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}

with open(path) as f:
    doc = json.load(f)

medians, samples, errors, counters = {}, {}, {}, {}
for b in doc.get("benchmarks", []):
    name = b.get("run_name", b["name"])
    if b.get("error_occurred"):
        errors[name] = b.get("error_message", "error")
        continue
    if b.get("run_type") == "aggregate":
        if b.get("aggregate_name") == "median":
            medians[name] = b[field] * to_ns[b.get("time_unit", "ns")]
            counters[name] = b
    else:  # single repetition: no aggregates are reported
        samples.setdefault(name, []).append(b[field] * to_ns[b.get("time_unit", "ns")])
        counters.setdefault(name, b)
for name, xs in samples.items():
    medians.setdefault(name, statistics.median(xs))

def ratio(num, den):
    for n in (num, den):
        if n in errors:
            return None, f"{n}: {errors[n]}"
    if num not in medians or den not in medians:
        return None, "absent"
    return medians[num] / medians[den], None

def counter(run, key):
    if run in errors:
        return None, f"{run}: {errors[run]}"
    if run not in counters or key not in counters[run]:
        return None, "absent"
    return counters[run][key], None

# (figure, value, target or None, optional: skip silently when absent)
rows = [
    ("scalar_logistic gradient/primal (statement)", ratio("scalar_logistic/gradient_statement", "scalar_logistic/primal"), 4.0, False),
    ("scalar_logistic gradient/primal (operation)", ratio("scalar_logistic/gradient", "scalar_logistic/primal"), None, False),
    ("scalar_logistic gradient_lean/primal (op.)", ratio("scalar_logistic/gradient_lean", "scalar_logistic/primal"), None, False),
    ("scalar_logistic bytes/operand (statement)", counter("scalar_logistic/gradient_statement", "bytes_per_operand"), 16.0, False),
    ("scalar_logistic bytes/operand (operation)", counter("scalar_logistic/gradient", "bytes_per_operand"), None, False),
    ("scalar_logistic bytes/operand (op., lean)", counter("scalar_logistic/gradient_lean", "bytes_per_operand"), None, False),
    ("scalar_logistic hand/primal", ratio("scalar_logistic/hand", "scalar_logistic/primal"), None, False),
    ("tensor_logistic gradient/hand", ratio("tensor_logistic/gradient", "tensor_logistic/hand"), 1.25, False),
    ("mlp_step gradient/hand", ratio("mlp_step/gradient", "mlp_step/hand"), 1.25, False),
    ("hessian_logistic engine/hand", ratio("hessian_logistic/engine", "hessian_logistic/hand"), 3.0, False),
    ("adam_step optimizer/fused", ratio("adam_step/optimizer", "adam_step/fused"), 1.5, True),
]

failed = False
print(f"{'figure':<42} {'value':>8} {'target':>8}  verdict   (medians of {field})")
for label, (value, problem), target, optional in rows:
    if value is None:
        if problem == "absent":
            if not optional:
                print(f"{label:<42} {'-':>8} {'':>8}  absent")
            continue
        print(f"{label:<42} {'-':>8} {'':>8}  ERROR     {problem}")
        failed = True
        continue
    if target is None:
        print(f"{label:<42} {value:>8.3f} {'':>8}  info")
        continue
    ok = value <= target
    failed |= not ok
    print(f"{label:<42} {value:>8.3f} {'<= ' + format(target, 'g'):>8}  {'PASS' if ok else 'MISS'}")

print()
print("medians (ms):")
for name in sorted(medians):
    print(f"  {name:<40} {medians[name] / 1e6:10.3f}")
for name in sorted(errors):
    print(f"  {name:<40} ERROR: {errors[name]}")
sys.exit(1 if (strict and failed) else 0)
PY
