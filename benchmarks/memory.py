"""Peak memory of a still dream against the image size (issue 11): one subprocess per size, peak RSS (VmHWM).

    python benchmarks/memory.py --sizes 1024,4096,8192,16384 --octaves 1 --steps 1 --objective block1_conv2
    python benchmarks/memory.py --sizes 1024,4096 --octaves 4 --steps 1                 # the default objective
    git archive <commit> | tar -x -C /tmp/before    # then, for the code before a change:
    python benchmarks/memory.py --sizes 1024,4096 --pythonpath /tmp/before --label before

Each size runs `dreamreel.dream` on an N x N float32 image (uniform noise: memory does not depend on content)
with the real default weights (vgg16), in a fresh Python process whose resident set the parent samples every
0.2 s and kills above --cap-gb (reported as "> cap": the machine is shared, an out-of-memory kill would take
other people's work with it). The child reports its own VmHWM (peak resident set), its resident set before the
dream (Python + JAX + weights + the input image) and the dream's seconds. One markdown table row per size.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def status_kb(pid: int | str, field: str) -> int:
    """A field of /proc/PID/status in kB (VmRSS, VmHWM), 0 once the process is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def child(size: int, octaves: int, steps: int, objective: str, tile: int) -> None:
    import numpy as np

    import dreamreel
    from dreamreel.models import load_model

    model = load_model("vgg16")
    image = np.random.default_rng(0).random((size, size, 3), dtype=np.float32)
    obj = None if objective == "default" else dreamreel.layer(objective)
    before = status_kb("self", "VmRSS")
    start = time.perf_counter()
    out = dreamreel.dream(image, model=model, objective=obj, octaves=octaves, steps=steps, tile_size=tile)
    seconds = time.perf_counter() - start
    assert out.shape == image.shape
    print(json.dumps(dict(peak_kb=status_kb("self", "VmHWM"), before_kb=before, seconds=seconds)), flush=True)


def measure(size: int, args) -> dict:
    env = dict(os.environ, PYTHONPATH=args.pythonpath or str(ROOT))
    command = [sys.executable, __file__, "--child", str(size), "--octaves", str(args.octaves), "--steps",
               str(args.steps), "--objective", args.objective, "--tile", str(args.tile)]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    seen_kb, killed = 0, False
    while process.poll() is None:
        seen_kb = max(seen_kb, status_kb(process.pid, "VmRSS"))
        if seen_kb > args.cap_gb * 2**20:
            process.kill()
            killed = True
        time.sleep(0.2)
    out, err = process.communicate()
    if killed:
        return dict(size=size, killed=True, peak_kb=seen_kb)
    if process.returncode != 0:
        return dict(size=size, error=err.strip().splitlines()[-1] if err.strip() else f"exit {process.returncode}")
    return dict(size=size, **json.loads(out.strip().splitlines()[-1]))


def row(result: dict, args) -> str:
    gb = lambda kb: f"{kb / 2**20:.2f}"  # noqa: E731
    mpx = result["size"] ** 2 / 1e6
    head = (f"| {args.label} | {result['size']}x{result['size']} ({mpx:.0f} Mpx) | {args.octaves} | {args.steps} | "
            f"{args.objective} |")
    load = f"{os.getloadavg()[0]:.1f}"
    if result.get("killed"):
        return f"{head} > {args.cap_gb:g} (killed at {gb(result['peak_kb'])}) | | | {load} |"
    if "error" in result:
        return f"{head} error: {result['error']} | | | {load} |"
    return f"{head} {gb(result['peak_kb'])} | {gb(result['before_kb'])} | {result['seconds']:.0f} | {load} |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1024,4096", help="comma-separated sides in px (square images)")
    parser.add_argument("--octaves", type=int, default=1)
    parser.add_argument("--steps", type=int, default=1)
    parser.add_argument("--objective", default="default", help='"default" (the model\'s dream layers) or a layer')
    parser.add_argument("--tile", type=int, default=512)
    parser.add_argument("--cap-gb", type=float, default=12.0, help="kill a child whose resident set passes this")
    parser.add_argument("--pythonpath", help="where to import dreamreel from (default: this checkout)")
    parser.add_argument("--label", default="after")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.octaves, args.steps, args.objective, args.tile)
        return
    print("| code | image | octaves | steps | objective | peak RSS GB | RSS before the dream GB | dream s | load |")
    print("|---|---|---|---|---|---|---|---|---|")
    for size in (int(s) for s in args.sizes.split(",")):
        print(row(measure(size, args), args), flush=True)


if __name__ == "__main__":
    main()
