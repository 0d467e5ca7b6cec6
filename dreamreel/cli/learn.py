"""`dreamreel learn`: train a small network to replicate a look (a LearnJob), or the DCGAN demonstration."""

from __future__ import annotations

import argparse
import sys

from ..jobs import LearnJob, run
from ..models import DEFAULT_MODEL
from ..pipelines.learn import GanSettings, LearnSettings
from .flags import add_settings, positive_int, settings_from
from .progress import progress_bar

ORDER = 60  # place in `dreamreel --help`

EXAMPLES = """\
examples:
  dreamreel learn --preset starry -o starry.dnet                  # Starry Night on the photos shipped with dreamreel
  dreamreel learn --style painting.jpg --photos my_photos/ -o mine.dnet
  dreamreel learn --preset starry --clip clip.mp4 -o starry.dnet   # a clip's own frames
  dreamreel learn --objective "block5_conv1" --photos a.jpg b.jpg c.jpg -o worms.dnet --steps 400
  dreamreel learn --preset dream_dots --clip clip.mp4 -o dots.dnet --keyframes 32 --keyframe-feature-weight 10 \
      --objective-weight 0 --temporal-weight 500 --width 8   # a dream from its optimiser's own frames
  dreamreel learn --unconditional --photos dreams/ -o dcgan.dnet  # a small DCGAN from noise (a demonstration)
then:
  dreamreel dream photo.jpg -o out.jpg --net starry.dnet          # a fraction of a second
  dreamreel dream photo.jpg -o out.jpg --net starry.dnet --iterations 10   # the optimiser finishes it
  dreamreel video clip.mp4 -o out.mp4 --net starry.dnet
  dreamreel render infinite_zoom -o zoom.mp4 --set net=starry.dnet
The network learns the look's own loss (Gatys content and style for a style; the dream objective and closeness to
the frame for a dream) on random crops; a checkpoint is saved every --checkpoint-every steps: Ctrl-C, then the
same command, resumes. OUTPUT.preview.jpg shows held-out photos or frames (raw | network) every --preview-every
steps. --keyframes N first runs the look's own optimiser on N training frames (a dream: seconds each; a style:
minutes), for --keyframe-weight (L1 to its output), --keyframe-feature-weight (its Gram statistics, crop by crop:
what teaches a dream) and --adversarial-weight (a PatchGAN critic). With --unconditional, --steps, --batch, --width, --learning-rate, --checkpoint-every, --report-every and
--seed set the GAN's training.
"""

GAN_ONLY = ("size", "latent", "samples")
SHARED = tuple(f for f in GanSettings.__dataclass_fields__ if f not in GAN_ONLY)


def add(commands) -> None:
    p = commands.add_parser("learn", help="train a small network to replicate a look, then apply it fast (--net)",
                            epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter,
                            description="Train a small image-to-image network (a Johnson-style residual net) on "
                                        "photos or a clip's frames to replicate a dream or a style; the .dnet file "
                                        "it writes paints a frame in a fraction of the optimiser's time.")
    p.add_argument("-o", "--output", required=True, help="the network file to write (.dnet)")
    look = p.add_argument_group("the look to learn (one of)")
    look.add_argument("--preset", help="a clip preset (dream or style; `dreamreel presets` lists them) or .toml path")
    look.add_argument("--style", nargs="+", metavar="IMAGE", help="paint in the style of these paintings")
    look.add_argument("--objective", metavar="TEXT", help='a dream objective, e.g. "block4_conv3 + 0.5*block5_conv1"')
    data = p.add_argument_group("what to learn on (default: the photos shipped with dreamreel)")
    data.add_argument("--clip", metavar="VIDEO", help="the frames of this clip (the temporal loss can use them)")
    data.add_argument("--photos", nargs="+", metavar="PATH", help="photo files and folders of photos")
    data.add_argument("--start", type=float, help="with --clip: first second to use")
    data.add_argument("--end", type=float, help="with --clip: second at which to stop")
    data.add_argument("--every", type=positive_int, default=1, metavar="N", help="with --clip: every N-th frame")
    p.add_argument("--model", default=DEFAULT_MODEL, help=f"network whose features define the look (default "
                                                          f"{DEFAULT_MODEL})")
    add_settings(p.add_argument_group("training"), LearnSettings)
    p.add_argument("--unconditional", action="store_true",
                   help="train a small DCGAN on --photos (dreamed images) and sample a grid from noise")
    add_settings(p.add_argument_group("the DCGAN (--unconditional)"), GanSettings, skip=SHARED)
    p.set_defaults(run=main)


def job_from(args) -> LearnJob:
    gan = settings_from(args, GanSettings) if args.unconditional else GanSettings()
    settings = LearnSettings() if args.unconditional else settings_from(args, LearnSettings)
    return LearnJob(args.output, args.preset, tuple(args.style or ()), args.objective or "", args.clip,
                    tuple(args.photos or ()), args.start, args.end, args.every, args.model, settings,
                    args.unconditional, gan)


def main(args) -> int:
    job = job_from(args)
    with progress_bar("learning" if not job.unconditional else "DCGAN") as bar:
        output = run(job, progress=bar)
    print(f"wrote {output}", file=sys.stderr)
    return 0
