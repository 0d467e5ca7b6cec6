"""Feedback animations: camera geometry against analytic results, resampling blur and drift over many frames, one
trace per video, output formats, bit-exact resume, loop closure, and the CLI with the real weights (integration)."""

import json
import math

import cv2
import numpy as np
import pytest
from conftest import photo

from dreamreel.motion.camera import Camera, Move, Track, chain, ease, move_matrix, parse_track, validity_mask, warp
from dreamreel.errors import DreamreelError
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


def blob(size, centre, sigma=3.0):
    h, w = size
    ys, xs = np.mgrid[0:h, 0:w]
    g = np.exp(-((xs - centre[0]) ** 2 + (ys - centre[1]) ** 2) / (2 * sigma**2)).astype(np.float32)
    return np.repeat(g[..., None], 3, axis=2)


def centroid(image):
    g = image[..., 0].astype(np.float64)
    ys, xs = np.mgrid[0:g.shape[0], 0:g.shape[1]]
    return np.array([(g * xs).sum() / g.sum(), (g * ys).sum() / g.sum()])


def spread(image):
    g = image[..., 0].astype(np.float64)
    c = centroid(image)
    ys, xs = np.mgrid[0:g.shape[0], 0:g.shape[1]]
    return math.sqrt(((g * ((xs - c[0]) ** 2 + (ys - c[1]) ** 2)).sum() / g.sum()) / 2)


# --- camera geometry ---------------------------------------------------------------------------------------------

def test_move_matrix_zooms_turns_and_pans_about_the_centre():
    size = (31, 40)
    c = np.array([19.5, 15.0, 1.0])
    assert np.allclose(move_matrix(Move(zoom=2.0), size) @ (c + [10, 0, 0]), c + [20, 0, 0])
    assert np.allclose(move_matrix(Move(rotate=90.0), size) @ (c + [10, 0, 0]), c + [0, -10, 0])  # up: CCW
    assert np.allclose(move_matrix(Move(pan_x=3.0, pan_y=-2.0), size) @ c, c + [-3, 2, 0])
    for move in (Move(zoom=1.7), Move(rotate=33.0), Move(zoom=0.8, rotate=-12.0)):
        assert np.allclose(move_matrix(move, size) @ c, c)


@pytest.mark.parametrize("size", [(48, 64), (49, 63)])
def test_warp_moves_a_blob_where_the_matrix_says(size):
    start = np.array([30.0, 20.0])
    image = blob(size, start, sigma=2.5)
    matrix = move_matrix(Move(zoom=1.3, rotate=25.0, pan_x=2.0, pan_y=-1.5), size)
    moved = warp(image, matrix)
    expected = (matrix @ [*start, 1.0])[:2]
    assert np.abs(centroid(moved) - expected).max() < 0.05
    assert spread(moved) == pytest.approx(1.3 * spread(image), rel=0.02)


def test_crop_and_resize_is_the_centre_zoom():
    """Zoom 2 about the centre is the classic crop of the middle half, resized back (pixel centres aligned)."""
    image = photo((48, 64))
    zoomed = warp(image, move_matrix(Move(zoom=2.0), (48, 64)), "linear")
    classic = cv2.resize(image[12:36, 16:48], (64, 48), interpolation=cv2.INTER_LINEAR)
    assert np.abs(zoomed - classic)[2:-2, 2:-2].max() < 1e-4


@pytest.mark.parametrize("size", [(64, 64), (63, 65)])
def test_centre_does_not_drift_over_50_identity_ish_frames(size):
    c = np.array([(size[1] - 1) / 2, (size[0] - 1) / 2])
    image = blob(size, c, sigma=4.0)
    step = move_matrix(Move(zoom=1.002, rotate=0.7), size)
    for _ in range(50):
        image = warp(image, step)
    assert np.abs(centroid(image) - c).max() < 0.02


def laplacian_energy(image):
    return float(np.mean(cv2.Laplacian(image, cv2.CV_32F)[16:-16, 16:-16] ** 2))


