"""One DeepDream step (forward and backward to a VGG16 layer, normalise, update) on the same weights:
dreamreel (JAX) vs a plain PyTorch CPU loop in float32 and with bfloat16 autocast.

    python benchmarks/dream_step.py                                   # 256, 512, 1024 px; needs torch==2.13.0
    python benchmarks/dream_step.py --sizes 512 --rounds 3 --contenders dreamreel,dreamreel-xla,torch-f32

Contenders: dreamreel (the path fastconv picks for this backend: on the CPU the fast convolution VJP and pool),
dreamreel-xla (DREAMREEL_CONV=xla: XLA's own convolution transpose and reduce-window pool, float32),
dreamreel-bf16 (DREAMREEL_CONV=bf16), torch-f32, torch-bf16 (autocast). Each contender runs in its own
subprocess, one after the other (so they never share cores); with --rounds N the contenders alternate N times
(A B C A B C ...), so that a machine shared with other jobs slows each about alike, and the table gives the median
of all timed steps with the load average seen by the runs. Without native bfloat16 (AVX2 only: no AVX512_BF16 or
AMX) PyTorch's bf16 autocast takes minutes per step at 512 px and more at 1024: --max-seconds caps each child's
timed runs (at least one is always timed), or leave torch-bf16 out of --contenders, e.g. for 1024.
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


MODES = {"dreamreel": "auto", "dreamreel-xla": "xla", "dreamreel-fast": "fast", "dreamreel-bf16": "bf16"}


def time_steps(step, runs: int, warmup: int, max_seconds: float = float("inf")) -> list[float]:
    for _ in range(warmup):
        step()
    times = []
    budget_start = time.perf_counter()
    for _ in range(runs):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
        if time.perf_counter() - budget_start > max_seconds:
            break
    return times


def run_dreamreel(size: int, runs: int, warmup: int, layer: str, max_seconds: float) -> dict:
    import jax
    import jax.numpy as jnp
    import numpy as np

    from dreamreel.models import load_model
    from dreamreel.core.objectives import layer as layer_objective
    from dreamreel.core.dream import dream_steps

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
    from dreamreel.models.fastconv import conv_mode

    times = time_steps(step, runs, warmup - 1 if warmup else 0, max_seconds)
    return {"times": times, "first_call": first, "mode": conv_mode()}


def run_torch(size: int, runs: int, warmup: int, layer: str, bf16: bool, max_seconds: float) -> dict:
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

    start = time.perf_counter()
    step()  # the first call (oneDNN primitive creation) is the first warm-up step
    first = time.perf_counter() - start
    return {"times": time_steps(step, runs, warmup - 1 if warmup else 0, max_seconds), "first_call": first,
            "torch": torch.__version__}


def child(args) -> None:
    load = os.getloadavg()[0]
    if args.child in MODES:
        result = run_dreamreel(args.size, args.runs, args.warmup, args.layer, args.max_seconds)
    else:
        bf16 = args.child == "torch-bf16"
        warmup = min(args.warmup, 1) if bf16 else args.warmup  # minutes per step without native bf16
        result = run_torch(args.size, args.runs, warmup, args.layer, bf16, args.max_seconds)
    result["load"] = [load, os.getloadavg()[0]]
    print("RESULT " + json.dumps(result))


def measure(name: str, size: int, runs: int, warmup: int, layer: str, max_seconds: float) -> dict | None:
    command = [sys.executable, __file__, "--child", name, "--size", str(size), "--runs", str(runs),
               "--warmup", str(warmup), "--layer", layer, "--max-seconds", str(max_seconds)]
    env = dict(os.environ)
    if name in MODES:
        env["DREAMREEL_CONV"] = MODES[name]
    result = subprocess.run(command, capture_output=True, text=True, env=env)
    for line in result.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    print(f"{name} at {size}px failed:\n{result.stderr[-2000:]}", file=sys.stderr)
    return None


def cpu_flags() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            flags = next(line for line in f if line.startswith("flags")).split()
        wanted = ["avx2", "fma", "f16c", "avx512f", "avx512_bf16", "avx512_fp16", "avx_vnni", "amx_bf16", "amx_tile",
                  "amx_int8"]
        return " ".join(flag for flag in wanted if flag in flags) + " (of " + " ".join(wanted) + ")"
    except (OSError, StopIteration):
        return "unknown"


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            return next(line for line in f if line.startswith("model name")).split(":", 1)[1].strip()
    except (OSError, StopIteration):
        return platform.processor() or platform.machine()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="256,512,1024", help="comma-separated square sizes")
    parser.add_argument("--runs", type=int, default=5, help="timed steps per child")
    parser.add_argument("--warmup", type=int, default=2, help="untimed steps first (torch-bf16: at most 1)")
    parser.add_argument("--rounds", type=int, default=1, help="alternate the contenders this many times")
    parser.add_argument("--max-seconds", type=float, default=float("inf"),
                        help="stop a child's timed steps after this long (at least one step is timed)")
    parser.add_argument("--layer", default=LAYER)
    parser.add_argument("--contenders", default="dreamreel,dreamreel-xla,torch-f32,torch-bf16",
                        help=f"comma-separated, of {', '.join([*MODES, 'torch-f32', 'torch-bf16'])}")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--size", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    import jax

    print(f"CPU: {cpu_model()}, {os.cpu_count()} cores, flags: {cpu_flags()}; jax {jax.__version__}")
    print(f"uptime: {os.popen('uptime').read().strip()}")
    print(f"One dream step to {args.layer} (forward + backward + update); per contender the median of "
          f"{args.rounds} round(s) x up to {args.runs} timed steps, rounds alternating between contenders\n")
    print("| size | contender | median s/step | min | max | steps timed | vs torch f32 | vs torch bf16 | "
          "first call s | load (1 min) |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    names = [n.strip() for n in args.contenders.split(",") if n.strip()]
    for size in [int(s) for s in args.sizes.split(",")]:
        runs = {name: [] for name in names}
        for _ in range(args.rounds):
            for name in names:
                r = measure(name, size, args.runs, args.warmup, args.layer, args.max_seconds)
                if r:
                    runs[name].append(r)
        results = {n: rs for n, rs in runs.items() if rs}
        times = {n: [t for r in rs for t in r["times"]] for n, rs in results.items()}
        medians = {n: statistics.median(ts) for n, ts in times.items()}
        for name, rs in results.items():
            m = medians[name]
            ratio = {ref: f"{m / medians[ref]:.2f}" if ref in medians else "-" for ref in ("torch-f32", "torch-bf16")}
            firsts = [r["first_call"] for r in rs if r.get("first_call")]
            first = f"{statistics.median(firsts):.1f}" if firsts else "-"
            loads = [x for r in rs for x in r["load"]]
            label = name + (f" ({rs[0]['mode']})" if "mode" in rs[0] and name == "dreamreel" else "")
            print(f"| {size} | {label} | {m:.3f} | {min(times[name]):.3f} | {max(times[name]):.3f} | "
                  f"{len(times[name])} | {ratio['torch-f32']} | {ratio['torch-bf16']} | {first} | "
                  f"{min(loads):.1f}-{max(loads):.1f} |", flush=True)


if __name__ == "__main__":
    main()
