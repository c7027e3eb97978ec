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
The CLIP model is tools/fixtures/clip_reference.py (OpenAI's architecture and key names) with
RN50's shapes and seeded random weights, written to clip_rn50.pt with clip_io.pt (inputs and
reference embeddings).
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
    p.add_argument("--only", default=None, help="run one group of cases: ops, resnet, clip or regions")
    return p.parse_args()


args = parse_args()
# OpenMP reads this once, when libtorch loads; the orchestrator sets it already.
os.environ.setdefault("OMP_NUM_THREADS", str(args.threads))

import torch  # noqa: E402  (after OMP_NUM_THREADS)
import torch.nn.functional as F  # noqa: E402
import torchvision  # noqa: E402

SIZES = {"224": (224, 224), "800": (800, 1216)}
FILES = ("resnet50.pt", "inputs.pt", "outputs.pt", "clip_rn50.pt", "clip_io.pt", "regions_io.pt")
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures"))


def path(name):
    return os.path.join(args.data, name)


def prepare():
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
    print(f"wrote {', '.join(path(f) for f in FILES)}", file=sys.stderr)


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


def crop_then_clip(clip, image, boxes):
    crops = []
    for x1, y1, x2, y2 in boxes.round().long().tolist():
        crop = image[:, :, y1:max(y2, y1 + 1), x1:max(x2, x1 + 1)]
        crops.append(F.interpolate(crop, size=(224, 224), mode="bilinear", align_corners=False))
    crops = torch.cat(crops)
    return torch.cat([clip.encode_image(crops[i:i + 32]) for i in range(0, len(crops), 32)])


def region_cases(quick, parity):
    clip = rn50_clip()
    clip.load_state_dict(torch.load(path("clip_rn50.pt")))
    clip.eval()
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
    clip = rn50_clip()
    clip.load_state_dict(torch.load(path("clip_rn50.pt")))
    clip.eval()
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
    if args.prepare_only or not all(os.path.exists(path(f)) for f in FILES):
        prepare()
        if args.prepare_only:
            return
    torch.set_num_threads(args.threads)
    model, inputs, expected = load()

    calls = 20_000 if args.quick else 100_000
    small_repeats = 3 if args.quick else 7
    cases, parity = [], {}

    def wanted(group):
        return args.only is None or args.only == group

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

    result = {
        "side": "pytorch",
        "torch_version": torch.__version__,
        "torchvision_version": torchvision.__version__,
        "threads": torch.get_num_threads(),
        "omp_num_threads": os.environ.get("OMP_NUM_THREADS"),
        "python": sys.version.split()[0],
        "parity": parity,
        "cases": cases,
    }
    text = json.dumps(result, indent=2)
    if args.json:
        os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
        with open(args.json, "w") as f:
            f.write(text + "\n")
    else:
        print(text)


if __name__ == "__main__":
    main()
