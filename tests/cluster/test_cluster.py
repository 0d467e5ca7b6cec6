"""dreamreel on a real Ray cluster on loopback: a head and a second node, one CPU each, started here and stopped
after (bounded in time); workers build the tiny random model of tests/conftest.py. A batch and a clip give the same
pixels as a local run, a worker killed mid-job changes nothing in the output, errors read as locally, a cancelled
run stops its workers, and no process of the cluster is left running."""

import os
import signal
import threading
import time
from pathlib import Path

import numpy as np
import pytest

ray = pytest.importorskip("ray")

from cluster_fixtures import refusing_loader, tiny_loader  # noqa: E402
from conftest import photo  # noqa: E402
from synthetic import pan_clip  # noqa: E402

from dreamreel import cluster  # noqa: E402
from dreamreel.cluster.local import LocalCluster  # noqa: E402
from dreamreel.cluster.segments import join, plan_segments, render_segment  # noqa: E402
from dreamreel.core.dream import DreamSettings  # noqa: E402
from dreamreel.core.visualize import VisualizeSettings, contact_sheet  # noqa: E402
from dreamreel.errors import DreamreelError  # noqa: E402
from dreamreel.io import open_writer, read_image, to_uint8, write_image  # noqa: E402
from dreamreel.jobs import AtlasJob, Cancelled, CancelToken, ClipJob, DreamJob, run  # noqa: E402
from dreamreel.pipelines.checkpoint import checkpoint_dir  # noqa: E402

TESTS = Path(__file__).resolve().parents[1]
QUICK = DreamSettings(octaves=1, steps=3, step_size=0.02, jitter=2)
TINY_ATLAS = VisualizeSettings(size=32, steps=6)
LOOK = ("first_steps=2", "steps=2", "step_size=0.01", "jitter=4", "max_side=48",
        'objective.layers="block3_conv2"')


@pytest.fixture(scope="module")
def ray_cluster():
    env = {"PYTHONPATH": os.pathsep.join([str(TESTS.parent), str(TESTS), str(TESTS / "cluster")]),
           "JAX_PLATFORMS": "cpu", "DREAMREEL_COMPILATION_CACHE": "0"}
    with LocalCluster(nodes=2, cpus_per_node=1, env=env) as local:
        yield local
    assert local.running() == [], "the cluster left processes running"


@pytest.fixture(scope="module")
def photos(tmp_path_factory):
    folder = tmp_path_factory.mktemp("photos")
    image = photo((32, 48))  # one size: one set of compiled programs
    return [str(write_image(folder / f"p{i}.png", np.roll(image, 11 * i, axis=1))) for i in range(3)]


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    path = tmp_path_factory.mktemp("clip") / "pan.mp4"
    with open_writer(path, 10, quality=10) as writer:
        for frame in pan_clip(photo((160, 200)), 10, 2.3, -1.2, size=(48, 64)).frames:
            writer.write(frame)
    return str(path)


def worker_pids(local: LocalCluster, task: str = "") -> list[int]:
    """Processes of this cluster's Worker actors, or of those running `task` (Ray titles a worker process with its
    actor class, and with the method while one runs)."""
    found = []
    for pid in local.running():
        try:
            title = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0].decode()
        except OSError:
            continue
        if title.startswith("ray::Worker" + (f".{task}" if task else "")):
            found.append(pid)
    return found


def test_a_batch_and_an_atlas_on_the_cluster_give_the_pixels_of_local_runs(ray_cluster, photos, tmp_path):
    layer, channels = "block3_conv2_pre_relu", (1, 5, 7)
    local = [run(DreamJob(p, str(tmp_path / f"local{i}.png"), settings=QUICK), load_model=tiny_loader)
             for i, p in enumerate(photos)]
    cells = [run(AtlasJob(str(tmp_path / f"cell{c}.png"), layer=layer, channels=str(c), settings=TINY_ATLAS),
                 load_model=tiny_loader) for c in channels]
    (tmp_path / "out").mkdir()
    jobs = [DreamJob(p, str(tmp_path / "out" / f"{i}.png"), settings=QUICK) for i, p in enumerate(photos)]
    jobs.append(AtlasJob(str(tmp_path / "out" / "atlas.png"), layer=layer, channels="1,5,7", settings=TINY_ATLAS))
    events = []
    outputs = cluster.run(jobs, address=ray_cluster.address, load_model=tiny_loader, progress=events.append)
    assert outputs == [Path(job.output) for job in jobs]
    for mine, theirs in zip(local, outputs[:3]):
        assert mine.read_bytes() == theirs.read_bytes()
    # each cell rendered alone, as a one-cell atlas here, and placed on the sheet as core.visualize.atlas does
    sheet = contact_sheet([read_image(path) for path in cells])
    np.testing.assert_array_equal(to_uint8(sheet), to_uint8(read_image(outputs[3])))
    assert [e.done for e in events if e.stage == "batch"] == [0, 1, 2, 3]
    assert [e.done for e in events if e.stage == "atlas"] == [1, 2, 3]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["0.png", "1.png", "2.png", "atlas.png"]


