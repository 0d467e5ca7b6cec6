"""`dreamreel visualize` and `dreamreel atlas`: feature visualisation from noise."""

from __future__ import annotations

import argparse
import sys

from ..core.visualize import VisualizeSettings
from ..jobs import AtlasJob, VisualizeJob, run
from ..models import DEFAULT_MODEL
from .batch import add_cluster_flag, run_jobs
from .flags import add_settings, settings_from
from .progress import progress_bar

ORDER = 30  # place in `dreamreel --help`

EXAMPLES = """\
examples:
  dreamreel visualize -o ch.png --objective "block4_conv3_pre_relu:12"          # one channel, from noise
  dreamreel visualize -o jelly.png --model inception_v1 --class jellyfish
  dreamreel atlas -o sheet.png --layer block4_conv3_pre_relu --channels 0-15     # 16 channels of one layer
  dreamreel atlas -o depth.png --per-layer --channel 7                           # edges -> textures -> objects
  dreamreel atlas -o big.png --layer block5_conv1_pre_relu --channels 0-63 --cluster auto   # a task per cell
"""


def add(commands) -> None:
    p = commands.add_parser("visualize", help="what a layer, channel or class sees, rendered from noise",
                            epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("-o", "--output", required=True, help="image to write (.png, .jpg)")
    p.add_argument("--model", default=DEFAULT_MODEL, help=f"network (default {DEFAULT_MODEL})")
    p.add_argument("--objective", default="", metavar="SPEC", help='e.g. "block4_conv3_pre_relu:12" or "block5_conv1"')
    p.add_argument("--class", dest="class_label", default="", metavar="LABEL", help="a class of the classifier head")
    add_settings(p, VisualizeSettings)
    p.set_defaults(run=main_visualize)

    p = commands.add_parser("atlas", help="a contact sheet of channel visualisations",
                            epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("-o", "--output", required=True, help="image to write (.png, .jpg)")
    p.add_argument("--model", default=DEFAULT_MODEL, help=f"network (default {DEFAULT_MODEL})")
    p.add_argument("--layer", metavar="NAME", help="the layer whose channels fill the sheet")
    p.add_argument("--channels", default="0-15", metavar="RANGE", help="e.g. 0-15 or 3,9,27 (default %(default)s)")
    p.add_argument("--per-layer", action="store_true", help="one channel of every conv layer instead")
    p.add_argument("--channel", type=int, default=7, help="the channel used with --per-layer (default 7)")
    add_settings(p, VisualizeSettings)
    add_cluster_flag(p)
    p.set_defaults(run=main_atlas)


def main_visualize(args) -> int:
    job = VisualizeJob(args.output, objective=args.objective, class_label=args.class_label, model=args.model,
                       settings=settings_from(args, VisualizeSettings))
    with progress_bar("visualizing") as bar:
        output = run(job, progress=bar)
    print(f"wrote {output}", file=sys.stderr)
    return 0


def main_atlas(args) -> int:
    job = AtlasJob(args.output, layer=args.layer, channels=args.channels, per_layer=args.per_layer,
                   channel=args.channel, model=args.model, settings=settings_from(args, VisualizeSettings))
    if args.cluster:
        return run_jobs([job], args, "atlas")
    with progress_bar("atlas") as bar:
        output = run(job, progress=bar)
    print(f"wrote {output}", file=sys.stderr)
    return 0
