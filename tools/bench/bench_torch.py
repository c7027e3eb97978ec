#!/usr/bin/python3
"""PyTorch side of the RegionCLIP-for-.NET benchmark (run with Debian's /usr/bin/python3, torch 1.13).

  /usr/bin/python3 tools/bench/bench_torch.py --prepare-only --data build/bench
      writes resnet50.pt (torchvision ResNet-50 state dict, seeded), inputs.pt {x224, x800} and
      outputs.pt {y224, y800} (PyTorch's logits, for the C# parity check)
  /usr/bin/python3 tools/bench/bench_torch.py --threads 2 --data build/bench --json build/bench/pytorch.json
      loads them (preparing first if missing), checks the logits once, times the cases, writes JSON

Cases (batch 1, float32, eval, all under torch.inference_mode()); bench/RegionClip.Bench mirrors
them one for one, with the same repetitions and warm-up:
  add_1elem      a + b on two 1-element tensors        (µs per call; median of repeats of N calls)
  relu_1x1       F.relu on a 1x1 tensor                 (µs per call)
  resnet50_224   ResNet-50 forward, 1x3x224x224         (ms per forward, median)
  resnet50_800   ResNet-50 forward, 1x3x800x1216        (ms per forward, median)
  clip_image_b1  CLIP RN50 encode_image, 1x3x224x224    (ms per call, median)
  clip_image_b32 CLIP RN50 encode_image, 32x3x224x224   (ms per call)
  clip_text_b81  CLIP RN50 encode_text, 81x77 tokens    (ms per call; one class's 81 prompts)
  region_300     RegionCLIP region features: CLIP RN50 res4 of a 1x3x800x1216 image, roi_align (aligned,
                 adaptive, 14x14) of 300 boxes, layer4 + attnpool   (ms per image)
  crop_clip_300  crop-then-CLIP for the same 300 boxes: each box cropped from the image tensor, resized
                 to 224x224 (bilinear), encode_image in batches of 32 (ms per image)
  detect_image   the whole zero-shot detection of one 800x1216 RGB uint8 image (tools/bench/detect_reference.py,
                 RegionCLIP's zero-shot inference): resize + CLIP normalisation, a random R50-FPN offline RPN (1000 proposals, NMS 0.9),
                 CLIP RN50 res4 -> roi_align -> res5 -> attnpool, 1203 random unit-norm concepts, fusion with
                 the raw objectness, per-class NMS 0.5, score > 0.02, top 300 (ms per image)
  detect_prepare, detect_rpn, detect_regions, detect_classify
                 the same pipeline's stages, from separate staged passes (ms)
  boxes_8x300    the same detection among given boxes (GT mode, user boxes; detect_reference.detect_in_boxes): 8 RGB
                 images of 800x1216 with 300 boxes each, 1203 concepts, no objectness, one image per call (ms for all 8)
  boxes_prepare, boxes_regions, boxes_classify
                 its stages summed over the 8 images, from a separate staged pass (ms)
  coldstart_process  one process from spawn to exit detecting among 30 boxes of one 800x1216 JPEG with 20 precomputed
                 concepts, as a user's first call: `detect_reference.py` here, `./regionclip detect --boxes --concepts`
                 in C# (ms; one untimed process first, so the files are in the page cache)
  coldstart_warm the same call in a warm process: decode, detect (ms)
  pretrain_step  one RegionCLIP pretraining step (PretrainFastRCNN in training, tools/fixtures/pretrain_reference.py):
                 student and teacher CLIP RN50 visual towers with FrozenBatchNorm, the frozen RN50 text tower,
                 2 images of 800x1216, 100 regions + 1 global box per image, 4764 concepts, one caption per
                 image; the three losses, backward, per-tensor clipping to 5.0, SGD (s per step, median of the
                 timed steps after one warm-up step; each step trains on from the previous one)
  train_step     one RegionCLIP transfer-learning step (CLIPFastRCNN + CLIPRes5ROIHeads + FastRCNNOutputLayers in
                 training, tools/fixtures/train_reference.py; COCO preset): the batch as the DatasetMapper and
                 label_and_sample_proposals make it (2 PNGs of 800x1216 decoded and normalised, the base boxes,
                 512 RoIs per image from a proposals file with the ground truth appended), the RN50 visual tower
                 with FrozenBatchNorm (FREEZE_AT 2), RoIAlignV2 14x14, res5 + attnpool, the box predictor over 48
                 training classes, focal-scaled CE (gamma 0.5, background weight 0.2) + L1 box loss, backward,
                 SGD (lr 0.002, momentum 0.9, weight decay 1e-4, no clipping) (s per step, as pretrain_step)
The CLIP model is tools/fixtures/clip_reference.py (OpenAI's architecture and key names) with
RN50's shapes and seeded random weights, written to clip_rn50.pt with clip_io.pt (inputs and
reference embeddings). The detect group adds detect_rpn.pth (rpn_reference.py's R50-FPN with
rpn_lvis_866.pth's shapes, seeded, norms calibrated on the image as tools/fixtures/gen_rpn.py does) and
detect_io.pt (image, concepts, the reference's proposals and detections at the bench's thread count).
The boxes group adds boxes_io.pt (8 images, 300 boxes each, the concepts and the reference's detections per image),
the coldstart group coldstart/ (image.jpg, boxes.json, concepts.pt).
The pretrain group adds pretrain_student.pt (a second seeded RN50 CLIP, visual.* keys only; the teacher
and the text tower are clip_rn50.pt) and pretrain_io.pt (images, rois, global boxes, tokens, concepts and
the reference's step-1 losses at the bench's thread count).
The train group writes train/ (train_smoke/ with --smoke): init.pt (clip_rn50.pt's visual.* keys: the text
tower is not needed, the class embeddings are files), img0.png and img1.png (smooth synthetic 1216x800 RGB),
instances.json (COCO's 65 open-vocabulary categories with their real, non-contiguous ids; 6 base boxes and
1 novel box per image; split coco-ovd leaves 48 training classes), proposals.json (512 - 6 boxes per image in
original pixels: with the 6 ground-truth boxes appended, 512 RoIs of which 102 foreground, so nothing is
subsampled and both sides train on the same RoIs), train_concepts.pth [48, 1024], test_concepts.pth [65, 1024],
bbox_pred.pth (the official N(0, 0.001^2) start) and manifest.json (settings and the reference's step-1 losses
at the bench's thread count). --smoke makes the same at 224x320 with 64 RoIs per image (3 base boxes, 15
foreground) to check the harness quickly; its timings are no measurement.
Groups: ops, resnet, clip, regions, detect, boxes, coldstart, pretrain, train (--only takes a comma-separated list). The peak
resident memory of the process (ru_maxrss) is reported as peak_rss_mb.
"""
import argparse
import json
import os
import resource
import statistics
import sys
import time
from collections import OrderedDict


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--threads", type=int, default=os.cpu_count(), help="intra-op threads (default: cores)")
    p.add_argument("--data", default="build/bench", help="folder for weights, inputs and reference outputs")
    p.add_argument("--json", default=None, help="write results here (default: print them)")
    p.add_argument("--prepare-only", action="store_true", help="(re)write weights, inputs and outputs; time nothing")
    p.add_argument("--quick", action="store_true", help="fewer repetitions (smoke run)")
    p.add_argument("--only", default=None, help="groups of cases, comma-separated: ops, resnet, clip, regions, detect, boxes, coldstart, pretrain, train")
    p.add_argument("--smoke", action="store_true",
                   help="the train group at a reduced size (224x320, 64 RoIs per image): a harness check")
    return p.parse_args()


