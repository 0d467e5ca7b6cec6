"""Dreaming and styling clips: temporal consistency against per-frame processing, no drift, resume, audio."""

import subprocess

import numpy as np
import pytest
from conftest import photo
from synthetic import pan_clip

from dreamreel.errors import DreamreelError
from dreamreel.io import ffmpeg_exe, open_writer, read_video, video_info
from dreamreel.core.objectives import layer
from dreamreel.core.dream import dream
from dreamreel.pipelines.clip import dream_clip, process_clip, style_clip, temporal_error

OBJ = layer("block3_conv2")


@pytest.fixture(scope="module")
def clip():
    return pan_clip(photo((160, 200)), 6, 2.3, -1.2, size=(48, 64)).frames


def test_dream_clip_is_steadier_than_dreaming_each_frame(tiny_model, clip):
    settings = dict(objective=OBJ, first_octaves=1, first_steps=8, steps=2, step_size=0.01, jitter=4)
    ours = list(dream_clip(clip, model=tiny_model, **settings))
    independent = [dream(f, model=tiny_model, objective=OBJ, octaves=1, steps=8, step_size=0.01, jitter=4,
                         seed=i) for i, f in enumerate(clip)]
    assert len(ours) == len(clip) and ours[0].shape == clip[0].shape
    ours_error, independent_error = temporal_error(ours, clip), temporal_error(independent, clip)
    assert ours_error < 0.5 * independent_error, (ours_error, independent_error)
    assert np.abs(ours[-1] - clip[-1]).mean() > 0.01  # still a dream


def test_no_drift_over_a_long_static_shot(tiny_model):
    still = photo((32, 32))
    outs = list(dream_clip([still] * 110, model=tiny_model, objective=OBJ, first_octaves=1, first_steps=4, steps=2,
                           step_size=0.01, jitter=2))
    brightness = np.array([o.mean() for o in outs])
    change = np.array([np.abs(o - still).mean() for o in outs])
    assert abs(brightness[-20:].mean() - brightness[20:40].mean()) < 0.01
    assert change[-20:].mean() < 1.2 * change[40:60].mean() + 0.005  # the detail has converged, not grown
    with pytest.raises(DreamreelError, match="carry"):
        next(dream_clip([still], model=tiny_model, objective=OBJ, carry=1.0))


def test_style_clip_is_steadier_than_styling_each_frame(tiny_model, clip):
    style = photo((64, 64))[:, ::-1] * np.array([1.0, 0.6, 0.3], np.float32)
    settings = dict(first_iterations=30, iterations=15, first_scales=1, learning_rate=0.03, temporal_weight=500.0,
                    content_layer="block3_conv2", style_layers=("block1_conv1", "block2_conv1", "block3_conv1"))
    ours = list(style_clip(clip, [style], model=tiny_model, **settings))
    independent = [next(style_clip([f], [style], model=tiny_model, seed=i, **settings)) for i, f in enumerate(clip)]
    assert temporal_error(ours, clip) < temporal_error(independent, clip)
    with pytest.raises(DreamreelError, match="style image"):
        next(style_clip(clip, [], model=tiny_model))


def _write_clip(path, frames, fps=10, tone=True):
    with open_writer(path, fps) as writer:
        for frame in frames:
            writer.write(frame)
    if tone:
        with_audio = path.with_name("with_audio.mp4")
        subprocess.run([ffmpeg_exe(), "-y", "-loglevel", "error", "-i", str(path), "-f", "lavfi", "-i",
                        "sine=frequency=440:duration=5", "-map", "0:v", "-map", "1:a", "-c:v", "copy",
                        "-c:a", "aac", "-shortest", str(with_audio)], check=True)
        with_audio.replace(path)
    return path


