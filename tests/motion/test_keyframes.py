"""Keyframes and easing (dreamreel.motion.keyframes): exact values, loops, the settings field check, bad input."""

import dataclasses

import pytest

from dreamreel.core.fields import setting, validate
from dreamreel.errors import DreamreelError
from dreamreel.motion.keyframes import EASINGS, Keyframe, Track, ease, parse_track, track


def test_easings_are_exact_at_known_points():
    assert [ease(name, 0.0) for name in EASINGS] == [0.0] * 5
    assert [ease(name, 1.0) for name in EASINGS] == [1.0] * 5
    assert ease("linear", 0.25) == 0.25 and ease("ease_in", 0.5) == 0.25 and ease("ease_out", 0.5) == 0.75
    assert ease("ease_in_out", 0.5) == 0.5 and ease("ease_in_out", 0.25) == pytest.approx(0.15625)
    assert ease("hold", 0.99) == 0.0 and ease("linear", 7.0) == 1.0  # clamped to [0, 1]
    with pytest.raises(DreamreelError, match="unknown easing 'bouncy'; choose one of linear"):
        ease("bouncy", 0.5)


def test_keyframes():
    t = parse_track([[0, 1.0], ["50%", 2.0, "ease_in_out"], ["100%", 4.0]], "x")
    assert t.keys[1] == Keyframe("50%", 2.0, "ease_in_out")
    assert t.at(0, 11) == 1.0 and t.at(2.5, 11) == 1.5  # linear first half: 50% of 10 frames = 5
    assert t.at(5, 11) == 2.0 and t.at(7.5, 11) == 3.0 and t.at(10, 11) == 4.0
    assert t.at(-3, 11) == 1.0 and t.at(99, 11) == 4.0
    assert 2.0 < t.at(6, 11) < 2.0 + 2.0 * 0.2  # eased: a slow start
    assert Track.constant(3).at(5, 10) == 3.0 and Track.constant(3).is_constant and not t.is_constant
    assert t.describe() == "1@0 -> 2@50% (ease_in_out) -> 4@100%"


def test_loops_are_periodic():
    looped = parse_track([[0, 0.0], ["50%", 1.0]], "x")
    assert looped.at(10, 10, loop=True) == looped.at(0, 10, loop=True) == 0.0
    assert looped.at(7.5, 10, loop=True) == pytest.approx(0.5)  # eases back into the first keyframe
    late = parse_track([[2, 0.0], [6, 1.0]], "x")  # frame 0 lies between the last keyframe and the first again
    assert late.at(0, 10, loop=True) == pytest.approx(1 / 3) and late.at(12, 10, loop=True) == 0.0
    with pytest.raises(DreamreelError, match="one period"):
        parse_track([[0, 0.0], ["100%", 1.0]], "x").check("x", 10, loop=True)
    with pytest.raises(DreamreelError, match="increasing frames"):
        parse_track([[5, 0.0], [2, 1.0]], "x").check("x", 10, loop=False)


@pytest.mark.parametrize("value, message", [
    ([[0, 1.0, "bouncy"]], "unknown easing 'bouncy'"),
    ([[-1, 1.0]], "negative frame"),
    ([["half", 1.0]], "frame index"),
    ([[0, "big"]], "a number as its value"),
    ([0, 1.0], "got the keyframe 0"),
    ("fast", "a number or keyframes"),
    ([], "a number or keyframes"),
    (5.0, "x must be >= 0.25 and <= 4; got 5"),
    (float("nan"), "x must be >= 0.25 and <= 4; got nan"),
])
def test_bad_tracks_name_the_key(value, message):
    with pytest.raises(DreamreelError, match=message):
        parse_track(value, "x", low=0.25, high=4.0)


def test_track_is_a_settings_field_check():
    @dataclasses.dataclass(frozen=True)
    class Settings:
        zoom: Track = setting(Track.constant(1.0), track(0.5, 2.0), "zoom per frame")

        def __post_init__(self):
            validate(self)

    assert Settings().zoom == Track.constant(1.0)
    assert Settings(zoom=[[0, 1.0], [4, 1.5]]).zoom.at(2, 5) == 1.25
    with pytest.raises(DreamreelError, match="zoom must be >= 0.5 and <= 2; got 3"):
        Settings(zoom=3)
    assert dataclasses.fields(Settings)[0].metadata["check"].kind is Track
