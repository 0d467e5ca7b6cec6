"""The pictures of examples/learned/, each made by the `dreamreel` command printed before it runs.

    python examples/learned/make_pictures.py [--net examples/learned/starry.dnet] [--dream-net ...]

Writes, for each network given: NAME_clip.gif (the first 2 s of bikes.mp4 at 320 px painted by `dreamreel video
--net`, with the flow blend) and NAME_before_after.jpg (a bikes frame held out of training: raw | network, by
`dreamreel dream --net`). The comparison sheets with the optimiser (raw | optimiser | network on held-out frames)
are written by `python benchmarks/learned.py fidelity --sheet ...` and `... dream --dream-sheet ...`.
"""

from __future__ import annotations

import argparse
import shlex
import sys
import tempfile
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent


def _run(argv: list[str]) -> None:
    from dreamreel.cli import main

    print("$ dreamreel " + shlex.join(argv), flush=True)
    if main(argv) != 0:
        raise SystemExit(f"failed: dreamreel {shlex.join(argv)}")


def pictures(net_path: Path, clip: Path, folder: Path) -> None:
    from dreamreel.io import read_image, write_image
    from dreamreel.io.netfile import load_net
    from dreamreel.pipelines.learn import clip_frames, hold_out, preview_sheet

    name = net_path.stem
    _run(["video", str(clip), "-o", str(HERE / f"{name}_clip.gif"), "--net", str(net_path), "--max-side", "320",
          "--end", "2", "--restart"])
    settings = load_net(net_path).info["settings"]
    frame = hold_out(clip_frames(clip, settings["side"]), settings["held_out"])[1][0]
    raw = write_image(folder / f"{name}_held_out.png", frame)
    out = folder / f"{name}_out.png"
    _run(["dream", str(raw), "-o", str(out), "--net", str(net_path)])
    sheet = preview_sheet([(frame, read_image(out))], side=max(frame.shape[:2]))
    write_image(HERE / f"{name}_before_after.jpg", np.asarray(sheet), quality=90)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--net", nargs="+", default=[str(HERE / "starry.dnet")])
    parser.add_argument("--clip", help="the clip the networks learned from (default: the cached bikes.mp4)")
    args = parser.parse_args(argv)

    from dreamreel.io.footage import footage

    clip = Path(args.clip) if args.clip else footage("bikes")
    with tempfile.TemporaryDirectory() as folder:
        for path in args.net:
            pictures(Path(path), clip, Path(folder))
    return 0


if __name__ == "__main__":
    sys.exit(main())