@pytest.mark.integration
def test_process_clip_keeps_audio_and_resumes_exactly(tiny_model, clip, tmp_path):
    source = _write_clip(tmp_path / "in.mp4", clip)
    settings = dict(first_octaves=1, first_steps=3, steps=2, step_size=0.01, jitter=4)
    full = process_clip(source, tmp_path / "full", model=tiny_model, objective=OBJ, settings=settings,
                        max_side=None)

    class Stop(Exception):
        pass

    def stop_after_three(event):
        if event.frame == 2:
            raise Stop

    with pytest.raises(Stop):
        process_clip(source, tmp_path / "resumed", model=tiny_model, objective=OBJ, settings=settings,
                     max_side=None, progress=stop_after_three)
    assert not (tmp_path / "resumed").exists() and (tmp_path / "resumed.frames").is_dir()
    events = []
    process_clip(source, tmp_path / "resumed", model=tiny_model, objective=OBJ, settings=settings,
                 max_side=None, progress=events.append)
    assert events[0].resumed == 3 and events[0].frame == 3
    a = sorted(full.glob("*.png"))
    b = sorted((tmp_path / "resumed").glob("*.png"))
    assert len(a) == len(b) == len(clip)
    for x, y in zip(a, b):
        assert x.read_bytes() == y.read_bytes()

    mp4 = process_clip(source, tmp_path / "out.mp4", model=tiny_model, objective=OBJ, settings=settings,
                       max_side=None, start=0.1, end=0.5)
    info = video_info(mp4)
    assert info.has_audio and info.n_frames == 4 and (info.width, info.height) == (64, 48)
    frames, _ = read_video(mp4)
    assert len(list(frames)) == 4


def test_bad_clip_inputs(tiny_model, tmp_path):
    (tmp_path / "notavideo.mp4").write_text("hello")
    with pytest.raises(DreamreelError):
        process_clip(tmp_path / "notavideo.mp4", tmp_path / "o.mp4", model=tiny_model)
    with pytest.raises(DreamreelError, match="unknown mode"):
        process_clip(tmp_path / "notavideo.mp4", tmp_path / "o.mp4", model=tiny_model, mode="paint")


def test_clip_presets_load_and_validate(tmp_path):
    from dreamreel.presets import load_video_preset, video_presets_dir

    names = sorted(p.stem for p in video_presets_dir().glob("*.toml"))
    assert {"dream_dots", "starry"} <= set(names)
    for name in names:
        preset = load_video_preset(name)
        assert preset["mode"] in ("dream", "style")
        for path in preset["style"]:
            assert (tmp_path / path).exists()  # absolute after resolution
    (tmp_path / "bad.toml").write_text('mode = "dream"\nstep = 3\n')
    with pytest.raises(DreamreelError, match="unknown key 'step'.*did you mean steps"):
        load_video_preset(tmp_path / "bad.toml")
    (tmp_path / "bad.toml").write_text('mode = "dream"\nsteps = "many"\n')
    with pytest.raises(DreamreelError, match="steps"):
        load_video_preset(tmp_path / "bad.toml")
    (tmp_path / "bad.toml").write_text('mode = "paint"\n')
    with pytest.raises(DreamreelError, match="mode"):
        load_video_preset(tmp_path / "bad.toml")


def test_video_command_errors(tmp_path, capsys):
    from dreamreel.cli import main

    for argv, message in [(["video", str(tmp_path / "none.mp4"), "-o", str(tmp_path / "o.mp4")], "no such video"),
                          (["video", "x.mp4", "-o", "o.mp4", "--preset", "nope"], "no clip preset"),
                          (["video", "x.mp4", "-o", "o.mp4", "--style", "s.jpg", "--steps", "3"], "does not apply")]:
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert message in err and len(err.strip().splitlines()) == 1


@pytest.mark.integration
def test_video_command_dreams_a_clip_with_the_real_weights(clip, tmp_path, vgg16):
    import sys

    source = _write_clip(tmp_path / "in.mp4", clip)
    out = tmp_path / "out.mp4"
    result = subprocess.run([sys.executable, "-m", "dreamreel", "video", str(source), "-o", str(out),
                             "--preset", "dream_dots", "--end", "0.3", "--steps", "1"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    info = video_info(out)
    assert info.n_frames == 3 and info.has_audio and (info.width, info.height) == (64, 48)
    assert not (tmp_path / "out.mp4.frames").exists()  # the checkpoint goes once the video is complete
