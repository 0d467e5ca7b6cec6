"""Feedback animations as a FrameSource: one trace per video, loops that close, noise sources."""

import json

import numpy as np

from dreamreel.core.steps import run_steps
from dreamreel.pipelines.feedback import Animation, noise_image
from dreamreel.settings import preset_from_dict

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


def test_noise_sources_are_seeded():
    a, b = noise_image((24, 40), 3), noise_image((24, 40), 3)
    assert a.shape == (24, 40, 3) and a.dtype == np.float32 and np.array_equal(a, b)
    assert not np.array_equal(a, noise_image((24, 40), 4))
    assert 0.0 <= a.min() and a.max() <= 1.0


def test_a_source_of_another_size_is_cropped_to_fill_the_frame(tiny_model):
    wide = np.random.default_rng(0).random((40, 80, 3)).astype(np.float32)
    animation = Animation.build(preset(), tiny_model, wide)
    assert animation.source.shape == (32, 40, 3)


def test_one_trace_for_a_whole_video_with_changing_weights_and_camera(tiny_model):
    p = preset(frames=7, camera__zoom=[[0, 1.0], [6, 1.1]], camera__rotate=[[0, -2.0], [6, 2.0]])
    animation = Animation.build(p, tiny_model)
    assert animation.schedule.at(0).weights[1] == 0.0 and animation.schedule.at(6).weights[0] == 0.0
    sizes, frames = [], []
    for frame in animation.frames():
        sizes.append(run_steps._cache_size())
        frames.append(frame.image)
    assert len(frames) == 7 and all(f.shape == (32, 40, 3) and f.dtype == np.float32 for f in frames)
    # frame 0 is an octave dream (its own program); every later frame shares one trace
    assert len(set(sizes[1:])) == 1, f"the step runner re-traced during the video: cache sizes {sizes}"
    assert all(np.abs(b - a).mean() > 1e-3 for a, b in zip(frames, frames[1:]))


def test_frames_resume_from_a_state_exactly(tiny_model):
    animation = Animation.build(preset(frames=5, warmup=1, loop=True, loop_frames=2,
                                       objective__position=[[0, 0.0], ["50%", 1.0]]), tiny_model)
    whole = list(animation.frames())
    assert [f.shown for f in whole] == [None, 0, 1, 2, 3, 4]
    resumed = list(animation.frames(3, whole[2].state))
    assert len(resumed) == 3
    for a, b in zip(whole[3:], resumed):
        assert a.index == b.index and np.array_equal(a.image, b.image)


def test_loop_closes(tiny_model):
    def frames_of(loop):
        p = preset(frames=12, loop=loop, loop_frames=5, warmup=2, camera__zoom=1.06, camera__rotate=2.0,
                   objective__position=[[0, 0.0], ["50%", 1.0, "ease_in_out"], ["100%", 0.0]])
        return [f.image for f in Animation.build(p, tiny_model).frames() if f.shown is not None]

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
