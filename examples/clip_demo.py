"""A real clip, dreamed and painted with temporal consistency, measured against per-frame processing.

    python examples/clip_demo.py                 # about 30 min on 2 busy cores; writes into examples/

1. Makes examples/demo_clip.mp4 from the shared photos: the camera pans and zooms slowly over the sky photo
   while the flowers photo slides across as a moving object, with a two-tone sound track.
2. `dreamreel video` (the Python API behind it) dreams it (preset dream_dots) and paints it (preset starry) with
   the real VGG16 weights: examples/clip_dream.gif, examples/clip_starry.gif, and MP4s that keep the sound.
3. Prints the temporal warping error (mean squared change of consecutive outputs on reliably tracked pixels)
   of dreamreel's clip modes and of processing every frame on its own, for benchmarks/RESULTS.md.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np

import dreamreel
from dreamreel.io import ffmpeg_exe, open_writer, read_video, resize
from dreamreel.core.objectives import parse_objective
from dreamreel.jobs import ClipJob, run
from dreamreel.settings import load_clip_preset
from dreamreel.pipelines.clip import dream_clip, style_clip, temporal_error

HERE = Path(__file__).parent
DATA = HERE.parent.parent / "shared" / "data"
SIZE = (144, 256)  # (H, W): small enough for 2 CPU cores
FRAMES, FPS = 36, 12


def make_clip(path: Path) -> Path:
    sky = dreamreel.read_image(DATA / "content" / "sky1024px.jpg")
    flowers = resize(dreamreel.read_image(DATA / "content" / "flowers.jpg"), 48, 64)
    h, w = SIZE
    silent = path.with_name("silent.mp4")
    with open_writer(silent, FPS) as writer:
        for t in range(FRAMES):
            zoom = 1.0 + 0.004 * t  # a slow push-in while panning right
            crop_w, crop_h = 720 / zoom, 405 / zoom
            x0, y0 = 120 + 4.0 * t + (720 - crop_w) / 2, 80 + (405 - crop_h) / 2
            matrix = np.array([[crop_w / w, 0, x0], [0, crop_h / h, y0]], np.float64)
            frame = cv2.warpAffine(sky, matrix, (w, h), flags=cv2.INTER_CUBIC | cv2.WARP_INVERSE_MAP)
            left, top = int(10 + 5 * t), int(60 + 20 * np.sin(t / 6))
            frame[top:top + 48, left:left + 64] = flowers
            writer.write(np.clip(frame, 0, 1))
    subprocess.run([ffmpeg_exe(), "-y", "-loglevel", "error", "-i", str(silent), "-f", "lavfi", "-i",
                    f"sine=frequency=440:duration={FRAMES / FPS}", "-f", "lavfi", "-i",
                    f"sine=frequency=660:duration={FRAMES / FPS}", "-filter_complex", "[1:a][2:a]amix=inputs=2[a]",
                    "-map", "0:v", "-map", "[a]", "-c:v", "copy", "-c:a", "aac", "-shortest", str(path)], check=True)
    silent.unlink()
    return path


def to_gif(mp4: Path) -> Path:
    frames, info = read_video(mp4)
    gif = mp4.with_suffix(".gif")
    with open_writer(gif, info.fps) as writer:
        for frame in frames:
            writer.write(frame)
    return gif


def main() -> None:
    model = dreamreel.load_model("vgg16")
    clip_path = make_clip(HERE / "demo_clip.mp4")
    raw = list(read_video(clip_path)[0])
    compare = raw[:12]
    report = []

    dots = load_clip_preset("dream_dots")
    objective = parse_objective(dots.recipe.layers)
    start = time.time()
    out = run(ClipJob(str(clip_path), str(HERE / "clip_dream.mp4"), "dream_dots", ("max_side=8192",)),
              load_model=lambda name: model)
    report.append(f"dream mode: {(time.time() - start) / len(raw):.1f} s/frame at {SIZE[1]}x{SIZE[0]}")
    to_gif(out)
    ours = [image for image, _ in dream_clip(compare, model=model, objective=objective, settings=dots.clip)]
    alone = [dreamreel.dream(f, model=model, objective=objective, seed=i) for i, f in enumerate(compare)]
    report.append(f"dream temporal error: dreamreel {temporal_error(ours, compare):.5f}, "
                  f"each frame alone {temporal_error(alone, compare):.5f}")

    quick = ("max_side=8192", "iterations=30", "first_iterations=120")
    starry = load_clip_preset("starry", quick)
    styles = [dreamreel.read_image(p) for p in starry.clip.style]
    start = time.time()
    out = run(ClipJob(str(clip_path), str(HERE / "clip_starry.mp4"), "starry", quick), load_model=lambda name: model)
    report.append(f"style mode: {(time.time() - start) / len(raw):.1f} s/frame at {SIZE[1]}x{SIZE[0]} "
                  f"({starry.clip.iterations} iterations per frame)")
    to_gif(out)
    ours = [image for image, _ in style_clip(compare[:6], styles, model=model, settings=starry.clip)]
    alone = [next(style_clip([f], styles, model=model, settings=starry.clip))[0] for f in compare[:6]]
    report.append(f"style temporal error: dreamreel {temporal_error(ours, compare[:6]):.5f}, "
                  f"each frame alone {temporal_error(alone, compare[:6]):.5f}")
    print("\n".join(report))


if __name__ == "__main__":
    sys.exit(main())
