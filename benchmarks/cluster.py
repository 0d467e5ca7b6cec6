"""The cluster path against a local run, on this machine, with the real VGG16 (benchmarks/RESULTS.md, Cluster).

    python benchmarks/cluster.py overhead [--stills 8 --side 256]   local batch vs --cluster, same CLI, 1 worker
    python benchmarks/cluster.py scaling [--nodes 1,2 --stills 8]   batch wall time with 1, 2, ... single-CPU nodes
    python benchmarks/cluster.py seams [--frames 48 --segment 16 --warmups 0,4,8 --crossfades 0,4]

overhead: `dreamreel dream p*.png -o out/` then the same with `--cluster ADDRESS` against a running one-node,
one-CPU Ray cluster (a farm is up before its jobs), each in a fresh process with the compilation cache off, so both
load the weights and compile once; the outputs must be byte-identical. scaling: the same batch through
dreamreel.cluster.run on clusters of 1, 2, ... nodes of one CPU each, XLA held to one thread per worker (a node is
one CPU). seams: a clip (a pan over sky1024px.jpg) dreamed with the dream_dots look, sequentially (the local run)
and in segments (render_segment + join, the pixels a cluster writes), and the temporal error of every consecutive
pair, at the seams and inside segments. Prints markdown tables.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
# the shared photos beside the clone (or beside the worktrees folder of a worktree)
DATA = next(p for p in (ROOT.parent / "shared", ROOT.parents[1] / "shared") if p.is_dir()) / "data" / "content"
ONE_THREAD = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
DREAM_FLAGS = ["--octaves", "2", "--steps", "6"]


def load() -> float:
    return os.getloadavg()[0]


def make_stills(folder: Path, count: int, side: int) -> list[str]:
    """Crops of the two content photos, a different one per still."""
    from dreamreel.io import read_image, resize, write_image

    paths = []
    for i in range(count):
        image = read_image(DATA / ("sky1024px.jpg" if i % 2 == 0 else "flowers.jpg"))
        h, w = image.shape[:2]
        top, left = (i * 37) % (h - h // 2), (i * 53) % (w - w // 2)
        crop = image[top:top + h // 2, left:left + w // 2]
        paths.append(str(write_image(folder / f"still{i}.png", resize(crop, side * 9 // 16, side))))
    return paths


def timed_cli(args: list[str], env: dict) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "dreamreel", *args], check=True, env=env, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def child_env(**extra) -> dict:
    return {**os.environ, "PYTHONPATH": str(ROOT), "DREAMREEL_COMPILATION_CACHE": "0", **extra}


def overhead(args) -> None:
    from dreamreel.cluster.local import LocalCluster

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        stills = make_stills(tmp, args.stills, args.side)
        print("| run | wall s | load |\n|---|---|---|")
        with LocalCluster(nodes=1, cpus_per_node=1, env=child_env()) as cluster:
            rows = []
            for attempt in range(args.repeats):  # alternate, so a busy machine slows both alike
                local = timed_cli(["dream", *stills, "-o", f"{tmp}/local{attempt}/", *DREAM_FLAGS], child_env())
                rows.append(("local batch", local, load()))
                remote = timed_cli(["dream", *stills, "-o", f"{tmp}/cluster{attempt}/", *DREAM_FLAGS,
                                    "--cluster", cluster.address], child_env())
                rows.append(("--cluster (1 node, 1 CPU)", remote, load()))
                for a, b in zip(sorted((tmp / f"local{attempt}").iterdir()),
                                sorted((tmp / f"cluster{attempt}").iterdir()), strict=True):
                    assert a.read_bytes() == b.read_bytes(), f"{a.name} differs"
            for name, seconds, avg in rows:
                print(f"| {name} | {seconds:.1f} | {avg:.1f} |")
        local = statistics.median(s for n, s, _ in rows if n.startswith("local"))
        remote = statistics.median(s for n, s, _ in rows if not n.startswith("local"))
        print(f"\noverhead: {remote - local:+.1f} s = {100 * (remote - local) / local:+.1f} % of the local run "
              f"({args.stills} stills of {args.side} px, outputs byte-identical)")


def scaling(args) -> None:
    from dreamreel import cluster
    from dreamreel.core.dream import DreamSettings
    from dreamreel.jobs import DreamJob
    from dreamreel.cluster.local import LocalCluster

    settings = DreamSettings(octaves=2, steps=6)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        stills = make_stills(tmp, args.stills, args.side)
        print("| nodes x CPUs | workers | wall s (after start-up) | per still s | speed-up | load |")
        print("|---|---|---|---|---|---|")
        first = None
        for nodes in (int(n) for n in args.nodes.split(",")):
            env = child_env(XLA_FLAGS=ONE_THREAD)
            with LocalCluster(nodes=nodes, cpus_per_node=1, env=env) as local:
                jobs = [DreamJob(p, str(tmp / f"n{nodes}_{i}.png"), settings=settings) for i, p in enumerate(stills)]
                cluster.run(jobs[:nodes], address=local.address)  # start-up, weights, compiles: not timed
                start = time.perf_counter()
                cluster.run(jobs, address=local.address)
                wall = time.perf_counter() - start
            first = first or wall
            print(f"| {nodes} x 1 | {nodes} | {wall:.1f} | {wall / len(jobs):.1f} | {first / wall:.2f} | "
                  f"{load():.1f} |")


def pan_clip(path: Path, frames: int, side: int) -> None:
    import cv2

    from dreamreel.io import open_writer, read_image

    sky = read_image(DATA / "sky1024px.jpg")
    h, w = side * 9 // 16, side
    with open_writer(path, 24, quality=12) as writer:
        for t in range(frames):
            x = int(40 + 2.5 * t)
            writer.write(cv2.resize(sky[120:120 + 2 * h, x:x + 2 * w], (w, h), interpolation=cv2.INTER_AREA))


def seams(args) -> None:
    from dreamreel.cluster.segments import join, plan_segments, render_segment, seam_errors
    from dreamreel.io import read_image, read_video
    from dreamreel.jobs import ClipJob, run
    from dreamreel.pipelines.clip import temporal_error

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        clip = tmp / "pan.mp4"
        pan_clip(clip, args.frames, args.side)
        look = (f"max_side={args.side}",)
        raws = list(read_video(clip)[0])
        job = ClipJob(str(clip), str(tmp / "local/"), preset="dream_dots", overrides=look)
        start = time.perf_counter()
        sequential = [read_image(p) for p in sorted(run(job).glob("frame_*.png"))]
        local_seconds = time.perf_counter() - start
        print(f"sequential run: temporal error {temporal_error(sequential, raws):.5f} "
              f"({local_seconds:.0f} s, load {load():.1f})\n")
        print("| segment | warm-up | crossfade | error inside segments (mean, max) | at the seams (mean, max) | "
              "seams / inside | frames rendered |")
        print("|---|---|---|---|---|---|---|")
        for warmup in (int(w) for w in args.warmups.split(",")):
            for crossfade in (int(c) for c in args.crossfades.split(",")):
                plan = plan_segments(args.frames, args.segment, warmup, crossfade)
                rendered = [render_segment(job, s.render_first, s.render_stop) for s in plan]
                frames = [image for _, image in join(plan, rendered)]
                at, inside = seam_errors(frames, raws, plan)
                print(f"| {args.segment} | {warmup} | {crossfade} | {np.mean(inside):.5f}, {np.max(inside):.5f} | "
                      f"{np.mean(at):.5f}, {np.max(at):.5f} | {np.mean(at) / np.mean(inside):.2f} | "
                      f"{sum(len(r) for r in rendered)} |")
                if args.keep:
                    np.savez_compressed(Path(args.keep) / f"seams_w{warmup}_c{crossfade}.npz",
                                        frames=np.stack(frames), sequential=np.stack(sequential), raws=np.stack(raws),
                                        firsts=[s.first for s in plan])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=["overhead", "scaling", "seams"])
    parser.add_argument("--stills", type=int, default=8)
    parser.add_argument("--side", type=int, default=256)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--nodes", default="1,2")
    parser.add_argument("--frames", type=int, default=48)
    parser.add_argument("--segment", type=int, default=16)
    parser.add_argument("--warmups", default="0,4,8")
    parser.add_argument("--crossfades", default="0")
    parser.add_argument("--keep", help="seams: a folder to keep the frames in (for examples/cluster)")
    args = parser.parse_args()
    {"overhead": overhead, "scaling": scaling, "seams": seams}[args.what](args)


if __name__ == "__main__":
    sys.exit(main())
