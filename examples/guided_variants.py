"""Guided hallucination, seven ways, side by side: the dream (sky) and the guide (flowers).

    python examples/guided_variants.py            # writes examples/guided_variants.jpg (about 10 min on 2 cores)

Variants: towards the guide's features by dot product, L1 and L2; away from them by dot product and L2; L2
towards the features plus an L1 pixel loss towards the guide's pixels; and the original notebook's best-match
guide. Each one is the same octave dream with a different objective, built with dreamreel's objective algebra.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path


import dreamreel
from dreamreel.models import activations
from dreamreel.core.objectives import guide, guide_match, layer, pixels
from dreamreel.core.visualize import contact_sheet, labelled

HERE = Path(__file__).parent
DATA = HERE.parent.parent / "shared" / "data" / "content"
LAYER = "block4_conv3"


def main(size: int = 288) -> None:
    model = dreamreel.load_model("vgg16")
    image = dreamreel.read_image(DATA / "sky1024px.jpg", max_side=size)
    guide_image = dreamreel.io.resize(dreamreel.read_image(DATA / "flowers.jpg"), *image.shape[:2])
    g = activations(model, guide_image[None], LAYER)
    dream = layer(LAYER)
    variants = {
        "dot: towards": guide(LAYER, g, "dot"),
        "L1: towards": guide(LAYER, g, "l1"),
        "L2: towards": guide(LAYER, g, "l2"),
        "dot: away": dream - guide(LAYER, g, "dot"),
        "L2: away": dream - guide(LAYER, g, "l2"),
        "L2 + L1 pixels": guide(LAYER, g, "l2") + 0.5 * pixels(guide_image, "l1"),
        "best match (notebook)": guide_match(LAYER, g),
    }
    tiles = [labelled(image, "dream input"), labelled(guide_image, "guide")]
    for name, objective in variants.items():
        start = time.time()
        out = dreamreel.dream(image, model=model, objective=objective, octaves=3, steps=10)
        print(f"{name}: {objective.describe()} ({time.time() - start:.0f} s)", file=sys.stderr)
        tiles.append(labelled(out, name))
    dreamreel.write_image(HERE / "guided_variants.jpg", contact_sheet(tiles, columns=3), quality=88)


if __name__ == "__main__":
    main()
