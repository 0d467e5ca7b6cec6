"""Seconds per frame of dreaming a clip at 640x360 (dream mode, preset dream_dots), with the real VGG16.

    python benchmarks/clip_speed.py [--frames 5]

A pan over sky1024px.jpg; the first frame (a full octave dream) is timed apart from the following ones (flow,
warp, then `steps` dream steps, one compiled program for all of them). Prints a markdown table.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import cv2
import numpy as np

import dreamreel
from dreamreel.core.objectives import parse_objective
from dreamreel.settings import load_clip_preset
from dreamreel.pipelines.clip import dream_clip

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "content"


def pan_frames(n: int, size=(360, 640), speed: float = 3.0) -> list[np.ndarray]:
    sky = dreamreel.read_image(DATA / "sky1024px.jpg")
    h, w = size
    return [cv2.resize(sky[100:100 + h, int(50 + speed * t):int(50 + speed * t) + w], (w, h)) for t in range(n)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--frames", type=int, default=5)
    args = parser.parse_args()
    preset = load_clip_preset("dream_dots")
    model = dreamreel.load_model("vgg16")
    frames = pan_frames(args.frames)
    times, clock = [], time.perf_counter()
    objective = parse_objective(preset.recipe.layers)
    for _ in dream_clip(frames, model=model, objective=objective, settings=preset.clip):
        now = time.perf_counter()
        times.append(now - clock)
        clock = now
    print("| size | first frame (octaves, incl. compiles) s | following frames s/frame (median) | frames |")
    print("|---|---|---|---|")
    print(f"| 640x360 | {times[0]:.1f} | {statistics.median(times[2:] or times[1:]):.1f} | {len(times)} |")


if __name__ == "__main__":
    sys.exit(main())
