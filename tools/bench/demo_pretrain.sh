# Shared by tools/bench/distributed.sh and busy.sh (sourced, not run): the demo-world pretraining they time.
# Expects root (the repository) and work (a scratch folder).

# demo_pretrain_args "$@": sets dir, steps, batch, nproc and out from [DEMO_DIR] [--steps S] [--batch B] [--nproc N] [--out FILE].
demo_pretrain_args() {
  while [ $# -gt 0 ]; do
    case "$1" in
      --steps) steps=$2; shift 2 ;;
      --batch) batch=$2; shift 2 ;;
      --nproc) nproc=$2; shift 2 ;;
      --out) out=$2; shift 2 ;;
      *) dir=$1; shift ;;
    esac
  done
}

# demo_pretrain_ready: makes a quick demo when no DEMO_DIR was given, and its concept pool when missing.
demo_pretrain_ready() {
  if [ -z "$dir" ]; then dir="$work/demo"; "$root/regionclip" demo --quick --out "$dir" > /dev/null; fi
  [ -f "$dir/concepts.txt" ] || "$root/regionclip" concepts --captions "$dir/world/captions_train.json" --out "$dir/concepts.txt" --min-count 5 > /dev/null
}

# demo_pretrain_rate NAME [pretrain options...]: pretrains the demo's student for $steps steps of $batch images and
# prints the images/s of the steps after the first two.
demo_pretrain_rate() {
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
