"""Train the shipped example network: Starry Night's look (the `starry` style recipe) on the shared photos.

    python examples/learned/train_starry.py                          # defaults: examples/learned/starry.dnet
    python examples/learned/train_starry.py --set steps=200 -o /tmp/quick.dnet

What `dreamreel learn --style ../shared/data/style/starry_night.jpg --photos ../shared/data/content -o starry.dnet`
does once the CLI is wired: the photos are ../shared/data/content (sky, flowers) and scikit-image's chelsea, coffee
and rocket, scaled to a 512 px longer side; the astronaut is held out for the previews and the fidelity benchmark.
The look is `dreamreel style`'s defaults (content block4_conv2, Gram style block1..5_conv1 at equal weights,
style weight 10), with the painting's statistics at the photos' scale. Re-running resumes an interrupted run.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared" / "data"
if not SHARED.is_dir():
    SHARED = Path("/work/shared/data")
PAINTING = SHARED / "style" / "starry_night.jpg"


def photos(side: int):
    from skimage import data

    from dreamreel.io import to_float_rgb
    from dreamreel.io import resize_to_fit
    from dreamreel.pipelines.learn import training_images

    train = training_images([SHARED / "content"], side)
    train += [resize_to_fit(to_float_rgb(getattr(data, name)()), side) for name in ("chelsea", "coffee", "rocket")]
    held = [resize_to_fit(to_float_rgb(data.astronaut()), side)]
    return train, held


def recipe(painting_path: Path, look) -> dict:
    return {"name": "starry", "kind": "style", "model": "vgg16", "style": painting_path.name,
            "style_sha256": hashlib.sha256(painting_path.read_bytes()).hexdigest()[:16],
            "content_layer": look.content_layer, "style_layers": list(look.style.names),
            "content_weight": look.content_weight, "style_weight": look.style_weight, "tv_weight": look.tv_weight}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-o", "--output", default=str(ROOT / "examples" / "learned" / "starry.dnet"))
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="a LearnSettings field")
    args = parser.parse_args(argv)

    from dreamreel.home import enable_compilation_cache
    from dreamreel.io import read_image
    from dreamreel.models import load_model
    from dreamreel.pipelines.learn import LearnSettings, learn, painting_look

    overrides = {}
    for item in args.set:
        key, value = item.split("=", 1)
        overrides[key] = type(getattr(LearnSettings(), key))(value)
    settings = LearnSettings(**overrides)
    enable_compilation_cache()
    model = load_model("vgg16")
    train, held = photos(settings.side)
    look = painting_look(model, [read_image(PAINTING)], side=settings.side)
    start = time.perf_counter()

    def report(p):
        terms = " ".join(f"{k} {v:.4g}" for k, v in p.losses.items())
        print(f"step {p.step}/{p.steps} {p.seconds_per_step:.2f} s/step {terms}"
              f"{' (resumed from %d)' % p.resumed_from if p.resumed_from else ''}"
              f"{' preview ' + str(p.preview) if p.preview else ''}", flush=True)

    learn(train, model=model, look=look, recipe=recipe(PAINTING, look), output=args.output, settings=settings,
          held_out=held, progress=report)
    print(f"wrote {args.output} in {time.perf_counter() - start:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
