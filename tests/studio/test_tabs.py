"""What each tab asks the jobs layer for: the controls' values become the job the CLI would run, and bad choices
are refused in one line before anything is queued. (The page itself is driven in test_app.py.)"""

from __future__ import annotations

import pytest

pytest.importorskip("gradio")

from dreamreel.core.dream import DreamSettings  # noqa: E402
from dreamreel.core.stylize import StyleSettings  # noqa: E402
from dreamreel.errors import DreamreelError  # noqa: E402
from dreamreel.jobs import ClipJob, DreamJob, RenderJob, StyleJob, command_line  # noqa: E402
from dreamreel.recipe import Recipe  # noqa: E402
from dreamreel.settings import load_clip_preset, load_preset  # noqa: E402
from dreamreel.studio.animate_tab import overrides_of, preset_values, render_job  # noqa: E402
from dreamreel.studio.clip_tab import STYLE_BASE, clip_job  # noqa: E402
from dreamreel.studio.dream_tab import dream_job, layer_choices  # noqa: E402
from dreamreel.studio.style_tab import style_job  # noqa: E402


def test_dream_job_from_the_controls(tmp_path):
    job = dream_job(tmp_path, "in.png", "vgg16", ["block4_conv3", "block5_conv1"], "", None,
                    {"guide_mode": "dot", "guide_weight": 1.0},
                    {"octaves": 3.0, "steps": 10.0, "step_size": 2.0, "jitter": 32.0, "seed": 0.0}, 512.0)
    assert job == DreamJob(input="in.png", output=str(tmp_path / "dream.png"), model="vgg16",
                           recipe=Recipe(layers="block4_conv3 + block5_conv1"),
                           settings=DreamSettings(octaves=3, step_size=2 / 255), max_side=512)
    assert command_line(job).startswith(f"dreamreel dream in.png -o {tmp_path / 'dream.png'} --objective ")
    implicit = dream_job(tmp_path, "in.png", "vgg16", ["block4_conv3", "block5_conv1"], "", None, {}, {}, None,
                         ("block4_conv3", "block5_conv1"))  # the model's own layers: no --objective
    assert implicit.recipe == Recipe()
    assert command_line(implicit) == f"dreamreel dream in.png -o {tmp_path / 'dream.png'}"


def test_dream_job_refusals(tmp_path):
    args = ("vgg16", ["block4_conv3"], "", None, {}, {}, 512)
    with pytest.raises(DreamreelError, match="choose a photo first"):
        dream_job(tmp_path, None, *args)
    with pytest.raises(DreamreelError, match="choose at least one layer"):
        dream_job(tmp_path, "in.png", "vgg16", [], "", None, {}, {}, 512)
    with pytest.raises(DreamreelError, match="octaves must be an integer"):
        dream_job(tmp_path, "in.png", "vgg16", ["block4_conv3"], "", None, {}, {"octaves": 0}, 512)
    with pytest.raises(DreamreelError, match="guide_mode must be one of"):
        dream_job(tmp_path, "in.png", "vgg16", ["block4_conv3"], "", None, {"guide_mode": "cosine"}, {}, 512)


def test_layer_choices_are_the_conv_layers_with_the_dream_layers(tiny_model):
    choices = layer_choices(tiny_model.spec)
    assert "block3_conv2" in choices and not any("pool" in name or "pre_relu" in name for name in choices)


def test_style_job_weights_only_with_several_styles(tmp_path):
    one = style_job(tmp_path, "c.png", "vgg16", [("s1.png", 1.0), (None, 1.0), (None, 1.0)],
                    {"size": 256.0, "iterations": 50.0, "original_colors": True})
    assert one == StyleJob(content="c.png", styles=("s1.png",), output=str(tmp_path / "styled.png"),
                           settings=StyleSettings(size=256, iterations=50, original_colors=True))
    two = style_job(tmp_path, "c.png", "vgg16", [("s1.png", 3.0), ("s2.png", 1.0), (None, 1.0)], {})
    assert two.styles == ("s1.png", "s2.png") and two.settings.style_blend == (3.0, 1.0)
    with pytest.raises(DreamreelError, match="at least one style image"):
        style_job(tmp_path, "c.png", "vgg16", [(None, 1.0)], {})
    with pytest.raises(DreamreelError, match="weight must be above 0"):
        style_job(tmp_path, "c.png", "vgg16", [("s1.png", 0.0)], {})
    with pytest.raises(DreamreelError, match="choose a content photo"):
        style_job(tmp_path, None, "vgg16", [("s1.png", 1.0)], {})


