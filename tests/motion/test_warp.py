"""The one host warp (dreamreel.motion.warp): identity is exact, bilinear equals an independent numpy reference,
matrices move content where they say, masks, resampling quality over many frames, and bad input."""

import math

import cv2
import numpy as np
import pytest
from conftest import photo

from dreamreel.errors import DreamreelError
from dreamreel.motion.camera import Camera, Pan, Rotate, Zoom
from dreamreel.motion.keyframes import Track
from dreamreel.motion.warp import flow_coords, source_coords, validity_mask, warp


def move(size, zoom=1.0, rotate=0.0, pan_x=0.0, pan_y=0.0):
    c = Track.constant
    return Camera((Zoom(c(zoom)), Rotate(c(rotate)), Pan(c(pan_x), c(pan_y)))).matrix(0, size, 1)


def bilinear_reference(image, coords):
    """Bilinear sampling with the border repeated, written out in numpy (clamping the point is exactly that)."""
    h, w = image.shape[:2]
    x = np.clip(coords[..., 0].astype(np.float64), 0, w - 1)
    y = np.clip(coords[..., 1].astype(np.float64), 0, h - 1)
    x0, y0 = np.floor(x).astype(int), np.floor(y).astype(int)
    x1, y1 = np.minimum(x0 + 1, w - 1), np.minimum(y0 + 1, h - 1)
    fx, fy = x - x0, y - y0
    if image.ndim == 3:
        fx, fy = fx[..., None], fy[..., None]
    top = image[y0, x0] * (1 - fx) + image[y0, x1] * fx
    return top * (1 - fy) + (image[y1, x0] * (1 - fx) + image[y1, x1] * fx) * fy


def blob(size, centre, sigma=3.0):
    h, w = size
    ys, xs = np.mgrid[0:h, 0:w]
    g = np.exp(-((xs - centre[0]) ** 2 + (ys - centre[1]) ** 2) / (2 * sigma**2)).astype(np.float32)
    return np.repeat(g[..., None], 3, axis=2)


def centroid(image):
    g = image[..., 0].astype(np.float64)
    ys, xs = np.mgrid[0:g.shape[0], 0:g.shape[1]]
    return np.array([(g * xs).sum() / g.sum(), (g * ys).sum() / g.sum()])


def spread(image):
    g = image[..., 0].astype(np.float64)
    c = centroid(image)
    ys, xs = np.mgrid[0:g.shape[0], 0:g.shape[1]]
    return math.sqrt(((g * ((xs - c[0]) ** 2 + (ys - c[1]) ** 2)).sum() / g.sum()) / 2)


@pytest.mark.parametrize("interpolation", ["lanczos", "cubic", "linear"])
@pytest.mark.parametrize("channels", [None, 1, 3, 4, 6])
def test_identity_is_exact(rng, interpolation, channels):
    shape = (9, 11) if channels is None else (9, 11, channels)
    image = rng.random(shape, dtype=np.float32)
    for where in (np.eye(3), flow_coords(np.zeros((9, 11, 2)))):
        out = warp(image, where, interpolation)
        assert out.shape == shape and out.dtype == np.float32
        np.testing.assert_array_equal(out, image)


def test_exact_values_on_a_tiny_image():
    image = np.array([[0.0, 1.0], [2.0, 3.0]], np.float32)
    half = np.array([[[0.5, 0.5]]], np.float32)  # the centre of the four pixels
    assert warp(image, half, "linear").tolist() == [[1.5]]
    shift = np.array([[[1.0, 0.0], [0.0, 1.0]]], np.float32)  # a 1x2 output reading two chosen pixels
    assert warp(image, shift, "linear").tolist() == [[1.0, 2.0]]
    assert warp(image, np.array([[[5.0, -3.0]]], np.float32), "linear", border="edge").tolist() == [[1.0]]
    right = np.array([[1, 0, 1], [0, 1, 0], [0, 0, 1]], np.float64)  # content moves right by 1 px
    assert warp(image, right, "linear", border="edge").tolist() == [[0.0, 0.0], [2.0, 2.0]]
    assert warp(image, right, "linear", border="reflect").tolist() == [[1.0, 0.0], [3.0, 2.0]]


@pytest.mark.parametrize("channels", [None, 1, 2, 3, 4, 6, 9])
def test_bilinear_equals_the_numpy_reference(rng, channels):
    shape = (37, 53) if channels is None else (37, 53, channels)
    image = rng.random(shape, dtype=np.float32)
    flow = (rng.normal(size=(37, 53, 2)) * 6).astype(np.float32)  # many samples fall outside the frame
    flow[0, 0] = (-100.0, 250.0)
    flow[1, 1] = (52.0 - 1.0, 36.0 - 1.0)  # exactly onto the last pixel
    coords = flow_coords(flow)
    out = warp(image, coords, "linear", border="edge")
    assert out.shape == shape and out.dtype == np.float32
    np.testing.assert_allclose(out, bilinear_reference(image, coords), atol=2e-6)


def test_a_coordinate_map_sets_the_output_size(rng):
    image = rng.random((10, 12, 3), dtype=np.float32)
    ys, xs = np.mgrid[0:5, 0:6].astype(np.float32)
    crop = warp(image, np.stack([xs + 3, ys + 2], axis=-1), "linear")
    np.testing.assert_array_equal(crop, image[2:7, 3:9])


