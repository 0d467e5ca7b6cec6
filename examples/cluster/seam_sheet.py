"""Frames across a segment seam of a clip dreamed on a Ray cluster, beside the same frames of a local run.

    python examples/cluster/seam_sheet.py            # -> examples/cluster/seam_sheet.jpg, seam_clip.mp4 (~10 min)

A pan over the shared sky photo (28 frames, 160x90, 24 fps) is dreamed with the dream_dots look twice: on a local
two-node Ray cluster (two segments of 14 frames, each on its own node, with the default warm-up and crossfade) and
in one sequential local run. The sheet shows the frames from just before the seam to just after the crossfade: the
input, the local run, the cluster's; under each frame, the temporal error (x 1e-4) of the pair it ends (frame t
against frame t-1 carried along the optical flow, the measure of benchmarks/RESULTS.md); "fade" marks the
cluster's crossfaded frames.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import cv2

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
SKY = next(p for p in (ROOT.parent / "shared", ROOT.parents[1] / "shared") if p.is_dir()) / "data" / "content" / "sky1024px.jpg"
FRAMES, SIDE, SEGMENT = 28, 160, 14


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
    from dreamreel.cluster import CROSSFADE
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
        tiles, shown = [], range(SEGMENT - 1, SEGMENT + CROSSFADE + 1)
        for row, paths in (("input", None), ("local", local), ("cluster", remote)):
            for t in shown:
                image = raws[t] if paths is None else read_image(paths[t])
                text = (f"{row} " if t == shown[0] else "") + str(t)
                if paths is not None:
                    error = temporal_error([read_image(paths[t - 1]), image], raws[t - 1:t + 1])
                    fade = row == "cluster" and SEGMENT <= t < SEGMENT + CROSSFADE
                    text += f" e={1e4 * error:.1f}" + (" fade" if fade else "")
                tiles.append(labelled(image, text))
        write_image(HERE / "seam_sheet.jpg", contact_sheet(tiles, columns=len(shown)), quality=90)
    print(f"wrote {HERE / 'seam_sheet.jpg'} and {mp4} (temporal errors x 1e-4)", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
