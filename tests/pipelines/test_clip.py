"""Clips along optical flow: steadier than frame-by-frame processing, no drift, resumable as a FrameSource."""

import numpy as np
import pytest
from conftest import photo
from synthetic import pan_clip

from dreamreel.core.dream import dream
from dreamreel.core.objectives import layer
from dreamreel.errors import DreamreelError
from dreamreel.pipelines.clip import ClipSource, dream_clip, style_clip, temporal_error
from dreamreel.settings import ClipSettings

OBJ = layer("block3_conv2")
DREAM = ClipSettings(first_octaves=1, first_steps=8, steps=2, step_size=0.01, jitter=4)
STYLE = ClipSettings(mode="style", style=("unused.jpg",), first_iterations=30, iterations=15, first_scales=1,
                     learning_rate=0.03, temporal_weight=500.0)


@pytest.fixture(scope="module")
def clip():
    return pan_clip(photo((160, 200)), 6, 2.3, -1.2, size=(48, 64)).frames


def test_dream_clip_is_steadier_than_dreaming_each_frame(tiny_model, clip):
    ours = list(dream_clip(clip, model=tiny_model, objective=OBJ, settings=DREAM))
    independent = [dream(f, model=tiny_model, objective=OBJ, octaves=1, steps=8, step_size=0.01, jitter=4,
                         seed=i) for i, f in enumerate(clip)]
    assert len(ours) == len(clip) and ours[0].shape == clip[0].shape
    ours_error, independent_error = temporal_error(ours, clip), temporal_error(independent, clip)
    assert ours_error < 0.5 * independent_error, (ours_error, independent_error)
    assert np.abs(ours[-1] - clip[-1]).mean() > 0.01  # still a dream


def test_no_drift_over_a_long_static_shot(tiny_model):
    still = photo((32, 32))
    settings = ClipSettings(first_octaves=1, first_steps=4, steps=2, step_size=0.01, jitter=2)
    outs = list(dream_clip([still] * 110, model=tiny_model, objective=OBJ, settings=settings))
    brightness = np.array([o.mean() for o in outs])
    change = np.array([np.abs(o - still).mean() for o in outs])
    assert abs(brightness[-20:].mean() - brightness[20:40].mean()) < 0.01
    assert change[-20:].mean() < 1.2 * change[40:60].mean() + 0.005  # the detail has converged, not grown
    with pytest.raises(DreamreelError, match="carry"):
        ClipSettings(carry=1.0)


def test_style_clip_is_steadier_than_styling_each_frame(tiny_model, clip):
    style = photo((64, 64))[:, ::-1] * np.array([1.0, 0.6, 0.3], np.float32)
    ours = list(style_clip(clip, [style], model=tiny_model, settings=STYLE))
    independent = [next(style_clip([f], [style], model=tiny_model, settings=STYLE)) for f in clip]
    assert temporal_error(ours, clip) < temporal_error(independent, clip)
    with pytest.raises(DreamreelError, match="style image"):
        next(style_clip(clip, [], model=tiny_model, settings=STYLE))


def test_a_clip_source_resumes_from_its_state_exactly(tiny_model, clip):
    source = ClipSource(lambda first: iter(clip[first:]), len(clip), tiny_model, DREAM, OBJ)
    whole = list(source.frames())
    assert [f.shown for f in whole] == list(range(len(clip)))
    resumed = list(source.frames(3, whole[2].state))
    for a, b in zip(whole[3:], resumed):
        assert a.index == b.index and np.array_equal(a.image, b.image)