args = parse_args()
# OpenMP reads this once, when libtorch loads; the orchestrator sets it already.
os.environ.setdefault("OMP_NUM_THREADS", str(args.threads))

import torch  # noqa: E402  (after OMP_NUM_THREADS)
import torch.nn.functional as F  # noqa: E402
import torchvision  # noqa: E402

SIZES = {"224": (224, 224), "800": (800, 1216)}
GROUPS = ("ops", "resnet", "clip", "regions", "detect", "boxes", "coldstart", "pretrain", "train")
BASE_GROUPS = ("ops", "resnet", "clip", "regions")  # the groups whose data prepare_base() writes
BASE_FILES = ("resnet50.pt", "inputs.pt", "outputs.pt", "clip_rn50.pt", "clip_io.pt", "regions_io.pt")
DETECT_FILES = ("clip_rn50.pt", "detect_rpn.pth", "detect_io.pt")
BOXES_FILES = ("clip_rn50.pt", "boxes_io.pt")
COLDSTART_FILES = ("clip_rn50.pt", "coldstart/image.jpg", "coldstart/boxes.json", "coldstart/concepts.pt")
PRETRAIN_FILES = ("clip_rn50.pt", "pretrain_student.pt", "pretrain_io.pt")
TRAIN_FILES = ("init.pt", "img0.png", "img1.png", "instances.json", "proposals.json", "train_concepts.pth",
               "test_concepts.pth", "bbox_pred.pth", "manifest.json")  # in train_folder()
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "fixtures"))
sys.path.insert(0, os.path.join(HERE, "eval"))  # make_data.COCO80: COCO's category ids and names
sys.path.insert(0, HERE)


def groups():
    wanted = GROUPS if args.only is None else tuple(g.strip() for g in args.only.split(",") if g.strip())
    unknown = [g for g in wanted if g not in GROUPS]
    if unknown:
        sys.exit(f"error: unknown group(s) {', '.join(unknown)}; groups: {', '.join(GROUPS)}")
    return wanted


def wanted(group):
    return group in groups()


def needed_files():
    files = set()
    if any(wanted(g) for g in BASE_GROUPS):
        files.update(BASE_FILES)
    if wanted("detect"):
        files.update(DETECT_FILES)
    if wanted("boxes"):
        files.update(BOXES_FILES)
    if wanted("coldstart"):
        files.update(COLDSTART_FILES)
    if wanted("pretrain"):
        files.update(PRETRAIN_FILES)
    if wanted("train"):
        files.update(os.path.join(os.path.basename(train_folder()), f) for f in TRAIN_FILES)
    return sorted(files)


def path(name):
    return os.path.join(args.data, name)


def prepare():
    """The data of the wanted groups; detect, pretrain and train reuse clip_rn50.pt when it exists (seeded: the same weights)."""
    os.makedirs(args.data, exist_ok=True)
    if any(wanted(g) for g in BASE_GROUPS):
        prepare_base()
    if any(wanted(g) for g in ("detect", "boxes", "coldstart", "pretrain", "train")) and not os.path.exists(path("clip_rn50.pt")):
        prepare_clip()
    if wanted("detect"):
        prepare_detect()
    if wanted("boxes"):
        prepare_boxes()
    if wanted("coldstart"):
        prepare_coldstart()
    if wanted("pretrain"):
        prepare_pretrain()
    if wanted("train"):
        prepare_train()
    print(f"wrote {', '.join(path(f) for f in needed_files())}", file=sys.stderr)


def prepare_base():
    """torchvision's ResNet-50 with seeded init; batch-norm statistics randomized so BN is no identity."""
    torch.manual_seed(0)
    model = torchvision.models.resnet50()
    g = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                n = m.num_features
                m.weight.copy_(torch.rand(n, generator=g) * 0.5 + 0.75)
                m.bias.copy_(torch.randn(n, generator=g) * 0.05)
                m.running_mean.copy_(torch.randn(n, generator=g) * 0.05)
                m.running_var.copy_(torch.rand(n, generator=g) * 0.5 + 0.75)
    model.eval()
    g = torch.Generator().manual_seed(2)
    inputs = {f"x{k}": torch.randn(1, 3, h, w, generator=g) for k, (h, w) in SIZES.items()}
    with torch.no_grad():
        outputs = {f"y{k}": model(inputs[f"x{k}"]) for k in SIZES}
    os.makedirs(args.data, exist_ok=True)
    torch.save(model.state_dict(), path("resnet50.pt"))
    torch.save(inputs, path("inputs.pt"))
    torch.save(outputs, path("outputs.pt"))
    prepare_clip()


def rn50_clip():
    from clip_reference import CLIP
    return CLIP(embed_dim=1024, image_resolution=224, vision_layers=(3, 4, 6, 3), vision_width=64, context_length=77,
                vocab_size=49408, transformer_width=512, transformer_heads=8, transformer_layers=12)


def prepare_clip():
    torch.manual_seed(3)
    clip = rn50_clip().eval()
    g = torch.Generator().manual_seed(4)
    with torch.no_grad():
        for m in clip.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_var.copy_(torch.rand(m.num_features, generator=g) * 0.5 + 0.75)
    images = torch.randn(32, 3, 224, 224, generator=g)
    text = torch.zeros(81, 77, dtype=torch.long)
    for i in range(81):
        n = 6 + i % 10  # prompt lengths like "a photo of a {}." with a one-word name
        text[i, 0] = 49406
        text[i, 1:n] = torch.randint(1, 49406, (n - 1,), generator=g)
        text[i, n] = 49407
    with torch.no_grad():
        io = {"images": images, "text": text, "image_emb": clip.encode_image(images), "text_emb": clip.encode_text(text)}
    torch.save(clip.state_dict(), path("clip_rn50.pt"))
    torch.save(io, path("clip_io.pt"))
    prepare_regions(clip, g)


def prepare_regions(clip, g):
    """300 random boxes (8 to 600 px a side) on an 800x1216 image and their region embeddings."""
    h, w = SIZES["800"]
    image = torch.randn(1, 3, h, w, generator=g)
    wh = 8 + torch.rand(300, 2, generator=g) * 592
    xy = torch.rand(300, 2, generator=g) * (torch.tensor([w, h]) - wh)
    boxes = torch.cat([xy, xy + wh], 1)
    with torch.no_grad():
        emb = region_features(clip, image, boxes)
    torch.save({"image": image, "boxes": boxes, "emb": emb}, path("regions_io.pt"))


