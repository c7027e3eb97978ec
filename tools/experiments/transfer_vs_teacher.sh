#!/usr/bin/env bash
# Trains an open-vocabulary detector on a demo world's base boxes twice with one schedule, from the CLIP teacher and
# from a pretrained RegionCLIP student, and compares their novel / base / all AP50 on the val world.
#   tools/experiments/transfer_vs_teacher.sh DEMO_DIR STUDENT.pth NAME [--set section.field=value ...]
# DEMO_DIR is a `regionclip demo` output (world/, teacher/teacher.pth, rpn/rpn.pth); writes DEMO_DIR/transfer_NAME_{clip,regionclip}/.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
dir=$1; student=$2; name=$3; shift 3
rc() { "${RC:-$root/regionclip}" --threads "${THREADS:-1}" "$@"; }
for init in clip regionclip; do
  model="$dir/teacher/teacher.pth"; [ "$init" = regionclip ] && model="$student"
  [ -f "$dir/transfer_${name}_$init/train_result.json" ] || rc train --config "$root/tools/experiments/transfer_demo_world.yaml" \
    --set data.world="$dir/world" --set model.init="$model" --set regions.rpn="$dir/rpn/rpn.pth" "$@" --out "$dir/transfer_${name}_$init" > /dev/null
done
python3 - "$dir/transfer_${name}_clip/train_result.json" "$dir/transfer_${name}_regionclip/train_result.json" <<'PY'
import json, sys
c, r = [json.load(open(p))["evaluation"]["split"] for p in sys.argv[1:3]]
print("transfer AP50 " + "  ".join(f"{k[5:]}: CLIP init {100 * c[k]:.1f} RegionCLIP init {100 * r[k]:.1f}" for k in ("AP50_novel", "AP50_base", "AP50_all")))
PY
