"""Controls come from a settings dataclass's fields: widget, default, choices and help; values go back through the
dataclass's own checks."""

from __future__ import annotations

import dataclasses

import pytest

from dreamreel.core.fields import boolean, choice, integer, number, setting, strings, text, validate
from dreamreel.errors import DreamreelError

gr = pytest.importorskip("gradio")

from dreamreel.studio import forms  # noqa: E402


@dataclasses.dataclass(frozen=True)
class Demo:
    octaves: int = setting(4, integer(1, 20), "how many scales")
    step_size: float = setting(2 / 255, number(0, 1, low_open=True), "change per step")
    normalize: str = setting("mean", choice(("mean", "laplacian", "none")), "normalisation")
    keep: bool = setting(False, boolean, "keep colours")
    tile_size: int = setting(512, integer(32), "tile")
    layers: tuple = setting(("a", "b"), strings, "layers")
    channels: str = setting("", text, "channels")

    def __post_init__(self):
        validate(self)


def build(names):
    with gr.Blocks():
        return forms.controls(Demo, names, "demo")


def test_widgets_defaults_and_help_come_from_the_fields():
    made = build(["octaves", "step_size", "normalize", "keep", "tile_size", "layers", "channels", "no_such"])
    assert list(made) == ["octaves", "step_size", "normalize", "keep", "tile_size", "layers", "channels"]
    assert isinstance(made["octaves"], gr.Slider) and made["octaves"].value == 4
    assert made["octaves"].info == "how many scales" and made["octaves"].elem_id == "demo-octaves"
    assert made["step_size"].value == pytest.approx(2.0)  # shown in grey levels
    assert isinstance(made["normalize"], gr.Dropdown)
    assert [c[1] for c in made["normalize"].choices] == ["mean", "laplacian", "none"]
    assert isinstance(made["keep"], gr.Checkbox) and made["keep"].value is False
    assert isinstance(made["tile_size"], gr.Number) and made["tile_size"].value == 512
    assert isinstance(made["layers"], gr.Textbox) and made["layers"].value == "a, b"
    assert made["channels"].value == ""


def test_values_go_back_through_the_checks():
    names = ["octaves", "step_size", "layers", "keep"]
    settings = forms.settings_from(Demo, names, [3.0, 1.0, "x, y ,", True])
    assert settings == Demo(octaves=3, step_size=1 / 255, layers=("x", "y"), keep=True)
    assert isinstance(settings.octaves, int)
    with pytest.raises(DreamreelError, match="octaves must be an integer >= 1 and <= 20; got 0"):
        forms.settings_from(Demo, ["octaves"], [0])
    with pytest.raises(DreamreelError, match="octaves must be an integer"):
        forms.settings_from(Demo, ["octaves"], [2.5])
    base = Demo(tile_size=64)
    assert forms.settings_from(Demo, ["octaves"], [2], base=base) == Demo(octaves=2, tile_size=64)


def test_shown_and_from_control_are_inverse():
    field = forms.fields_of(Demo)["step_size"]
    for value in (1 / 255, 0.01, 0.5):
        assert forms.from_control("step_size", field, forms.shown("step_size", value)) == pytest.approx(value)
