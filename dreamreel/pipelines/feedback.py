"""Feedback animations: each frame is the previous dreamed frame moved by the camera, then dreamed a few steps more.

Animation.from_preset(preset, model, source=None) -> Animation     everything a render needs, resolved once
render_frames(animation, start=None) -> iterator of (rendered index, frame)   the pure pipeline, resumable
render_animation(preset, output, *, model=None, progress=None, resume=True, keep_checkpoint=False) -> Path
    streams the frames through io.open_writer (MP4 / GIF / PNG folder, atomic) and checkpoints each finished frame
Schedule.at(frame) -> Objective            the objective of a frame: same pytree structure, only the weights change
source_image(source, (H, W), seed) -> (H, W, 3) float32: an image cropped to fill the frame, or smooth noise
FrameProgress                               the event the progress callback receives after every frame

Frames are (H, W, 3) float32 RGB in [0, 1]. Rendered frame 0 is the source dreamed with octaves (render.dream);
rendered frame r >= 1 is dream_steps(warp(frame r - 1, camera move of r), objective of r, key fold_in(key, r)) at
the one working size, so dream_steps is traced once for the whole video: the objective's weights are pytree
leaves and the step size is always a float32 scalar. The first `warmup` rendered frames are not shown (they let a
loop start from the feedback's steady state); shown frame i is rendered frame warmup + i.

Resume. After each frame the checkpoint folder `<output>.frames/` gets the shown frame as PNG (exactly the bytes
the writer was given), the rendered frame as float32 .npy (lossless: all the next frame needs) and, last, a
state.json with the number of finished frames and a fingerprint of the preset, the files it reads, the model and
the dreamreel version. Re-running the same command re-sends the PNGs to a new writer and continues from the .npy;
since every frame is a deterministic function of its predecessor, its index and the settings, the video equals
that of an uninterrupted run. A changed preset (another fingerprint) starts over. The folder is removed once the
video is complete.

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

import hashlib
import json
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

import jax
import jax.numpy as jnp
import numpy as np

from ..motion.camera import Camera, chain, ease, validity_mask, warp
from ..errors import DreamreelError
from ..models.registry import Model, activations
from ..core.objectives import Objective, Sum, guide, guide_channel_weights, guide_match, layers_sum, parse_objective
from ..presets import Preset, check_layers
from ..core.dream import dream, dream_steps, tile_shift

_FRAME_STREAM = 0x5EED  # frame keys are fold_in(fold_in(PRNGKey(seed), _FRAME_STREAM), rendered index)


@dataclass(frozen=True)
class FrameProgress:
    """After each frame (stage "frame"): `frame` is the index of the shown frame just finished (negative while
    warming up), of `frames`; `image` that frame; `seconds` the time it took. Once before any work (stage
    "start"): `frame` is the last frame a checkpoint restored (-1 - warmup when none), `resumed` whether one did."""

    frame: int
    frames: int
    warmup: int = 0
    seconds: float = 0.0
    image: np.ndarray | None = None
    resumed: bool = False
    stage: str = "frame"

    @property
    def done(self) -> int:
        return self.warmup + self.frame + 1

    @property
    def total(self) -> int:
        return self.warmup + self.frames


# --- sources ----------------------------------------------------------------------------------------------------------

def noise_image(size: tuple[int, int], seed: int) -> np.ndarray:
    """Smooth coloured noise around mid-grey (a few blobs per side plus a little fine grain), seeded."""
    import cv2

    height, width = size
    rng = np.random.default_rng(seed)
    coarse = rng.random((max(2, height // 32), max(2, width // 32), 3)).astype(np.float32)
    smooth = cv2.resize(coarse, (width, height), interpolation=cv2.INTER_CUBIC)
    fine = rng.random((height, width, 3)).astype(np.float32)
    return np.clip(0.5 + 0.25 * (smooth - 0.5) + 0.08 * (fine - 0.5), 0.0, 1.0)


def cover(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Scale to fill (H, W) and crop the overflow equally on both sides."""
    from ..io import resize

    height, width = size
    h, w = image.shape[:2]
    scale = max(height / h, width / w)
    sh, sw = max(height, round(h * scale)), max(width, round(w * scale))
    scaled = resize(image, sh, sw)
    top, left = (sh - height) // 2, (sw - width) // 2
    return np.ascontiguousarray(scaled[top:top + height, left:left + width])