def region_features(clip, image, boxes):
    from torchvision.ops import roi_align
    v = clip.visual
    res4 = v.layer3(v.layer2(v.layer1(v.stem(image))))
    pooled = roi_align(res4, [boxes], output_size=14, spatial_scale=1 / 16, sampling_ratio=0, aligned=True)
    return v.attnpool(v.layer4(pooled))


def load_clip():
    clip = rn50_clip()
    clip.load_state_dict(torch.load(path("clip_rn50.pt")))
    return clip.eval()


def load_rpn():
    from rpn_reference import ProposalNetwork
    rpn = ProposalNetwork("Fpn")
    rpn.load_state_dict(torch.load(path("detect_rpn.pth"))["model"])
    return rpn.eval()


def prepare_detect():
    """A random R50-FPN RPN with rpn_lvis_866.pth's shapes (norms calibrated on the image, head scaled, as
    gen_rpn.py's real-size check), clip_big.jpg resized to 800x1216, 1203 random unit-norm concepts, and
    the reference pipeline's proposals and detections."""
    import numpy as np
    from PIL import Image
    import detect_reference
    from gen_rpn import randomize
    from rpn_reference import ProposalNetwork
    h, w = SIZES["800"]
    picture = os.path.join(HERE, "..", "..", "tests", "fixtures", "images", "clip_big.jpg")
    image = torch.from_numpy(np.asarray(Image.open(picture).convert("RGB").resize((w, h), Image.BILINEAR)).copy())
    torch.manual_seed(5)
    rpn = ProposalNetwork("Fpn")
    randomize(rpn, [image], 55)
    rpn.eval()
    torch.save({"model": rpn.state_dict()}, path("detect_rpn.pth"))
    concepts = F.normalize(torch.randn(1203, 1024, generator=torch.Generator().manual_seed(6)), dim=1)
    clip = load_clip()
    trace = {}
    with torch.inference_mode():
        boxes, scores, classes = detect_reference.detect(clip, rpn, concepts, image, trace=trace)
    torch.save({"image": image, "concepts": concepts, "proposal_boxes": trace["proposal_boxes"],
                "proposal_logits": trace["proposal_logits"], "det_boxes": boxes, "det_scores": scores,
                "det_classes": classes}, path("detect_io.pt"))
    print(f"detect reference: {len(trace['proposal_logits'])} proposals "
          f"({int((trace['proposal_logits'] < 0).sum())} with a negative logit), {len(scores)} detections "
          f"in {len(classes.unique())} classes, scores {scores.min():.3f}..{scores.max():.3f}", file=sys.stderr)


DETECT_STAGES = ("prepare", "rpn", "regions", "classify")


BOXES = dict(images=8, boxes=300)
BOXES_STAGES = ("prepare", "regions", "classify")


def prepare_boxes():
    """Detection among given boxes: 8 RGB images of 800x1216 (clip_big.jpg turned by 0, 3, .., 21 degrees), 300 seeded
    boxes each (8 to 600 px a side, original pixels), detect's 1203 concepts, and the reference's detections."""
    import numpy as np
    from PIL import Image
    import detect_reference
    h, w = SIZES["800"]
    picture = Image.open(os.path.join(HERE, "..", "..", "tests", "fixtures", "images", "clip_big.jpg")).convert("RGB")
    picture = picture.resize((w, h), Image.BILINEAR)
    images = torch.stack([torch.from_numpy(np.asarray(picture.rotate(3 * i)).copy()) for i in range(BOXES["images"])])
    g = torch.Generator().manual_seed(7)
    wh = 8 + torch.rand(BOXES["images"], BOXES["boxes"], 2, generator=g) * 592
    xy = torch.rand(BOXES["images"], BOXES["boxes"], 2, generator=g) * (torch.tensor([w, h]) - wh)
    boxes = torch.cat([xy, xy + wh], 2)
    concepts = F.normalize(torch.randn(1203, 1024, generator=torch.Generator().manual_seed(6)), dim=1)
    clip = load_clip()
    io = {"images": images, "boxes": boxes, "concepts": concepts}
    with torch.inference_mode():
        for i in range(BOXES["images"]):
            io[f"det_boxes{i}"], io[f"det_scores{i}"], io[f"det_classes{i}"] = detect_reference.detect_in_boxes(
                clip, concepts, images[i], boxes[i])
    torch.save(io, path("boxes_io.pt"))


def boxes_cases(quick):
    """boxes_8x300 (whole passes over the 8 images, one image per call as the official test loader; the first pass is
    the warm-up) and boxes_<stage> (the stages' sums over the 8 images, from a separate staged pass)."""
    import detect_reference
    clip = load_clip()
    io = torch.load(path("boxes_io.pt"))
    images, boxes, concepts = io["images"], io["boxes"], io["concepts"]

    def run(stages=None):
        return [detect_reference.detect_in_boxes(clip, concepts, images[i], boxes[i], stages=stages) for i in range(len(images))]

    run()
    whole_repeats, staged_repeats = (1, 1) if args.quick else (2, 1)
    ms, faults = [], []
    for _ in range(whole_repeats):
        f0 = minor_faults()
        t0 = time.perf_counter()
        run()
        ms.append((time.perf_counter() - t0) * 1e3)
        faults.append(minor_faults() - f0)
    staged = {s: [] for s in BOXES_STAGES}
    for _ in range(staged_repeats):
        stages = {}
        run(stages=stages)
        for s in BOXES_STAGES:
            staged[s].append(stages[s] * 1e3)
    return [case("boxes_8x300", "ms", ms, faults)] + [case(f"boxes_{s}", "ms", staged[s]) for s in BOXES_STAGES]


def detect_cases(quick):
    """detect_image (whole passes) and detect_<stage> (staged passes), as DetectCases.cs; and the parity."""
    import detect_reference
    clip, rpn = load_clip(), load_rpn()
    io = torch.load(path("detect_io.pt"))
    image, concepts = io["image"], io["concepts"]

    def run(stages=None, trace=None):
        return detect_reference.detect(clip, rpn, concepts, image, stages=stages, trace=trace)

    first = run()  # the warm-up, and this process's determinism check
    whole_repeats, staged_repeats = (1, 1) if quick else (3, 2)
    ms, faults, cpu = [], [], []
    for _ in range(whole_repeats):
        f0, c0 = minor_faults(), time.process_time()
        t0 = time.perf_counter()
        run()  # the detections are freed before the clock stops, as in C#
        ms.append((time.perf_counter() - t0) * 1e3)
        cpu.append((time.process_time() - c0) * 1e3)
        faults.append(minor_faults() - f0)
    staged = {s: [] for s in DETECT_STAGES}
    trace = {}
    for r in range(staged_repeats):
        stages = {}
        run(stages=stages, trace=trace if r == 0 else None)
        for s in DETECT_STAGES:
            staged[s].append(stages[s] * 1e3)
    whole = case("detect_image", "ms", ms, faults)
    whole["cpu_ms"] = cpu  # CPU time of the process over each pass (all threads)
    cases = [whole] + [case(f"detect_{s}", "ms", staged[s]) for s in DETECT_STAGES]
    return cases, detect_parity(io, trace, first)


