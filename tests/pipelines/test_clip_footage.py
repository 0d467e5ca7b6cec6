"""Clips on filmed footage with the real VGG16: cuts start afresh, the strength holds (integration, small sizes)."""

import dataclasses

import numpy as np
import pytest
from conftest import photo

from dreamreel.core.objectives import layer
from dreamreel.io import read_video, resize
from dreamreel.io.footage import footage
from dreamreel.pipelines.clip import dream_clip, strength, style_clip
from dreamreel.settings import ClipSettings

pytestmark = pytest.mark.integration
SIDE = 160  # 160x68 for bikes: about a second per frame on two shared cores


@pytest.fixture(scope="module")
def spliced():
    """bikes frames 25..29 (the end of its first shot), then bigbuckbunny's first 3 frames at bikes' size."""
    bikes, _ = read_video(footage("bikes"), end=30 / 25, max_side=SIDE)
    bikes = list(bikes)[25:30]
    bunny, _ = read_video(footage("bigbuckbunny"), end=3 / 25, max_side=SIDE)
    return bikes + [resize(f, *bikes[0].shape[:2]) for f in bunny]


def test_a_cut_from_bikes_to_bigbuckbunny_leaves_no_smeared_frame(vgg16, spliced):
    settings = ClipSettings(first_steps=8, steps=2, strength=12.0)
    outs = [image for image, _ in dream_clip(spliced, model=vgg16, objective=layer("block4_conv3"), settings=settings)]
    fresh = [image for image, _ in dream_clip(spliced[5:], model=vgg16, objective=layer("block4_conv3"),
                                              settings=settings, first_index=5)]
    for a, b in zip(outs[5:], fresh):
        assert np.array_equal(a, b)  # after the cut nothing of the bikes shot is carried
    assert all(abs(strength(o, f) * 255 - 12.0) < 0.05 for o, f in zip(outs, spliced))


def test_style_holds_its_first_frames_strength_across_the_cut(vgg16, spliced):
    settings = ClipSettings(mode="style", style=("unused",), first_iterations=20, first_scales=1, iterations=4)
    painting = photo((96, 96))[:, ::-1] * np.array([1.0, 0.7, 0.3], np.float32)
    outs = [image for image, _ in style_clip(spliced[2:7], [painting], model=vgg16, settings=settings)]
    levels = [strength(o, f) for o, f in zip(outs, spliced[2:7])]
    assert max(levels) - min(levels) < 0.01 * levels[0], levels
    no_cuts = dataclasses.replace(settings, cut_threshold=1.0)
    smeared = [image for image, _ in style_clip(spliced[2:7], [painting], model=vgg16, settings=no_cuts)]
    assert not np.array_equal(smeared[3], outs[3])  # the cut (frame 3 here) changed what was done
