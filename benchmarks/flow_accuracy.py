"""Accuracy and speed of the optical flow methods in dreamreel.flow, on synthetic clips with known motion.

main(argv) -> prints a markdown table per photo: average end-point error (px) and seconds per flow field.

Clips (tests/synthetic.py) are rendered from a real photo at 640x360: a subpixel pan (2.3, -0.6) px/frame, a
zoom of 1.02x per frame, a rotation of 1 degree per frame, and a textured square moving (2.5, 1.5) px/frame over
the static photo. End-point error |estimated - true| is averaged over the pixels of each frame that are still seen
in the next one (inside the frame and not hidden by the square), over all consecutive pairs of the clip;
"square (object)" averages over the square alone. Time is wall-clock per optical_flow call (grey conversion
included), after one warm-up call, with OpenCV's default threads.

    python benchmarks/flow_accuracy.py [--frames 6] [--photos astronaut,sky] [--size 640x360]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from synthetic import moving_square_clip, pan_clip, rotate_clip, zoom_clip  # noqa: E402

from dreamreel.motion.flow import optical_flow  # noqa: E402
from dreamreel.io import read_image, resize, to_float_rgb  # noqa: E402

CANDIDATES = [("dis", "ultrafast"), ("dis", "fast"), ("dis", "medium"), ("farneback", None)]
SKY = ROOT.parent / "shared" / "data" / "content" / "sky1024px.jpg"


def load_photo(name: str) -> np.ndarray:
    """A source at least 1024 px wide, so a 640x360 window can pan, zoom and turn inside it."""
    if name == "astronaut":
        from skimage import data

        return resize(to_float_rgb(data.astronaut()), 1024, 1024)
    if name == "chelsea":
        from skimage import data

        return resize(to_float_rgb(data.chelsea()), 681, 1024)
    path = SKY if name == "sky" else Path(name)
    image = read_image(path)
    if image.shape[1] < 1024:
        image = resize(image, round(image.shape[0] * 1024 / image.shape[1]), 1024)
    return image


def clips(photo: np.ndarray, n: int, size: tuple[int, int]):
    h, w = size
    background = resize(photo, h, round(photo.shape[1] * h / photo.shape[0]))
    x0 = (background.shape[1] - w) // 2
    background = np.ascontiguousarray(background[:, x0:x0 + w]) if background.shape[1] >= w else resize(photo, h, w)
    return {
        "pan": pan_clip(photo, n, 2.3, -0.6, size=size),
        "zoom": zoom_clip(photo, n, 1.02, size=size),
        "rotation": rotate_clip(photo, n, 1.0, size=size),
        "square": moving_square_clip(background, n, side=min(h, w) // 4, velocity=(2.5, 1.5)),
    }


def evaluate(clip_set, method: str, preset: str | None):
    kwargs = {"method": method} if preset is None else {"method": method, "preset": preset}
    first = next(iter(clip_set.values())).frames
    optical_flow(first[0], first[1], **kwargs)  # warm-up
    errors, seconds = {}, []
    for name, clip in clip_set.items():
        total, count, on_object, object_count = 0.0, 0, 0.0, 0
        for k in range(len(clip.frames) - 1):
            start = time.perf_counter()
            flow = optical_flow(clip.frames[k], clip.frames[k + 1], **kwargs)
            seconds.append(time.perf_counter() - start)
            epe = np.linalg.norm(flow - clip.forward[k], axis=-1)
            valid = clip.valid_forward[k]
            total, count = total + epe[valid].sum(), count + valid.sum()
            if clip.coverage is not None:
                inner = valid & (clip.coverage[k] == 1.0)
                on_object, object_count = on_object + epe[inner].sum(), object_count + inner.sum()
        errors[name] = total / count
        if clip.coverage is not None:
            errors[name + " (object)"] = on_object / object_count
    return errors, float(np.median(seconds))


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--frames", type=int, default=6, help="frames per clip (pairs = frames - 1)")
    parser.add_argument("--photos", default="astronaut,sky", help="astronaut, chelsea, sky or image paths")
    parser.add_argument("--size", default="640x360", help="frame size WxH")
    args = parser.parse_args(argv)
    w, h = (int(v) for v in args.size.lower().split("x"))
    for photo_name in args.photos.split(","):
        clip_set = clips(load_photo(photo_name), args.frames, (h, w))
        rows = []
        for method, preset in CANDIDATES:
            errors, seconds = evaluate(clip_set, method, preset)
            rows.append((f"{method} {preset or ''}".strip(), errors, seconds))
        columns = list(rows[0][1])
        print(f"\n{photo_name}, {w}x{h}, {args.frames - 1} pairs per clip: average end-point error (px), "
              f"median seconds per flow field\n")
        print("| method | " + " | ".join(columns) + " | mean EPE | s/frame |")
        print("|---|" + "---:|" * (len(columns) + 2))
        for label, errors, seconds in rows:
            main_errors = [errors[c] for c in columns if "(object)" not in c]
            print(f"| {label} | " + " | ".join(f"{errors[c]:.3f}" for c in columns)
                  + f" | {np.mean(main_errors):.3f} | {seconds:.4f} |")


if __name__ == "__main__":
    main()