def match(expected, actual, box_tol, score_tol):
    """DetectParity.Match of DetectCases.cs: greedy, in reference order, the same rank tried first; each
    (boxes [N, 4], scores [N], classes [N]) row of `expected` paired with an unused row of `actual` of the
    same class, box within box_tol and score within score_tol(score). (matched, max box diff, max score diff)."""
    (eb, es, ec), (ab, as_, ac) = expected, actual
    used = torch.zeros(len(as_), dtype=torch.bool)
    matched, max_box, max_score = 0, 0.0, 0.0
    for i in range(len(es)):
        box = (ab - eb[i]).abs().amax(1) if len(as_) else torch.zeros(0)
        score = (as_.double() - float(es[i])).abs()
        ok = (~used) & (ac == ec[i]) & (box <= box_tol) & (score <= score_tol(float(es[i])))
        if not ok.any():
            continue
        j = i if i < len(as_) and ok[i] else int(ok.nonzero()[0, 0])
        used[j] = True
        matched += 1
        max_box, max_score = max(max_box, box[j].item()), max(max_score, score[j].item())
    return matched, (max_box if matched else None), (max_score if matched else None)


def detect_parity(io, trace, detections, top=100):
    """DetectParity.Compare of DetectCases.cs: proposals (logit within 1e-4) and the reference's top
    detections (same class, score within 1e-4, relative above 1) matched, boxes within 1e-4 of the extent."""
    box_tol = 1e-4 * max(io["image"].shape[:2])
    ref_logits, logits = io["proposal_logits"], trace["proposal_logits"]
    no_class = lambda n: torch.zeros(n, dtype=torch.long)  # noqa: E731
    p_matched, p_box, p_logit = match((io["proposal_boxes"], ref_logits, no_class(len(ref_logits))),
                                      (trace["proposal_boxes"], logits, no_class(len(logits))), box_tol, lambda s: 1e-4)
    boxes, scores, classes = detections
    ref_scores = io["det_scores"]
    compared = min(top, len(ref_scores))
    matched, box, score = match((io["det_boxes"][:compared], ref_scores[:compared], io["det_classes"][:compared]),
                                (boxes, scores, classes), box_tol, lambda s: 1e-4 * max(1.0, abs(s)))
    return {
        "proposals_reference": len(ref_logits), "proposals": len(logits), "proposals_matched": p_matched,
        "proposal_box_max_diff": p_box, "proposal_logit_max_diff": p_logit,
        "detections_reference": len(ref_scores), "detections": len(scores), "compared": compared, "matched": matched,
        "box_max_diff": box, "score_max_diff": score,
        "max_score_reference": ref_scores.max().item() if len(ref_scores) else 0.0,
    }


def prepare_coldstart():
    """One JPEG of 800x1216 (clip_big.jpg), 30 seeded boxes on it and 20 concept embeddings: a user's first call."""
    from PIL import Image
    h, w = SIZES["800"]
    os.makedirs(path("coldstart"), exist_ok=True)
    picture = Image.open(os.path.join(HERE, "..", "..", "tests", "fixtures", "images", "clip_big.jpg")).convert("RGB")
    picture.resize((w, h), Image.BILINEAR).save(path("coldstart/image.jpg"), quality=92)
    g = torch.Generator().manual_seed(8)
    wh = 16 + torch.rand(30, 2, generator=g) * 400
    xy = torch.rand(30, 2, generator=g) * (torch.tensor([w, h]) - wh)
    with open(path("coldstart/boxes.json"), "w") as f:
        json.dump({"image.jpg": torch.cat([xy, xy + wh], 1).tolist()}, f)
    torch.save(F.normalize(torch.randn(20, 1024, generator=g), dim=1), path("coldstart/concepts.pt"))


def coldstart_cases(quick):
    """coldstart_process: a fresh `detect_reference.py` process detecting among the 30 boxes, spawn to exit (one
    untimed process first, so the files are in the page cache); coldstart_warm: the same call's work in this warm
    process (decode, detect; the model and concepts already loaded)."""
    import subprocess
    import numpy as np
    from PIL import Image
    import detect_reference
    files = [path(f"coldstart/{f}") for f in ("image.jpg", "boxes.json", "concepts.pt")]
    command = [sys.executable, os.path.join(HERE, "detect_reference.py"), path("clip_rn50.pt"), *files, "--threads", str(args.threads)]
    repeats = 2 if quick else 3
    spawned = []
    for r in range(repeats + 1):
        t0 = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
        if r > 0:
            spawned.append((time.perf_counter() - t0) * 1e3)
    clip, concepts = load_clip(), torch.load(files[2])
    boxes = torch.tensor(json.load(open(files[1]))["image.jpg"])

    def call():
        rgb = torch.from_numpy(np.asarray(Image.open(files[0]).convert("RGB")).copy())
        return detect_reference.detect_in_boxes(clip, concepts, rgb, boxes)

    warm, _ = time_calls(call, repeats, 1)
    return [case("coldstart_process", "ms", spawned), case("coldstart_warm", "ms", warm)]


# ---- pretrain: one PretrainFastRCNN training step ------------------------------------------------

PRETRAIN = dict(images=2, regions=100, concepts=4764, caption_lengths=(12, 23), threshold=0.1, temperature=0.01,
                pooler=14, lr=0.002, momentum=0.9, weight_decay=1e-4, clip_norm=5.0)
PRETRAIN_LOSSES = ("loss_img_txt_level", "loss_region_distill", "loss_concept_contrastive")


def rn50_visual():
    from clip_reference import ModifiedResNet
    return ModifiedResNet((3, 4, 6, 3), 1024, 32, 224, 64)