def source_image(source: str, size: tuple[int, int], seed: int) -> np.ndarray:
    if source == "noise":
        return noise_image(size, seed)
    from ..io import read_image

    return cover(read_image(source), size)


# --- the objective over time ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Schedule:
    """Bound objective terms and the weight of each as a function of the shown frame."""

    terms: tuple[Objective, ...]
    weights: tuple[Callable[[float], float], ...]

    def at(self, frame: float) -> Objective:
        return Sum(self.terms, tuple(np.float32(w(frame)) for w in self.weights))

    def describe(self) -> str:
        return " + ".join(t.describe() for t in self.terms)


def _hat(k: int) -> Callable[[float], float]:
    return lambda position: max(0.0, 1.0 - abs(position - k))


def build_schedule(preset: Preset, model: Model, size: tuple[int, int]) -> Schedule:
    """The preset's [objective] as terms with keyframed weights; guide and style features are computed here, once."""
    from ..io import read_image

    o, r = preset.objective, preset.render
    frames, loop = r.frames, r.loop
    terms: list[Objective] = []
    weights: list[Callable[[float], float]] = []

    def add(term: Objective, weight: Callable[[float], float]):
        terms.append(term.bind(model.spec))
        weights.append(weight)

    def tracked(t, sign=1.0):
        return lambda i: sign * t.at(i, frames, loop)

    if not (o.dream_weight.is_constant and o.dream_weight.keys[0].value == 0.0):
        if o.sweep:
            for k, spec in enumerate(o.sweep):
                hat = _hat(k)
                add(parse_objective(spec),
                    lambda i, hat=hat: o.dream_weight.at(i, frames, loop) * hat(o.position.at(i, frames, loop)))
        else:
            add(parse_objective(o.layers) if o.layers else layers_sum(model.spec.dream_layers),
                tracked(o.dream_weight))
    if o.guide:
        names = o.guide_layers or model.spec.dream_layers
        image = read_image(o.guide, max_side=512)
        if o.guide_mode == "dot":  # features compared position by position: the guide framed like the video
            image = cover(image, size)
        acts = activations(model, jnp.asarray(image)[None], model.spec.deepest(names))
        if o.guide_mode == "channels":
            term = guide_channel_weights(names, acts)
        elif o.guide_mode == "match":
            term = sum((guide_match(n, acts) for n in names), 0)
        else:
            term = sum((guide(n, acts) for n in names), 0)
        add(term, tracked(o.guide_weight))
    if o.style:
        add(style_term(model, read_image(o.style, max_side=512), o.style_layers), tracked(o.style_weight, -1.0))
    if not terms:
        raise DreamreelError("the objective is empty: objective.dream_weight is 0 and there is no guide or style")
    return Schedule(tuple(terms), tuple(weights))


def style_term(model: Model, painting: np.ndarray, layers: tuple[str, ...] = ()) -> Objective:
    """The painting's Gatys style loss (dreamreel.style; >= 0, so it enters with a minus sign). Without that module,
    minus the painting's channel mix at the same layers (guide_channel_weights), negated back by the caller's sign,
    so either way a positive style_weight pulls the dream towards the painting."""
    try:
        from ..core.stylize import STYLE_LAYERS, style_loss
    except ImportError:  # no style module: grow the painting's channels instead
        names = layers or model.spec.dream_layers
        acts = activations(model, jnp.asarray(painting)[None], model.spec.deepest(names))
        return -1.0 * guide_channel_weights(names, acts)
    return style_loss(model, [painting], layers=layers or STYLE_LAYERS)


