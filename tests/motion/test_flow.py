"""Optical flow (dreamreel.motion.flow): its convention against synthetic clips with known flows, accuracy of the
default method, the reliability mask, and errors."""

import numpy as np
import pytest
from conftest import photo
from synthetic import moving_square_clip, pan_clip, rotate_clip, zoom_clip

from dreamreel.errors import DreamreelError
from dreamreel.motion.flow import DEFAULT_METHOD, flow_pair, optical_flow, reliability_mask
from dreamreel.motion.warp import flow_coords, warp

SIZE = (96, 128)


@pytest.fixture(scope="module")
def source():
    return photo((128, 160))


@pytest.fixture(scope="module")
def pan(source):
    return pan_clip(source, 3, 2.3, -1.2, size=SIZE)


@pytest.fixture(scope="module")
def zoom(source):
    return zoom_clip(source, 3, 1.02, size=SIZE)


def mean_epe(flow, clip, k=0):
    error = np.linalg.norm(flow - clip.forward[k], axis=-1)
    return float(error[clip.valid_forward[k]].mean())


def interior(x, margin=8):
    return x[margin:-margin, margin:-margin]


# --- the synthetic clips themselves ------------------------------------------------------------------------------

def test_clips_have_the_documented_shapes_and_true_flows(source, pan, zoom):
    assert len(pan.frames) == 3 and len(pan.forward) == len(pan.backward) == 2
    assert pan.frames[0].shape == SIZE + (3,) and pan.frames[0].dtype == np.float32
    assert pan.forward[0].shape == SIZE + (2,)
    np.testing.assert_allclose(pan.forward[1], np.broadcast_to([2.3, -1.2], SIZE + (2,)), atol=1e-5)
    np.testing.assert_allclose(pan.backward[1], np.broadcast_to([-2.3, 1.2], SIZE + (2,)), atol=1e-5)
    # zoom about the centre: flow = (factor - 1) (x - centre), zero at the centre, pointing outwards
    centre = ((SIZE[0] - 1) / 2, (SIZE[1] - 1) / 2)
    np.testing.assert_allclose(zoom.forward[0][0, 0], 0.02 * -np.array(centre)[::-1], atol=1e-4)
    rotation = rotate_clip(source, 2, 2.0, size=(64, 80))
    assert rotation.frames[1].shape == (64, 80, 3)


# --- optical flow accuracy and convention ------------------------------------------------------------------------

def test_default_method_is_accurate_on_a_subpixel_pan(pan):
    flow = optical_flow(pan.frames[0], pan.frames[1])
    assert flow.shape == SIZE + (2,) and flow.dtype == np.float32
    assert mean_epe(flow, pan) < 0.25  # measured ~0.06 px with DIS medium


def test_default_method_is_accurate_on_a_zoom(zoom):
    assert mean_epe(optical_flow(zoom.frames[0], zoom.frames[1]), zoom) < 0.25  # measured ~0.09 px


@pytest.mark.parametrize("method,preset", [("dis", "ultrafast"), ("dis", "fast"), ("farneback", "medium")])
def test_other_methods_follow_the_same_convention(pan, method, preset):
    assert mean_epe(optical_flow(pan.frames[0], pan.frames[1], method=method, preset=preset), pan) < 0.5


def test_flow_pair_gives_forward_and_backward(pan):
    forward, backward = flow_pair(pan.frames[1], pan.frames[2])
    assert DEFAULT_METHOD == "dis"
    assert mean_epe(forward, pan, 1) < 0.25
    error = np.linalg.norm(backward - pan.backward[1], axis=-1)[pan.valid_backward[1]]
    assert error.mean() < 0.25


# --- warping by flow ---------------------------------------------------------------------------------------------

def by_flow(image, flow):
    return warp(image, flow_coords(flow), "linear", border="edge")