def prepare_pretrain():
    """The student (a second seeded RN50 visual tower, BN variances randomised as prepare_clip does), the batch
    (2 normalised 800x1216 images, 100 random boxes of 8-600 px a side + the whole-image box per image, one
    random caption each), 4764 concepts, and the reference's losses for step 1."""
    torch.manual_seed(7)
    student = rn50_visual().eval()
    g = torch.Generator().manual_seed(8)
    with torch.no_grad():
        for m in student.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_var.copy_(torch.rand(m.num_features, generator=g) * 0.5 + 0.75)
    torch.save({"visual." + k: v for k, v in student.state_dict().items()}, path("pretrain_student.pt"))
    del student
    import pretrain_reference as R
    h, w = SIZES["800"]
    n, r = PRETRAIN["images"], PRETRAIN["regions"]
    images = torch.randn(n, 3, h, w, generator=g)
    boxes = []
    for _ in range(n):
        wh = 8 + torch.rand(r, 2, generator=g) * 592
        xy = torch.rand(r, 2, generator=g) * (torch.tensor([w, h]) - wh)
        boxes.append(torch.cat([xy, xy + wh], 1))
    tokens = torch.zeros(n, 77, dtype=torch.long)
    for i, length in enumerate(PRETRAIN["caption_lengths"]):
        tokens[i, 0] = 49406  # <|startoftext|>
        tokens[i, 1:length] = torch.randint(1, 49406, (length - 1,), generator=g)
        tokens[i, length] = 49407  # <|endoftext|>, the highest id: the argmax the text tower pools
    io = {"images": images, "rois": R.with_batch_index(boxes),
          "global_rois": torch.tensor([[float(i), 0.0, 0.0, float(w), float(h)] for i in range(n)]),
          "tokens": tokens, "concepts": torch.randn(PRETRAIN["concepts"], 1024, generator=g)}
    torch.save(io, path("pretrain_io.pt"))
    run = PretrainStep()
    losses, extras = run.step(keep_extras=True)
    for k in PRETRAIN_LOSSES:
        io[k] = torch.tensor(losses[k], dtype=torch.float64)
    io["kept_regions"] = torch.tensor(losses["kept_regions"])
    torch.save(io, path("pretrain_io.pt"))
    top = extras["teacher_probs"].max(dim=1).values
    logits = (R.normalize(extras["teacher"]) @ R.normalize(io["concepts"]).t() / PRETRAIN["temperature"]).sort(dim=1).values
    print(f"pretrain reference, step 1: {', '.join(f'{k} {losses[k]:.6f}' for k in PRETRAIN_LOSSES)}; kept "
          f"{losses['kept_regions']}/{len(top)} (teacher top p {float(top.min()):.4f}..{float(top.max()):.4f}, nearest "
          f"to the threshold by {float((top - PRETRAIN['threshold']).abs().min()):.2e}); smallest teacher top-two "
          f"logit gap {float((logits[:, -1] - logits[:, -2]).min()):.2e}; min student p "
          f"{float(extras['student_probs'].min()):.2e}", file=sys.stderr)


class PretrainStep:
    """RegionCLIP's PretrainFastRCNN training step (tools/fixtures/pretrain_reference.py) on the bench's data:
    student and teacher CLIP RN50 visual towers with detectron2's FrozenBatchNorm2d, the teacher file's text
    tower, FREEZE_AT 2 (layer2..layer4 and attnpool train), torch.optim.SGD, per-tensor clipping."""

    def __init__(self):
        import pretrain_reference as R
        self.R = R
        self.teacher = load_clip()  # visual tower and text tower: clip_rn50.pt
        R.freeze_bn(self.teacher.visual)
        self.teacher.requires_grad_(False)
        self.student = rn50_visual()
        state = torch.load(path("pretrain_student.pt"))
        self.student.load_state_dict({k[len("visual."):]: v for k, v in state.items()})
        R.freeze_bn(self.student.eval())
        self.params = [p for _, p in R.trainable_parameters(self.student)]
        self.optimizer = torch.optim.SGD(self.params, lr=PRETRAIN["lr"], momentum=PRETRAIN["momentum"],
                                         weight_decay=PRETRAIN["weight_decay"])
        self.io = torch.load(path("pretrain_io.pt"))

    def step(self, keep_extras=False):
        """zero_grad, forward, sum of the losses, backward, clipping, SGD step -> (loss values, extras or None)."""
        io, R = self.io, self.R
        self.optimizer.zero_grad()
        losses, extras = R.forward_losses(self.student, self.teacher.visual, self.teacher.encode_text, io["images"],
                                          io["rois"], io["global_rois"], io["tokens"], io["concepts"], io["concepts"],
                                          PRETRAIN["threshold"], PRETRAIN["pooler"], PRETRAIN["temperature"],
                                          PRETRAIN["temperature"])
        total = sum(losses.values())  # detectron2's SimpleTrainer: the sum of the loss dict
        total.backward()
        R.clip_per_parameter(self.params, PRETRAIN["clip_norm"])
        self.optimizer.step()
        values = {k: float(v.item()) for k, v in losses.items()}
        values["kept_regions"] = int(extras["keep"].sum())
        return values, (extras if keep_extras else None)


def pretrain_cases(quick):
    """pretrain_step (s per step: one warm-up step, then 1 or 3 timed steps, each from the state the previous left),
    the parity of step 1 against the prepared reference, and every step's losses."""
    run = PretrainStep()
    io = run.io
    steps = [run.step()[0]]  # step 1: the warm-up, and the parity check
    seconds, faults, cpu = [], [], []
    for _ in range(1 if quick else 3):
        f0, c0 = minor_faults(), time.process_time()
        t0 = time.perf_counter()
        steps.append(run.step()[0])  # everything the step made is freed before the clock stops, as in C#
        seconds.append(time.perf_counter() - t0)
        cpu.append((time.process_time() - c0) * 1e3)
        faults.append(minor_faults() - f0)
    first = steps[0]
    parity = {f"pretrain_{k}": {"max_abs_diff": abs(first[k] - float(io[k])), "max_abs_reference": abs(float(io[k]))}
              for k in PRETRAIN_LOSSES}
    parity["pretrain_kept_regions"] = {"max_abs_diff": abs(first["kept_regions"] - int(io["kept_regions"])),
                                       "max_abs_reference": int(io["kept_regions"])}
    c = case("pretrain_step", "s", seconds, faults)
    c["cpu_ms"] = cpu
    return [c], parity, {k: [s[k] for s in steps] for k in PRETRAIN_LOSSES + ("kept_regions",)}


# ---- train: one transfer-learning step (CLIPFastRCNN + CLIPRes5ROIHeads + FastRCNNOutputLayers) ----------

# The official COCO open-vocabulary transfer config (CLIP_fast_rcnn_R_50_C4_ovd.yaml) at a constant learning rate.
TRAIN = dict(images=2, max_size=1333, freeze_at=2, pooler=14, temperature=0.01, focal_gamma=0.5,
             bg_weight=0.2, iou_threshold=0.5, positive_fraction=0.25, lr=0.002, momentum=0.9, weight_decay=1e-4,
             train_classes=48, test_classes=65, embed_dim=1024)
# (height, width, RoIs per image, base boxes per image, foreground proposals per base box)
TRAIN_SIZES = {"full": (800, 1216, 512, 6, 16), "smoke": (224, 320, 64, 3, 4)}
TRAIN_LOSSES = ("loss_cls", "loss_box_reg")


def train_size():
    return "smoke" if args.smoke else "full"


def train_folder():
    return path("train_smoke" if args.smoke else "train")


def coco_ovd_categories():
    """COCO's 48 base + 17 novel categories (OVR-CNN's split, as OpenVocabularySplit.CocoOvd names them) with their
    real COCO ids (non-contiguous), ascending."""
    from make_data import COCO80
    base = ["person", "bicycle", "car", "motorcycle", "train", "truck", "boat", "bench", "bird", "horse", "sheep", "bear",
            "zebra", "giraffe", "backpack", "handbag", "suitcase", "frisbee", "skis", "kite", "surfboard", "bottle", "fork",
            "spoon", "bowl", "banana", "apple", "sandwich", "orange", "broccoli", "carrot", "pizza", "donut", "chair", "bed",
            "toilet", "tv", "laptop", "mouse", "remote", "microwave", "oven", "toaster", "refrigerator", "book", "clock",
            "vase", "toothbrush"]
    novel = ["airplane", "bus", "cat", "dog", "cow", "elephant", "umbrella", "tie", "snowboard", "skateboard", "cup", "knife",
             "cake", "couch", "keyboard", "sink", "scissors"]
    ids = {n: i for i, n in COCO80}
    assert len(base) == TRAIN["train_classes"] and len(base) + len(novel) == TRAIN["test_classes"]
    return sorted((ids[n], n) for n in base + novel), {ids[n] for n in base}