def test_matrix_and_its_coordinates_agree(rng):
    image = rng.random((20, 30, 3), dtype=np.float32)
    matrix = move((20, 30), zoom=1.1, rotate=7.0, pan_x=1.5)
    coords = source_coords(matrix, (20, 30))
    assert coords.shape == (20, 30, 2) and coords.dtype == np.float64
    centre = np.array([14.5, 9.5, 1.0])
    assert np.allclose(coords[3, 4], (np.linalg.inv(matrix) @ [4, 3, 1])[:2])
    np.testing.assert_array_equal(warp(image, matrix), warp(image, coords))
    assert np.allclose((matrix @ centre)[:2], centre[:2] + [-1.5, 0])


@pytest.mark.parametrize("size", [(48, 64), (49, 63)])
def test_warp_moves_a_blob_where_the_matrix_says(size):
    start = np.array([30.0, 20.0])
    image = blob(size, start, sigma=2.5)
    matrix = move(size, zoom=1.3, rotate=25.0, pan_x=2.0, pan_y=-1.5)
    moved = warp(image, matrix)
    expected = (matrix @ [*start, 1.0])[:2]
    assert np.abs(centroid(moved) - expected).max() < 0.05
    assert spread(moved) == pytest.approx(1.3 * spread(image), rel=0.02)


def test_crop_and_resize_is_the_centre_zoom():
    """Zoom 2 about the centre is the classic crop of the middle half, resized back (pixel centres aligned)."""
    image = photo((48, 64))
    zoomed = warp(image, move((48, 64), zoom=2.0), "linear")
    classic = cv2.resize(image[12:36, 16:48], (64, 48), interpolation=cv2.INTER_LINEAR)
    assert np.abs(zoomed - classic)[2:-2, 2:-2].max() < 1e-4


@pytest.mark.parametrize("size", [(64, 64), (63, 65)])
def test_centre_does_not_drift_over_50_identity_ish_frames(size):
    c = np.array([(size[1] - 1) / 2, (size[0] - 1) / 2])
    image = blob(size, c, sigma=4.0)
    step = move(size, zoom=1.002, rotate=0.7)
    for _ in range(50):
        image = warp(image, step)
    assert np.abs(centroid(image) - c).max() < 0.02


def laplacian_energy(image):
    return float(np.mean(cv2.Laplacian(image, cv2.CV_32F)[16:-16, 16:-16] ** 2))


@pytest.mark.parametrize("moves", [dict(rotate=0.5), dict(pan_x=0.5, pan_y=0.5), dict(zoom=1.01),
                                   dict(rotate=0.3, pan_x=0.37, pan_y=-0.21)])
def test_lanczos_keeps_fine_detail_over_50_frames(moves):
    """50 sub-pixel resamplings keep about the detail of one resampling by the whole move; bilinear loses it."""
    image = photo((96, 96))
    step = move(image.shape[:2], **moves)
    whole = warp(image, np.linalg.matrix_power(step, 50))
    frames = {name: image for name in ("lanczos", "linear")}
    for _ in range(50):
        frames = {name: warp(x, step, name) for name, x in frames.items()}
    kept = laplacian_energy(frames["lanczos"]) / laplacian_energy(whole)
    assert 0.65 < kept < 1.5, kept
    assert laplacian_energy(frames["linear"]) / laplacian_energy(whole) < 0.1


def test_lanczos_does_not_overshoot_the_image_range():
    step = np.zeros((16, 16, 3), np.float32)
    step[:, 8:] = 0.8  # a hard edge rings with Lanczos
    out = warp(step, move((16, 16), pan_x=0.5))
    assert out.min() >= 0.0 and out.max() <= 0.8


def test_validity_mask_marks_what_the_source_covers():
    size = (40, 40)
    shrink = move(size, zoom=0.5)  # the source now covers the middle 20 x 20
    mask = validity_mask(shrink, size, feather=2.0)
    assert mask.shape == size and mask.dtype == np.float32
    assert mask[20, 20] == 1.0 and mask[0, 0] == 0.0 and mask[20, 2] == 0.0
    assert 0.0 < mask[20, 10] < 1.0  # the feathered edge
    assert validity_mask(np.eye(3), size).min() > 0  # identity: everything covered
    flow = np.zeros((40, 40, 2), np.float32)
    flow[..., 0] = 10.0  # reads 10 px to the right: the last 10 columns fall outside
    by_flow = validity_mask(flow_coords(flow), size, feather=1.0)
    assert by_flow[1:-1, :29].min() == 1.0 and by_flow[:, 31:].max() == 0.0


def test_bad_input_raises():
    image = np.zeros((8, 8, 3), np.float32)
    with pytest.raises(DreamreelError, match="unknown interpolation 'nearest'; choose one of lanczos"):
        warp(image, np.eye(3), "nearest")
    with pytest.raises(DreamreelError, match="unknown border 'wrap'"):
        warp(image, np.eye(3), border="wrap")
    with pytest.raises(DreamreelError, match=r"\(3, 3\) matrix or an \(H, W, 2\) map"):
        warp(image, np.zeros((8, 8, 3)))
    with pytest.raises(DreamreelError, match=r"\(H, W\) or \(H, W, C\)"):
        warp(image[None], np.eye(3))
