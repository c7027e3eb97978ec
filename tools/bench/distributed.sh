#!/usr/bin/env bash
# Data-parallel pretraining throughput: 1 process × T threads against N processes × T/N threads on this machine.
#   tools/bench/distributed.sh [DEMO_DIR] [--steps S] [--batch B] [--nproc N] [--out FILE]
# DEMO_DIR is a `regionclip demo` output (world/, teacher/teacher.pth, rpn/rpn.pth); without one, `demo --quick` makes it.
# Each setting pretrains the demo's student for S steps of a global batch B from the same seed (the first two steps,
# warm-up, are not timed) and reports images/s; results go to FILE (default bench/results/distributed.json).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
dir=""; steps=12; batch=8; nproc=2; out="$root/bench/results/distributed.json"
while [ $# -gt 0 ]; do
  case "$1" in
    --steps) steps=$2; shift 2 ;;
    --batch) batch=$2; shift 2 ;;
    --nproc) nproc=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    *) dir=$1; shift ;;
  esac
done
cores=$(nproc)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if [ -z "$dir" ]; then dir="$work/demo"; "$root/regionclip" demo --quick --out "$dir" > /dev/null; fi
[ -f "$dir/concepts.txt" ] || "$root/regionclip" concepts --captions "$dir/world/captions_train.json" --out "$dir/concepts.txt" --min-count 5 > /dev/null
run() {  # NAME ARGS...: prints images/s of the timed steps
  local name=$1; shift
  "$root/regionclip" pretrain --config "$root/tools/experiments/pretrain_demo_world.yaml" --out "$work/$name" \
    --set model.teacher="$dir/teacher/teacher.pth" --set model.vocabulary="$dir/world/bpe_world.txt" \
    --set data.captions="$dir/world/captions_train.json" --set regions.rpn="$dir/rpn/rpn.pth" --set concepts.student="$dir/concepts.txt" \
    --set solver.batch_size="$batch" --set solver.max_steps="$steps" --set solver.checkpoint_every=100000 "$@" > /dev/null 2> "$work/$name.err" \
    || { cat "$work/$name.err" >&2; exit 1; }
  python3 - "$work/$name/pretrain_log.jsonl" "$batch" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
timed = rows[2:]
seconds = timed[-1]["seconds"] - rows[1]["seconds"]
print(f"{len(timed) * int(sys.argv[2]) / seconds:.3f}")
PY
}
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
