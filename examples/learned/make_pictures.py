"""The pictures of examples/learned/: the shipped network on the held-out astronaut and on the demo clip.

    python examples/learned/make_pictures.py [--net examples/learned/starry.dnet]

Writes before_after.jpg (the held-out astronaut at 512 px: photo | network) and clip_net.gif (examples/demo_clip.mp4
painted frame by frame by the network, with the flow blend of net_clip at 0.5). The comparison sheet with the
optimiser's output is written by `python benchmarks/learned.py fidelity`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--net", default=str(HERE / "starry.dnet"))
    parser.add_argument("--blend", type=float, default=0.5)
    args = parser.parse_args(argv)

    from skimage import data

    from dreamreel.core.nets import apply_net
    from dreamreel.io import open_writer, read_video, resize_to_fit, to_float_rgb, write_image
    from dreamreel.io.netfile import load_net
    from dreamreel.pipelines.learn import net_clip, preview_sheet

    net = load_net(args.net)
    photo = resize_to_fit(to_float_rgb(data.astronaut()), 512)
    write_image(HERE / "before_after.jpg", preview_sheet([(photo, np.asarray(apply_net(net, photo)))], side=512))
    frames, info = read_video(ROOT / "examples" / "demo_clip.mp4")
    with open_writer(HERE / "clip_net.gif", info.fps) as writer:
        for frame in net_clip(frames, net, blend=args.blend):
            writer.write(frame)
    print(f"wrote {HERE / 'before_after.jpg'} and {HERE / 'clip_net.gif'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
