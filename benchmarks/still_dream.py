"""A full still dream end to end through the CLI, in a subprocess: start-up, weight loading, compiles and the dream.

    python benchmarks/still_dream.py                       # sky1024px.jpg, 4 octaves x 10 steps, cold then warm
    python benchmarks/still_dream.py --warm-runs 2 --conv xla,fast

Each run is `dreamreel dream IMAGE -o OUT --octaves 4 --steps 10` (the default objective) in a fresh process whose
DREAMREEL_HOME is a new temporary folder: its weights/ links to the weights already converted in your dreamreel
home, its jax-cache/ starts empty (the cold run) and is reused by the warm runs. For every run it reports the wall
time, what JAX spent compiling (tracing, lowering to MLIR, and the backend compile or persistent-cache read, from
jax.monitoring events), persistent-cache hits and misses, the entries written, and the peak resident memory of
the process (ru_maxrss). With several --conv modes the runs alternate (cold A, cold B, warm A, warm B, ...), so a
busy machine slows each about alike; the load average is recorded with each run.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_IMAGE = ROOT.parent / "shared" / "data" / "content" / "sky1024px.jpg"

# Runs inside the child: listen to JAX's compile events, run the CLI, dump the figures as JSON at exit.
CHILD = r"""
import atexit, json, resource, sys, time
from collections import defaultdict
start = time.perf_counter()
import jax.monitoring as monitoring
durations, counts, compiles = defaultdict(float), defaultdict(int), []

def on_duration(event, seconds, **kw):
    durations[event] += seconds
    if event.endswith("backend_compile_duration"):
        compiles.append((kw.get("fun_name", "?"), round(seconds, 3)))

monitoring.register_event_duration_secs_listener(on_duration)
monitoring.register_event_listener(lambda event, **kw: counts.__setitem__(event, counts[event] + 1))

def dump():
    with open(sys.argv[1], "w") as f:
        json.dump({"durations": durations, "counts": counts, "compiles": compiles,
                   "in_process_s": time.perf_counter() - start,
                   "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}, f)

atexit.register(dump)
from dreamreel.cli import main
code = main(sys.argv[2:])
sys.exit(code)
"""

TRACE = "/jax/core/compile/jaxpr_trace_duration"
LOWER = "/jax/core/compile/jaxpr_to_mlir_module_duration"
BACKEND = "/jax/core/compile/backend_compile_duration"


def entries(cache: Path) -> set[str]:
    """The compiled programs in a JAX cache folder (not the "-atime" files its eviction keeps beside them)."""
    return {name for name in os.listdir(cache) if name.endswith("-cache")} if cache.exists() else set()


def make_home(source_home: Path) -> Path:
    home = Path(tempfile.mkdtemp(prefix="dreamreel-bench-"))
    (home / "weights").mkdir()
    for item in (source_home / "weights").iterdir():
        (home / "weights" / item.name).symlink_to(item)
    return home


def run_once(image: Path, home: Path, conv: str, octaves: int, steps: int, extra: list[str]) -> dict:
    stats_file = home / "stats.json"
    output = home / "dream.png"
    env = dict(os.environ, DREAMREEL_HOME=str(home), DREAMREEL_CONV=conv)
    command = [sys.executable, "-c", CHILD, str(stats_file), "dream", str(image), "-o", str(output),
               "--octaves", str(octaves), "--steps", str(steps), *extra]
    cache = home / "jax-cache"
    before = entries(cache)
    load = os.getloadavg()[0]
    start = time.perf_counter()
    result = subprocess.run(command, env=env, capture_output=True, text=True, cwd=ROOT)
    wall = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"dreamreel failed ({result.returncode}):\n{result.stderr[-3000:]}")
    stats = json.loads(stats_file.read_text())
    after = entries(cache)
    d = stats["durations"]
    compiling = d.get(TRACE, 0.0) + d.get(LOWER, 0.0) + d.get(BACKEND, 0.0)
    return {
        "conv": conv, "wall_s": wall, "load": load,
        "compile_s": compiling, "trace_s": d.get(TRACE, 0.0), "lower_s": d.get(LOWER, 0.0),
        "backend_s": d.get(BACKEND, 0.0), "compile_fraction": compiling / wall,
        "hits": stats["counts"].get("/jax/compilation_cache/cache_hits", 0),
        "misses": stats["counts"].get("/jax/compilation_cache/cache_misses", 0),
        "entries_written": len(after - before), "entries": len(after), "maxrss_mb": stats["maxrss_mb"],
        "compiles": stats["compiles"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--image", type=Path, default=DEFAULT_IMAGE)
    parser.add_argument("--octaves", type=int, default=4)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--warm-runs", type=int, default=1, help="runs after the cold one, same cache")
    parser.add_argument("--conv", default="auto", help="DREAMREEL_CONV modes to compare, comma-separated")
    parser.add_argument("--keep", action="store_true", help="keep the temporary homes (dream.png, jax-cache)")
    parser.add_argument("--verbose", action="store_true", help="list every backend compile and its seconds")
    parser.add_argument("extra", nargs="*", help="more CLI options after --, e.g. -- --tile 256")
    args = parser.parse_args()

    from dreamreel.home import dreamreel_home

    source = dreamreel_home()
    if not any((source / "weights").glob("*.npz")):
        raise SystemExit(f"no converted weights in {source / 'weights'}: run `dreamreel models fetch vgg16` first")
    modes = [m.strip() for m in args.conv.split(",") if m.strip()]
    homes = {mode: make_home(source) for mode in modes}
    print(f"{args.image.name}: {args.octaves} octaves x {args.steps} steps, default objective, "
          f"{os.cpu_count()} cores; uptime: {os.popen('uptime').read().strip()}")
    print("| conv | cache | wall s | compiling s (trace+lower+backend) | % compiling | hits | misses | "
          "entries written | peak RSS MB | load |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    try:
        for run in range(1 + args.warm_runs):
            for mode in modes:
                r = run_once(args.image, homes[mode], mode, args.octaves, args.steps, args.extra)
                label = "cold" if run == 0 else "warm"
                print(f"| {mode} | {label} | {r['wall_s']:.1f} | {r['compile_s']:.1f} ({r['trace_s']:.1f}+"
                      f"{r['lower_s']:.1f}+{r['backend_s']:.1f}) | {100 * r['compile_fraction']:.0f}% | {r['hits']} | "
                      f"{r['misses']} | {r['entries_written']} | {r['maxrss_mb']:.0f} | {r['load']:.1f} |", flush=True)
                if args.verbose:
                    for name, seconds in sorted(r["compiles"], key=lambda c: -c[1]):
                        print(f"    {seconds:7.2f} s  {name}")
    finally:
        for mode, home in homes.items():
            if args.keep:
                print(f"{mode}: kept {home}")
            else:
                shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