@pytest.mark.parametrize("move", [Move(rotate=0.5), Move(pan_x=0.5, pan_y=0.5), Move(zoom=1.01),
                                  Move(rotate=0.3, pan_x=0.37, pan_y=-0.21)])
def test_lanczos_keeps_fine_detail_over_50_frames(move):
    """50 sub-pixel resamplings keep about the detail of one resampling by the whole move; bilinear loses it."""
    image = photo((96, 96))
    step = move_matrix(move, image.shape[:2])
    whole = warp(image, np.linalg.matrix_power(step, 50))
    frames = {name: image for name in ("lanczos", "linear")}
    for _ in range(50):
        frames = {name: warp(x, step, name) for name, x in frames.items()}
    kept = laplacian_energy(frames["lanczos"]) / laplacian_energy(whole)
    assert 0.65 < kept < 1.5, kept
    assert laplacian_energy(frames["linear"]) / laplacian_energy(whole) < 0.1


def test_validity_mask_marks_what_the_source_covers():
    size = (40, 40)
    shrink = move_matrix(Move(zoom=0.5), size)  # the source now covers the middle 20 x 20
    mask = validity_mask(shrink, size, feather=2.0)
    assert mask[20, 20] == 1.0 and mask[0, 0] == 0.0 and mask[20, 2] == 0.0
    assert 0.0 < mask[20, 10] < 1.0  # the feathered edge
    assert validity_mask(np.eye(3), size).min() > 0  # identity: everything covered


def test_chain_is_one_composite_move():
    a, b = move_matrix(Move(zoom=1.1), (32, 32)), move_matrix(Move(rotate=10.0, pan_x=1.0), (32, 32))
    assert np.allclose(chain([a, b]), b @ a)


# --- keyframes and easing ----------------------------------------------------------------------------------------

def test_easings_and_keyframes():
    assert ease("linear", 0.25) == 0.25 and ease("ease_in_out", 0.5) == 0.5
    assert ease("ease_in", 0.5) < 0.5 < ease("ease_out", 0.5) and ease("hold", 0.99) == 0.0
    track = parse_track([[0, 1.0], ["50%", 2.0, "ease_in_out"], ["100%", 4.0]], "x")
    assert track.at(0, 11) == 1.0 and track.at(2.5, 11) == 1.5  # linear first half: 50% of 10 frames = 5
    assert track.at(5, 11) == 2.0 and track.at(7.5, 11) == 3.0 and track.at(10, 11) == 4.0
    assert track.at(-3, 11) == 1.0 and track.at(99, 11) == 4.0
    assert 2.0 < track.at(6, 11) < 2.0 + 2.0 * 0.2  # eased: a slow start
    looped = parse_track([[0, 0.0], ["50%", 1.0]], "x")
    assert looped.at(10, 10, loop=True) == looped.at(0, 10, loop=True) == 0.0
    assert looped.at(7.5, 10, loop=True) == pytest.approx(0.5)  # eases back into the first keyframe
    late = parse_track([[2, 0.0], [6, 1.0]], "x")  # frame 0 lies between the last keyframe and the first again
    assert late.at(0, 10, loop=True) == pytest.approx(1 / 3) and late.at(12, 10, loop=True) == 0.0
    with pytest.raises(DreamreelError, match="one period"):
        parse_track([[0, 0.0], ["100%", 1.0]], "x").check("x", 10, loop=True)
    with pytest.raises(DreamreelError, match="easing"):
        parse_track([[0, 1.0, "bouncy"]], "camera.zoom")


def test_camera_keyframes_feed_the_matrix():
    camera = Camera(zoom=Track.constant(1.0), rotate=parse_track([[0, 0.0], [10, 10.0]], "rotate"))
    assert camera.at(5, 11).rotate == pytest.approx(5.0)
    assert np.allclose(camera.matrix(5, (20, 20), 11), move_matrix(Move(rotate=5.0), (20, 20)))


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
