"""`dreamreel style`: parse the flags into a StyleJob and run it."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..core.stylize import StyleSettings
from ..jobs import StyleJob, run
from ..models import DEFAULT_MODEL
from .flags import add_settings, settings_from
from .progress import progress_bar

ORDER = 20  # place in `dreamreel --help`

EXAMPLES = """\
examples:
  dreamreel style photo.jpg starry_night.jpg -o starry.jpg
  dreamreel style photo.jpg starry_night.jpg the_scream.jpg --style-weights 3 1 -o blend.jpg
  dreamreel style photo.jpg starry_night.jpg -o keep.jpg --original-colors --style-scale 0.5
  dreamreel style photo.jpg starry_night.jpg -o quick.jpg --size 256 --scales 2 --iterations 100
  dreamreel style photo.jpg starry_night.jpg -o lbfgs.jpg --optimizer lbfgs --init noise
  dreamreel style photo.jpg starry_night.jpg -o more.jpg --style-weight 30 --tv-weight 2
  dreamreel style photo.jpg -o seen.jpg --reconstruct content --content-layer block5_conv1  # content alone
  dreamreel style starry_night.jpg -o texture.jpg --reconstruct style    # texture synthesis: all images are styles
"""


def add(commands) -> None:
    p = commands.add_parser(
        "style", help="paint a photo in the style of paintings (Gatys et al.)", epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Neural style transfer: optimise an image whose deep features match the content photo and "
                    "whose feature statistics (Gram matrices) match the style images, small to full size.")
    p.add_argument("content", help="the photo (with --reconstruct style: the first style image)")
    p.add_argument("styles", nargs="*", metavar="STYLE", help="style images; several are blended")
    p.add_argument("-o", "--output", required=True, help="where to write the result (.png, .jpg, .webp)")
    p.add_argument("--model", default=DEFAULT_MODEL, help=f"network (default {DEFAULT_MODEL})")
    add_settings(p.add_argument_group("how the painting runs"), StyleSettings)
    p.set_defaults(run=main)


def job_from(args) -> StyleJob:
    return StyleJob(args.content, tuple(args.styles), args.output, model=args.model,
                    settings=settings_from(args, StyleSettings))


def main(args) -> int:
    job = job_from(args)
    with progress_bar(f"styling {Path(job.content or job.styles[0]).name}") as bar:
        output = run(job, progress=bar)
    print(f"wrote {output}", file=sys.stderr)
    return 0