@pytest.mark.parametrize("kind", ["pan", "zoom", "rotation"])
def test_warping_by_the_true_flow_reproduces_the_other_frame(source, pan, zoom, kind):
    clip = {"pan": pan, "zoom": zoom, "rotation": rotate_clip(source, 2, 2.0, size=(80, 100))}[kind]
    a, b = clip.frames[0], clip.frames[1]
    unaligned = interior(np.abs(a - b)).mean()
    for warped, target in [(by_flow(b, clip.forward[0]), a), (by_flow(a, clip.backward[0]), b)]:
        error = interior(np.abs(warped - target)).mean()
        assert error < 0.025 and error < 0.5 * unaligned, (error, unaligned)
    # the opposite convention would not align them
    assert interior(np.abs(by_flow(b, -clip.forward[0]) - a)).mean() > 0.02


def test_estimated_flow_warps_the_next_frame_onto_the_first(pan):
    flow = optical_flow(pan.frames[0], pan.frames[1])
    error = interior(np.abs(by_flow(pan.frames[1], flow) - pan.frames[0])).mean()
    assert error < 0.025


# --- reliability -------------------------------------------------------------------------------------------------

def test_mask_marks_the_uncovered_region_unreliable_and_the_background_reliable():
    clip = moving_square_clip(photo(SIZE), 3, side=28, velocity=(4.0, 2.0))
    forward, backward = flow_pair(clip.frames[0], clip.frames[1])
    mask = reliability_mask(backward, forward)  # on frame 1's grid
    assert mask.shape == SIZE and mask.dtype == np.float32 and set(np.unique(mask)) <= {0.0, 1.0}
    before, after = clip.coverage[0], clip.coverage[1]
    uncovered = (before == 1) & (after == 0)  # seen in frame 1, hidden under the square in frame 0
    static = (before == 0) & (after == 0)
    assert uncovered.sum() > 50
    assert mask[uncovered].mean() < 0.1
    assert mask[static].mean() > 0.8
    # with the true flows: exactly the uncovered region fails the check, the square itself passes
    exact = reliability_mask(clip.backward[0], clip.forward[0], motion_boundaries=False)
    assert mask.shape == exact.shape
    assert exact[uncovered].max() == 0 and exact[static].min() == 1 and exact[after == 1].min() == 1


def test_mask_trusts_a_smooth_motion_except_where_it_leaves_the_frame(pan, zoom):
    for clip in (pan, zoom):
        forward, backward = flow_pair(clip.frames[0], clip.frames[1])
        mask = reliability_mask(forward, backward)
        assert mask[clip.valid_forward[0]].mean() > 0.9
    # the pan moves content right by 2.3 px: the last columns of frame 0 leave the frame
    exact = reliability_mask(pan.forward[0], pan.backward[0])
    assert exact[:, -2:].max() == 0 and exact[2:-2, 2:-3].min() == 1


# --- user mistakes -----------------------------------------------------------------------------------------------

def test_bad_inputs_raise_clear_errors(pan):
    a, b = pan.frames[0], pan.frames[1]
    with pytest.raises(DreamreelError, match="same size"):
        optical_flow(a, b[:-4])
    with pytest.raises(DreamreelError, match=r"\(H, W, 3\)"):
        optical_flow(a[..., :2], b[..., :2])
    with pytest.raises(DreamreelError, match=r"\(H, W, 3\)"):
        optical_flow(a[..., 0], b[..., 0])
    with pytest.raises(DreamreelError, match="at least"):
        optical_flow(a[:8, :8], b[:8, :8])
    with pytest.raises(DreamreelError, match="farneback"):
        optical_flow(a, b, method="raft")
    with pytest.raises(DreamreelError, match="medium"):
        optical_flow(a, b, preset="slow")
    with pytest.raises(DreamreelError, match="NaN"):
        optical_flow(np.full_like(a, np.nan), b)
    flow = pan.forward[0]
    with pytest.raises(DreamreelError, match=r"\(H, W, 2\)"):
        reliability_mask(flow[..., :1], flow)
    with pytest.raises(DreamreelError, match="same size"):
        reliability_mask(flow, flow[:-1])
    with pytest.raises(DreamreelError, match=r"\(H, W, 2\)"):
        flow_coords(flow[..., :1])
