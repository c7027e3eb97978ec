#!/usr/bin/python3
"""RegionCLIP zero-shot detection in plain PyTorch + torchvision, written from RegionCLIP's zero-shot inference (the
`detect` group of the benchmark; run with Debian's /usr/bin/python3, torch 1.13, torchvision 0.14).

One image, as CLIPFastRCNN runs it in RPN mode (`*_zsinf.yaml`, the LVIS zero-shot settings):
  1. prepare   ResizeShortestEdge(800, 1333) with PIL bilinear on uint8 (a same-size image is copied,
               as PIL does); the CLIP branch gets x/255 normalised with CLIP's mean/std.
  2. rpn       the offline R50-FPN RPN of tools/fixtures/rpn_reference.py on the same resized image
               (BGR, Caffe mean, padded to 32), NMS 0.9 per level, 1000 proposals, raw logits.
  3. regions   CLIP res4 (stem..layer3) of the image, torchvision roi_align (aligned, adaptive
               sampling, scale 1/16, output 2x the attention-pool grid: 14 for RN50) of ALL proposals
               in one batch (as CLIPRes5ROIHeads), layer4, attnpool -> region embeddings [R, D].
  4. classify  cosine with the L2-normalised concepts, a background column of 0, / 0.01, softmax;
               fusion sqrt(p * o) with the RAW objectness logit o (rows going NaN are dropped);
               detectron2's fast_rcnn_inference_single_image: drop non-finite rows, drop background,
               clip, score > threshold, per-class NMS (torchvision batched_nms), top-k; boxes back to
               the original image (scale in float32, clip, drop empty).
The modules are the fixtures' references (clip_reference.CLIP, rpn_reference.ProposalNetwork), whose
state dicts are OpenAI's and detectron2's, so the C# side loads the very same files.
"""
import math
import os
import sys
import time
from dataclasses import dataclass, replace

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from torchvision.ops import batched_nms, roi_align

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures"))
from rpn_reference import shortest_edge_size  # noqa: E402

CLIP_MEAN = torch.tensor([0.48145466, 0.4578275, 0.40821073])
CLIP_STD = torch.tensor([0.26862954, 0.26130258, 0.27577711])
TEMPERATURE = 0.01  # CLSS_TEMP
RES4_SCALE = 1.0 / 16


@dataclass(frozen=True)
class DetectConfig:
    """The LVIS zero-shot inference config with the offline RPN's zero-shot settings."""
    min_size: int = 800
    max_size: int = 1333
    rpn_nms: float = 0.9
    rpn_post_nms_topk: int = 1000
    score_thresh: float = 0.02
    nms_thresh: float = 0.5
    detections_per_image: int = 300
    multiply_rpn_score: bool = True


def prepare(rgb, cfg):
    """RGB uint8 [H, W, 3] -> (resized uint8 [h, w, 3], CLIP-normalised float [3, h, w])."""
    h, w = rgb.shape[:2]
    nh, nw = shortest_edge_size(h, w, cfg.min_size, cfg.max_size)
    if (nh, nw) == (h, w):
        resized = rgb.clone()  # PIL's resize returns a copy at the same size
    else:
        img = Image.fromarray(rgb.numpy()).resize((nw, nh), Image.BILINEAR)
        resized = torch.from_numpy(np.asarray(img).copy())
    x = resized.permute(2, 0, 1).float().div(255)
    pixels = (x - CLIP_MEAN[:, None, None]) / CLIP_STD[:, None, None]
    return resized, pixels


def propose(rpn, resized, cfg):
    """Proposals (boxes [R, 4] in resized pixels, raw objectness logits [R]), best first."""
    boxes, logits, _ = rpn([resized], nms_thresh=cfg.rpn_nms, pre_nms_topk=None, post_nms_topk=cfg.rpn_post_nms_topk)[0]
    return boxes, logits


def pooler_resolution(visual):
    grid = int(round(math.sqrt(visual.attnpool.positional_embedding.shape[0] - 1)))
    return 2 * grid


def region_embeddings(visual, pixels, boxes):
    """res4 -> roi_align -> res5 (layer4) -> attnpool: unnormalised [R, D]."""
    res4 = visual.layer3(visual.layer2(visual.layer1(visual.stem(pixels[None]))))
    pooled = roi_align(res4, [boxes], output_size=pooler_resolution(visual), spatial_scale=RES4_SCALE,
                       sampling_ratio=0, aligned=True)
    del res4
    return visual.attnpool(visual.layer4(pooled))


def class_probabilities(emb, concepts):
    """[R, K + 1] softmax over cosine / 0.01 with a zero background logit last."""
    cos = F.normalize(emb, dim=1) @ F.normalize(concepts, dim=1).t()
    logits = torch.cat([cos, torch.zeros(cos.shape[0], 1, dtype=cos.dtype)], 1) / TEMPERATURE
    return F.softmax(logits, dim=1)


def clip_boxes(boxes, h, w):
    return torch.stack((boxes[:, 0].clamp(min=0, max=w), boxes[:, 1].clamp(min=0, max=h),
                        boxes[:, 2].clamp(min=0, max=w), boxes[:, 3].clamp(min=0, max=h)), dim=-1)


