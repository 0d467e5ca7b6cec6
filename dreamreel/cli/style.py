"""`dreamreel style`: parse the flags into a StyleJob and run it."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..core.stylize import StyleSettings
from ..jobs import StyleJob, run
from ..models import DEFAULT_MODEL
from .batch import add_cluster_flag, outputs_in, run_jobs
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
  dreamreel style photos/*.jpg --styles starry_night.jpg -o out/         # a batch: out/NAME.jpg for each photo
  dreamreel style photos/*.jpg --styles starry_night.jpg -o out/ --cluster auto   # one task per photo
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
    p.add_argument("--styles", nargs="+", metavar="STYLE", dest="style_images",
                   help="paint every photo given in the style of these images (a batch: -o FOLDER/)")
    add_settings(p.add_argument_group("how the painting runs"), StyleSettings)
    add_cluster_flag(p)
    p.set_defaults(run=main)


def job_from(args) -> StyleJob:
    return StyleJob(args.content, tuple(args.styles), args.output, model=args.model,
                    settings=settings_from(args, StyleSettings))


def jobs_from(args) -> list[StyleJob]:
    """With --styles every positional image is a photo, painted into the output folder; else the one job."""
    if not args.style_images:
        return [job_from(args)]
    photos = [args.content, *args.styles]
    return [job_from(argparse.Namespace(**{**vars(args), "content": photo, "styles": args.style_images,
                                           "output": output}))
            for photo, output in zip(photos, outputs_in(args.output, photos))]


def main(args) -> int:
    jobs = jobs_from(args)
    if len(jobs) > 1 or args.cluster:
        return run_jobs(jobs, args, "styling")
    job = jobs[0]
    with progress_bar(f"styling {Path(job.content or job.styles[0]).name}") as bar:
        output = run(job, progress=bar)
    print(f"wrote {output}", file=sys.stderr)
    return 0