# --- the animation ---------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Animation:
    preset: Preset
    model: Model
    schedule: Schedule
    camera: Camera
    source: np.ndarray  # (H, W, 3), the picture rendered frame 0 dreams

    @staticmethod
    def from_preset(preset: Preset, model: Model, source: np.ndarray | None = None) -> "Animation":
        check_layers(preset, model.spec)
        r = preset.render
        size = (r.height, r.width)
        if source is None:
            source = source_image(r.source, size, r.seed)
        elif source.shape != (*size, 3):
            source = cover(np.asarray(source, np.float32), size)
        return Animation(preset, model, build_schedule(preset, model, size), preset.camera.camera(), source)

    @property
    def size(self) -> tuple[int, int]:
        return self.source.shape[:2]

    @property
    def frames(self) -> int:
        return self.preset.render.frames

    @property
    def warmup(self) -> int:
        return self.preset.render.warmup

    def shown(self, rendered: int) -> int:
        return rendered - self.warmup

    def move(self, frame: int) -> np.ndarray:
        r = self.preset.render
        return self.camera.matrix(frame, self.size, r.frames, r.loop)

    def first_frame(self) -> np.ndarray:
        """The source dreamed with octaves (a float32 step size, as in every frame: one trace serves both when
        first_octaves is 1)."""
        r = self.preset.render
        if r.first_steps == 0:
            return np.asarray(self.source, np.float32)
        return dream(self.source, model=self.model, objective=self.schedule.at(self.shown(0)),
                     octaves=r.first_octaves, octave_scale=r.octave_scale, steps=r.first_steps,
                     step_size=np.float32(r.step_size), jitter=r.jitter, tile_size=r.tile_size, normalize=r.normalize,
                     seed=r.seed)

    def loop_target(self, frame: int, first: np.ndarray) -> tuple[np.ndarray, float]:
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
        key = jax.random.fold_in(jax.random.fold_in(jax.random.PRNGKey(r.seed), _FRAME_STREAM), rendered)
        out = dream_steps(self.model, self.schedule.at(frame), jnp.asarray(moved, jnp.float32), key, 0, r.steps,
                          np.float32(r.step_size), tile_size=r.tile_size,
                          max_shift=tile_shift(self.size, r.tile_size, r.jitter), normalize=r.normalize)
        return np.asarray(out)


@dataclass
class ResumeState:
    """Where to continue: `done` rendered frames are finished; `previous` is the last of them, `first` what a loop
    steers back to (the input of shown frame 0; frame 0 itself without warm-up)."""

    done: int
    previous: np.ndarray | None = None
    first: np.ndarray | None = None


def advance(animation: Animation, start: ResumeState | None = None) -> Iterator[ResumeState]:
    """The state after each rendered frame following `start`: its .previous is the frame just rendered."""
    total = animation.warmup + animation.frames
    done = 0 if start is None else start.done
    previous = None if start is None else start.previous
    first = None if start is None else start.first
    for index in range(done, total):
        frame = animation.first_frame() if index == 0 else animation.next_frame(index, previous, first)
        if index == animation.warmup:  # what a loop returns to: the input of shown frame 0, or frame 0 itself
            first = warp(previous, animation.move(0), animation.preset.render.interpolation) if index else frame
        previous = frame
        yield ResumeState(index + 1, frame, first)


def render_frames(animation: Animation, start: ResumeState | None = None) -> Iterator[tuple[int, np.ndarray]]:
    """(rendered index, frame) for every rendered frame after `start` (warm-up frames included)."""
    for state in advance(animation, start):
        yield state.done - 1, state.previous


# --- checkpoints and the video ---------------------------------------------------------------------------------------

def checkpoint_dir(output: str | os.PathLike) -> Path:
    return Path(os.fspath(output).rstrip("/" + os.sep) + ".frames")


def fingerprint(animation: Animation) -> str:
    from .. import __version__

    digest = hashlib.sha256(animation.preset.fingerprint().encode())
    digest.update(f"{__version__} {animation.model.spec.name}".encode())
    digest.update(np.ascontiguousarray(animation.source).tobytes())
    return digest.hexdigest()[:20]


