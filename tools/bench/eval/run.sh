#!/usr/bin/env bash
# Evaluation benchmark: the whole `regionclip evaluate` command (process start, reading both JSON files,
# matching, accumulation, output) at COCO val scale. See bench/README.md, "Evaluation benchmark".
#
#   tools/bench/eval/run.sh            # 5 runs; data generated once into build/bench/eval
#   RUNS=1 tools/bench/eval/run.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/../../.." && pwd)
data=${DATA:-$root/build/bench/eval}
slot=${RC_BUILD_SLOT:-bench}
runs=${RUNS:-5}

if [ ! -f "$data/dt.json" ]; then
    python3 "$root/tools/bench/eval/make_data.py" --out "$data"
fi
RC_BUILD_SLOT=$slot dotnet build "$root/src/RegionClip.Cli" -c Release -v q --nologo > "$data/build.log" 2>&1 \
    || { cat "$data/build.log"; exit 1; }
dll=$root/build/dotnet-$slot/bin/RegionClip.Cli/Release/net10.0/RegionClip.Cli.dll

echo "evaluate: $(du -h "$data/gt.json" | cut -f1) ground truth, $(du -h "$data/dt.json" | cut -f1) detections; $(nproc) cores"
for i in $(seq "$runs"); do
    # GNU time writes after the command's own stderr (the table), so its line is the last one.
    /usr/bin/time -f "run $i: %e s wall, %U s user, %S s sys, %M KB peak RSS" \
        dotnet "$dll" evaluate --gt "$data/gt.json" --dt "$data/dt.json" --out "$data/eval.json" 2>&1 >/dev/null | tail -n 1
done
echo "numbers: $(cat "$data/eval.json")"
