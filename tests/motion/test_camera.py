"""Camera moves (dreamreel.motion.camera): each move's matrix against known coordinates, composition, keyframes,
settings, the shake that never drifts, and bad input."""

import numpy as np
import pytest

from dreamreel.errors import DreamreelError
from dreamreel.motion.camera import MOVES, Camera, Pan, Rotate, Shake, Zoom, about_centre, chain, move, settings_keys
from dreamreel.motion.keyframes import Track, parse_track

SIZE = (31, 40)
C = np.array([19.5, 15.0, 1.0])  # the centre of a 40 x 31 frame


def test_each_move_against_known_coordinates():
    zoom, turn = Zoom(Track.constant(2.0)), Rotate(Track.constant(90.0))
    pan = Pan(Track.constant(3.0), Track.constant(-2.0))
    for m in (zoom, turn, pan, Shake()):
        assert m.matrix(0, SIZE, 10).shape == (3, 3)
    assert np.allclose(zoom.matrix(0, SIZE, 10) @ (C + [10, 0, 0]), C + [20, 0, 0])
    assert np.allclose(turn.matrix(0, SIZE, 10) @ (C + [10, 0, 0]), C + [0, -10, 0])  # up on screen: CCW
    assert np.allclose(pan.matrix(0, SIZE, 10) @ C, C + [-3, 2, 0])  # camera right and up: picture left, down
    for m in (zoom, turn, Zoom(Track.constant(0.8))):
        assert np.allclose(m.matrix(0, SIZE, 10) @ C, C)  # about the centre
    assert np.array_equal(Shake().matrix(3, SIZE, 10), np.eye(3))  # no amplitude: no move


def test_the_standard_camera_is_zoom_then_rotate_then_pan():
    camera = Camera.from_settings({"zoom": 1.5, "rotate": 30.0, "pan_x": 2.0, "pan_y": 1.0})
    assert [type(m) for m in camera.moves] == [Zoom, Rotate, Pan, Shake]
    a = np.radians(30.0)
    linear = 1.5 * np.array([[np.cos(a), np.sin(a)], [-np.sin(a), np.cos(a)]])
    p = np.array([3.0, 7.0])
    expected = C[:2] + linear @ (p - C[:2]) - [2.0, 1.0]  # p' = c + zoom R (p - c) - pan
    assert np.allclose((camera.matrix(0, SIZE, 10) @ [*p, 1.0])[:2], expected)
    assert np.array_equal(Camera.from_settings({}).matrix(4, SIZE, 10), np.eye(3))
    assert np.allclose(about_centre(np.eye(2), SIZE), np.eye(3))


def test_keyframes_feed_the_matrix():
    camera = Camera.from_settings({"rotate": [[0, 0.0], [10, 10.0]]})
    assert np.allclose(camera.matrix(5, SIZE, 11), Rotate(Track.constant(5.0)).matrix(0, SIZE, 11))
    with pytest.raises(DreamreelError, match="camera.rotate must be at increasing|keyframes of camera.rotate"):
        Camera.from_settings({"rotate": [[5, 0.0], [2, 1.0]]}).check(10, loop=False)


def test_chain_is_one_composite_move():
    a = Zoom(Track.constant(1.1)).matrix(0, (32, 32), 1)
    b = Pan(Track.constant(1.0), Track.constant(0.0)).matrix(0, (32, 32), 1)
    assert np.allclose(chain([a, b]), b @ a)


def test_shake_wobbles_without_drifting():
    shake = Shake(amplitude=Track.constant(3.0), period=8.0, seed=1)
    path = np.eye(3)
    offsets = []
    for frame in range(1, 200):
        path = shake.matrix(frame, SIZE, 200) @ path
        offsets.append(path[:2, 2])
    offsets = np.array(offsets)
    assert np.abs(offsets).max() <= 2 * 3.0 + 1e-9  # the picture stays within the amplitude of where it began
    assert np.abs(offsets).max() > 1.0  # and does move
    assert np.allclose(path[:2, :2], np.eye(2))  # a shake only translates
    assert not np.allclose(Shake(Track.constant(3.0), seed=2).matrix(5, SIZE, 9), shake.matrix(5, SIZE, 9))


def test_shake_closes_a_loop():
    shake = Shake(amplitude=Track.constant(2.0), period=7.0, seed=3)
    frames = 30
    total = chain([shake.matrix(f, SIZE, frames, loop=True) for f in range(frames)])
    assert np.allclose(total, np.eye(3), atol=1e-9)


def test_settings_keys_and_errors():
    keys = [k for cls in MOVES.values() for k in settings_keys(cls)]
    assert keys == ["zoom", "rotate", "pan_x", "pan_y", "shake", "shake_period", "shake_seed"]
    with pytest.raises(DreamreelError, match="camera.zoom must be >= 0.25 and <= 4; got 0"):
        Camera.from_settings({"zoom": 0})
    with pytest.raises(DreamreelError, match="camera.shake_period must be a finite number >= 2"):
        Camera.from_settings({"shake": 1.0, "shake_period": 1})
    with pytest.raises(DreamreelError, match="unknown camera setting 'tilt'; known: zoom, rotate"):
        Camera.from_settings({"tilt": 3})
    with pytest.raises(ValueError, match="already registered"):
        move(Zoom)
    assert Zoom(parse_track(1.5, "z")).factor.at(0, 1) == 1.5
