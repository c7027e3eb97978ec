#!/usr/bin/env bash
# A training loop on a quiet machine and beside another CPU-bound libtorch process, with the project's OpenMP
# wait policy and with libgomp's own default (threads spin up to 300,000 rounds at every barrier):
#   tools/bench/busy.sh [DEMO_DIR] [--steps S] [--batch B] [--out FILE]
# DEMO_DIR is a `regionclip demo` output (world/, teacher/teacher.pth, rpn/rpn.pth); without one, `demo --quick` makes it.
# Each run pretrains the demo's student for S steps of batch B with one process × all cores (first 2 steps untimed)
# and reports images/s; the competitor is Debian's python3 multiplying 1024² matrices on all cores for as long as the
# busy run lasts. Results go to FILE (default bench/results/busy.json). Start it on a quiet machine.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
dir=""; steps=12; batch=8; out="$root/bench/results/busy.json"
source "$root/tools/bench/demo_pretrain.sh"
demo_pretrain_args "$@"
cores=$(nproc)
work=$(mktemp -d)
competitor=""
trap '[ -n "$competitor" ] && kill "$competitor" 2> /dev/null; rm -rf "$work"' EXIT
demo_pretrain_ready
run() {  # NAME [ENV=VALUE ...]: images/s of the timed steps, one process on all cores, with the given environment
  local name=$1; shift
  (if [ $# -gt 0 ]; then export "$@"; fi; demo_pretrain_rate "$name" --threads "$cores")
}
busy() {  # NAME [ENV=VALUE ...]: run NAME beside the competitor
  /usr/bin/python3 -c "
import torch
torch.set_num_threads($cores)
a = torch.randn(1024, 1024)
while True:
    a = torch.tanh(a @ a)" &
  competitor=$!
  sleep 3
  run "$@"
  kill "$competitor"; wait "$competitor" 2> /dev/null || true; competitor=""
}
"$root/regionclip" --help > /dev/null   # build first: the build must not share the timed runs' cores
load=$(cut -d' ' -f1 /proc/loadavg)
quiet=$(run quiet)
loaded=$(busy busy)
quiet_default=$(run quiet_default GOMP_SPINCOUNT=300000)
loaded_default=$(busy busy_default GOMP_SPINCOUNT=300000)
ratio() { python3 -c "print(round($1 / $2, 3))"; }
cat > "$out" <<JSON
{
  "what": "pretraining steps on the demo world (batch $batch, $steps steps, first 2 untimed, 1 process x $cores threads), images/s, quiet and beside a CPU-bound libtorch process using $cores threads",
  "cores": $cores, "loadBefore": $load,
  "project": {"quiet": $quiet, "busy": $loaded, "busyOverQuiet": $(ratio "$loaded" "$quiet")},
  "libgompDefault": {"setting": "GOMP_SPINCOUNT=300000", "quiet": $quiet_default, "busy": $loaded_default, "busyOverQuiet": $(ratio "$loaded_default" "$quiet_default")}
}
JSON
cat "$out"
