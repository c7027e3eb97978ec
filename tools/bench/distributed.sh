#!/usr/bin/env bash
# Data-parallel pretraining throughput: 1 process × T threads against N processes × T/N threads on this machine.
#   tools/bench/distributed.sh [DEMO_DIR] [--steps S] [--batch B] [--nproc N] [--out FILE]
# DEMO_DIR is a `regionclip demo` output (world/, teacher/teacher.pth, rpn/rpn.pth); without one, `demo --quick` makes it.
# Each setting pretrains the demo's student for S steps of a global batch B from the same seed (the first two steps,
# warm-up, are not timed) and reports images/s; results go to FILE (default bench/results/distributed.json).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
dir=""; steps=12; batch=8; nproc=2; out="$root/bench/results/distributed.json"
source "$root/tools/bench/demo_pretrain.sh"
demo_pretrain_args "$@"
cores=$(nproc)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
demo_pretrain_ready
run() { demo_pretrain_rate "$@"; }   # NAME [pretrain options]: images/s of the timed steps
load=$(cut -d' ' -f1 /proc/loadavg)
single=$(run single --threads "$cores")
multi=$(run multi --nproc-per-node "$nproc" --threads $((cores / nproc > 0 ? cores / nproc : 1)))
cat > "$out" <<JSON
{
  "what": "pretraining steps on the demo world (global batch $batch, $steps steps, first 2 untimed), images/s",
  "cores": $cores, "loadBefore": $load,
  "oneProcess": {"processes": 1, "threadsEach": $cores, "imagesPerSecond": $single},
  "dataParallel": {"processes": $nproc, "threadsEach": $((cores / nproc > 0 ? cores / nproc : 1)), "imagesPerSecond": $multi},
  "ratio": $(python3 -c "print(round($multi / $single, 3))")
}
JSON
cat "$out"
