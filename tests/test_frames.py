"""Feedback animations (camera geometry and resampling: tests/motion/test_camera.py, test_warp.py): one
trace per video, output formats, bit-exact resume, loop closure, and the CLI with the real weights (integration)."""

import json

import cv2
import numpy as np
import pytest
from conftest import photo

from dreamreel.pipelines.feedback import (Animation, checkpoint_dir, cover, noise_image, render_animation, render_frames,
                              source_image)
from dreamreel.io import read_image, video_info
from dreamreel.presets import preset_from_dict
from dreamreel.core.dream import dream_steps

# one size and objective for (almost) every render here, so the tiny model compiles a handful of times in all
BASE = {"width": 40, "height": 32, "frames": 6, "fps": 8, "steps": 2, "step_size": 0.02, "jitter": 4,
        "first_octaves": 1, "first_steps": 2, "camera": {"zoom": 1.05, "rotate": 1.0},
        "objective": {"sweep": ["block2_conv1", "block3_conv2"],
                      "position": [[0, 0.0], ["100%", 1.0, "ease_in_out"]]}}


def preset(**changes):
    raw = json.loads(json.dumps(BASE))
    for key, value in changes.items():
        section, _, leaf = key.rpartition("__")
        (raw.setdefault(section, {}) if section else raw)[leaf] = value
    return preset_from_dict(raw, name="test")


# --- sources -----------------------------------------------------------------------------------------------------

def test_sources(tmp_path):
    a, b = noise_image((24, 40), 3), noise_image((24, 40), 3)
    assert a.shape == (24, 40, 3) and a.dtype == np.float32 and np.array_equal(a, b)
    assert not np.array_equal(a, noise_image((24, 40), 4))
    wide = photo((40, 80))
    assert cover(wide, (32, 32)).shape == (32, 32, 3)
    cv2.imwrite(str(tmp_path / "s.png"), (wide * 255).astype(np.uint8))
    assert source_image(str(tmp_path / "s.png"), (20, 30), 0).shape == (20, 30, 3)


# --- the pipeline ------------------------------------------------------------------------------------------------

def test_one_trace_for_a_whole_video_with_changing_weights_and_camera(tiny_model):
    p = preset(frames=7, camera__zoom=[[0, 1.0], [6, 1.1]], camera__rotate=[[0, -2.0], [6, 2.0]])
    animation = Animation.from_preset(p, tiny_model)
    assert animation.schedule.at(0).weights[1] == 0.0 and animation.schedule.at(6).weights[0] == 0.0
    sizes, frames = [], []
    for index, frame in render_frames(animation):
        sizes.append(dream_steps._cache_size())
        frames.append(frame)
    assert len(frames) == 7 and all(f.shape == (32, 40, 3) and f.dtype == np.float32 for f in frames)
    assert len(set(sizes)) == 1, f"dream_steps re-traced during the video: cache sizes {sizes}"
    assert all(np.abs(b - a).mean() > 1e-3 for a, b in zip(frames, frames[1:]))


@pytest.mark.parametrize("name", ["out.mp4", "out.gif", "out/"])
def test_outputs_decode_with_the_frame_count_size_and_rate(tiny_model, tmp_path, name):
    output = render_animation(preset(), tmp_path / name, model=tiny_model)
    sidecar = json.loads((tmp_path / (name.rstrip("/") + ".json")).read_text())
    assert sidecar["preset"] == "test" and sidecar["dreamreel"] and sidecar["settings"]["camera"]["zoom"] == 1.05
    assert not checkpoint_dir(output).exists()  # removed once the video is complete
    if name.endswith("/"):
        files = sorted(output.iterdir())
        assert len(files) == 6 and read_image(files[0]).shape == (32, 40, 3)
        return
    info = video_info(output)
    assert (info.n_frames, info.width, info.height) == (6, 40, 32)
    assert info.fps == pytest.approx(8, rel=0.05)  # GIF delays are whole hundredths of a second
    if name.endswith(".mp4"):
        from dreamreel.io import _probe

        assert "dreamreel" in _probe(output, count_frames=False).header  # the comment metadata


class Stop(Exception):
    pass


def test_resume_after_an_interruption_gives_the_same_frames(tiny_model, tmp_path):
    loop = dict(loop=True, loop_frames=3, warmup=1, objective__position=[[0, 0.0], ["50%", 1.0]])
    p = preset(frames=7, **loop)  # a loop: its last frames need the checkpointed anchor
    whole = render_animation(p, tmp_path / "whole/", model=tiny_model, keep_checkpoint=True)
    last_whole = np.load(next(checkpoint_dir(whole).glob("last_*.npy")))

    def interrupt(event):
        if event.stage == "frame" and event.frame == 3:
            raise Stop

    with pytest.raises(Stop):
        render_animation(p, tmp_path / "cut/", model=tiny_model, progress=interrupt)
    assert not (tmp_path / "cut").exists() and (checkpoint_dir(tmp_path / "cut") / "state.json").is_file()
    events = []
    resumed = render_animation(p, tmp_path / "cut/", model=tiny_model, progress=events.append)
    assert events[0].stage == "start" and events[0].resumed and events[0].done == 5  # 1 warm-up + 4 shown
    assert [e.frame for e in events[1:]] == [4, 5, 6]
    assert np.array_equal(events[-1].image, last_whole)  # the float frames, bit for bit
    a, b = sorted(whole.iterdir()), sorted(resumed.iterdir())
    assert len(a) == len(b) == 7
    for x, y in zip(a, b):
        assert np.array_equal(cv2.imread(str(x)), cv2.imread(str(y))), x.name
    # a changed preset does not resume from another one's frames
    events = []
    render_animation(preset(frames=7, seed=1, **loop), tmp_path / "cut/", model=tiny_model, progress=events.append)
    assert not events[0].resumed


def test_loop_closes(tiny_model):
    def frames_of(loop):
        p = preset(frames=12, loop=loop, loop_frames=5, warmup=2, camera__zoom=1.06, camera__rotate=2.0,
                   objective__position=[[0, 0.0], ["50%", 1.0, "ease_in_out"], ["100%", 0.0]])
        return [f for i, f in render_frames(Animation.from_preset(p, tiny_model)) if i >= 2]

    closing = {}
    for loop in (True, False):
        frames = frames_of(loop)
        steps = [np.abs(b - a).mean() for a, b in zip(frames, frames[1:])]
        closing[loop] = np.abs(frames[0] - frames[-1]).mean()
        if loop:
            assert closing[loop] < 1.5 * np.median(steps), (closing, steps)
        else:
            assert closing[loop] > 1.4 * np.median(steps), (closing, steps)  # without the loop: a jump
    assert closing[True] < 0.7 * closing[False]


@pytest.mark.integration
def test_cli_renders_the_infinite_zoom_preset_with_the_real_weights(tmp_path, capsys, vgg16):
    from dreamreel.cli import main

    out = tmp_path / "zoom.mp4"
    code = main(["render", "infinite_zoom", "-o", str(out), "--frames", "3", "--set", "width=64",
                 "--set", "height=64", "--set", "first_octaves=2", "--preview", str(tmp_path / "p.png")])
    err = capsys.readouterr().err
    assert code == 0, err
    info = video_info(out)
    assert (info.n_frames, info.width, info.height) == (3, 64, 64)
    assert read_image(tmp_path / "p.png").shape == (64, 64, 3)
    assert json.loads((tmp_path / "zoom.mp4.json").read_text())["preset"] == "infinite_zoom"
    assert "frame" in err  # the progress bar
