"""`dreamreel video`: dream or paint over a clip (a ClipJob)."""

from __future__ import annotations

import argparse
import json
import sys

from ..jobs import ClipJob, run
from .batch import add_cluster_flag, run_jobs
from .flags import positive_int
from .progress import progress_bar

ORDER = 50  # place in `dreamreel --help`

EXAMPLES = """\
examples:
  dreamreel video clip.mp4 -o dots.mp4 --preset dream_dots              # presets/video/*.toml
  dreamreel video clip.mp4 -o starry.mp4 --style starry_night.jpg --start 2 --end 6
  dreamreel video clip.mp4 -o worms.mp4 --objective "block5_conv1" --steps 6 --max-side 480
  dreamreel video clip.mp4 -o g.mp4 --set objective.guide=flowers.jpg --set objective.guide_mode=channels
  dreamreel video clip.mp4 -o frames/ --preset starry --no-audio         # PNG frames
  dreamreel video clip.mp4 -o dots.mp4 --preset dream_dots --cluster auto   # segments in parallel on Ray
  dreamreel video clip.mp4 -o fast.mp4 --net starry.dnet       # a trained network (`dreamreel learn`) paints it
The input's audio is kept (trimmed to --start/--end) in MP4 outputs. Ctrl-C, then the same command, resumes.
`dreamreel presets --keys` lists every clip setting (usable with --set).
"""

SHORTCUTS = (("model", str), ("max_side", int), ("steps", int), ("iterations", int), ("temporal_weight", float),
             ("seed", int), ("net", str))


def add(commands) -> None:
    p = commands.add_parser("video", help="dream or paint over a video clip, steady along its motion",
                            epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter,
                            description="Each frame starts from the previous result warped by optical flow, "
                                        "so the dream or the painting moves with the scene instead of flickering.")
    p.add_argument("input", help="the clip (any format ffmpeg reads)")
    p.add_argument("-o", "--output", required=True, help="video to write: .mp4, .gif, .apng, or a folder/ of PNGs")
    p.add_argument("--preset", help="a clip preset name (presets/video/) or .toml path")
    p.add_argument("--style", nargs="+", metavar="IMAGE", help="paint the clip in the style of these images")
    p.add_argument("--objective", metavar="SPEC", help='what to dream, e.g. "block4_conv3 + 0.5*block5_conv1"')
    p.add_argument("--model", help="network (default vgg16)")
    p.add_argument("--max-side", type=int, help="working size: the longer side in px (default 640)")
    p.add_argument("--steps", type=int, help="dream steps per frame (dream mode)")
    p.add_argument("--iterations", type=int, help="optimiser iterations per frame (style mode)")
    p.add_argument("--temporal-weight", type=float, help="how strongly a painted pixel follows its motion")
    p.add_argument("--seed", type=int)
    p.add_argument("--net", metavar="FILE", help="a trained network (.dnet, `dreamreel learn`) paints every frame, "
                                                 "blended along the motion (--set net_blend=...)")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", dest="overrides",
                   help="any clip setting, e.g. carry=0.95 or objective.guide=flowers.jpg")
    p.add_argument("--start", type=float, help="first second of the clip to use")
    p.add_argument("--end", type=float, help="second at which to stop")
    p.add_argument("--no-audio", action="store_true", help="do not copy the input's audio")
    p.add_argument("--restart", action="store_true", help="ignore the checkpoint of an interrupted run")
    add_cluster_flag(p)
    p.add_argument("--segment", type=positive_int, metavar="FRAMES",
                   help="with --cluster: frames per segment rendered in parallel (default 48; more than 10)")
    p.set_defaults(run=main)


def job_from(args) -> ClipJob:
    overrides = []
    if args.style:
        overrides += ['mode="style"', f"style={json.dumps(args.style)}"]
    if args.objective:
        overrides.append(f"objective.layers={json.dumps(args.objective)}")
    for name, kind in SHORTCUTS:
        value = getattr(args, name)
        if value is not None:
            overrides.append(f"{name}={json.dumps(value)}")
    return ClipJob(args.input, args.output, args.preset, tuple(overrides + args.overrides), args.start, args.end,
                   keep_audio=not args.no_audio, resume=not args.restart)


def main(args) -> int:
    job = job_from(args)
    if args.cluster and args.net:
        from ..errors import DreamreelError

        raise DreamreelError("a network paints a clip fast on this machine: drop --cluster")
    if args.cluster:
        return run_jobs([job], args, "video", **({"segment": args.segment} if args.segment else {}))
    with progress_bar(f"{job.input}") as bar:
        output = run(job, progress=bar)
    print(f"wrote {output}", file=sys.stderr)
    return 0
