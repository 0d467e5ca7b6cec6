"""Clip segments without a cluster: the plan, the join with its crossfade, and resuming by frame index."""

import numpy as np
import pytest

from dreamreel.cluster.segments import Segment, SegmentSource, join, plan_segments
from dreamreel.errors import DreamreelError


def test_a_plan_covers_every_frame_once_with_warm_up_and_tails_inside_the_clip():
    plan = plan_segments(50, 16, warmup=5, crossfade=3)
    assert [(s.first, s.stop) for s in plan] == [(0, 16), (16, 32), (32, 48), (48, 50)]
    assert [s.warm for s in plan] == [0, 5, 5, 5]
    assert [s.tail for s in plan] == [3, 3, 2, 0]  # the last tail is cut to the frames that exist
    assert all(0 <= s.render_first and s.render_stop <= 50 for s in plan)


@pytest.mark.parametrize("args", [(10, 0, 0, 0), (10, 4, -1, 0), (10, 4, 0, 4)])
def test_a_bad_plan_is_refused(args):
    with pytest.raises(DreamreelError):
        plan_segments(*args)


def test_a_clip_shorter_than_a_segment_is_one_segment_whatever_the_crossfade():
    assert plan_segments(10, 48, warmup=4, crossfade=10) == [Segment(0, 10, 0, 0)]


def fake_render(segment: Segment) -> list[np.ndarray]:
    """Frame t of a segment painted with value t + 100 * (segment index): seams are visible in the numbers."""
    k = segment.first // 4
    return [np.full((2, 2, 3), t + 100 * k, np.uint8) for t in range(segment.render_first, segment.render_stop)]


def test_join_drops_the_warm_up_and_crossfades_the_tail_into_the_next_segment():
    plan = plan_segments(10, 4, warmup=2, crossfade=2)
    frames = dict(join(plan, [fake_render(s) for s in plan]))
    assert sorted(frames) == list(range(10))
    values = {t: float(image[0, 0, 0]) * 255 for t, image in frames.items()}
    assert values[0] == pytest.approx(0) and values[3] == pytest.approx(3)
    # frame 4: 2/3 of the first segment's tail (4) and 1/3 of the second segment's own (104)
    assert values[4] == pytest.approx(2 / 3 * 4 + 1 / 3 * 104, abs=1e-3)
    assert values[5] == pytest.approx(1 / 3 * 5 + 2 / 3 * 105, abs=1e-3)
    assert values[6] == pytest.approx(106, abs=1e-3)


def test_join_refuses_a_segment_with_missing_frames():
    plan = plan_segments(8, 4)
    with pytest.raises(DreamreelError, match="came back with 3 frames instead of 4"):
        list(join(plan, [fake_render(plan[0])[:3], fake_render(plan[1])]))


def test_a_resumed_source_renders_only_the_segments_it_still_needs():
    plan = plan_segments(12, 4, warmup=1, crossfade=1)
    asked = []

    def render(todo):
        asked.append([s.first for s in todo])
        return (fake_render(s) for s in todo)

    source = SegmentSource(plan, render)
    whole = {f.index: f.image for f in source.frames(0)}
    assert asked[-1] == [0, 4, 8]
    resumed = {f.index: f.image for f in source.frames(9)}  # frame 8 is a crossfade, frame 9 is not
    assert asked[-1] == [8] and sorted(resumed) == [9, 10, 11]
    crossfaded = {f.index: f.image for f in source.frames(8)}  # needs the tail of the segment before
    assert asked[-1] == [4, 8] and sorted(crossfaded) == [8, 9, 10, 11]
    for t, image in crossfaded.items():
        np.testing.assert_array_equal(image, whole[t])
    assert list(source.frames(12)) == []


def test_seam_errors_count_every_pair_of_a_crossfade_as_the_seam():
    from dreamreel.cluster.segments import seam_errors

    plan = plan_segments(8, 4, crossfade=2)
    raws = [np.zeros((16, 16, 3), np.float32)] * 8  # no motion: the error is the squared change of each pair
    frames = [np.full((16, 16, 3), 0.1 * t, np.float32) for t in range(8)]
    frames[5] = frames[5] + 0.2  # a jump inside the crossfade zone (pairs 4, 5, 6)
    at, inside = seam_errors(frames, raws, plan)
    assert len(at) == 3 and len(inside) == 4
    assert max(at) == pytest.approx(0.09, abs=1e-5) and max(inside) == pytest.approx(0.01, abs=1e-5)
