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
  pretrain_step  one RegionCLIP pretraining step (PretrainFastRCNN in training, tools/fixtures/pretrain_reference.py):
                 student and teacher CLIP RN50 visual towers with FrozenBatchNorm, the frozen RN50 text tower,
                 2 images of 800x1216, 100 regions + 1 global box per image, 4764 concepts, one caption per
                 image; the three losses, backward, per-tensor clipping to 5.0, SGD (s per step, median of the
                 timed steps after one warm-up step; each step trains on from the previous one)
The CLIP model is tools/fixtures/clip_reference.py (OpenAI's architecture and key names) with
RN50's shapes and seeded random weights, written to clip_rn50.pt with clip_io.pt (inputs and
reference embeddings). The detect group adds detect_rpn.pth (rpn_reference.py's R50-FPN with
rpn_lvis_866.pth's shapes, seeded, norms calibrated on the image as tools/fixtures/gen_rpn.py does) and
detect_io.pt (image, concepts, the reference's proposals and detections at the bench's thread count).
The pretrain group adds pretrain_student.pt (a second seeded RN50 CLIP, visual.* keys only; the teacher
and the text tower are clip_rn50.pt) and pretrain_io.pt (images, rois, global boxes, tokens, concepts and
the reference's step-1 losses at the bench's thread count).
Groups: ops, resnet, clip, regions, detect, pretrain (--only takes a comma-separated list). The peak
resident memory of the process (ru_maxrss) is reported as peak_rss_mb.
"""
import argparse
import json
import os
import resource
import statistics
import sys
import time


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--threads", type=int, default=os.cpu_count(), help="intra-op threads (default: cores)")
    p.add_argument("--data", default="build/bench", help="folder for weights, inputs and reference outputs")
    p.add_argument("--json", default=None, help="write results here (default: print them)")
    p.add_argument("--prepare-only", action="store_true", help="(re)write weights, inputs and outputs; time nothing")
    p.add_argument("--quick", action="store_true", help="fewer repetitions (smoke run)")
    p.add_argument("--only", default=None, help="groups of cases, comma-separated: ops, resnet, clip, regions, detect, pretrain")
    return p.parse_args()


args = parse_args()
# OpenMP reads this once, when libtorch loads; the orchestrator sets it already.
os.environ.setdefault("OMP_NUM_THREADS", str(args.threads))

import torch  # noqa: E402  (after OMP_NUM_THREADS)
import torch.nn.functional as F  # noqa: E402
import torchvision  # noqa: E402

SIZES = {"224": (224, 224), "800": (800, 1216)}
GROUPS = ("ops", "resnet", "clip", "regions", "detect", "pretrain")
BASE_GROUPS = ("ops", "resnet", "clip", "regions")  # the groups whose data prepare_base() writes
BASE_FILES = ("resnet50.pt", "inputs.pt", "outputs.pt", "clip_rn50.pt", "clip_io.pt", "regions_io.pt")
DETECT_FILES = ("clip_rn50.pt", "detect_rpn.pth", "detect_io.pt")
PRETRAIN_FILES = ("clip_rn50.pt", "pretrain_student.pt", "pretrain_io.pt")
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "fixtures"))
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
    if wanted("pretrain"):
        files.update(PRETRAIN_FILES)
    return sorted(files)


def path(name):
    return os.path.join(args.data, name)


def prepare():
    """The data of the wanted groups; detect and pretrain reuse clip_rn50.pt when it exists (seeded: the same weights)."""
    os.makedirs(args.data, exist_ok=True)
    if any(wanted(g) for g in BASE_GROUPS):
        prepare_base()
    if (wanted("detect") or wanted("pretrain")) and not os.path.exists(path("clip_rn50.pt")):
        prepare_clip()
    if wanted("detect"):
        prepare_detect()
    if wanted("pretrain"):
        prepare_pretrain()
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
    pretrain_steps = None
    if wanted("pretrain"):  # training: outside inference mode
        pretrain, pretrain_parity, pretrain_steps = pretrain_cases(args.quick)
        cases.extend(pretrain)
        parity.update(pretrain_parity)

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
    text = json.dumps(result, indent=2)
    if args.json:
        os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
        with open(args.json, "w") as f:
            f.write(text + "\n")
    else:
        print(text)


if __name__ == "__main__":
    main()
