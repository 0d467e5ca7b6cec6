"""Seconds per frame of the feedback pipeline (camera warp + a few dream steps) with the real VGG16 weights.

    python benchmarks/frame_speed.py                         # the infinite_zoom preset at 512x512 and 1280x720
    python benchmarks/frame_speed.py --sizes 256x256 --frames 5 --set steps=3
    DREAMREEL_CONV=fast python benchmarks/frame_speed.py       # the float32 path, to compare with auto (bf16 or fast)

For each size the preset is rendered without the octave dream of frame 0 (first_steps=0: it is paid once per video,
not per frame); frame 1 pays the compile and is a warm-up, then the median of --frames frames is reported, with the
load average of the machine at the start and end (the CPU may be shared). Prints a markdown table.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time


FLAGS = frozenset({"avx2", "avx512f", "avx512_bf16", "amx_bf16", "amx_tile"})


def measure(preset_name: str, size: tuple[int, int], frames: int, extra: list[str], model):
    from dreamreel.pipelines.feedback import Animation
    from dreamreel.settings import load_preset

    width, height = size
    preset = load_preset(preset_name, [f"width={width}", f"height={height}", f"frames={frames + 2}",
                                       "first_steps=0", "warmup=0", *extra])
    animation = Animation.build(preset, model)
    times = []
    clock = time.perf_counter()
    for _frame in animation.frames():
        now = time.perf_counter()
        times.append(now - clock)
        clock = now
    return preset, times[1], times[2:]  # frame 0 is the source itself; frame 1 compiles


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="infinite_zoom")
    parser.add_argument("--sizes", nargs="+", default=["512x512", "1280x720"], help="WIDTHxHEIGHT ...")
    parser.add_argument("--frames", type=int, default=3, help="timed frames after the warm-up (median reported)")
    parser.add_argument("--set", action="append", default=[], dest="overrides", metavar="KEY=VALUE")
    args = parser.parse_args(argv)

    import jax

    from dreamreel.home import enable_compilation_cache
    from dreamreel.models import load_model
    from dreamreel.models.cpu import cpu_flags
    from dreamreel.models.fastconv import conv_mode

    enable_compilation_cache()
    model = load_model("vgg16")
    load_before = os.getloadavg()
    rows = []
    for text in args.sizes:
        width, height = (int(v) for v in text.lower().split("x"))
        preset, warm, times = measure(args.preset, (width, height), args.frames, args.overrides, model)
        r = preset.render
        rows.append(f"| {width}x{height} | {r.steps} | {statistics.median(times):.2f} | {min(times):.2f} | "
                    f"{max(times):.2f} | {len(times)} | {warm:.1f} |")
        print(f"{text}: {[round(t, 2) for t in times]}", file=sys.stderr, flush=True)
    load_after = os.getloadavg()
    print(f"Preset `{args.preset}` ({preset.objective.layers or preset.objective.sweep}, "
          f"{preset.render.interpolation} warp), vgg16, jax {jax.__version__} on {platform.machine()} "
          f"({os.cpu_count()} cores, flags: {' '.join(sorted(cpu_flags() & FLAGS)) or 'none of ' + ' '.join(FLAGS)}), "
          f"convolutions: {conv_mode()}; load average {load_before[0]:.1f} at the start, {load_after[0]:.1f} at the end.")
    print()
    print("| frame size | steps/frame | s/frame (median) | min | max | frames timed | first frame incl. compile (s) |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    print("\n".join(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
