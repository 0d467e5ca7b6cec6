"""Dreaming and painting over filmed clips: a held strength, a memory along the motion, scene cuts.

dream_clip(frames, *, model, objective, settings, state=None, first_index=0) -> iterator of (image, state)
style_clip(frames, styles, *, model, settings, state=None, first_index=0) -> iterator of (image, state)
    frames: (H, W, 3) float32 RGB in [0, 1]; image: the same shape; state: {name: array}, all the next frame needs
    (hand it back with the next frame's index to continue a clip exactly: resume)
style_passes(frames, styles, *, model, settings) -> [image]   settings.passes passes in alternating directions
ClipSource(raw_frames, total, model, settings, objective, styles) -> a stream.FrameSource (resumable)
strength(image, raw) -> float                      mean |image - raw|: how far the look is from the footage
hold_strength(image, raw, target, max_gain) -> image    the look (image - raw) scaled to that strength
spread(detail (H, W, 3), radius, max_gain) -> (H, W, 3)   the look evened out over the frame
long_term(warped [(H, W, C)], masks [(H, W)]) -> (H, W, C), (H, W)   each pixel from the nearest frame seeing it
colour_distance(a, b) -> float in [0, 1]           total variation distance of the 8x8x8 colour histograms
scene_cut(previous_raw, raw, mask, threshold) -> bool
flicker(outputs, inputs, spans=(1, 2, 5, 10)) -> {span: error}   error over `span` frames on reliable tracks
temporal_error(outputs, inputs, span=1) -> float

Motion. Every frame is tracked back to the frames remembered (flow.flow_pair on the *raw* frames, DIS): the
previous frame and up to `memory` key frames (every `memory_every`-th frame). Ruder et al.'s long-term rule
combines them: a pixel takes what the nearest remembered frame shows there, among those whose flow to it is
reliable (forward-backward consistent, not a motion boundary). So a region hidden for a moment (a passer-by, a
pole) gets back the look it had, not a new one.

Scene cuts. A cut is a pair of frames whose colour histograms differ by more than `cut_threshold` while the flow
fails on most of the frame (bikes.mp4 has five; their pairs measure 0.27-0.75 and 92-99 % unreliable, its other
pairs at most 0.07 at the 95th percentile). A cut forgets every remembered frame: the new shot starts afresh.

Dream mode. What is carried is the dream's *detail* (dreamed - raw): start_t = raw_t + carry * long_term detail,
then `steps` dream steps; then the detail is *spread* (each region's detail scaled towards the frame's mean
strength, regions of SPREAD_RADIUS x the short side, gains within [1/4, 4]) and scaled as a whole so that mean
|dreamed - raw| = strength (grey levels): the strength is held by construction, frame after frame and shot after
shot, where a free-running carry settles at whatever the flow's losses leave (on filmed footage the old first frame
was 40 % stronger than frame 20). Why spread: DeepDream's gradient is largest where a pattern already is, so under
one gain for the whole frame the dream gathered in a few regions (bikes: the van's window) while the rest stayed
raw, and a gathered look flickers more (the same mean change in fewer pixels is a larger squared change, and those
few regions are where every frame's steps pile up). On bikes' first 45 frames at 320 px spreading alone took the
10-frame temporal error from 3.6 to 1.6 (x1000); a slower renewal (carry 0.97 and 2 steps a frame instead of 0.9 and
4) to 1.3, against 2.3 for the algorithm before this work, which deflated to 6 grey levels (benchmarks/RESULTS.md,
"Clips on real footage"; on native bikes, 201 frames, now: 0.95 against 2.85). carry < 1 and the fresh steps renew the
detail, so stale detail fades. Where no remembered frame is reliable (a region coming into view, a motion-blurred
vehicle passing) the previous frame's detail is kept where it was: started from nothing, a few steps are mostly
colour noise that the spread would amplify (native bikes, first 30 frames: 10-frame error 1.44 -> 0.84 x1000 for
carrying the previous detail at all); carried along the flow that failed there, it became faint swirls and green
blotches (bikes, native, frames 76-101: in place the look keeps its pattern and strength, 10-frame error 0.59 ->
0.51 x1000). Detail carried in from outside the earlier frame (content coming into view at an edge) is mirrored there:
repeating the edge pixel's detail, as a flow warp does, dragged it into streaks that then travelled with the
content (bikes: the van roof entering at the top, the panned wall). The first frame of a shot takes plain dream
steps until it is as strong as the setting (at most `first_steps`), then a warm-up: ordinary frame updates along the
shot's next `warm_up` frames (read ahead, stopping at a cut) and back to the first frame. A plain dream is a one-off
peak of the objective that the carried frames lose within 6-10 frames (bikes, native: each shot's first frame
+19-28 % above its next 5 frames); warmed up, the first frame shows detail carried as far as the frames that
follow, so the shot starts at the level it keeps (bikes: within 5 % of its next 5 frames; on a synthetic pan there
and back, the first frame's objective within 10 % of the same content after 30 carried frames: tests). Still wrong:
a textureless surface (the van roof) whose flow DIS interpolates, consistent both ways but stretching, so the
checks pass it and its detail is stretched along the motion.

Style mode (Ruder et al.). Each frame starts from its raw frame plus the carried stylisation (stylised - raw of the
remembered frames, warped; content is never resampled twice, so it does not blur) and minimises the Gatys loss plus
temporal_weight * |x - (raw + long-term stylisation)|^2 on the pixels some remembered frame sees reliably. The first
frame of the clip is stylised fully (multi-scale); its strength is held for the whole clip as in dream mode, so the
per-frame iterations cannot wash it out and a shot after a cut (stylised fully again) keeps the clip's strength.
With `passes` > 1 (Ruder et al.'s multi-pass processing) the clip is then painted again in alternating directions,
each frame pulled towards both its neighbours: style_passes, in memory.

Each frame's work is one jitted program at one size (objective leaves change, shapes do not).
"""

