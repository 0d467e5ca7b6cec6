"""Feedback animations: each frame is the previous dreamed frame moved by the camera, then dreamed a few steps more.

Animation.build(preset, model, source, net=None) -> Animation    everything a render needs, resolved once (a
                                                       FrameSource); with a trained network (preset key `net`) the
                                                       model may be None
Animation.frames(start, state) -> iterator of stream.Frame    the pure pipeline, resumable from a checkpoint state
noise_image((H, W), seed) -> (H, W, 3) float32         smooth coloured noise, the start of a preset without a source

Frames are (H, W, 3) float32 RGB in [0, 1]. Rendered frame 0 is the source dreamed with octaves (core.dream.dream);
rendered frame r >= 1 is dream_steps(warp(frame r - 1, camera move of r), objective of r, key fold_in(key, r)) at
the one working size, so dream_steps is traced once for the whole video: the objective's weights are pytree
leaves and the step size is always a float32 scalar. The first `warmup` rendered frames are not shown (they let a
loop start from the feedback's steady state); shown frame i is rendered frame warmup + i.

With a network (`net = "look.dnet"`), rendered frame 0 is the network applied to the source and frame r >= 1
the network applied to warp(frame r - 1): the same feedback, with one forward pass of a small network per frame
instead of dream steps through the big model.

Resume (pipelines.stream). The state after each frame is the rendered frame (float32, lossless) and, once shown
frame 0 exists, what a loop returns to; since every frame is a deterministic function of its predecessor, its
index and the settings, a resumed video equals that of an uninterrupted run.

Seamless loops (loop = true). The camera and every keyframed weight are periodic with the video's length N (the
last keyframe eases into the first, N frames on). Frame N, which would follow the last frame, should be frame 0
again; more precisely its input, the last frame moved by the camera, should be the input A of frame 0 (frame
warmup-1 moved by the camera; without warm-up, frame 0 itself). Going back from A through the camera moves of
frames N, N-1, ..., i+1 gives what frame i must show for that: T_i = A warped by (M_N ... M_{i+1})^-1 (one
resampling of the composite move, so no extra blur). For the last K = loop_frames frames the feedback input is
blended towards it,
    input_i = (1 - a_i m_i) warp(frame i-1) + a_i m_i T_i,  a_i = ease_in_out((i - N + K + 1) / K),
with m_i the part of T_i that A covers (feathered; outside it, e.g. the margin a zoom-in brings in, the dream's
own picture stays), and then dreamed as usual. The blend happens in the feedback's domain: both pictures move with
the same camera, so nothing ghosts, and every shown frame is a dreamed frame rather than a cross-fade of two
videos. At i = N-1, a = 1 and the last frame is A moved back by one camera step and dreamed, so the jump from the
last frame to the first is one camera step plus the difference of two dream updates of nearly the same picture
(tested: the last-to-first difference is of the size of the frame-to-frame ones). Use `warmup` frames so that
frame 0 is already a typical frame of the feedback and the return to it looks like the rest of the loop.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

import jax
import jax.numpy as jnp
import numpy as np

from ..core.dream import dream, dream_steps, tile_shift
from ..core.nets import LearnedNet, apply_net
from ..models.registry import Model
from ..motion.camera import Camera, chain
from ..motion.keyframes import ease
from ..motion.warp import validity_mask, warp
from ..recipe import Schedule, cover, resolve
from ..settings import Preset
from .stream import Frame

FRAME_STREAM = 0x5EED  # frame keys are fold_in(fold_in(PRNGKey(seed), FRAME_STREAM), rendered index)


def noise_image(size: tuple[int, int], seed: int) -> np.ndarray:
    """Smooth coloured noise around mid-grey (a few blobs per side plus a little fine grain), seeded."""
    import cv2

    height, width = size
    rng = np.random.default_rng(seed)
    coarse = rng.random((max(2, height // 32), max(2, width // 32), 3)).astype(np.float32)
    smooth = cv2.resize(coarse, (width, height), interpolation=cv2.INTER_CUBIC)
    fine = rng.random((height, width, 3)).astype(np.float32)
    return np.clip(0.5 + 0.25 * (smooth - 0.5) + 0.08 * (fine - 0.5), 0.0, 1.0)


@dataclass(frozen=True)
class Animation:
    preset: Preset
    model: Model | None
    schedule: Schedule | None  # None with a network
    camera: Camera
    source: np.ndarray  # (H, W, 3), the picture rendered frame 0 dreams
    net: LearnedNet | None = None
    stage: str = "render"

    @staticmethod
    def build(preset: Preset, model: Model | None, source: np.ndarray | None = None,
              net: LearnedNet | None = None) -> "Animation":
        """source: the start picture (any size: it is cropped to fill the frame); None: seeded noise. net: the
        network that replaces the dream steps (then `model` is not used)."""
        r = preset.render
        size = (r.height, r.width)
        if source is None:
            source = noise_image(size, r.seed)
        elif source.shape != (*size, 3):
            source = cover(np.asarray(source, np.float32), size)
        schedule = resolve(preset.recipe, model, size=size, frames=r.frames, loop=r.loop) if net is None else None
        return Animation(preset, model, schedule, preset.camera, source, net)

    @property
    def size(self) -> tuple[int, int]:
        return self.source.shape[:2]

    @property
    def shown_total(self) -> int:
        return self.preset.render.frames

    @property
    def total(self) -> int:
        return self.preset.render.warmup + self.preset.render.frames

    def shown(self, rendered: int) -> int:
        return rendered - self.preset.render.warmup

    def move(self, frame: int) -> np.ndarray:
        r = self.preset.render
        return self.camera.matrix(frame, self.size, r.frames, r.loop)

    def first_frame(self) -> np.ndarray:
        """The source dreamed with octaves (a float32 step size, as in every frame: one trace serves both when
        first_octaves is 1)."""
        r = self.preset.render
        if self.net is not None:
            return np.asarray(apply_net(self.net, self.source))
        if r.first_steps == 0:
            return np.asarray(self.source, np.float32)
        return dream(self.source, model=self.model, objective=self.schedule.at(self.shown(0)),
                     settings=r.dream_settings(first=True))

    def loop_target(self, frame: int, first: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(input, weight): the blend of a loop's last frames towards frame 0 (see the module docstring)."""
        r = self.preset.render
        n, k = r.frames, r.loop_frames
        a = ease("ease_in_out", (frame - (n - k) + 1) / k)
        back = np.linalg.inv(chain([self.move(j) for j in range(frame + 1, n + 1)]))
        target = warp(first, back, r.interpolation)
        mask = validity_mask(back, self.size)[..., None]
        return target, a * mask

    def next_frame(self, rendered: int, previous: np.ndarray, first: np.ndarray | None = None) -> np.ndarray:
        """Rendered frame `rendered` >= 1 from its predecessor (and, in a loop's last frames, shown frame 0)."""
        r = self.preset.render
        frame = self.shown(rendered)
        moved = warp(previous, self.move(frame), r.interpolation)
        if r.loop and frame >= r.frames - r.loop_frames and first is not None:
            target, weight = self.loop_target(frame, first)
            moved = (1.0 - weight) * moved + weight * target
        if self.net is not None:
            return np.asarray(apply_net(self.net, moved))
        key = jax.random.fold_in(jax.random.fold_in(jax.random.PRNGKey(r.seed), FRAME_STREAM), rendered)
        out = dream_steps(self.model, self.schedule.at(frame), jnp.asarray(moved, jnp.float32), key, 0, r.steps,
                          np.float32(r.step_size), tile_size=r.tile_size,
                          max_shift=tile_shift(self.size, r.tile_size, r.jitter), normalize=r.normalize)
        return np.asarray(out)

    def frames(self, start: int = 0, state: dict | None = None) -> Iterator[Frame]:
        """Every rendered frame from `start` on; `state` is the checkpoint's {"previous", "first"}."""
        state = dict(state or {})
        previous, first = state.get("previous"), state.get("first")
        warmup = self.preset.render.warmup
        for index in range(start, self.total):
            frame = self.first_frame() if index == 0 else self.next_frame(index, previous, first)
            if index == warmup:  # what a loop returns to: the input of shown frame 0, or frame 0 itself
                first = warp(previous, self.move(0), self.preset.render.interpolation) if index else frame
            previous = frame
            shown = self.shown(index)
            kept = {"previous": frame} if first is None else {"previous": frame, "first": first}
            yield Frame(index, shown if shown >= 0 else None, frame, kept)
