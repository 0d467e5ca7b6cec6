"""One DeepDream step (forward and backward to a VGG16 layer, normalise, update) on the same weights:
dreamreel (JAX) vs a plain PyTorch CPU loop in float32 and with bfloat16 autocast.

    python benchmarks/dream_step.py --sizes 512 --runs 5          # needs `pip install torch==2.13.0`

Each contender runs in its own subprocess, one after the other (so they never share cores), and reports the
median of `--runs` timed steps after warm-up; the parent prints a markdown table with ratios to PyTorch.
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

LAYER = "block4_conv3"


def time_steps(step, runs: int, warmup: int) -> list[float]:
    for _ in range(warmup):
        step()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return times


def run_dreamreel(size: int, runs: int, warmup: int, layer: str) -> dict:
    import jax
    import jax.numpy as jnp
    import numpy as np

    from dreamreel.models import load_model
    from dreamreel.objectives import layer as layer_objective
    from dreamreel.render import dream_steps

    model = load_model("vgg16")
    objective = layer_objective(layer)
    image = jnp.asarray(np.random.default_rng(0).random((size, size, 3), dtype=np.float32))
    key = jax.random.PRNGKey(0)
    state = {"image": image, "i": 0}

    def step():
        state["image"] = dream_steps(model, objective, state["image"], key, state["i"], state["i"] + 1, 0.006,
                                     tile_size=max(size, 512), max_shift=0, normalize="mean")
        state["image"].block_until_ready()
        state["i"] += 1

    start = time.perf_counter()
    step()
    first = time.perf_counter() - start
    return {"times": time_steps(step, runs, warmup - 1 if warmup else 0), "first_call": first}


def run_torch(size: int, runs: int, warmup: int, layer: str, bf16: bool) -> dict:
    import numpy as np
    import torch
    import torch.nn.functional as F

    from dreamreel.models import get_spec
    from dreamreel.models.weights import cached_path

    torch.set_num_threads(os.cpu_count() or 1)
    with np.load(cached_path(get_spec("vgg16"))) as data:
        weights = {k: torch.from_numpy(np.array(data[k])) for k in data.files}
    convs = []
    for b, n in enumerate((2, 2, 3, 3, 3), start=1):
        for i in range(1, n + 1):
            name = f"block{b}_conv{i}"
            convs.append((name, weights[f"{name}/kernel"].permute(3, 2, 0, 1).contiguous(),
                          weights[f"{name}/bias"]))
    mean = torch.tensor([104.00699, 116.66877, 122.67892]).view(1, 3, 1, 1)

    def features(x):
        x = x.flip(1) * 255.0 - mean  # RGB [0,1] -> BGR minus mean
        for name, w, bias in convs:
            if name.endswith("conv1") and not name.startswith("block1"):
                x = F.max_pool2d(x, 2, 2, ceil_mode=True)
            x = F.relu(F.conv2d(x, w, bias, padding=1))
            if name == layer:
                return x
        raise ValueError(layer)

    image = torch.rand(1, 3, size, size, generator=torch.Generator().manual_seed(0))

    def step():
        nonlocal image
        x = image.clone().requires_grad_(True)
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            loss = features(x).float().pow(2).mean()
        loss.backward()
        g = x.grad
        image = (image + 0.006 * g / (g.abs().mean() + 1e-20)).clamp(0, 1).detach()

    return {"times": time_steps(step, runs, warmup), "first_call": None}


def child(args) -> None:
    if args.child == "dreamreel":
        result = run_dreamreel(args.size, args.runs, args.warmup, args.layer)
    else:
        result = run_torch(args.size, args.runs, args.warmup, args.layer, bf16=args.child == "torch-bf16")
    print("RESULT " + json.dumps(result))


def measure(name: str, size: int, runs: int, warmup: int, layer: str) -> dict | None:
    command = [sys.executable, __file__, "--child", name, "--size", str(size), "--runs", str(runs),
               "--warmup", str(warmup), "--layer", layer]
    result = subprocess.run(command, capture_output=True, text=True)
    for line in result.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    print(f"{name} at {size}px failed:\n{result.stderr[-2000:]}", file=sys.stderr)
    return None


def cpu_flags() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            flags = next(line for line in f if line.startswith("flags")).split()
        wanted = ["avx2", "avx512f", "avx512_bf16", "amx_bf16", "amx_tile", "amx_int8"]
        return " ".join(flag for flag in wanted if flag in flags)
    except (OSError, StopIteration):
        return "unknown"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="512", help="comma-separated square sizes")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--layer", default=LAYER)
    parser.add_argument("--contenders", default="dreamreel,torch-f32,torch-bf16")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--size", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    print(f"CPU: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, flags: {cpu_flags()}")
    print(f"One dream step to {args.layer} (forward + backward + update), median of {args.runs} runs\n")
    print("| size | contender | median s/step | min | max | vs torch f32 | vs torch bf16 | first call s |")
    print("|---|---|---|---|---|---|---|---|")
    for size in [int(s) for s in args.sizes.split(",")]:
        results = {name: measure(name, size, args.runs, args.warmup, args.layer)
                   for name in args.contenders.split(",")}
        medians = {n: statistics.median(r["times"]) for n, r in results.items() if r}
        for name, r in results.items():
            if not r:
                continue
            m = medians[name]
            ratio = {ref: f"{m / medians[ref]:.2f}" if ref in medians else "-" for ref in ("torch-f32", "torch-bf16")}
            first = f"{r['first_call']:.1f}" if r["first_call"] else "-"
            print(f"| {size} | {name} | {m:.3f} | {min(r['times']):.3f} | {max(r['times']):.3f} | "
                  f"{ratio['torch-f32']} | {ratio['torch-bf16']} | {first} |")


if __name__ == "__main__":
    main()