from __future__ import annotations

import dataclasses
from collections import deque
from dataclasses import dataclass
from itertools import pairwise
from typing import Callable, Iterable, Iterator, NamedTuple, Sequence

import cv2
import jax
import jax.numpy as jnp
import numpy as np

from ..core.dream import dream_steps, tile_shift
from ..core.image import fit_size, transfer_luminance
from ..core.objectives import Objective, content_loss, gatys_objective, style_loss, temporal
from ..core.steps import Adam, Whole, run
from ..core.stylize import stylize
from ..errors import DreamreelError
from ..io import resize
from ..models.registry import Model
from ..motion.flow import flow_pair, reliability_mask
from ..motion.warp import flow_coords, follow, warp
from ..settings import ClipSettings
from .stream import Frame

MAX_DREAM_GAIN = 16.0  # a first frame that stopped short of the strength (first_steps) is scaled up to it
CHUNK = 4  # the first frame's steps run in chunks of this many, checking the strength in between
MAX_STYLE_GAIN = 2.0  # style detail is only ever restored from warping losses, never invented
PASS_BLEND = 0.5  # Ruder et al.'s delta: a later pass starts half from the neighbour, half from its last result
MATCH = 0.1  # a remembered pixel counts only where its raw colour, carried along the flow, is this close to now's
CUT_UNRELIABLE = 0.75  # a cut also needs the flow to fail on this share of the frame (a fast pan alone is no cut)
SPREAD_RADIUS = 0.08  # dream mode: the look is evened out over regions of about this share of the short side
SPREAD_GAIN = 4.0  # ... by a gain within [1 / SPREAD_GAIN, SPREAD_GAIN]


# --- measures and pure helpers ----------------------------------------------------------------------------------

def strength(image: np.ndarray, raw: np.ndarray) -> float:
    return float(np.abs(np.asarray(image, np.float32) - raw).mean())


def hold_strength(image: np.ndarray, raw: np.ndarray, target: float, max_gain: float) -> np.ndarray:
    """raw + k * (image - raw), clipped to [0, 1], with k in [0, max_gain] such that its strength is `target`
    (bisection: the strength grows with k, clipping bends it)."""
    detail = np.asarray(image, np.float32) - raw

    def held(k):
        return np.clip(raw + np.float32(k) * detail, 0.0, 1.0)

    if strength(held(max_gain), raw) <= target:
        return held(max_gain)
    low, high = 0.0, max_gain
    for _ in range(24):  # max_gain / 2^24: far below a grey level
        mid = 0.5 * (low + high)
        low, high = (mid, high) if strength(held(mid), raw) < target else (low, mid)
    return held(0.5 * (low + high))