class Checkpoint:
    """The finished frames of an interrupted render: frame_NNNNNN.png (shown frames), last_NNNNNN.npy (the last
    rendered frame, float32), first.npy (shown frame 0, float32) and state.json, written last."""

    def __init__(self, folder: Path, key: str):
        self.folder, self.key = folder, key

    def load(self, warmup: int) -> ResumeState | None:
        state_file = self.folder / "state.json"
        if not state_file.is_file():
            return None
        try:
            state = json.loads(state_file.read_text())
            if state.get("key") != self.key:
                return None
            done = int(state["done"])
            previous = np.load(self.folder / f"last_{done - 1:06d}.npy")
            first = np.load(self.folder / "first.npy") if done > warmup else None
            if not all((self.folder / f"frame_{i:06d}.png").is_file() for i in range(done - warmup)):
                return None
        except (OSError, ValueError, KeyError):
            return None
        return ResumeState(done, previous, first)

    def start(self) -> None:
        if self.folder.exists():
            shutil.rmtree(self.folder)
        self.folder.mkdir(parents=True)

    def shown_frames(self, count: int) -> Iterator[np.ndarray]:
        import cv2

        for i in range(count):
            pixels = cv2.imread(str(self.folder / f"frame_{i:06d}.png"), cv2.IMREAD_COLOR)
            if pixels is None:
                raise DreamreelError(f"the checkpoint frame {self.folder / f'frame_{i:06d}.png'} is unreadable: "
                                     f"delete {self.folder} to start over")
            yield np.ascontiguousarray(pixels[..., ::-1])

    def save(self, rendered: int, frame: np.ndarray, shown: int | None, pixels: np.ndarray | None,
             first: np.ndarray | None = None) -> None:
        import cv2

        from ..io import atomic_path

        if pixels is not None:
            with atomic_path(self.folder / f"frame_{shown:06d}.png") as tmp:
                ok, png = cv2.imencode(".png", pixels[..., ::-1])
                tmp.write_bytes(png.tobytes())
        if shown == 0:
            with atomic_path(self.folder / "first.npy") as tmp:
                with open(tmp, "wb") as f:
                    np.save(f, np.asarray(first, np.float32))
        with atomic_path(self.folder / f"last_{rendered:06d}.npy") as tmp:
            with open(tmp, "wb") as f:
                np.save(f, np.asarray(frame, np.float32))
        with atomic_path(self.folder / "state.json") as tmp:
            tmp.write_text(json.dumps({"key": self.key, "done": rendered + 1}))
        (self.folder / f"last_{rendered - 1:06d}.npy").unlink(missing_ok=True)

    def remove(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


def metadata(animation: Animation) -> tuple[str, dict]:
    """(MP4 comment, sidecar JSON): the dreamreel version and the preset's resolved settings."""
    from .. import __version__

    preset = animation.preset
    settings = preset.as_dict()
    comment = f"dreamreel {__version__} preset {preset.name}: " + json.dumps(settings, separators=(",", ":"))
    sidecar = {"dreamreel": __version__, "preset": preset.name,
               "preset_file": str(preset.path) if preset.path else None, "overrides": list(preset.overrides),
               "model": animation.model.spec.name, "objective": animation.schedule.describe(),
               "settings": settings}
    return comment, sidecar


def render_animation(preset: Preset, output: str | os.PathLike, *, model: Model | None = None,
                     source: np.ndarray | None = None, progress: Callable[[FrameProgress], None] | None = None,
                     resume: bool = True, keep_checkpoint: bool = False) -> Path:
    """Render a preset into `output` (.mp4, .gif or a folder of PNGs), resuming an interrupted run of the same
    preset from its checkpoint folder `<output>.frames/`."""
    from ..io import check_video_output_path, open_writer, to_uint8

    output = check_video_output_path(output)
    if model is None:
        from ..models import load_model

        model = load_model(preset.render.model)
    animation = Animation.from_preset(preset, model, source)
    r = preset.render
    checkpoint = Checkpoint(checkpoint_dir(output), fingerprint(animation))
    state = checkpoint.load(r.warmup) if resume else None
    if state is None:
        checkpoint.start()
    comment, sidecar = metadata(animation)
    sidecar["size"] = [r.width, r.height]
    done = 0 if state is None else state.done
    if progress:  # before any work: how many frames the checkpoint already holds
        progress(FrameProgress(done - r.warmup - 1, r.frames, r.warmup, 0.0,
                               None if state is None else state.previous, state is not None, "start"))
    with open_writer(output, r.fps, quality=r.quality, comment=comment, sidecar=sidecar) as writer:
        for pixels in checkpoint.shown_frames(max(done - r.warmup, 0)):
            writer.write(pixels)
        clock = time.perf_counter()
        for step in advance(animation, state):
            index, frame = step.done - 1, step.previous
            shown = animation.shown(index)
            pixels = to_uint8(frame) if shown >= 0 else None
            checkpoint.save(index, frame, shown if shown >= 0 else None, pixels, step.first)
            if pixels is not None:
                writer.write(pixels)
            now = time.perf_counter()
            if progress:
                progress(FrameProgress(shown, r.frames, r.warmup, now - clock, frame))
            clock = now
    if not keep_checkpoint:
        checkpoint.remove()
    return output
