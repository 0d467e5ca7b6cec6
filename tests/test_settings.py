"""Presets parsed into the settings dataclasses: shipped presets, defaults from the core, one-line errors."""

from pathlib import Path

import pytest

from dreamreel.cli import main
from dreamreel.core.dream import DreamSettings
from dreamreel.errors import DreamreelError
from dreamreel.home import presets_dir
from dreamreel.io import WriterSettings
from dreamreel.models import get_spec
from dreamreel.settings import (RenderSettings, check_preset_layers, find_preset, list_clip_presets, list_presets,
                                load_clip_preset, load_preset, parse_override)

SHIPPED = ["guided_loop", "infinite_zoom", "layer_sweep", "spiral_zoom", "style_loop"]
SHIPPED_CLIPS = ["dream_dots", "dream_worms", "starry"]


def write(tmp_path, text, name="p.toml", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding) if isinstance(text, str) else text)
    return path


def test_the_shipped_presets_load_and_name_real_layers():
    found = {name: description for name, description, _ in list_presets()}
    assert set(SHIPPED) <= set(found)
    for name in SHIPPED:
        assert found[name] and "\n" not in found[name]
        preset = load_preset(name)
        check_preset_layers(preset, get_spec(preset.render.model))
        assert all(path.is_file() for path in preset.files())
    assert load_preset("guided_loop").render.loop and load_preset("style_loop").recipe.style
    assert len(load_preset("layer_sweep").recipe.sweep) == 3


def test_the_shipped_clip_presets_load():
    assert set(SHIPPED_CLIPS) <= {name for name, _, _ in list_clip_presets()}
    dots = load_clip_preset("dream_dots")
    assert dots.clip.mode == "dream" and dots.recipe.layers == "block4_conv3" and dots.clip.step_size == 0.004
    starry = load_clip_preset("starry")
    assert starry.clip.mode == "style" and Path(starry.clip.style[0]).is_file()
    assert load_clip_preset(None).clip.mode == "dream"


def test_defaults_come_from_the_core():
    d, s = DreamSettings(), RenderSettings()
    assert (s.step_size, s.jitter, s.tile_size, s.normalize, s.seed) == (d.step_size, d.jitter, d.tile_size,
                                                                         d.normalize, d.seed)
    assert (s.first_octaves, s.first_steps, s.octave_scale) == (d.octaves, d.steps, d.octave_scale)
    assert s.quality == WriterSettings().quality


@pytest.mark.parametrize("text,message", [
    ("widht = 64", "unknown key 'widht'; did you mean width?"),
    ("[camera]\nzom = 1.1", "unknown key 'camera.zom'; did you mean camera.zoom?"),
    ("[lights]\non = true", "unknown key 'lights'"),
    ("width = 'big'", "width must be an integer >= 16 and <= 8192; got 'big'"),
    ("width = 64.5", "width must be an integer"),
    ("loop = 1", "loop must be true or false"),
    ("quality = 99", "quality must be an integer >= 0 and <= 51; got 99"),
    ("step_size = -0.1", "step_size must be a finite number > 0"),
    ("step_size = nan", "step_size must be a finite number"),
    ("step_size = inf", "step_size must be a finite number"),
    ("seed = 99999999999999", "seed must be an integer >= 0 and <= 4294967295"),
    ("normalize = 'l2'", "normalize must be one of mean, laplacian, none; got 'l2'"),
    ("interpolation = 'nearest'", "interpolation must be one of lanczos, cubic, linear"),
    ("[camera]\nzoom = 0", "camera.zoom must be >= 0.25 and <= 4"),
    ("[camera]\nzoom = 'fast'", "camera.zoom must be a number or keyframes"),
    ("[camera]\nrotate = [[0, 1.0], [10, 'x']]", "must have a number as its value"),
    ("[camera]\nrotate = [[0, 1.0, 'wobbly']]", "unknown easing 'wobbly'"),
    ("[camera]\nrotate = [[10, 1.0], [5, 2.0]]", "keyframes of camera.rotate must be at increasing frames"),
    ("[camera]\nrotate = [['half', 1.0]]", 'frame index (integer) or a share of the clip such as "50%"'),
    ("[objective]\nguide = 'nope.jpg'", "objective.guide: no such file"),
    ("source = 'missing.png'", "source: no such file"),
    ("[objective]\nsweep = ['block3_conv3']\nposition = 2.0", "objective.position must be between 0 and 0"),
    ("[objective]\nsweep = 'x'\nlayers = 'y'", "not both"),
    ("loop = true\nframes = 10\nloop_frames = 10", "loop_frames must be less than frames (10)"),
    ("frames = = 3", "is not valid TOML"),
    ("camera = 3", "[camera] must be a table"),
    (b"description = '\xff\xfe not text'", "is not a UTF-8 text file"),
    ("description = 'caf\u00e9'\nframes = 0", "frames must be an integer >= 1"),
])
def test_bad_presets_name_the_key_and_what_is_allowed(tmp_path, text, message):
    path = write(tmp_path, text)
    with pytest.raises(DreamreelError) as error:
        load_preset(path)
    assert message in str(error.value)
    assert "\n" not in str(error.value)


