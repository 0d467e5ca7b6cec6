"""Clips along optical flow: held strength, long-term memory, scene cuts, flicker, exact resume."""

import dataclasses

import cv2
import numpy as np
import pytest
from conftest import photo
from synthetic import moving_square_clip, pan_clip

from dreamreel.core.dream import dream
from dreamreel.core.objectives import layer, objective_value
from dreamreel.errors import DreamreelError
from dreamreel.pipelines import clip as clip_pipeline
from dreamreel.pipelines.clip import (ClipSource, colour_distance, dream_clip, flicker, hold_strength, long_term,
                                      scene_cut, spread, strength, style_clip, style_passes, temporal_error)
from dreamreel.settings import ClipSettings

OBJ = layer("block3_conv2")
DREAM = ClipSettings(first_steps=8, steps=2, step_size=0.01, jitter=4, strength=12.0)
STYLE = ClipSettings(mode="style", style=("unused.jpg",), first_iterations=30, iterations=15, first_scales=1,
                     learning_rate=0.03, temporal_weight=500.0)


def images(outputs):
    return [image for image, _ in outputs]


@pytest.fixture(scope="module")
def clip():
    return pan_clip(photo((160, 200)), 6, 2.3, -1.2, size=(48, 64)).frames


@pytest.fixture(scope="module")
def style_image():
    return photo((64, 64))[:, ::-1] * np.array([1.0, 0.6, 0.3], np.float32)


# --- pure helpers ---------------------------------------------------------------------------------------------

def test_hold_strength_reaches_the_target_through_clipping_and_respects_the_gain_limit(rng):
    raw = rng.uniform(0, 1, (20, 30, 3)).astype(np.float32)
    image = np.clip(raw + rng.normal(0, 0.05, raw.shape), 0, 1).astype(np.float32)
    held = hold_strength(image, raw, 0.08, 16.0)
    assert abs(strength(held, raw) - 0.08) < 1e-5 and held.min() >= 0 and held.max() <= 1
    # an independent reference: the gain found by a fine grid search
    gains = np.linspace(0, 16, 16001)
    best = gains[np.argmin([abs(np.abs(np.clip(raw + g * (image - raw), 0, 1) - raw).mean() - 0.08)
                            for g in gains[::10]]) * 10]
    assert np.allclose(held, np.clip(raw + best * (image - raw), 0, 1), atol=0.02 * 16 / 1600 + 1e-3)
    capped = hold_strength(image, raw, 0.9, 2.0)  # unreachable: the gain stops at its limit
    assert np.allclose(capped, np.clip(raw + 2.0 * (image - raw), 0, 1), atol=1e-6)


def test_spread_evens_the_look_out_over_the_frame_within_its_gain_limit(rng):
    texture = rng.choice([-1.0, 1.0], (64, 128, 3)).astype(np.float32)
    assert np.allclose(spread(0.05 * texture, 6.0, 4.0), 0.05 * texture, rtol=1e-4)  # even already: unchanged
    amplitude = np.where(np.arange(128) < 64, 0.08, 0.02).astype(np.float32)[None, :, None]
    evened = spread(amplitude * texture, 6.0, 4.0)
    left, right = np.abs(evened[:, 8:48]).mean(), np.abs(evened[:, 80:120]).mean()
    assert abs(left / right - 1) < 0.05 and abs((left + right) / 2 / 0.05 - 1) < 0.3, (left, right)
    assert np.array_equal(np.sign(evened), np.sign(texture))  # the pattern is kept, only its amplitude moves
    faint = np.where(np.arange(128) < 64, 0.08, 0.0001).astype(np.float32)[None, :, None] * texture
    assert np.abs(spread(faint, 6.0, 4.0)[:, 80:120]).max() <= 4.0 * 0.0001 + 1e-7  # gain limit


def test_long_term_takes_each_pixel_from_the_nearest_reliable_frame():
    warped = [np.full((2, 3, 1), v, np.float32) for v in (1.0, 2.0, 3.0)]
    masks = [np.array([[1, 0, 0], [0, 0, 1]], np.float32), np.array([[1, 1, 0], [0, 0, 1]], np.float32),
             np.array([[1, 1, 1], [0, 1, 1]], np.float32)]
    total, weight = long_term(warped, masks)
    assert np.array_equal(total[..., 0], [[1, 2, 3], [0, 3, 1]])
    assert np.array_equal(weight, [[1, 1, 1], [0, 1, 1]])


def test_colour_distance_and_scene_cuts(clip):
    other = photo((48, 64))[::-1, :, ::-1] * 0.5
    assert colour_distance(clip[0], clip[0]) == 0.0
    assert colour_distance(np.zeros((4, 4, 3)), np.ones((4, 4, 3))) == 1.0
    reliable, unreliable = np.ones((48, 64), np.float32), np.zeros((48, 64), np.float32)
    assert scene_cut(clip[0], other, unreliable, 0.15)
    assert not scene_cut(clip[0], other, reliable, 0.15)  # the flow holds: a lighting change, not a cut
    assert not scene_cut(clip[0], clip[1], unreliable, 0.15)  # the colours hold: a fast move, not a cut
    assert not scene_cut(clip[0], other, unreliable, 1.0)


