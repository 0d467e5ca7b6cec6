"""The paper's original experiment, as a demonstration: a small DCGAN trained on dreamed images, sampled from noise.

    python examples/learned/dcgan_demo.py            # writes examples/learned/dcgan.dnet and dcgan.samples.png

What `dreamreel learn --unconditional --photos <folder of dreamed images> -o dcgan.dnet` does, on frames read
straight from videos (the command takes image files). The dreamed images here are the frames of two committed
examples made with the real weights: examples/infinite_zoom.mp4 (48 frames of a dream zoom grown from noise) and
examples/clip_dream.mp4 (36 frames of the demo clip dreamed with preset dream_dots). At 64 px and a few thousand CPU steps the generator learns the dreams' palette and textures
(eyes, dots, swirls as texture), not scenes: a demonstration of the idea, not a tool.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-o", "--output", default=str(ROOT / "examples" / "learned" / "dcgan.dnet"))
    parser.add_argument("--steps", type=int, default=3000)
    args = parser.parse_args(argv)

    from dreamreel.io import read_video
    from dreamreel.pipelines.learn import GanSettings, learn_unconditional

    images = []
    for clip in ("infinite_zoom.mp4", "clip_dream.mp4"):
        images += list(read_video(ROOT / "examples" / clip)[0])
    start = time.perf_counter()

    def report(p):
        print(f"step {p.step}/{p.steps} {p.seconds_per_step:.3f} s/step "
              + " ".join(f"{k} {v:.3f}" for k, v in p.losses.items()), flush=True)

    learn_unconditional(images, output=args.output, settings=GanSettings(steps=args.steps), progress=report)
    print(f"{len(images)} dreamed frames; wrote {args.output} in {time.perf_counter() - start:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
