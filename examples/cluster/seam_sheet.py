"""Frames across a segment seam of a clip dreamed on a Ray cluster, beside the same frames of a local run.

    python examples/cluster/seam_sheet.py            # -> examples/cluster/seam_sheet.jpg, seam_clip.mp4 (~5 min)

A pan over the shared sky photo (32 frames, 320x180, 24 fps) is dreamed with the dream_dots look twice: on a local
two-node Ray cluster (segments of 16 frames with the default warm-up, i.e. one seam between frames 15 and 16, each
half on its own node) and in one sequential local run. The sheet shows frames 13..18: the input, the local run, the
cluster's; under each cluster frame, the temporal error of the pair it ends (frame t against frame t-1 carried
along the optical flow, the measure of benchmarks/RESULTS.md), with the seam's pair marked.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import cv2

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
SKY = next(p for p in (ROOT.parent / "shared", ROOT.parents[1] / "shared") if p.is_dir()) / "data" / "content" / "sky1024px.jpg"
FRAMES, SIDE, SEGMENT, SHOWN = 32, 320, 16, range(13, 19)


def pan(path: Path) -> None:
    from dreamreel.io import open_writer, read_image

    sky = read_image(SKY)
    h, w = SIDE * 9 // 16, SIDE
    with open_writer(path, 24, quality=12) as writer:
        for t in range(FRAMES):
            x = int(40 + 2.5 * t)
            writer.write(cv2.resize(sky[120:120 + 2 * h, x:x + 2 * w], (w, h), interpolation=cv2.INTER_AREA))


def main() -> None:
    from dreamreel import cluster
    from dreamreel.cluster.local import LocalCluster
    from dreamreel.core.visualize import contact_sheet, labelled
    from dreamreel.io import open_writer, read_image, read_video, write_image
    from dreamreel.jobs import ClipJob, run
    from dreamreel.pipelines.clip import temporal_error

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        clip = tmp / "pan.mp4"
        pan(clip)
        look = (f"max_side={SIDE}",)
        local = sorted(run(ClipJob(str(clip), str(tmp / "local/"), "dream_dots", look)).glob("frame_*.png"))
        with LocalCluster(nodes=2, cpus_per_node=1, env={"PYTHONPATH": str(ROOT)}) as ray_cluster:
            (frames_dir,) = cluster.run([ClipJob(str(clip), str(tmp / "cluster/"), "dream_dots", look)],
                                        address=ray_cluster.address, segment=SEGMENT)
        remote = sorted(frames_dir.glob("frame_*.png"))
        mp4 = HERE / "seam_clip.mp4"
        with open_writer(mp4, 24, quality=16) as writer:
            for path in remote:
                writer.write(read_image(path))
        raws = list(read_video(clip)[0])
        tiles = []
        for row, paths in (("input", None), ("local", local), ("cluster", remote)):
            for t in SHOWN:
                image = raws[t] if paths is None else read_image(paths[t])
                text = f"{row} {t}"
                if paths is not None:
                    error = temporal_error([read_image(paths[t - 1]), image], raws[t - 1:t + 1])
                    text += f" e={1e4 * error:.1f}" + (" SEAM" if row == "cluster" and t == SEGMENT else "")
                tiles.append(labelled(image, text))
        write_image(HERE / "seam_sheet.jpg", contact_sheet(tiles, columns=len(SHOWN)), quality=90)
    print(f"wrote {HERE / 'seam_sheet.jpg'} and {mp4} (temporal errors x 1e-4)", file=sys.stderr)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONPATH", str(ROOT))
    sys.exit(main())
