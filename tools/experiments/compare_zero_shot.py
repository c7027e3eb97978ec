#!/usr/bin/env python3
"""Per-category region top-1 of several `evaluate-zero-shot` JSON files against the first (the teacher).

    tools/experiments/compare_zero_shot.py DEMO/eval_teacher.json DEMO/eval_A.json [DEMO/eval_B.json ...]

One row per category (novel first): its boxes, the teacher's correct count and most common mistake, then for
each other file its correct count, the change against the teacher and its most common mistake; last, top-1 and
GT-box AP50 over novel / base / all. Standard library only.
"""
import json
import os
import sys


def load(path):
    with open(path) as f:
        return json.load(f)


def main(paths):
    if len(paths) < 2:
        sys.exit(__doc__)
    teacher, others = load(paths[0]), [load(p) for p in paths[1:]]
    names = [os.path.splitext(os.path.basename(p))[0].removeprefix("eval_")[:14] for p in paths[1:]]
    print(f"{'category':15} N boxes teacher {'':10}" + "".join(f" {n:>18}" for n in names))
    per = [{c["name"]: c for c in o["regionTop1"]["perCategory"]} for o in others]
    for c in sorted(teacher["regionTop1"]["perCategory"], key=lambda c: (not c["novel"], c["name"])):
        row = f"{c['name']:15} {'N' if c['novel'] else ' '} {c['boxes']:5} {c['correct']:7} {str(c['commonMistake'])[:10]:10}"
        for p in per:
            s = p[c["name"]]
            row += f" {s['correct']:4} ({s['correct'] - c['correct']:+3}) {str(s['commonMistake'])[:7]:7}"
        print(row)
    for split in ("novel", "base", "all"):
        top1 = " ".join(f"{100 * o['regionTop1'][split]:5.1f}" for o in others)
        ap50 = " ".join(f"{100 * o['gt']['AP50_' + split]:5.1f}" for o in others)
        print(f"{split:5} top-1 teacher {100 * teacher['regionTop1'][split]:5.1f} others {top1}   "
              f"GT AP50 teacher {100 * teacher['gt']['AP50_' + split]:5.1f} others {ap50}")


if __name__ == "__main__":
    main(sys.argv[1:])
