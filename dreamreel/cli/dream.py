"""`dreamreel dream`: parse the flags into a DreamJob and run it."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from ..core.dream import DreamSettings
from ..jobs import DreamJob, run
from ..models import DEFAULT_MODEL
from ..recipe import Recipe
from .batch import add_cluster_flag, outputs_in, run_jobs
from .flags import add_settings, positive_int, settings_from
from .progress import progress_bar

ORDER = 10  # place in `dreamreel --help`

EXAMPLES = """\
examples:
  dreamreel dream photo.jpg -o dream.jpg
  dreamreel dream photo.jpg -o dots.png --layer block4_conv3 --octaves 5 --steps 12
  dreamreel dream photo.jpg -o worms.png --objective "block5_conv1 + 0.5*block4_conv3:12,40"
  dreamreel dream big.jpg -o big-dream.jpg --tile 384          # any size, memory bounded by the tile
  dreamreel dream photo.jpg -o out.png --model vgg16_imagenet  # classic ImageNet weights (fetch them first)
  dreamreel dream photo.jpg -o g.png --guide flowers.jpg --guide-loss l2          # towards the guide's features
  dreamreel dream photo.jpg -o g.png --guide flowers.jpg --guide-weight -1        # away from them
  dreamreel dream photo.jpg -o g.png --guide flowers.jpg --pixel-loss l1 --pixel-weight -0.5
  dreamreel dream photo.jpg -o g.png --guide flowers.jpg --guide-loss match       # the notebook's best match
  dreamreel dream photo.jpg -o g.png --guide-channels starry_night.jpg            # favour the guide's channels
  dreamreel dream photo.jpg -o s.png --style starry_night.jpg --style-weight 200  # in a painting's statistics
  dreamreel dream photo.jpg -o b.png --channels-from a.jpg b.jpg --select least   # away from a batch's channels
  dreamreel dream photo.jpg -o j.png --model inception_v1 --class jellyfish --timelapse j.gif
  dreamreel dream photos/*.jpg -o out/                         # a batch: out/NAME.jpg for each photo
  dreamreel dream photos/*.jpg -o out/ --cluster auto          # one task per photo on a Ray cluster
  dreamreel dream photo.jpg -o s.jpg --net starry.dnet         # a trained network (`dreamreel learn`): fast
  dreamreel dream photo.jpg -o s.jpg --net starry.dnet --iterations 10   # then the look's optimiser finishes it
"""

RECIPE_SKIP = ("sweep", "position", "dream_weight")


def add(commands) -> None:
    p = commands.add_parser(
        "dream", help="dream a photo (octave DeepDream)", epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Gradient ascent on the photo to amplify what the chosen layers see, octave by octave.")
    p.add_argument("input", nargs="+", help="the photo(s) to dream (PNG, JPEG, WebP, ...)")
    p.add_argument("-o", "--output", required=True,
                   help="where to write the dream (.png, .jpg, .webp); a FOLDER/ for several photos")
    p.add_argument("--model", default=DEFAULT_MODEL, help=f"network (default {DEFAULT_MODEL}; see `dreamreel models`)")
    p.add_argument("--layer", action="append", metavar="NAME",
                   help="layer to amplify; repeat to sum several (default: the model's dream layers)")
    add_settings(p.add_argument_group("how the dream runs"), DreamSettings)
    p.add_argument("--max-side", type=positive_int, metavar="PX", help="shrink the input so its longer side is at most PX")
    add_settings(p.add_argument_group("what to dream: objectives, guides, styles, classes"), Recipe,
                 skip=RECIPE_SKIP)
    p.add_argument("--guide-channels", metavar="IMAGE",
                   help="weight the dream layers' channels by this image's activations (= --guide IMAGE "
                        "--guide-loss channels)")
    p.add_argument("--timelapse", metavar="GIF_OR_MP4", help="also write every step as an animation")
    net = p.add_argument_group("a trained network (`dreamreel learn`) instead of the optimiser")
    net.add_argument("--net", metavar="FILE", help="apply this network (.dnet): it brings its own look")
    net.add_argument("--iterations", type=int, metavar="K",
                     help="with --net: then K steps (a dream) or iterations (a style) of the look's own optimiser "
                          "from the network's output (--steps K says the same)")
    add_cluster_flag(p)
    p.set_defaults(run=main)


def job_from(args) -> DreamJob:
    (job,) = jobs_from(args)
    return job


def jobs_from(args) -> list[DreamJob]:
    """One job per input photo."""
    from ..errors import DreamreelError

    layers = args.layer or []
    if args.layers and layers:
        raise DreamreelError("give either --objective or --layer, not both")
    if args.guide_channels:
        if args.guide:
            raise DreamreelError("give --guide or --guide-channels, not both")
        args.guide, args.guide_mode = args.guide_channels, "channels"
    recipe = settings_from(args, Recipe, layers=" + ".join(layers) or None)
    inputs = args.input if isinstance(args.input, list) else [args.input]
    several = len(inputs) > 1 or args.output.endswith(("/", os.sep))
    outputs = outputs_in(args.output, inputs) if several else [args.output]
    if args.timelapse and len(inputs) > 1:
        raise DreamreelError("--timelapse takes one photo")
    net_steps = _net_steps(args)
    return [DreamJob(path, output, model=args.model, recipe=recipe, settings=settings_from(args, DreamSettings),
                     max_side=args.max_side, timelapse=args.timelapse, net=args.net, net_steps=net_steps)
            for path, output in zip(inputs, outputs)]


def _net_steps(args) -> int:
    """The optimiser's steps after a network: --iterations K, or --steps K given with --net."""
    from ..errors import DreamreelError

    if args.net is None:
        if args.iterations is not None:
            raise DreamreelError("--iterations continues a network's output: give --net FILE too")
        return 0
    if args.iterations is not None and args.steps is not None and args.iterations != args.steps:
        raise DreamreelError("with --net, --steps and --iterations say the same: give one")
    steps = args.iterations if args.iterations is not None else args.steps
    args.steps = None  # the optimiser's settings keep their defaults: the count is the hybrid's
    if steps is not None and steps < 0:
        raise DreamreelError(f"--iterations must be 0 or more, got {steps}")
    return steps or 0


def main(args) -> int:
    jobs = jobs_from(args)
    if len(jobs) > 1 or args.cluster:
        return run_jobs(jobs, args, "dreaming")
    job = jobs[0]
    with progress_bar(f"dreaming {Path(job.input).name}") as bar:
        output = run(job, progress=bar)
    if job.timelapse:
        print(f"wrote {job.timelapse}", file=sys.stderr)
    print(f"wrote {output}", file=sys.stderr)
    return 0