def test_a_clip_in_one_segment_gives_the_pixels_of_a_local_run(ray_cluster, clip, tmp_path):
    whole = run(ClipJob(clip, str(tmp_path / "local/"), overrides=LOOK), load_model=tiny_loader)
    one = cluster.run([ClipJob(clip, str(tmp_path / "one/"), overrides=LOOK)], address=ray_cluster.address,
                      load_model=tiny_loader, segment=10)[0]
    frames = sorted(whole.glob("frame_*.png"))
    assert len(frames) == 10 and not (tmp_path / "one.frames").exists()
    for a, b in zip(frames, sorted(one.glob("frame_*.png")), strict=True):
        assert a.read_bytes() == b.read_bytes()


class Stop(Exception):
    pass


def test_a_split_clip_stopped_then_resumed_with_a_worker_killed_gives_the_pixels_of_the_plan_run_here(
        ray_cluster, clip, tmp_path):
    job = ClipJob(clip, str(tmp_path / "split/"), overrides=LOOK)
    options = dict(address=ray_cluster.address, load_model=tiny_loader, segment=4, warmup=2, crossfade=1)
    plan = plan_segments(10, 4, 2, 1)
    here = join(plan, [render_segment(job, s.render_first, s.render_stop, load_model=tiny_loader) for s in plan])

    def stop_after_five(event):
        if event.done == 5:
            raise Stop  # the driver dies after writing frame 4

    with pytest.raises(Stop):
        cluster.run([job], progress=stop_after_five, **options)
    assert not (tmp_path / "split").exists() and checkpoint_dir(tmp_path / "split").is_dir()
    killed, events = [], []

    def kill_a_running_segment():
        deadline = time.monotonic() + 120
        while not killed and time.monotonic() < deadline:
            for pid in worker_pids(ray_cluster, "segment"):
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)
                break
            time.sleep(0.05)

    killer = threading.Thread(target=kill_a_running_segment)
    killer.start()
    split = cluster.run([job], progress=events.append, **options)[0]
    killer.join()
    assert killed, "no worker was caught running a segment"
    assert events[0].resumed == 5  # frames written before the restart are not rendered again
    written = sorted(split.glob("frame_*.png"))
    assert len(written) == 10
    for (index, image), path in zip(here, written, strict=True):
        np.testing.assert_array_equal(to_uint8(image), to_uint8(read_image(path)), err_msg=f"frame {index}")


def test_a_bad_input_fails_with_the_one_line_error_of_a_local_run(ray_cluster, photos, tmp_path):
    job = DreamJob(str(tmp_path / "missing.png"), str(tmp_path / "o.png"))
    with pytest.raises(DreamreelError) as here:
        run(job, load_model=tiny_loader)
    with pytest.raises(DreamreelError) as there:
        cluster.run([DreamJob(photos[0], str(tmp_path / "a.png"), settings=QUICK), job],
                    address=ray_cluster.address, load_model=tiny_loader)
    assert str(there.value) == str(here.value) and "\n" not in str(there.value)
    assert not (tmp_path / "a.png").exists()  # checked before any work
    with pytest.raises(DreamreelError) as remote:  # an error raised on a worker arrives as the same one line
        cluster.run([DreamJob(photos[0], str(tmp_path / "b.png"))], address=ray_cluster.address,
                    load_model=refusing_loader)
    assert str(remote.value) == "no weights for vgg16 on this node"


def test_a_cancelled_run_stops_its_workers_and_leaves_no_output(ray_cluster, clip, tmp_path):
    token = CancelToken()

    def cancel_when_a_segment_runs():
        deadline = time.monotonic() + 60
        while not worker_pids(ray_cluster, "segment") and time.monotonic() < deadline:
            time.sleep(0.05)
        token.cancel()

    canceller = threading.Thread(target=cancel_when_a_segment_runs)
    canceller.start()
    with pytest.raises(Cancelled):
        cluster.run([ClipJob(clip, str(tmp_path / "c.mp4"), overrides=LOOK)], address=ray_cluster.address,
                    load_model=tiny_loader, segment=5, crossfade=2, cancel=token)
    canceller.join()
    assert not (tmp_path / "c.mp4").exists()
    deadline = time.monotonic() + 30
    while worker_pids(ray_cluster) and time.monotonic() < deadline:  # killed actors' processes exit
        time.sleep(0.2)
    assert worker_pids(ray_cluster) == []


def test_importing_the_cli_and_the_cluster_package_does_not_import_ray():
    import subprocess
    import sys

    code = ("import sys, dreamreel.cli, dreamreel.cluster; dreamreel.cli.build_parser(); "
            "assert 'ray' not in sys.modules, 'ray imported'")
    subprocess.run([sys.executable, "-c", code], check=True, env={**os.environ, "PYTHONPATH": str(TESTS.parent)})
