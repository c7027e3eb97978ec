#!/usr/bin/env bash
# Builds the C# benchmark (Release) and runs it against PyTorch on the same machine:
#   tools/bench/run.sh [--threads N] [--rounds R] [--quick] [--smoke] [--only GROUP[,GROUP…]] [--out FILE]
# Groups: ops, resnet, clip, regions, detect, boxes, coldstart, pretrain, train (all by default); e.g. the transfer-learning step:
#   tools/bench/run.sh --only train --rounds 2 --out bench/results/train.json
# (--smoke: the train group at 224x320 with 64 RoIs per image, a quick harness check, not a measurement).
# Prints the table (PyTorch, C#, ratio per case) and writes bench/results/latest.json.
# Weights and inputs go to build/bench/ (ignored by git). Run it on a quiet machine: with
# OpenMP, other busy processes on the same cores distort the timings of both sides.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
if ! /usr/bin/python3 -c 'import torch, torchvision' 2>/dev/null; then
  echo "error: /usr/bin/python3 lacks torch/torchvision (apt install python3-torch python3-torchvision)" >&2
  exit 1
fi
slot="${RC_BUILD_SLOT:-bench}"   # the build slot: its own bin/obj under build/dotnet-$slot
RC_BUILD_SLOT="$slot" dotnet build bench/RegionClip.Bench/RegionClip.Bench.csproj -c Release --nologo -v q -clp:ErrorsOnly
exec dotnet "build/dotnet-$slot/bin/RegionClip.Bench/Release/net10.0/RegionClip.Bench.dll" bench "$@"