def test_flicker_is_zero_for_a_still_look_and_twice_the_variance_for_fresh_noise(rng):
    still = [photo((40, 56))] * 12
    assert all(v < 1e-10 for v in flicker(still, still, (1, 2, 5, 10)).values())
    noisy = [np.clip(f + rng.normal(0, 0.02, f.shape), 0, 1).astype(np.float32) for f in still]
    errors = flicker(noisy, still, (1, 5, 10))
    assert all(abs(e - 2 * 0.02 ** 2) < 0.2 * 2 * 0.02 ** 2 for e in errors.values()), errors
    assert temporal_error(noisy, still, span=5) == errors[5]


def test_flicker_follows_the_motion_and_stops_at_cuts(clip):
    unmoved = np.mean([np.square(a - b).mean() for a, b in zip(clip[1:], clip)])
    assert flicker(clip, clip, (1,))[1] < 0.1 * unmoved  # the footage itself, carried along its own flow
    cut = list(clip[:3]) + [photo((48, 64))[::-1, :, ::-1] * 0.5] * 3
    errors = flicker(cut, cut, (1, 3))
    assert errors[1] < 0.1 * unmoved and errors[3] == 0.0  # no track crosses the cut


# --- dream mode ----------------------------------------------------------------------------------------------

def test_dream_clip_is_steadier_than_dreaming_each_frame(tiny_model, clip):
    ours = images(dream_clip(clip, model=tiny_model, objective=OBJ, settings=DREAM))
    independent = [dream(f, model=tiny_model, objective=OBJ, octaves=1, steps=8, step_size=0.01, jitter=4,
                         seed=i) for i, f in enumerate(clip)]
    assert len(ours) == len(clip) and ours[0].shape == clip[0].shape
    ours_error, independent_error = temporal_error(ours, clip), temporal_error(independent, clip)
    assert ours_error < 0.5 * independent_error, (ours_error, independent_error)


def test_the_dream_is_as_strong_in_every_frame_as_the_setting_says(tiny_model, clip):
    ours = images(dream_clip(clip, model=tiny_model, objective=OBJ, settings=DREAM))
    assert [round(strength(o, f) * 255, 2) for o, f in zip(ours, clip)] == [12.0] * len(clip)


def test_the_dream_is_spread_over_the_frame_not_gathered_where_it_began(tiny_model, clip, monkeypatch):
    def unevenness(outs):  # spatial coefficient of variation of the look's local strength in the last frame
        local = cv2.GaussianBlur(np.abs(outs[-1] - clip[-1]).mean(axis=-1), (0, 0), 4.0)[8:-8, 8:-8]
        return local.std() / local.mean()

    spread_out = images(dream_clip(clip, model=tiny_model, objective=OBJ, settings=DREAM))
    monkeypatch.setattr(clip_pipeline, "SPREAD_GAIN", 1.0)  # a gain within [1, 1]: one gain for the whole frame
    gathered = images(dream_clip(clip, model=tiny_model, objective=OBJ, settings=DREAM))
    assert unevenness(spread_out) < 0.7 * unevenness(gathered), (unevenness(spread_out), unevenness(gathered))


def test_detail_coming_into_view_at_an_edge_is_mirrored_not_dragged_into_streaks(rng):
    detail = rng.normal(0, 0.05, (24, 32, 3)).astype(np.float32)
    flow = np.zeros((24, 32, 2), np.float32)
    flow[..., 0] = 5.0  # every pixel reads 5 px to its right: the last 5 columns read outside the frame
    carried = clip_pipeline._carried(detail, flow)
    assert np.allclose(carried[:, :27], detail[:, 5:], atol=1e-6)
    # columns 27..31 read 32..36, mirrored about the last column (31): 30, 29, ..., 26; never column 31 repeated
    assert np.allclose(carried[:, 27:], detail[:, 30:25:-1], atol=1e-6)


def test_a_shot_starts_at_the_level_it_keeps(tiny_model):
    """A pan there and back: the last frame shows the first frame's content after 30 carried frames, i.e. the level
    the clip keeps on that content. The first frame's own dream (warm_up=0) is a one-off peak of the objective
    above it; warmed up along the frames that follow and back, the first frame starts at that level."""
    there = pan_clip(photo((200, 260)), 16, 2.7, -1.3, size=(48, 64)).frames
    frames = list(there) + list(there[-2::-1])
    bound = OBJ.bind(tiny_model.spec)

    def first_against_last(warm_up):
        outs = images(dream_clip(frames, model=tiny_model, objective=OBJ,
                                 settings=dataclasses.replace(DREAM, warm_up=warm_up)))
        first, last = (float(objective_value(tiny_model, bound, o[None]) - objective_value(tiny_model, bound, f[None]))
                       for o, f in ((outs[0], frames[0]), (outs[-1], frames[-1])))
        return first / last - 1

    cold, warm = first_against_last(0), first_against_last(5)
    assert cold > 0.3 and abs(warm) < 0.1, (cold, warm)