def train_boxes(width, height, rois, gt_count, fg_per_gt, g):
    """One image's annotations and proposals (0.25-px grid, inside the image): gt_count base boxes and one novel
    box (15-40 % of each side, pairwise IoU < 0.2), then rois - gt_count proposals: fg_per_gt boxes around each base
    box (IoU 0.55-0.95 with it, and its best match by more than 1e-3), two near misses per base box (IoU 0.3-0.45),
    the rest random (4-60 % of each side; best IoU with a base box < 0.45). With the base boxes appended there are
    exactly `rois` RoIs, gt_count * (fg_per_gt + 1) of them foreground, and no IoU within 0.05 of the threshold."""
    from train_reference import pairwise_iou

    def rnd():
        return float(torch.rand(1, generator=g, dtype=torch.float64))

    def snap(box):
        box = [round(v * 4) / 4 for v in box]
        box = [max(0.0, box[0]), max(0.0, box[1]), min(width - 0.25, box[2]), min(height - 0.25, box[3])]
        return box if box[2] - box[0] >= 4 and box[3] - box[1] >= 4 else None

    def iou(a, bs):
        return pairwise_iou(torch.tensor([a], dtype=torch.float64), torch.tensor(bs, dtype=torch.float64))[0]

    objects = []
    while len(objects) < gt_count + 1:
        bw, bh = width * (0.15 + 0.25 * rnd()), height * (0.15 + 0.25 * rnd())
        x1, y1 = (width - bw) * rnd(), (height - bh) * rnd()
        box = snap([x1, y1, x1 + bw, y1 + bh])
        if box is not None and (not objects or float(iou(box, objects).max()) < 0.2):
            objects.append(box)
    base, novel = objects[:gt_count], objects[gt_count]

    def around(gt, lo, hi, foreground):
        w, h = gt[2] - gt[0], gt[3] - gt[1]
        for _ in range(10000):
            cx = (gt[0] + gt[2]) / 2 + (rnd() - 0.5) * 0.4 * w
            cy = (gt[1] + gt[3]) / 2 + (rnd() - 0.5) * 0.4 * h
            bw, bh = w * (0.6 + 0.8 * rnd()), h * (0.6 + 0.8 * rnd())
            box = snap([cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2])
            if box is None:
                continue
            q = iou(box, base).sort(descending=True).values
            own = float(iou(box, [gt])[0])
            if not lo <= own <= hi:
                continue
            if foreground and float(q[0]) == own and (len(q) == 1 or float(q[0] - q[1]) > 1e-3):
                return box
            if not foreground and float(q[0]) < 0.45:
                return box
        raise AssertionError("no proposal in the IoU range")

    proposals = []
    for gt in base:
        proposals += [around(gt, 0.55, 0.95, True) for _ in range(fg_per_gt)]
        proposals += [around(gt, 0.3, 0.45, False) for _ in range(2)]
    while len(proposals) < rois - gt_count:
        bw, bh = width * (0.04 + 0.56 * rnd()), height * (0.04 + 0.56 * rnd())
        x1, y1 = (width - bw) * rnd(), (height - bh) * rnd()
        box = snap([x1, y1, x1 + bw, y1 + bh])
        if box is not None and float(iou(box, base).max()) < 0.45:
            proposals.append(box)
    perm = torch.randperm(len(proposals), generator=g).tolist()  # matched and unmatched boxes mixed
    proposals = [proposals[i] for i in perm]
    scores = [round(float(3 * torch.randn(1, generator=g)), 4) for _ in proposals]
    return base, novel, proposals, scores


def prepare_train():
    """Writes train_folder(): the init (clip_rn50.pt's visual tower), two images, their annotations and proposals,
    the class embeddings, bbox_pred's start and the manifest with the reference's step-1 losses."""
    from PIL import Image
    from gen_pretrain import make_image
    folder = train_folder()
    os.makedirs(folder, exist_ok=True)
    height, width, rois, gt_count, fg_per_gt = TRAIN_SIZES[train_size()]
    clip = torch.load(path("clip_rn50.pt"))
    torch.save(OrderedDict((k, v) for k, v in clip.items() if k.startswith("visual.")), os.path.join(folder, "init.pt"))
    del clip
    categories, base_ids = coco_ovd_categories()
    base_list = [(i, n) for i, n in categories if i in base_ids]
    novel_list = [(i, n) for i, n in categories if i not in base_ids]
    g = torch.Generator().manual_seed(9)
    images, annotations, proposals = [], [], OrderedDict()
    for k in range(TRAIN["images"]):
        name = f"img{k}.png"
        Image.fromarray(make_image(width, height, g).numpy(), "RGB").save(os.path.join(folder, name))
        images.append(OrderedDict(id=k + 1, file_name=name, width=width, height=height))
        base, novel, boxes, scores = train_boxes(width, height, rois, gt_count, fg_per_gt, g)
        picks = torch.randperm(len(base_list), generator=g)[:gt_count].tolist()
        labelled = [(base_list[p][0], b) for p, b in zip(picks, base)]
        labelled.append((novel_list[int(torch.randint(len(novel_list), (1,), generator=g))][0], novel))
        for cid, (x1, y1, x2, y2) in labelled:
            annotations.append(OrderedDict(id=len(annotations) + 1, image_id=k + 1, category_id=cid,
                                           bbox=[x1, y1, x2 - x1, y2 - y1], area=(x2 - x1) * (y2 - y1), iscrowd=0))
        proposals[name] = OrderedDict(boxes=boxes, scores=scores)
    with open(os.path.join(folder, "instances.json"), "w") as f:
        json.dump(OrderedDict(images=images, annotations=annotations,
                              categories=[OrderedDict(id=i, name=n) for i, n in categories]), f)
    with open(os.path.join(folder, "proposals.json"), "w") as f:
        json.dump(proposals, f)
    ge = torch.Generator().manual_seed(10)
    test = torch.randn(TRAIN["test_classes"], TRAIN["embed_dim"], generator=ge)  # unnormalised, as text embeddings
    train = test[[j for j, (i, _) in enumerate(categories) if i in base_ids]].clone()
    torch.save(train, os.path.join(folder, "train_concepts.pth"))
    torch.save(test, os.path.join(folder, "test_concepts.pth"))
    gb = torch.Generator().manual_seed(11)
    torch.save(OrderedDict(weight=torch.empty(4, TRAIN["embed_dim"]).normal_(0, 0.001, generator=gb), bias=torch.zeros(4)),
               os.path.join(folder, "bbox_pred.pth"))
    manifest = OrderedDict(size=train_size(), height=height, width=width, min_size=min(height, width),
                           rois_per_image=rois, base_boxes_per_image=gt_count,
                           foreground_per_image=gt_count * (fg_per_gt + 1), split="coco-ovd", **TRAIN)
    write_manifest(folder, manifest)
    run = TrainStep()
    first = run.step()
    expected = TRAIN["images"] * gt_count * (fg_per_gt + 1)
    assert first["rois"] == TRAIN["images"] * rois and first["foreground"] == expected, first
    manifest["reference"] = first
    write_manifest(folder, manifest)
    print(f"train reference, step 1: loss_cls {first['loss_cls']:.6f}, loss_box_reg {first['loss_box_reg']:.6f}; "
          f"{first['rois']} RoIs, {first['foreground']} foreground; target p {first['p_t_min']:.3g}..{first['p_t_max']:.3g}",
          file=sys.stderr)


