"""Train the example networks of examples/learned/ with `dreamreel learn` (each command is printed before it runs).

    python examples/learned/train.py [starry] [dots]

starry.dnet: preset `starry` (Van Gogh's Starry Night, the style clip preset's weights) learned on the frames of
bikes.mp4 (filmed footage fetched once by dreamreel.io.footage), three frames held out for the previews and the
fidelity benchmark, every other setting at its default (no temporal term: `dreamreel video --net` steadies the clip
with its flow blend; with --temporal-weight 500 the held-out style loss was 0.186 instead of 0.115). dots.dnet:
preset `dream_dots` (block4_conv3 at a held strength of 12 grey levels) on the same frames, half as wide (8 channels
at full size: the dream optimiser's frame is cheap, so the network must be too), learned from the optimiser's own
outputs on 32 training frames: their Gram statistics (--keyframe-feature-weight), not the objective
(--objective-weight 0: alone it learns one stamped motif). Re-running a command resumes it.
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

COMMANDS = {
    "starry": ["learn", "--preset", "starry", "--clip", "{bikes}", "--held-out", "3", "-o", str(HERE / "starry.dnet")],
    "dots": ["learn", "--preset", "dream_dots", "--clip", "{bikes}", "--held-out", "3", "--temporal-weight", "500",
             "--width", "8", "--keyframes", "32", "--keyframe-feature-weight", "10", "--objective-weight", "0",
             "--steps", "400", "-o", str(HERE / "dots.dnet")],
}


def main(argv=None) -> int:
    from dreamreel.cli import main as dreamreel
    from dreamreel.io.footage import footage

    bikes = str(footage("bikes"))
    for name in (argv if argv is not None else sys.argv[1:]) or list(COMMANDS):
        command = [bikes if word == "{bikes}" else word for word in COMMANDS[name]]
        print("$ dreamreel " + shlex.join(command), flush=True)
        if dreamreel(command) != 0:
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