def test_animate_sends_only_what_changed():
    preset = preset_values("infinite_zoom")
    assert overrides_of(preset, dict(preset)) == ()
    chosen = dict(preset, frames=12.0, width=256.0, **{"camera.zoom": "1.05", "objective.layers": "block3_conv1"})
    chosen["step_size"] = preset["step_size"] * (1 + 1e-9)  # a slider's round trip is not a change
    overrides = overrides_of(preset, chosen)
    assert set(overrides) == {"frames=12", "width=256", "camera.zoom=1.05", "objective.layers=block3_conv1"}
    loaded = load_preset("infinite_zoom", overrides)
    assert (loaded.render.frames, loaded.render.width, loaded.recipe.layers) == (12, 256, "block3_conv1")
    assert loaded.as_dict()["camera"]["zoom"] == 1.05


def test_animate_keyframes_round_trip():
    preset = preset_values("infinite_zoom")
    chosen = dict(preset, **{"camera.rotate": '[[0, 0.0], ["100%", 2.0, "ease_in_out"]]'})
    overrides = overrides_of(preset, chosen)
    assert load_preset("infinite_zoom", overrides).as_dict()["camera"]["rotate"] == [[0, 0.0, "linear"],
                                                                                     ["100%", 2.0, "ease_in_out"]]


def test_render_job_checks_the_overrides_now(tmp_path):
    job = render_job(tmp_path, "infinite_zoom", ("frames=4",), "gif")
    assert job == RenderJob(preset="infinite_zoom", output=str(tmp_path / "animation.gif"), overrides=("frames=4",))
    with pytest.raises(DreamreelError, match="frames"):
        render_job(tmp_path, "infinite_zoom", ("frames=-1",), "mp4")


def test_clip_jobs_for_a_preset_and_for_your_own_painting(tmp_path):
    dots = clip_job(tmp_path, "in.mp4", "Preset", "dream_dots", None, None, 2.5, True, None)
    assert dots == ClipJob(input="in.mp4", output=str(tmp_path / "clip.mp4"), preset="dream_dots", end=2.5)
    smaller = clip_job(tmp_path, "in.mp4", "Preset", "dream_dots", None, 0, None, False, 256)
    assert smaller.overrides == ("max_side=256",) and smaller.start == 0.0 and not smaller.keep_audio
    painting = tmp_path / "my painting.png"
    painting.write_bytes(b"")  # the preset only checks that the file is there
    mine = clip_job(tmp_path, "in.mp4", "Style of your image", "dream_dots", str(painting), None, None, True, None)
    assert mine.preset == STYLE_BASE and mine.overrides == (f'style=["{painting}"]',)
    assert load_clip_preset(mine.preset, mine.overrides).clip.style == (str(painting),)
    with pytest.raises(DreamreelError, match="upload a clip first"):
        clip_job(tmp_path, None, "Preset", "dream_dots", None, None, None, True)
    with pytest.raises(DreamreelError, match="must come after the start"):
        clip_job(tmp_path, "in.mp4", "Preset", "dream_dots", None, "3", "2", True)
    with pytest.raises(DreamreelError, match="end must be a number of seconds such as 2.5; got 'soon'"):
        clip_job(tmp_path, "in.mp4", "Preset", "dream_dots", None, "", "soon", True)
    with pytest.raises(DreamreelError, match="start must be 0 or more seconds"):
        clip_job(tmp_path, "in.mp4", "Preset", "dream_dots", None, "nan", "", True)
    assert clip_job(tmp_path, "in.mp4", "Preset", "dream_dots", None, " ", "1.5", True).end == 1.5
    with pytest.raises(DreamreelError, match="choose the image"):
        clip_job(tmp_path, "in.mp4", "Style of your image", None, None, None, None, True)