def write_manifest(folder, manifest):
    with open(os.path.join(folder, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")


class TrainStep:
    """RegionCLIP's transfer-learning step (tools/fixtures/train_reference.py, as gen_train.py drives it) on the bench's
    data: the RN50 visual tower of init.pt with detectron2's FrozenBatchNorm2d, FREEZE_AT 2, the box predictor with the
    frozen class embeddings and bbox_pred.pth, torch.optim.SGD over layer2..attnpool and bbox_pred. A step builds its
    batch as detectron2's DatasetMapper and label_and_sample_proposals do (decode, resize, normalise, pad; ground truth
    of the 48 training classes; proposals scaled, the ground truth appended, labelled; every RoI kept, foreground
    first), then forward, losses, backward and the SGD step, as `regionclip train`'s DetectorTrainer.Step does."""

    def __init__(self):
        import pretrain_reference as P
        import train_reference as T
        self.P, self.T = P, T
        folder = train_folder()
        self.folder = folder
        with open(os.path.join(folder, "manifest.json")) as f:
            self.manifest = json.load(f)
        self.visual = rn50_visual()
        state = torch.load(os.path.join(folder, "init.pt"))
        self.visual.load_state_dict({k[len("visual."):]: v for k, v in state.items()})
        P.freeze_bn(self.visual.eval())
        named = P.trainable_parameters(self.visual, TRAIN["freeze_at"])
        bbox = torch.load(os.path.join(folder, "bbox_pred.pth"))
        self.predictor = T.BoxPredictor(torch.load(os.path.join(folder, "train_concepts.pth")),
                                        torch.load(os.path.join(folder, "test_concepts.pth")),
                                        bbox["weight"], bbox["bias"], TRAIN["temperature"])
        self.params = [p for _, p in named] + [self.predictor.bbox_pred.weight, self.predictor.bbox_pred.bias]
        self.optimizer = torch.optim.SGD(self.params, lr=TRAIN["lr"], momentum=TRAIN["momentum"],
                                         weight_decay=TRAIN["weight_decay"])
        with open(os.path.join(folder, "instances.json")) as f:
            inst = json.load(f)
        _, base_ids = coco_ovd_categories()
        self.train_index = {cid: k for k, cid in enumerate(sorted(base_ids))}
        self.images = inst["images"]
        self.annotations = {im["id"]: [a for a in inst["annotations"] if a["image_id"] == im["id"]] for im in self.images}
        with open(os.path.join(folder, "proposals.json")) as f:
            self.proposals = json.load(f)

    def batch(self):
        """The DatasetMapper and ROIHeads.label_and_sample_proposals for both images -> (images, rois, labels, targets)."""
        T, P, k = self.T, self.P, len(self.train_index)
        xs, boxes, labels, targets = [], [], [], []
        for im in self.images:
            x, orig, new = T.load_image(os.path.join(self.folder, im["file_name"]), self.manifest["min_size"],
                                         self.manifest["max_size"])
            annos = [a for a in self.annotations[im["id"]] if a["category_id"] in self.train_index]
            gt, kept = T.gt_boxes(annos, orig, new)
            gt_classes = torch.tensor([self.train_index[a["category_id"]] for a in kept], dtype=torch.int64)
            props = T.scale_proposals(self.proposals[im["file_name"]]["boxes"], orig, new)
            lab = T.label_proposals(props, gt, gt_classes, k, TRAIN["iou_threshold"])
            assert lab["num_fg"] <= int(self.manifest["rois_per_image"] * TRAIN["positive_fraction"])
            assert len(lab["labels"]) <= self.manifest["rois_per_image"], "more RoIs than the sampler keeps"
            xs.append(x)
            boxes.append(lab["boxes"])
            labels.append(lab["labels"])
            targets.append(T.regression_targets(lab["boxes"], lab["matched"], lab["labels"], k))
        return P.pad_batch(xs), P.with_batch_index(boxes), torch.cat(labels), torch.cat(targets)

    def step(self):
        """Batch, zero_grad, forward, loss_cls + loss_box_reg, backward, SGD step -> the step's values."""
        k = len(self.train_index)
        images, rois, labels, targets = self.batch()
        self.optimizer.zero_grad()
        x = self.T.region_features(self.visual, images, rois, TRAIN["pooler"])
        logits, deltas = self.predictor(x)
        loss_cls, p_t = self.T.focal_scaled_loss(logits, labels, k, TRAIN["focal_gamma"], TRAIN["bg_weight"])
        loss_box = self.T.box_reg_loss(deltas, targets, labels, k)
        (loss_cls + loss_box).backward()  # detectron2's SimpleTrainer: the sum of the loss dict
        self.optimizer.step()
        return {"loss_cls": float(loss_cls.item()), "loss_box_reg": float(loss_box.item()), "rois": int(labels.numel()),
                "foreground": int((labels != k).sum()), "p_t_min": float(p_t.min()), "p_t_max": float(p_t.max())}


def train_cases(quick):
    """train_step (s per step: one warm-up step, then 1 or 3 timed steps, each from the state the previous left),
    the parity of step 1 against the prepared reference, and every step's losses."""
    run = TrainStep()
    reference = run.manifest["reference"]
    steps = [run.step()]  # step 1: the warm-up, and the parity check
    seconds, faults, cpu = [], [], []
    for _ in range(1 if quick else 3):
        f0, c0 = minor_faults(), time.process_time()
        t0 = time.perf_counter()
        steps.append(run.step())  # everything the step made is freed before the clock stops, as in C#
        seconds.append(time.perf_counter() - t0)
        cpu.append((time.process_time() - c0) * 1e3)
        faults.append(minor_faults() - f0)
    first = steps[0]
    parity = {f"train_{k}": {"max_abs_diff": abs(first[k] - reference[k]), "max_abs_reference": abs(reference[k])}
              for k in TRAIN_LOSSES + ("rois", "foreground")}
    c = case("train_step", "s", seconds, faults)
    c["cpu_ms"] = cpu
    return [c], parity, {k: [s[k] for s in steps] for k in TRAIN_LOSSES + ("rois", "foreground")}


def crop_then_clip(clip, image, boxes):
    crops = []
    for x1, y1, x2, y2 in boxes.round().long().tolist():
        crop = image[:, :, y1:max(y2, y1 + 1), x1:max(x2, x1 + 1)]
        crops.append(F.interpolate(crop, size=(224, 224), mode="bilinear", align_corners=False))
    crops = torch.cat(crops)
    return torch.cat([clip.encode_image(crops[i:i + 32]) for i in range(0, len(crops), 32)])


def region_cases(quick, parity):
    clip = load_clip()
    io = torch.load(path("regions_io.pt"))
    image, boxes = io["image"], io["boxes"]
    got = region_features(clip, image, boxes)
    parity["region_300"] = {"max_abs_diff": (got - io["emb"]).abs().max().item(), "max_abs_reference": io["emb"].abs().max().item()}
    del got
    return [
        case("region_300", "ms", *time_calls(lambda: region_features(clip, image, boxes), 2 if quick else 5, 1)),
        case("crop_clip_300", "ms", *time_calls(lambda: crop_then_clip(clip, image, boxes), 1, 0 if quick else 1)),
    ]


def time_calls(fn, repeats, warmup):
    """ms per call (result freed before the clock stops) and minor page faults of each."""
    for _ in range(warmup):
        fn()
    ms, faults = [], []
    for _ in range(repeats):
        f0 = minor_faults()
        t0 = time.perf_counter()
        fn()
        ms.append((time.perf_counter() - t0) * 1e3)
        faults.append(minor_faults() - f0)
    return ms, faults


def clip_cases(quick, parity):
    clip = load_clip()
    io = torch.load(path("clip_io.pt"))
    images32, text = io["images"], io["text"]
    images1 = images32[:1]
    for name, got, ref in (("clip_image_b32", clip.encode_image(images32), io["image_emb"]),
                           ("clip_text_b81", clip.encode_text(text), io["text_emb"])):
        parity[name] = {"max_abs_diff": (got - ref).abs().max().item(), "max_abs_reference": ref.abs().max().item()}
    return [
        case("clip_image_b1", "ms", *time_calls(lambda: clip.encode_image(images1), 3 if quick else 10, 3)),
        case("clip_image_b32", "ms", *time_calls(lambda: clip.encode_image(images32), 1 if quick else 3, 1)),
        case("clip_text_b81", "ms", *time_calls(lambda: clip.encode_text(text), 2 if quick else 5, 2)),
    ]


def load():
    model = torchvision.models.resnet50()
    model.load_state_dict(torch.load(path("resnet50.pt")))
    return model.eval(), torch.load(path("inputs.pt")), torch.load(path("outputs.pt"))


def time_small_op(fn, calls, repeats):
    for _ in range(calls // 10):
        fn()
    per_call = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(calls):
            fn()
        per_call.append((time.perf_counter() - t0) / calls * 1e6)
    return per_call


def minor_faults():
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


def time_forward(model, x, repeats, warmup):
    """ms per forward, and the minor page faults of each (fresh pages for big activations)."""
    for _ in range(warmup):
        model(x)
    ms, faults = [], []
    for _ in range(repeats):
        f0 = minor_faults()
        t0 = time.perf_counter()
        model(x)  # the logits are freed before the clock stops, as in C#
        ms.append((time.perf_counter() - t0) * 1e3)
        faults.append(minor_faults() - f0)
    return ms, faults


def case(name, unit, samples, faults=None):
    c = {"name": name, "unit": unit, "median": statistics.median(samples), "min": min(samples), "samples": samples}
    if faults is not None:
        c["faults"] = faults
    return c


def main():
    if args.prepare_only or not all(os.path.exists(path(f)) for f in needed_files()):
        prepare()
        if args.prepare_only:
            return
    torch.set_num_threads(args.threads)
    # The ResNet weights are loaded only when timed, so the peak memory of a detect-only run is the detector's.
    model, inputs, expected = load() if wanted("resnet") else (None, None, None)

    calls = 20_000 if args.quick else 100_000
    small_repeats = 3 if args.quick else 7
    cases, parity, detect_parity_result = [], {}, None

    with torch.inference_mode():
        if wanted("resnet"):
            # One forward per size first, as the C# side does for its parity check.
            for key in SIZES:
                y = model(inputs[f"x{key}"])
                parity[f"resnet50_{key}"] = {"max_abs_diff": (y - expected[f"y{key}"]).abs().max().item(),
                               "max_abs_reference": expected[f"y{key}"].abs().max().item()}
                del y
        if wanted("ops"):
            a, b = torch.rand(1), torch.rand(1)
            x = torch.rand(1, 1)
            # Expression statements: each result is freed at once, like `op().Dispose()` in C#.
            cases.append(case("add_1elem", "us", time_small_op(lambda: a + b, calls, small_repeats)))
            cases.append(case("relu_1x1", "us", time_small_op(lambda: F.relu(x), calls, small_repeats)))
        if wanted("resnet"):
            cases.append(case("resnet50_224", "ms", *time_forward(model, inputs["x224"], 5 if args.quick else 20, 10)))
            cases.append(case("resnet50_800", "ms", *time_forward(model, inputs["x800"], 2 if args.quick else 5, 1)))
        del model
        if wanted("clip"):
            cases.extend(clip_cases(args.quick, parity))
        if wanted("regions"):
            cases.extend(region_cases(args.quick, parity))
        if wanted("detect"):
            detect, detect_parity_result = detect_cases(args.quick)
            cases.extend(detect)
        if wanted("boxes"):
            cases.extend(boxes_cases(args.quick))
        if wanted("coldstart"):
            cases.extend(coldstart_cases(args.quick))
    pretrain_steps = train_steps = None
    if wanted("pretrain"):  # training: outside inference mode
        pretrain, pretrain_parity, pretrain_steps = pretrain_cases(args.quick)
        cases.extend(pretrain)
        parity.update(pretrain_parity)
    if wanted("train"):
        train, train_parity, train_steps = train_cases(args.quick)
        cases.extend(train)
        parity.update(train_parity)

    result = {
        "side": "pytorch",
        "torch_version": torch.__version__,
        "torchvision_version": torchvision.__version__,
        "threads": torch.get_num_threads(),
        "omp_num_threads": os.environ.get("OMP_NUM_THREADS"),
        "python": sys.version.split()[0],
        "parity": parity,
        "cases": cases,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,  # ru_maxrss is in KiB on Linux
    }
    if detect_parity_result is not None:
        result["detect_parity"] = detect_parity_result
    if pretrain_steps is not None:
        result["pretrain_steps"] = pretrain_steps  # the losses and kept regions of every step, warm-up first
    if train_steps is not None:
        result["train_steps"] = train_steps  # the losses, RoIs and foreground RoIs of every step, warm-up first
    text = json.dumps(result, indent=2)
    if args.json:
        os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
        with open(args.json, "w") as f:
            f.write(text + "\n")
    else:
        print(text)


if __name__ == "__main__":
    main()
