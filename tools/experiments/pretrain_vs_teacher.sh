#!/usr/bin/env bash
# Pretrains a RegionCLIP student from a demo's CLIP teacher and compares both zero-shot on the demo's val world.
#   tools/experiments/pretrain_vs_teacher.sh DEMO_DIR NAME [--set section.field=value ...]
# DEMO_DIR is a `regionclip demo` output (world/, teacher/teacher.pth, rpn/rpn.pth). Writes DEMO_DIR/concepts.txt
# (nouns of the train captions), DEMO_DIR/NAME/ (pretraining), DEMO_DIR/eval_teacher.json and DEMO_DIR/eval_NAME.json.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
dir=$1; name=$2; shift 2
rc() { "${RC:-$root/regionclip}" --threads "${THREADS:-1}" "$@"; }
[ -f "$dir/concepts.txt" ] || rc concepts --captions "$dir/world/captions_train.json" --out "$dir/concepts.txt" --min-count 5 > /dev/null
[ -f "$dir/eval_teacher.json" ] || rc evaluate-zero-shot --world "$dir/world" --model "$dir/teacher/teacher.pth" --rpn "$dir/rpn/rpn.pth" --out "$dir/eval_teacher.json"
rc pretrain --config "$root/tools/experiments/pretrain_demo_world.yaml" --out "$dir/$name" \
  --set model.teacher="$dir/teacher/teacher.pth" --set model.vocabulary="$dir/world/bpe_world.txt" \
  --set data.captions="$dir/world/captions_train.json" --set regions.rpn="$dir/rpn/rpn.pth" --set concepts.student="$dir/concepts.txt" "$@" > /dev/null
rc evaluate-zero-shot --world "$dir/world" --model "$dir/$name/model_final.pth" --rpn "$dir/rpn/rpn.pth" --out "$dir/eval_$name.json"
python3 - "$dir/eval_teacher.json" "$dir/eval_$name.json" <<'PY'
import json, sys
t, s = [json.loads(open(p).read().replace('"aP50', '"AP50')) for p in sys.argv[1:3]]  # older builds wrote aP50_*
for k in ("gt", "rpn"):
    print(f"{k:4} AP50 " + "  ".join(f"{m[5:]}: teacher {100 * t[k][m]:.1f} student {100 * s[k][m]:.1f}" for m in ("AP50_novel", "AP50_base", "AP50_all")))
print("GT top-1 " + "  ".join(f"{m}: teacher {100 * t['regionTop1'][m]:.1f} student {100 * s['regionTop1'][m]:.1f}" for m in ("novel", "base", "all")))
PY