@pytest.mark.parametrize("text,message", [
    ("mode = 'paint'", "mode must be one of dream, style"),
    ("mode = 'dream'\niterations = 3", "iterations does not apply to dream mode"),
    ("mode = 'style'\nstyle = []\n", "style mode needs a painting"),
    ("carry = 1.0", "carry must be a finite number >= 0 and <= 0.999"),
    ("steps = -1", "steps must be an integer >= 0"),
    ("objective = 'block4_conv3'", "[objective] must be a table"),
    ("max_side = -5", "max_side must be an integer >= 32"),
])
def test_bad_clip_presets(tmp_path, text, message):
    with pytest.raises(DreamreelError) as error:
        load_clip_preset(write(tmp_path, text))
    assert message in str(error.value) and "\n" not in str(error.value)


def test_bad_layers_fail_before_weights_load(tmp_path):
    preset = load_preset(write(tmp_path, "[objective]\nlayers = 'block4_conv9'"))
    with pytest.raises(DreamreelError, match="no layer 'block4_conv9'"):
        check_preset_layers(preset, get_spec("vgg16"))


def test_overrides(tmp_path, monkeypatch):
    assert parse_override("camera.zoom=1.05") == ("camera.zoom", 1.05)
    assert parse_override('camera.rotate=[[0, 0.0], ["50%", 2.0]]')[1] == [[0, 0.0], ["50%", 2.0]]
    assert parse_override("source=photo.jpg") == ("source", "photo.jpg")  # not TOML: a plain string
    preset = load_preset("infinite_zoom", ["steps=5", "camera.rotate=2.0", "objective.layers=block5_conv1"])
    assert preset.render.steps == 5
    assert preset.recipe.layers == "block5_conv1"
    assert preset.as_dict()["camera"]["rotate"] == 2.0 and preset.overrides[0] == "steps=5"
    # a path given with --set is relative to the working directory, not to the preset
    (tmp_path / "mine.png").write_bytes((presets_dir() / "images" / "flowers.jpg").read_bytes())
    monkeypatch.chdir(tmp_path)
    assert Path(load_preset("infinite_zoom", ["source=mine.png"]).render.source) == tmp_path / "mine.png"
    for bad, message in (("stepz=2", "command line: unknown key 'stepz'"), ("steps", "KEY=VALUE"),
                         ("camera.zoom=-1", "command line: camera.zoom must be"),
                         ("step_size=nan", "step_size must be a finite number")):
        with pytest.raises(DreamreelError, match=message):
            load_preset("infinite_zoom", [bad])


def test_finding_presets(tmp_path):
    assert find_preset("infinite_zoom") == presets_dir() / "infinite_zoom.toml"
    with pytest.raises(DreamreelError, match="no preset named 'infinite_zom'.*did you mean infinite_zoom"):
        find_preset("infinite_zom")
    with pytest.raises(DreamreelError, match="no such preset file"):
        find_preset(tmp_path / "none.toml")


def test_fingerprint_follows_settings_and_files(tmp_path):
    image = tmp_path / "g.jpg"
    image.write_bytes((presets_dir() / "images" / "flowers.jpg").read_bytes())
    path = write(tmp_path, "source = 'g.jpg'\nsteps = 2")
    a = load_preset(path).fingerprint()
    assert a == load_preset(path).fingerprint() != load_preset(path, ["steps=3"]).fingerprint()
    image.write_bytes((presets_dir() / "images" / "sky.jpg").read_bytes())
    assert load_preset(path).fingerprint() != a


def test_presets_command_lists_names_and_descriptions(capsys):
    assert main(["presets"]) == 0
    out = capsys.readouterr().out
    for name in SHIPPED + SHIPPED_CLIPS:
        assert name in out
    assert "Infinite zoom" in out
    assert main(["presets", "--keys"]) == 0
    assert "camera" in capsys.readouterr().out


@pytest.mark.parametrize("argv,message", [
    (["render", "no_such_preset"], "no preset named"),
    (["render", "infinite_zoom", "--set", "camera.zom=1"], "unknown key 'camera.zom'"),
    (["render", "infinite_zoom", "--frames", "0"], "frames must be an integer >= 1"),
    (["render", "infinite_zoom", "--quality", "80"], "quality must be"),
    (["render", "infinite_zoom", "-o", "x.avi"], "cannot write x.avi"),
    (["render", "infinite_zoom", "--set", "objective.layers=block9_conv1"], "no layer"),
    (["render", "infinite_zoom", "--set", "model=alexnet"], "unknown model"),
    (["render", "infinite_zoom", "--fps", "nan"], "fps must be a finite number"),
    (["render", "infinite_zoom", "--preview-every", "0"], "must be 1 or more"),
])
def test_render_mistakes_give_one_line_and_exit_2(capsys, tmp_path, monkeypatch, argv, message):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("dreamreel: error: ") and message in err and len(err.strip().splitlines()) == 1
    assert not list(tmp_path.iterdir())