def fast_rcnn_inference(boxes, probs, objectness, image_size, cfg):
    """Post-processing (no box deltas): kept (boxes, scores, classes, proposal rows), best first."""
    scores = probs
    if cfg.multiply_rpn_score:
        scores = torch.sqrt(scores * objectness[:, None])  # raw logit: negative ones give NaN rows
    rows = torch.arange(boxes.shape[0])
    valid = torch.isfinite(boxes).all(dim=1) & torch.isfinite(scores).all(dim=1)
    if not valid.all():
        boxes, scores, rows = boxes[valid], scores[valid], rows[valid]
    scores = scores[:, :-1]
    boxes = clip_boxes(boxes, *image_size)
    mask = scores > cfg.score_thresh
    inds = mask.nonzero()
    boxes = boxes[inds[:, 0]]
    scores = scores[mask]
    keep = batched_nms(boxes, scores, inds[:, 1], cfg.nms_thresh)[:cfg.detections_per_image]
    return boxes[keep], scores[keep], inds[keep, 1], rows[inds[keep, 0]]


def to_original(boxes, input_size, original_size):
    """detector_postprocess: scale in float32, clip to the original size; the caller drops empty boxes."""
    (ih, iw), (oh, ow) = input_size, original_size
    b = boxes.clone()
    b[:, 0::2] *= ow / iw
    b[:, 1::2] *= oh / ih
    return clip_boxes(b, oh, ow)


def stage_clock(stages):
    """lap(name, t0): adds the seconds since t0 to stages[name] when `stages` is a dict; returns the time now."""
    def lap(name, t0):
        t1 = time.perf_counter()
        if stages is not None:
            stages[name] = stages.get(name, 0.0) + (t1 - t0)
        return t1
    return lap


def detect(clip, rpn, concepts, rgb, cfg=DetectConfig(), stages=None, trace=None):
    """The whole pipeline for one image. Returns (boxes, scores, classes) in original pixels, best
    first. When `stages` is a dict, the seconds of each stage are added to it; when `trace` is a
    dict, it receives the proposals ("proposal_boxes", "proposal_logits")."""
    lap = stage_clock(stages)
    t = time.perf_counter()
    resized, pixels = prepare(rgb, cfg)
    t = lap("prepare", t)
    boxes, objectness = propose(rpn, resized, cfg)
    t = lap("rpn", t)
    if trace is not None:
        trace["proposal_boxes"], trace["proposal_logits"] = boxes, objectness
    emb = region_embeddings(clip.visual, pixels, boxes)
    t = lap("regions", t)
    probs = class_probabilities(emb, concepts)
    kb, ks, kc, _ = fast_rcnn_inference(boxes, probs, objectness, tuple(pixels.shape[1:]), cfg)
    kb = to_original(kb, tuple(pixels.shape[1:]), tuple(rgb.shape[:2]))
    nonempty = (kb[:, 2] > kb[:, 0]) & (kb[:, 3] > kb[:, 1])
    result = kb[nonempty], ks[nonempty], kc[nonempty]
    lap("classify", t)
    return result


def detect_in_boxes(clip, concepts, rgb, boxes, cfg=DetectConfig(), stages=None):
    """The same pipeline among given boxes [K, 4] in original pixels instead of proposals (GT mode, user boxes): the
    boxes scaled to the resized image in float32 and clipped, then regions and classify as above without objectness
    fusion. Returns (boxes, scores, classes) in original pixels, best first; `stages` as in detect()."""
    lap = stage_clock(stages)
    t = time.perf_counter()
    _, pixels = prepare(rgb, cfg)
    (h, w), (nh, nw) = rgb.shape[:2], pixels.shape[1:]
    scaled = boxes.float().clone()
    scaled[:, 0::2] *= nw / w
    scaled[:, 1::2] *= nh / h
    scaled = clip_boxes(scaled, nh, nw)
    t = lap("prepare", t)
    emb = region_embeddings(clip.visual, pixels, scaled)
    t = lap("regions", t)
    probs = class_probabilities(emb, concepts)
    kb, ks, kc, _ = fast_rcnn_inference(scaled, probs, None, (nh, nw), replace(cfg, multiply_rpn_score=False))
    kb = to_original(kb, (nh, nw), (h, w))
    nonempty = (kb[:, 2] > kb[:, 0]) & (kb[:, 3] > kb[:, 1])
    result = kb[nonempty], ks[nonempty], kc[nonempty]
    lap("classify", t)
    return result


def main():
    """`detect_reference.py MODEL IMAGE BOXES.json CONCEPTS.pt [--threads N]`: one process, start to result, as a user
    runs a detector once (the coldstart group times it): loads the CLIP state dict, decodes the image, detects among
    the boxes of BOXES.json ({"file name": [[x1, y1, x2, y2], ...]}) with the concept embeddings [K, D], prints a line."""
    import argparse
    import json
    p = argparse.ArgumentParser()
    for name in ("model", "image", "boxes", "concepts"):
        p.add_argument(name)
    p.add_argument("--threads", type=int, default=os.cpu_count())
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    from clip_reference import CLIP  # noqa: E402  (tools/fixtures, on the path above)
    state = torch.load(a.model)
    clip = CLIP(embed_dim=1024, image_resolution=224, vision_layers=(3, 4, 6, 3), vision_width=64, context_length=77,
                vocab_size=49408, transformer_width=512, transformer_heads=8, transformer_layers=12)
    clip.load_state_dict(state)
    clip.eval()
    rgb = torch.from_numpy(np.asarray(Image.open(a.image).convert("RGB")).copy())
    boxes = torch.tensor(json.load(open(a.boxes))[os.path.basename(a.image)])
    with torch.inference_mode():
        _, scores, _ = detect_in_boxes(clip, torch.load(a.concepts), rgb, boxes)
    print(f"{len(scores)} detections")


if __name__ == "__main__":
    main()
