"""One Gatys style-transfer iteration (VGG16 forward to block5_conv1 + backward + Adam update) on the same weights
and the same loss: dreamreel (JAX, dreamreel.core.steps.run_steps with Adam) vs a plain PyTorch CPU loop written here.

    python benchmarks/style_step.py --size 512 --iterations 10 --runs 3     # needs `pip install torch==2.13.0`
    python benchmarks/style_step.py --contenders dreamreel-bf16,dreamreel-fast,torch,torch-bf16

Contenders: dreamreel (DREAMREEL_CONV as set, by default auto: bf16 on a CPU with native bf16), dreamreel-xla,
dreamreel-fast, dreamreel-bf16 (that DREAMREEL_CONV), torch (float32), torch-bf16 (bfloat16 autocast around the
network; losses in float32).

Both contenders start from the same content image (scikit-image's astronaut) with the same style image
(../shared/data/style/starry_night.jpg, or a synthetic painting when it is absent), the same layers
(content block4_conv2; style block1_conv1..block5_conv1, equal weights) and the same scale-free loss as
dreamreel.style (per-layer relative squared errors of Gram matrices F^T F / hw and of the content features),
Adam with the same learning rate, clipped to [0, 1]. Each contender runs in its own subprocess, alternating run by
run so that a shared machine's load falls on both; a run times each of `--iterations` iterations after a warm-up
iteration (and, for JAX, its compile) and reports the loss reached after them. The table shows medians over runs.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

CONTENT_LAYER = "block4_conv2"
STYLE_LAYERS = ("block1_conv1", "block2_conv1", "block3_conv1", "block4_conv1", "block5_conv1")
STYLE_IMAGE = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "style" / "starry_night.jpg"


def images(size: int):
    """(content, style) as (H, W, 3) float32 RGB in [0, 1]: the content square at `size`, the style's longer
    side at `size`."""
    import numpy as np
    from skimage import data

    from dreamreel.io import read_image, resize, resize_to_fit, to_float_rgb

    content = resize(to_float_rgb(data.astronaut()), size, size)
    if STYLE_IMAGE.is_file():
        style = resize_to_fit(read_image(STYLE_IMAGE), size)
    else:
        y, x = np.mgrid[:size, :size]
        style = np.stack([0.5 + 0.4 * np.sin(x / 7.0 + y / 11.0), 0.5 + 0.4 * np.cos(y / 5.0),
                          0.5 + 0.3 * np.sin((x - y) / 9.0)], -1).astype(np.float32)
    return content, style


def run_dreamreel(size: int, iterations: int, weights: dict) -> dict:
    import jax
    import jax.numpy as jnp

    from dreamreel.core import objectives as S
    from dreamreel.core.steps import Adam, Whole, run_steps
    from dreamreel.models import load_model

    model = load_model("vgg16")
    content, style = images(size)
    start = time.perf_counter()
    objective = S.gatys_objective(S.content_loss(model, content, layer=CONTENT_LAYER),
                                  S.style_loss(model, [style], layers=STYLE_LAYERS),
                                  content_weight=weights["content"], style_weight=weights["style"],
                                  tv_weight=weights["tv"])
    image = jnp.asarray(content)
    rate = jnp.float32(weights["lr"])
    state = Adam().init(image, rate)
    targets = time.perf_counter() - start

    def step(i):
        nonlocal image, state
        image, state = run_steps(Adam(), Whole(), model, objective, image, state, jax.random.PRNGKey(0), i, i + 1,
                                 rate)
        jax.block_until_ready(image)

    start = time.perf_counter()
    step(0)  # compiles
    first = time.perf_counter() - start
    times = []
    for i in range(1, iterations + 1):
        start = time.perf_counter()
        step(i)
        times.append(time.perf_counter() - start)
    losses = S.loss_terms(model, objective, image)
    return {"times": times, "first_call": first, "targets": targets, "loss": losses["total"],
            "content": losses["content"], "style": losses["style"]}


def run_torch(size: int, iterations: int, weights: dict, bf16: bool = False) -> dict:
    import numpy as np
    import torch
    import torch.nn.functional as F

    from dreamreel.models import get_spec
    from dreamreel.models.weights import cached_path

    torch.set_num_threads(os.cpu_count() or 1)
    with np.load(cached_path(get_spec("vgg16"))) as data:
        params = {k: torch.from_numpy(np.array(data[k])) for k in data.files}
    convs = []
    for b, n in enumerate((2, 2, 3, 3, 3), start=1):
        for i in range(1, n + 1):
            name = f"block{b}_conv{i}"
            convs.append((name, params[f"{name}/kernel"].permute(3, 2, 0, 1).contiguous(), params[f"{name}/bias"]))
    mean = torch.tensor([104.00699, 116.66877, 122.67892]).view(1, 3, 1, 1)
    wanted = set(STYLE_LAYERS) | {CONTENT_LAYER}
    last = max(wanted, key=[name for name, _, _ in convs].index)

    def features(x):  # x: (1, 3, H, W) RGB in [0, 1]
        x = x.flip(1) * 255.0 - mean
        out = {}
        for name, w, bias in convs:
            if name.endswith("conv1") and not name.startswith("block1"):
                x = F.max_pool2d(x, 2, 2, ceil_mode=True)  # Keras 'same' pooling
            x = F.relu(F.conv2d(x, w, bias, padding=1))
            if name in wanted:
                out[name] = x
            if name == last:
                return out
        return out

    def gram(f):
        c = f.shape[1]
        flat = f.reshape(c, -1)
        return flat @ flat.T / flat.shape[1]

    def relative(value, target):
        return (value - target).pow(2).mean() / (target.pow(2).mean() + 1e-8)

    content, style = images(size)
    to_torch = lambda a: torch.from_numpy(np.ascontiguousarray(a.transpose(2, 0, 1)))[None]  # noqa: E731
    start = time.perf_counter()
    with torch.no_grad():
        content_target = features(to_torch(content))[CONTENT_LAYER]
        style_acts = features(to_torch(style))
        gram_targets = {name: gram(style_acts[name]) for name in STYLE_LAYERS}
    targets = time.perf_counter() - start

    def terms(x):
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            acts = {name: a.float() for name, a in features(x).items()}
        c = relative(acts[CONTENT_LAYER], content_target)
        s = sum(relative(gram(acts[name]), gram_targets[name]) for name in STYLE_LAYERS) / len(STYLE_LAYERS)
        tv = (x[:, :, 1:] - x[:, :, :-1]).pow(2).mean() + (x[:, :, :, 1:] - x[:, :, :, :-1]).pow(2).mean()
        return weights["content"] * c, weights["style"] * s, weights["tv"] * tv

    image = to_torch(content).clone().requires_grad_(True)
    optimizer = torch.optim.Adam([image], lr=weights["lr"])

    def step():
        optimizer.zero_grad()
        sum(terms(image)).backward()
        optimizer.step()
        with torch.no_grad():
            image.clamp_(0.0, 1.0)

    start = time.perf_counter()
    step()
    first = time.perf_counter() - start
    times = []
    for _ in range(iterations):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    with torch.no_grad():
        c, s, tv = terms(image)
    return {"times": times, "first_call": first, "targets": targets, "loss": float(c + s + tv),
            "content": float(c), "style": float(s)}


MODES = {"dreamreel-xla": "xla", "dreamreel-fast": "fast", "dreamreel-bf16": "bf16"}


def child(args) -> None:
    weights = json.loads(args.weights)
    if args.child.startswith("dreamreel"):
        from dreamreel.models.fastconv import conv_mode

        result = {**run_dreamreel(args.size, args.iterations, weights), "mode": conv_mode()}
    else:
        result = run_torch(args.size, args.iterations, weights, bf16=args.child == "torch-bf16")
    result["load"] = os.getloadavg()[0]
    print("RESULT " + json.dumps(result))


def measure(name: str, args, weights: dict) -> dict | None:
    command = [sys.executable, __file__, "--child", name, "--size", str(args.size), "--iterations",
               str(args.iterations), "--weights", json.dumps(weights)]
    env = {**os.environ, **({"DREAMREEL_CONV": MODES[name]} if name in MODES else {})}
    result = subprocess.run(command, capture_output=True, text=True, env=env)
    for line in result.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    print(f"{name} failed:\n{result.stderr[-2000:]}", file=sys.stderr)
    return None


def load() -> str:
    try:
        return " ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


def main() -> None:
    from dreamreel.core.stylize import stylize

    defaults = {name: p.default for name, p in __import__("inspect").signature(stylize).parameters.items()}
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--iterations", type=int, default=10, help="timed iterations per run")
    parser.add_argument("--runs", type=int, default=3, help="subprocess runs per contender (alternating)")
    parser.add_argument("--contenders", default="dreamreel,torch")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--weights", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    weights = {"content": defaults["content_weight"], "style": defaults["style_weight"],
               "tv": defaults["tv_weight"], "lr": defaults["learning_rate"]}
    names = args.contenders.split(",")
    from dreamreel.models.cpu import cpu_flags

    wanted = ("avx2", "avx512f", "avx512_bf16", "amx_bf16", "amx_tile")
    print(f"CPU: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, flags: "
          f"{' '.join(f for f in wanted if f in cpu_flags()) or 'unknown'}; load average before: {load()}")
    print(f"Gatys iteration at {args.size}x{args.size} (VGG16 to block5_conv1, forward + backward + Adam), "
          f"weights {weights}; {args.iterations} timed iterations x {args.runs} runs per contender\n")
    results: dict[str, list[dict]] = {name: [] for name in names}
    for _ in range(args.runs):
        for name in names:
            r = measure(name, args, weights)
            if r:
                results[name].append(r)
    print(f"load average after: {load()}\n")
    print("| contender | median s/iteration | min | max | vs torch | vs torch-bf16 | first call s | targets s | "
          f"loss after {args.iterations + 1} it (content / style) | load (1 min) |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    medians = {n: statistics.median(statistics.median(r["times"]) for r in rs) for n, rs in results.items() if rs}
    for name, rs in results.items():
        if not rs:
            continue
        every = [t for r in rs for t in r["times"]]
        ratio, ratio_bf16 = (f"{medians[name] / medians[ref]:.2f}" if ref in medians else "-"
                             for ref in ("torch", "torch-bf16"))
        loss = statistics.median(r["loss"] for r in rs)
        content = statistics.median(r["content"] for r in rs)
        style = statistics.median(r["style"] for r in rs)
        first = statistics.median(r["first_call"] for r in rs)
        targets = statistics.median(r["targets"] for r in rs)
        label = name + (f" ({rs[0]['mode']})" if name == "dreamreel" else "")
        loads = [r["load"] for r in rs]
        print(f"| {label} | {medians[name]:.2f} | {min(every):.2f} | {max(every):.2f} | {ratio} | {ratio_bf16} | "
              f"{first:.1f} | {targets:.1f} | {loss:.4f} ({content:.4f} / {style:.4f}) | "
              f"{min(loads):.1f}-{max(loads):.1f} |")
    losses = {n: statistics.median(r["loss"] for r in rs) for n, rs in results.items() if rs}
    reference = next((n for n in ("dreamreel-fast", "dreamreel-xla", "torch") if n in losses), None)
    if reference:
        print(f"\nLoss after the same iterations, relative to {reference}: " + ", ".join(
            f"{n} {100 * (v / losses[reference] - 1):+.2f} %" for n, v in losses.items() if n != reference))


if __name__ == "__main__":
    main()
