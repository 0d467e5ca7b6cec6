"""`dreamreel render` (feedback animations from presets) and `dreamreel presets`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..jobs import RenderJob, run
from ..errors import DreamreelError
from .batch import add_cluster_flag, is_folder, run_jobs
from .flags import positive_int
from .progress import progress_bar

ORDER = 40  # place in `dreamreel --help`

EXAMPLES = """\
examples:
  dreamreel presets                                        # the presets and what each does
  dreamreel render infinite_zoom -o zoom.mp4               # Ctrl-C and re-run the same command to resume
  dreamreel render infinite_zoom -o zoom.gif --frames 48 --set width=256 --set height=256
  dreamreel render spiral_zoom -o s.mp4 --set "camera.rotate=[[0, 0.0], ['50%', 2.0, 'ease_in_out']]"
  dreamreel render my_preset.toml -o out/ --preview latest.png --preview-every 5   # PNG frames + a preview
  dreamreel render infinite_zoom spiral_zoom --seeds 1 2 3 -o renders/ --cluster auto  # 6 renders at once
A feedback animation is sequential (each frame is the last one moved and dreamed again): --cluster spreads
several presets or seeds, one render per worker, not the frames of one render.
"""


def add(commands) -> None:
    p = commands.add_parser("render", help="render an animation preset (zoom feedback, sweeps, loops)",
                            epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter,
                            description="Feedback animation: each frame is the last one moved by the camera and "
                                        "dreamed a few steps more. Settings come from a TOML preset "
                                        "(`dreamreel presets --keys` lists every key).")
    p.add_argument("preset", nargs="+", help="a preset name (see `dreamreel presets`) or the path of a .toml file; "
                                             "several (or --seeds) need -o FOLDER/")
    p.add_argument("-o", "--output", help="video to write: .mp4, .gif, .apng, or a folder/ of PNGs "
                                          "(default PRESET.mp4)")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", dest="overrides",
                   help="override a preset key, e.g. steps=2, camera.zoom=1.05, objective.layers=block5_conv1")
    p.add_argument("--frames", type=int, help="number of frames (the preset's `frames`)")
    p.add_argument("--fps", type=float, help="frames per second (the preset's `fps`)")
    p.add_argument("--quality", type=int, help="MP4 quality, H.264 CRF 0..51 (the preset's `quality`)")
    p.add_argument("--preview", metavar="PATH", help="write the latest frame to this image as the render goes")
    p.add_argument("--preview-every", type=positive_int, default=1, metavar="N",
                   help="update the preview every N frames")
    p.add_argument("--restart", action="store_true", help="ignore the checkpoint of an interrupted run")
    p.add_argument("--keep-frames", action="store_true", help="keep the checkpoint folder OUTPUT.frames/")
    p.add_argument("--seeds", type=int, nargs="+", metavar="SEED", help="one render per seed (-o FOLDER/)")
    add_cluster_flag(p)
    p.set_defaults(run=main)
    p = commands.add_parser("presets", help="list the presets with a one-line description")
    p.add_argument("--keys", action="store_true", help="also list every preset key with its default")
    p.set_defaults(run=main_presets)


def job_from(args) -> RenderJob:
    (job,) = jobs_from(args)
    return job


def _job(args, preset: str, output: str | None, overrides: list[str]) -> RenderJob:
    for key, value in (("frames", args.frames), ("fps", args.fps), ("quality", args.quality)):
        if value is not None:
            overrides.append(f"{key}={value}")
    return RenderJob(preset, output, tuple(overrides), args.preview, args.preview_every,
                     resume=not args.restart, keep_frames=args.keep_frames)


def jobs_from(args) -> list[RenderJob]:
    """One render per preset and seed; several go to FOLDER/PRESET.mp4 or FOLDER/PRESET-seedN.mp4."""
    presets = args.preset if isinstance(args.preset, list) else [args.preset]
    seeds = args.seeds or [None]
    several = len(presets) * len(seeds) > 1
    if several and not (args.output and is_folder(args.output)):
        raise DreamreelError("several presets or seeds need an output folder: -o FOLDER/")
    jobs = []
    for preset in presets:
        for seed in seeds:
            name = Path(preset).stem + (f"-seed{seed}" if seed is not None else "") + ".mp4"
            jobs.append(_job(args, preset, str(Path(args.output, name)) if several else args.output,
                             list(args.overrides) + ([f"seed={seed}"] if seed is not None else [])))
    return jobs


def main(args) -> int:
    jobs = jobs_from(args)
    if len(jobs) > 1 or args.cluster:
        return run_jobs(jobs, args, "render")
    job = jobs[0]
    with progress_bar(job.preset) as bar:
        output = run(job, progress=bar)
    print(f"wrote {output}", file=sys.stderr)
    return 0


def main_presets(args) -> int:
    from ..home import presets_dir
    from ..settings import ANIMATION_SECTIONS, CLIP_SECTIONS, describe_settings, list_clip_presets, list_presets

    for title, found in (("animations (dreamreel render NAME)", list_presets()),
                         ("clips (dreamreel video CLIP --preset NAME)", list_clip_presets())):
        print(f"{title}:")
        width = max((len(name) for name, _, _ in found), default=0)
        for name, description, _ in found:
            print(f"  {name:<{width}}  {description}")
        if not found:
            print(f"  none in {presets_dir()}")
    if args.keys:
        print("\nanimation presets:\n" + describe_settings(ANIMATION_SECTIONS))
        print("\nclip presets:\n" + describe_settings(CLIP_SECTIONS))
    return 0
