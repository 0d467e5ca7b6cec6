"""A learned look network under each convolution path (issue 12, deliverable 3): inference and training, side by side.

    python benchmarks/net_paths.py                       # the shipped starry network, paths fast and bf16
    python benchmarks/net_paths.py --paths xla,fast,bf16 --runs 5

Each path runs in its own subprocess (DREAMREEL_CONV is read when a model is traced), alternating over rounds:
the network applied to one 640x360 frame, and one training step (batch 2 of 128 px crops, the Starry Night style
look on the real VGG16: the network forward and backward plus VGG16 forward and backward). Medians per path.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data" if (ROOT.parent / "shared" / "data").is_dir() else Path("/work/shared/data")


def _median_after_warmup(fn, runs: int) -> tuple[float, float]:
    clock = time.perf_counter()
    fn()
    first = time.perf_counter() - clock
    times = []
    for _ in range(runs):
        clock = time.perf_counter()
        fn()
        times.append(time.perf_counter() - clock)
    return statistics.median(times), first


def measure(net_path: str, runs: int) -> dict:
    """Runs in the child: seconds per inference and per training step on the current DREAMREEL_CONV path."""
    import jax
    import numpy as np

    from dreamreel.core.nets import apply_net, init_state, make_train_step, optimizer, style_look
    from dreamreel.io import read_image, resize, resize_to_fit
    from dreamreel.io.netfile import load_net
    from dreamreel.models import load_model
    from dreamreel.models.fastconv import conv_mode

    net = load_net(net_path)
    frame = jax.numpy.asarray(resize(read_image(SHARED / "content" / "sky1024px.jpg"), 360, 640))
    infer, infer_first = _median_after_warmup(lambda: apply_net(net, frame).block_until_ready(), runs)

    model = load_model("vgg16")
    look = style_look(model, [resize_to_fit(read_image(SHARED / "style" / "starry_night.jpg"), 256)])
    opt = optimizer(1e-3)
    step = make_train_step(net.config, opt)
    crops = np.random.default_rng(0).random((2, 128, 128, 3), np.float32)
    state = [init_state(net.config, jax.random.PRNGKey(0), opt)]

    def train_once():
        state[0], terms = step(state[0], {"inputs": crops}, model, look)
        terms["total"].block_until_ready()

    train, train_first = _median_after_warmup(train_once, runs)
    return {"path": conv_mode(), "infer": infer, "infer_first": infer_first, "train": train,
            "train_first": train_first}


def _child(path: str, net: str, runs: int) -> dict:
    env = {**os.environ, "DREAMREEL_CONV": path, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, __file__, "--child", "--net", net, "--runs", str(runs)], env=env,
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--net", default=str(ROOT / "examples" / "learned" / "starry.dnet"))
    parser.add_argument("--paths", default="fast,bf16")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.net, args.runs)))
        return
    flags = sorted(set(Path("/proc/cpuinfo").read_text().split()) & {"avx2", "avx512f", "avx512_bf16", "amx_bf16"})
    print(f"CPU flags: {' '.join(flags)}; {os.cpu_count()} cores; load {os.getloadavg()[0]:.1f} at the start")
    results: dict[str, list[dict]] = {}
    for _ in range(args.rounds):
        for path in args.paths.split(","):
            results.setdefault(path, []).append(_child(path, args.net, args.runs))
    base = statistics.median(r["infer"] for r in results[args.paths.split(",")[0]])
    base_train = statistics.median(r["train"] for r in results[args.paths.split(",")[0]])
    print("| path | inference 640x360 s (median) | vs first | training step s (median) | vs first | "
          "first calls s (infer / train) |")
    print("|---|---|---|---|---|---|")
    for path, rows in results.items():
        infer = statistics.median(r["infer"] for r in rows)
        train = statistics.median(r["train"] for r in rows)
        first = f"{statistics.median(r['infer_first'] for r in rows):.1f} / " \
                f"{statistics.median(r['train_first'] for r in rows):.1f}"
        print(f"| {path} | {infer:.3f} | {infer / base:.2f} | {train:.3f} | {train / base_train:.2f} | {first} |")
    print(f"load {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
