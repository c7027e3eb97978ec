#!/usr/bin/env python3
"""Writes the evaluation benchmark's data: COCO-format ground truth and COCO results at COCO val scale.

Defaults: 5,000 images of 640x480, 7 ground-truth boxes and 100 detections per image, over COCO's 80
categories (real ids and names, so --split coco-ovd applies). Boxes are uniformly random (two uniform x and
two uniform y per box), scores uniform in [0, 1). Python's standard library only; the same seed gives the same
files byte for byte.

    python3 tools/bench/eval/make_data.py --out build/bench/eval
"""
import argparse
import json
import os
import random

COCO80 = [
    (1, "person"), (2, "bicycle"), (3, "car"), (4, "motorcycle"), (5, "airplane"), (6, "bus"), (7, "train"),
    (8, "truck"), (9, "boat"), (10, "traffic light"), (11, "fire hydrant"), (13, "stop sign"),
    (14, "parking meter"), (15, "bench"), (16, "bird"), (17, "cat"), (18, "dog"), (19, "horse"), (20, "sheep"),
    (21, "cow"), (22, "elephant"), (23, "bear"), (24, "zebra"), (25, "giraffe"), (27, "backpack"),
    (28, "umbrella"), (31, "handbag"), (32, "tie"), (33, "suitcase"), (34, "frisbee"), (35, "skis"),
    (36, "snowboard"), (37, "sports ball"), (38, "kite"), (39, "baseball bat"), (40, "baseball glove"),
    (41, "skateboard"), (42, "surfboard"), (43, "tennis racket"), (44, "bottle"), (46, "wine glass"),
    (47, "cup"), (48, "fork"), (49, "knife"), (50, "spoon"), (51, "bowl"), (52, "banana"), (53, "apple"),
    (54, "sandwich"), (55, "orange"), (56, "broccoli"), (57, "carrot"), (58, "hot dog"), (59, "pizza"),
    (60, "donut"), (61, "cake"), (62, "chair"), (63, "couch"), (64, "potted plant"), (65, "bed"),
    (67, "dining table"), (70, "toilet"), (72, "tv"), (73, "laptop"), (74, "mouse"), (75, "remote"),
    (76, "keyboard"), (77, "cell phone"), (78, "microwave"), (79, "oven"), (80, "toaster"), (81, "sink"),
    (82, "refrigerator"), (84, "book"), (85, "clock"), (86, "vase"), (87, "scissors"), (88, "teddy bear"),
    (89, "hair drier"), (90, "toothbrush"),
]


def random_box(rng, width, height):
    x0, x1 = sorted((rng.uniform(0, width), rng.uniform(0, width)))
    y0, y1 = sorted((rng.uniform(0, height), rng.uniform(0, height)))
    return [x0, y0, x1 - x0, y1 - y0]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True, help="folder for gt.json and dt.json")
    ap.add_argument("--images", type=int, default=5000)
    ap.add_argument("--width", type=int, default=640)
    ap.add_argument("--height", type=int, default=480)
    ap.add_argument("--gt-per-image", type=int, default=7)
    ap.add_argument("--dets-per-image", type=int, default=100)
    ap.add_argument("--categories", type=int, default=80, help="the first N of COCO's 80")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    rng = random.Random(args.seed)
    categories = COCO80[: args.categories]
    images, annotations, results = [], [], []
    for i in range(1, args.images + 1):
        images.append({"id": i, "file_name": f"{i:012d}.jpg", "width": args.width, "height": args.height})
        for _ in range(args.gt_per_image):
            box = random_box(rng, args.width, args.height)
            annotations.append({"id": len(annotations) + 1, "image_id": i, "category_id": rng.choice(categories)[0],
                                "bbox": box, "area": box[2] * box[3], "iscrowd": 0})
        for _ in range(args.dets_per_image):
            results.append({"image_id": i, "category_id": rng.choice(categories)[0],
                            "bbox": random_box(rng, args.width, args.height), "score": rng.random()})

    os.makedirs(args.out, exist_ok=True)
    gt = {"images": images, "annotations": annotations,
          "categories": [{"id": c, "name": n, "supercategory": ""} for c, n in categories]}
    with open(os.path.join(args.out, "gt.json"), "w") as f:
        json.dump(gt, f)
    with open(os.path.join(args.out, "dt.json"), "w") as f:
        json.dump(results, f)
    print(f"{args.out}: {len(images)} images, {len(annotations)} boxes, {len(results)} detections")


if __name__ == "__main__":
    main()