def spread(detail: np.ndarray, radius: float, max_gain: float) -> np.ndarray:
    """The look (H, W, 3) evened out over the frame: each pixel's detail times mean(local) / local, with local the
    mean |detail| around it (a Gaussian of `radius` px), the gain kept within [1 / max_gain, max_gain]. The gain is
    as smooth as the Gaussian, so the pattern itself is kept; only where it is strong or faint changes."""
    local = cv2.GaussianBlur(np.abs(detail).mean(axis=-1), (0, 0), radius)
    gain = np.clip(local.mean() / np.maximum(local, 1e-8), 1.0 / max_gain, max_gain)
    return detail * gain[..., None]


def long_term(warped: Sequence[np.ndarray], masks: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Ruder et al.'s long-term weights, nearest frame first: c_j = max(mask_j - sum of earlier c, 0); returns
    (sum_j c_j * warped_j, sum_j c_j) with the weight in [0, 1]."""
    total = np.zeros_like(np.asarray(warped[0], np.float32))
    weight = np.zeros(total.shape[:2], np.float32)
    for image, mask in zip(warped, masks):
        c = np.maximum(np.asarray(mask, np.float32) - weight, 0.0)
        total += c[..., None] * image if total.ndim == 3 else c * image
        weight += c
    return total, weight


def _histogram(image: np.ndarray) -> np.ndarray:
    bins = np.clip((np.asarray(image) * 8).astype(np.int32), 0, 7)
    counts = np.bincount((bins[..., 0] * 64 + bins[..., 1] * 8 + bins[..., 2]).ravel(), minlength=512)
    return counts / counts.sum()


def colour_distance(a: np.ndarray, b: np.ndarray) -> float:
    return float(0.5 * np.abs(_histogram(a) - _histogram(b)).sum())


def scene_cut(previous_raw: np.ndarray, raw: np.ndarray, mask: np.ndarray, threshold: float) -> bool:
    """A cut between two frames: their colours jump and the flow between them fails on most of the frame."""
    return float(1.0 - mask.mean()) > CUT_UNRELIABLE and colour_distance(previous_raw, raw) > threshold


def _track(earlier_raw: np.ndarray, raw: np.ndarray, flow_method: str) -> tuple[np.ndarray, np.ndarray]:
    """(flow from raw's grid back to earlier_raw's, its reliability mask on raw's grid)."""
    forward, backward = flow_pair(earlier_raw, raw, method=flow_method)
    return backward, reliability_mask(backward, forward)


def flicker(outputs: Sequence[np.ndarray], inputs: Sequence[np.ndarray], spans: Sequence[int] = (1, 2, 5, 10),
            flow_method: str = "dis", cut_threshold: float = 0.15) -> dict[int, float]:
    """For each span j: the mean over frames t of the mean squared difference between output t and output t - j
    carried along the motion, on the pixels tracked reliably through every frame from t - j to t (the flows of
    consecutive input frames, chained; a scene cut ends every track). 0 for a span no track survives."""
    longest = max(spans)
    errors: dict[int, list[float]] = {j: [] for j in spans}
    chains: list[tuple[np.ndarray, np.ndarray]] = []  # (flow back to t - j, mask) for j = 1, 2, ...
    for t in range(1, len(outputs)):
        earlier, raw = np.asarray(inputs[t - 1], np.float32), np.asarray(inputs[t], np.float32)
        back, mask = _track(earlier, raw, flow_method)
        if scene_cut(earlier, raw, mask, cut_threshold):
            chains = []
            continue
        # a track to t - j is the step to t - 1, then the track of t - 1 to t - j, read where the step lands
        chains = [(back, mask)] + [(back + follow(f, back), mask * (follow(m, back) > 0.999))
                                   for f, m in chains[:longest - 1]]
        out = np.asarray(outputs[t], np.float32)
        for j in spans:
            if j <= len(chains) and chains[j - 1][1].sum() > 0:
                flow, reliable = chains[j - 1]
                diff = np.square(out - follow(np.asarray(outputs[t - j], np.float32), flow)).mean(axis=-1)
                errors[j].append(float((reliable * diff).sum() / reliable.sum()))
    return {j: float(np.mean(e)) if e else 0.0 for j, e in errors.items()}


def temporal_error(outputs: Sequence[np.ndarray], inputs: Sequence[np.ndarray], span: int = 1,
                   flow_method: str = "dis") -> float:
    """The mean squared change of the outputs along the inputs' reliable motion over `span` frames (flicker)."""
    return flicker(outputs, inputs, (span,), flow_method)[span]


# --- memory -----------------------------------------------------------------------------------------------------

class Remembered(NamedTuple):
    index: int
    raw: np.ndarray
    out: np.ndarray  # before any colour transfer: what the next frame carries


def _remember(memory: list[Remembered], frame: Remembered, s: ClipSettings) -> list[Remembered]:
    """The previous frame, then up to s.memory key frames (indices divisible by s.memory_every), newest first."""
    keys = [m for m in memory if m.index % s.memory_every == 0 and m.index != frame.index][:s.memory]
    return [frame, *keys]


def _recall(memory: list[Remembered], raw: np.ndarray, s: ClipSettings):
    """([remembered detail warped into raw], [masks]) nearest first, or None after a scene cut."""
    details, masks = [], []
    for number, m in enumerate(memory):
        back, mask = _track(m.raw, raw, s.flow_method)
        if number == 0 and scene_cut(m.raw, raw, mask, s.cut_threshold):
            return None
        # the flow's own check passes some pixels a mover has just uncovered: the detail must also sit on the
        # same colour it was dreamed on
        matches = np.abs(follow(m.raw, back) - raw).mean(axis=-1) < MATCH
        details.append(_carried(m.out - m.raw, back))
        masks.append(mask * matches)
    return details, masks


def _carried(detail: np.ndarray, flow: np.ndarray) -> np.ndarray:
    """Detail carried along the flow. Where the flow reaches outside the earlier frame (content coming into view at
    an edge) the detail is mirrored there: repeating the edge pixel, as a flow warp does, dragged the border's detail
    into streaks that then travelled with the content (bikes: the van roof, the panned wall)."""
    return warp(detail, flow_coords(flow), "linear", border="reflect")


def _state(memory: list[Remembered], target: float) -> dict[str, np.ndarray]:
    return {"raws": np.stack([m.raw for m in memory]), "outs": np.stack([m.out for m in memory]),
            "indices": np.array([m.index for m in memory], np.float32), "strength": np.float32(target)}


def _memory(state: dict | None) -> tuple[list[Remembered], float | None]:
    if not state:
        return [], None
    memory = [Remembered(int(i), np.asarray(r, np.float32), np.asarray(o, np.float32))
              for i, r, o in zip(state["indices"], state["raws"], state["outs"])]
    return memory, float(state["strength"])


# --- dream mode -------------------------------------------------------------------------------------------------

def dream_clip(frames: Iterable[np.ndarray], *, model: Model, objective: Objective, settings: ClipSettings,
               state: dict | None = None, first_index: int = 0) -> Iterator[tuple[np.ndarray, dict]]:
    """Dream each frame on top of the detail remembered along the motion, at a held strength."""
    s = settings
    objective = objective.bind(model.spec)
    target = float(np.float32(s.strength / 255.0))  # float32 as the checkpoint keeps it: a resume is exact
    memory, _ = _memory(state)
    frames = _Ahead(frames)
    for index, raw in enumerate(frames, start=first_index):
        raw = np.asarray(raw, np.float32)
        key = jax.random.fold_in(jax.random.PRNGKey(s.seed), index)
        recalled = _recall(memory, raw, s) if memory else None
        if recalled is None:  # the first frame of a shot
            out = _dream_first(model, objective, raw, frames.peek(s.warm_up), key, s, target)
        else:
            out = _dream_next(model, objective, raw, recalled, memory[0], key, s, target)
        memory = (_remember(memory, Remembered(index, raw, out), s) if recalled is not None
                  else [Remembered(index, raw, out)])
        yield out, _state(memory, target)


class _Ahead:
    """An iterator over frames that can look at the next few without consuming them."""

    def __init__(self, frames: Iterable[np.ndarray]):
        self._frames, self._seen = iter(frames), deque()

    def __iter__(self):
        return self

    def __next__(self) -> np.ndarray:
        return self._seen.popleft() if self._seen else next(self._frames)

    def peek(self, count: int) -> list[np.ndarray]:
        while len(self._seen) < count:
            following = next(self._frames, None)
            if following is None:
                break
            self._seen.append(following)
        return list(self._seen)[:count]


def _dream_next(model, objective, raw, recalled, previous: Remembered, key, s: ClipSettings,
                target: float) -> np.ndarray:
    detail, weight = long_term(*recalled)
    # where no remembered frame is reliable, the previous frame's detail where it was, not moved along a flow that
    # failed (dragged along it, a passing motion-blurred van became faint swirls and blotches; in place it keeps
    # the look's pattern and strength); started from nothing, the spread would amplify the first steps' colour noise
    detail = detail + (1.0 - weight[..., None]) * (previous.out - previous.raw)
    return _dream_update(model, objective, raw, detail, key, s, target)


def _dream_first(model, objective, raw, following, key, s: ClipSettings, target: float) -> np.ndarray:
    """Dream steps from the raw frame until it is as strong as the target (at most s.first_steps), held there; then
    the warm-up: ordinary frame updates along the shot's next frames (`following`, up to a cut) and back to this one.
    The detail then arrives as carried as in the frames that follow, so the shot starts at the level it keeps."""
    image, done = jnp.asarray(raw), 0
    shift = tile_shift(raw.shape[:2], s.tile_size, s.jitter)
    while done < s.first_steps and strength(image, raw) < target:
        last = min(done + CHUNK, s.first_steps)
        image = dream_steps(model, objective, image, jax.random.fold_in(key, 0), done, last, s.step_size,
                            tile_size=s.tile_size, max_shift=shift, normalize=s.normalize)
        done = last
    return _warm_up(model, objective, raw, _hold_dream(np.asarray(image), raw, target), following, key, s, target)


def _warm_up(model, objective, raw, first, following, key, s: ClipSettings, target: float) -> np.ndarray:
    """The first frame's dream carried forward along `following` (up to a cut) by ordinary frame updates, and
    back; the first dream itself where nothing follows."""
    last, path, step = Remembered(0, raw, first), [raw], 0
    for frame in (np.asarray(f, np.float32) for f in following):
        recalled = _recall([last], frame, s)
        if recalled is None:  # a cut: the warm-up stays in this shot
            break
        last = Remembered(0, frame, _dream_next(model, objective, frame, recalled, last,
                                                jax.random.fold_in(key, 1 + step), s, target))
        path, step = [*path, frame], step + 1
    for frame in path[-2::-1]:
        recalled = _recall([last], frame, s)
        if recalled is None:  # the flow's checks are not symmetric: a pair can fail one way only
            return first
        last = Remembered(0, frame, _dream_next(model, objective, frame, recalled, last,
                                                jax.random.fold_in(key, 1 + step), s, target))
        step += 1
    return last.out


def _dream_update(model, objective, raw, detail, key, s: ClipSettings, target: float) -> np.ndarray:
    start = jnp.asarray(np.clip(raw + s.carry * detail, 0.0, 1.0))
    dreamed = dream_steps(model, objective, start, key, 0, s.steps, s.step_size, tile_size=s.tile_size,
                          max_shift=tile_shift(raw.shape[:2], s.tile_size, s.jitter), normalize=s.normalize)
    return _hold_dream(np.asarray(dreamed), raw, target)


def _hold_dream(dreamed, raw, target):
    """The dream's detail spread over the frame, then scaled to the target strength."""
    detail = spread(dreamed - raw, SPREAD_RADIUS * min(raw.shape[:2]), SPREAD_GAIN)
    return hold_strength(raw + detail, raw, target, MAX_DREAM_GAIN)


# --- style mode -------------------------------------------------------------------------------------------------

def style_clip(frames: Iterable[np.ndarray], styles: Sequence[np.ndarray], *, model: Model, settings: ClipSettings,
               state: dict | None = None, first_index: int = 0) -> Iterator[tuple[np.ndarray, dict]]:
    """Stylise each frame from the stylisation remembered along the motion, with a long-term temporal loss."""
    s = settings
    if not styles:
        raise DreamreelError("style mode needs at least one style image")
    memory, target = _memory(state)
    s_loss = None
    for index, raw in enumerate(frames, start=first_index):
        raw = np.asarray(raw, np.float32)
        recalled = _recall(memory, raw, s) if memory else None
        if recalled is None:  # the clip's first frame, or a new shot: stylised fully
            out = stylize(raw, styles, model=model, content_weight=s.content_weight, style_weight=s.style_weight,
                          tv_weight=s.tv_weight, size=None, scales=s.first_scales, iterations=s.first_iterations,
                          learning_rate=s.learning_rate, loss=s.loss, seed=s.seed)
            target = float(np.float32(strength(out, raw))) if target is None else target
        else:
            if s_loss is None:  # the style statistics at the clip's size, once
                s_loss = _style_statistics(model, styles, raw, s)
            out = _style_update(model, s_loss, raw, recalled, jax.random.fold_in(jax.random.PRNGKey(s.seed), index),
                                s)
        out = hold_strength(out, raw, target, MAX_STYLE_GAIN)
        memory = (_remember(memory, Remembered(index, raw, out), s) if recalled is not None
                  else [Remembered(index, raw, out)])
        shown = np.asarray(transfer_luminance(out, raw)) if s.original_colors else out
        yield shown, _state(memory, target)


def _style_update(model, s_loss, raw, recalled, key, s: ClipSettings) -> np.ndarray:
    details, masks = recalled
    carried, weight = long_term(details, masks)
    # where no remembered frame is reliable, start from the previous frame's look anyway (Ruder et al.: a warped
    # start converges faster than the raw frame); the temporal loss holds only the reliable pixels
    start = raw + carried + (1.0 - weight[..., None]) * details[0]
    return _paint(model, s_loss, raw, start, carried, weight, key, s)


def _paint(model, s_loss, raw, start, carried, weight, key, s: ClipSettings) -> np.ndarray:
    """s.iterations of Adam on the Gatys loss plus the temporal loss towards raw + carried where weight > 0."""
    objective = gatys_objective(content_loss(model, raw), s_loss, content_weight=s.content_weight,
                                style_weight=s.style_weight, tv_weight=s.tv_weight,
                                extra=s.temporal_weight * temporal(np.clip(raw + carried, 0.0, 1.0), weight))
    image, _ = run(Adam(clip=True), Whole(), model, objective, jnp.asarray(np.clip(start, 0.0, 1.0)), key,
                   s.iterations, rate=s.learning_rate)
    return np.clip(np.asarray(image), 0.0, 1.0)


# --- style mode, several passes ---------------------------------------------------------------------------------

class Link(NamedTuple):
    """The motion between frames i and i + 1: each one's detail carried into the other, and where that holds."""
    to_next: np.ndarray  # flow on frame i + 1's grid back to frame i
    next_mask: np.ndarray
    to_previous: np.ndarray  # flow on frame i's grid forward to frame i + 1
    previous_mask: np.ndarray


def _link(raw: np.ndarray, next_raw: np.ndarray, s: ClipSettings) -> Link:
    forward, backward = flow_pair(raw, next_raw, method=s.flow_method)
    next_mask, previous_mask = reliability_mask(backward, forward), reliability_mask(forward, backward)
    if scene_cut(raw, next_raw, next_mask, s.cut_threshold):
        next_mask, previous_mask = np.zeros_like(next_mask), np.zeros_like(previous_mask)
    # as in _recall: the carried detail must also land on the colour it was made on
    next_mask = next_mask * (np.abs(follow(raw, backward) - next_raw).mean(axis=-1) < MATCH)
    previous_mask = previous_mask * (np.abs(follow(next_raw, forward) - raw).mean(axis=-1) < MATCH)
    return Link(backward, next_mask, forward, previous_mask)


def _neighbour(details, links, i: int, j: int):
    """Frame j's detail carried into frame i (j = i +- 1) and its mask, or None outside the clip."""
    if not 0 <= j < len(details):
        return None
    link = links[min(i, j)]
    flow, mask = (link.to_next, link.next_mask) if j < i else (link.to_previous, link.previous_mask)
    return _carried(details[j], flow), mask


def style_passes(frames: Sequence[np.ndarray], styles: Sequence[np.ndarray], *, model: Model,
                 settings: ClipSettings) -> list[np.ndarray]:
    """Ruder et al.'s multi-pass processing: style_clip's forward pass, then settings.passes - 1 passes in
    alternating directions (backward, forward, ...). In a pass, frame i starts from PASS_BLEND x the frame before it
    in the pass (this pass's result, carried along the flow where reliable) and the rest of its own previous
    result, and the temporal loss pulls it towards both neighbours where they are reliable (the one behind from
    this pass, the one ahead from the last): what one direction could not see, the other brings."""
    s = settings
    raws = [np.asarray(f, np.float32) for f in frames]
    details, target = [], None
    for _, state in style_clip(raws, styles, model=model, settings=dataclasses.replace(s, original_colors=False)):
        details.append(state["outs"][0] - raws[len(details)])
        target = float(state["strength"])
    links = [_link(a, b, s) for a, b in pairwise(raws)]
    s_loss = _style_statistics(model, styles, raws[0], s)
    for number in range(1, s.passes):
        step = 1 if number % 2 == 0 else -1
        for i in (range(len(raws)) if step == 1 else range(len(raws) - 1, -1, -1)):
            details[i] = _pass_update(model, s_loss, raws, details, links, i, step, target,
                                      jax.random.fold_in(jax.random.PRNGKey(s.seed), number * len(raws) + i), s)
    outs = [np.clip(raw + detail, 0.0, 1.0) for raw, detail in zip(raws, details)]
    return [np.asarray(transfer_luminance(o, r)) for o, r in zip(outs, raws)] if s.original_colors else outs


def _pass_update(model, s_loss, raws, details, links, i, step, target, key, s: ClipSettings) -> np.ndarray:
    """Frame i's new detail in a pass going `step` (+1 forward, -1 backward)."""
    raw = raws[i]
    behind, ahead = _neighbour(details, links, i, i - step), _neighbour(details, links, i, i + step)
    start = raw + details[i]
    if behind is not None:
        carried, mask = behind
        start = raw + PASS_BLEND * mask[..., None] * carried + (1.0 - PASS_BLEND * mask[..., None]) * details[i]
    pairs = [n for n in (behind, ahead) if n is not None]
    total = sum(m for _, m in pairs)
    carried = sum(m[..., None] * d for d, m in pairs) / np.maximum(total, 1e-6)[..., None]
    weight = np.minimum(total, 1.0)
    out = hold_strength(_paint(model, s_loss, raw, start, carried, weight, key, s), raw, target, MAX_STYLE_GAIN)
    return out - raw


def _style_statistics(model, styles, frame, s: ClipSettings):
    """The style loss with the paintings at the clip's size."""
    side = max(frame.shape[:2])
    return style_loss(model, [resize(np.asarray(p, np.float32), *fit_size(np.shape(p), side)) for p in styles],
                      loss=s.loss)


# --- the clip as a frame source ---------------------------------------------------------------------------------

@dataclass
class ClipSource:
    """A clip as a stream.FrameSource: `raw_frames(first)` yields the clip's frames from index `first` on."""

    raw_frames: Callable[[int], Iterator[np.ndarray]]
    total: int
    model: Model
    settings: ClipSettings
    objective: Objective | None = None
    styles: Sequence[np.ndarray] = ()

    @property
    def stage(self) -> str:
        return self.settings.mode

    @property
    def shown_total(self) -> int:
        return self.total

    def frames(self, start: int = 0, state: dict | None = None) -> Iterator[Frame]:
        if self.settings.mode == "style" and self.settings.passes > 1:
            yield from self._passes(start)
            return
        state = state if state and start else None
        raws = self.raw_frames(start)
        if self.settings.mode == "dream":
            outputs = dream_clip(raws, model=self.model, objective=self.objective, settings=self.settings,
                                 state=state, first_index=start)
        else:
            outputs = style_clip(raws, self.styles, model=self.model, settings=self.settings, state=state,
                                 first_index=start)
        for index, (image, next_state) in enumerate(outputs, start=start):
            yield Frame(index, index, image, next_state)

    def _passes(self, start: int) -> Iterator[Frame]:
        """Several passes need the whole clip: it is painted in memory, and a resume paints it again (the same
        seed gives the same frames) and continues from `start`."""
        images = style_passes(list(self.raw_frames(0)), self.styles, model=self.model, settings=self.settings)
        for index in range(start, len(images)):
            yield Frame(index, index, images[index], {})