def test_no_drift_over_a_long_static_shot(tiny_model):
    still = photo((32, 32))
    settings = ClipSettings(first_steps=8, steps=2, step_size=0.01, jitter=2)
    outs = images(dream_clip([still] * 110, model=tiny_model, objective=OBJ, settings=settings))
    brightness = np.array([o.mean() for o in outs])
    assert abs(brightness[-20:].mean() - brightness[20:40].mean()) < 0.01
    assert np.abs(outs[-1] - outs[-2]).mean() < 0.25 * strength(outs[-1], still)  # converged, not wandering
    with pytest.raises(DreamreelError, match="carry"):
        ClipSettings(carry=1.0)


def test_a_scene_cut_starts_afresh_with_no_trace_of_the_previous_shot(tiny_model, clip):
    other = pan_clip(photo((160, 200))[::-1, :, ::-1] * 0.6, 4, -1.5, 2.0, size=(48, 64)).frames
    spliced = list(clip[:4]) + list(other)
    outs = images(dream_clip(spliced, model=tiny_model, objective=OBJ, settings=DREAM))
    fresh = images(dream_clip(other, model=tiny_model, objective=OBJ, settings=DREAM, first_index=4))
    for a, b in zip(outs[4:], fresh):
        assert np.array_equal(a, b)  # as if the clip had started at the cut
    before = images(dream_clip(clip[:4], model=tiny_model, objective=OBJ, settings=DREAM))
    assert all(np.array_equal(a, b) for a, b in zip(outs[:4], before))  # the first shot's warm-up stops at the cut
    no_cuts = images(dream_clip(spliced, model=tiny_model, objective=OBJ,
                                settings=dataclasses.replace(DREAM, cut_threshold=1.0)))
    assert not np.array_equal(no_cuts[4], fresh[0])


def test_a_region_that_comes_back_into_view_gets_back_its_look(tiny_model):
    background = photo((48, 64))
    square = moving_square_clip(background, 14, side=16, velocity=(4.0, 0.0), start=(-18.0, 16.0))
    frames, coverage = square.frames, square.coverage
    common = dict(first_steps=8, steps=2, step_size=0.01, jitter=0, strength=12.0, memory_every=4)
    recalled = images(dream_clip(frames, model=tiny_model, objective=OBJ, settings=ClipSettings(memory=3, **common)))
    forgotten = images(dream_clip(frames, model=tiny_model, objective=OBJ, settings=ClipSettings(memory=0, **common)))
    # background pixels hidden in the middle of the clip, clear at the start and again at the end
    hidden = (coverage[0] == 0) & (coverage[-1] == 0) & (np.max(coverage[4:10], axis=0) == 1)
    assert hidden.sum() > 30

    def change(outs):
        return np.abs(outs[-1] - outs[0])[hidden].mean()

    assert change(recalled) < 0.9 * change(forgotten), (change(recalled), change(forgotten))


# --- style mode ----------------------------------------------------------------------------------------------

def test_style_clip_is_steadier_than_styling_each_frame_and_holds_its_strength(tiny_model, clip, style_image):
    ours = images(style_clip(clip, [style_image], model=tiny_model, settings=STYLE))
    independent = [images(style_clip([f], [style_image], model=tiny_model, settings=STYLE))[0] for f in clip]
    assert temporal_error(ours, clip) < temporal_error(independent, clip)
    levels = [strength(o, f) for o, f in zip(ours, clip)]
    assert max(levels) - min(levels) < 1e-3 * levels[0] + 1e-5, levels
    with pytest.raises(DreamreelError, match="style image"):
        next(style_clip(clip, [], model=tiny_model, settings=STYLE))


def test_passes_in_both_directions_lower_the_flicker_and_keep_the_strength(tiny_model, clip, style_image):
    one = style_passes(clip, [style_image], model=tiny_model, settings=STYLE)
    assert all(np.array_equal(a, b) for a, b in zip(one, images(style_clip(clip, [style_image], model=tiny_model,
                                                                             settings=STYLE))))
    three = style_passes(clip, [style_image], model=tiny_model, settings=dataclasses.replace(STYLE, passes=3))
    assert temporal_error(three, clip) < 0.9 * temporal_error(one, clip)
    levels = [strength(o, f) for o, f in zip(three, clip)]
    assert max(levels) - min(levels) < 1e-3 * levels[0] + 1e-5, levels


# --- resume ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("settings", [DREAM, STYLE, dataclasses.replace(STYLE, passes=2)],
                         ids=["dream", "style", "style-passes"])
def test_a_clip_source_resumes_from_its_state_exactly(tiny_model, clip, style_image, settings):
    settings = dataclasses.replace(settings, memory_every=2)
    source = ClipSource(lambda first: iter(clip[first:]), len(clip), tiny_model, settings, OBJ, [style_image])
    whole = list(source.frames())
    assert [f.shown for f in whole] == list(range(len(clip)))
    resumed = list(source.frames(3, whole[2].state))
    for a, b in zip(whole[3:], resumed):
        assert a.index == b.index and np.array_equal(a.image, b.image)
