"""Training a look network over photos or a clip's frames: crops and flips, checkpoints, resume, previews.

LearnSettings(...)                                     every training knob, with its default, check and help
training_images(paths, side) -> [(H, W, 3)]            photos from files and folders, longer side `side`
clip_frames(path, side, every=1, start=None, end=None) -> [(H, W, 3)]   frames of a clip, longer side `side`
hold_out(images, count) -> (train, held_out)           evenly spaced held-out keyframes
painting_look(model, paintings, *, side, style_scale=1.0, **style) -> StyleLook   paintings at the learned scale
look_source(model_name, *, preset=None, styles=(), objective="") -> LookSource   the look asked for, before any
      model loads (a clip preset, paintings or a dream objective); .files(), .to_dict() (the recipe a network keeps)
LookSource.from_dict(net.recipe) -> LookSource      the look a network learned (for the optimiser of the hybrid mode)
build_look(model, source, *, side, closeness_weight, objective_weight) -> StyleLook | DreamLook
optimiser_keyframes(model, source, images, count) -> [(image, optimiser output)]   targets of the keyframe terms
sample_batch(images, step, settings, pairs=None) -> {"inputs" (N, c, c, 3)[, "next", "flow", "mask"]}
keyframe_batch(keyframes, step, settings) -> {"keyframes" (N, c, c, 3), "targets" (N, c, c, 3)}   aligned crops
default_photos() -> [Path]                          the photos shipped with the presets (sky, flowers)
learn(images, *, model, look, recipe, output, settings, held_out=(), clip=False, keyframes=(), progress=None,
      cancel=None) -> Path | None           trains, writes `output` (.dnet) atomically; None when cancelled
net_clip(frames, net, *, blend=0.0, flow_method="dis") -> iterator of frames   a network over a clip
net_frame(net, raw, previous=None, *, blend, flow_method, cut_threshold) -> (H, W, 3)   one frame of it (the
      network's detail blended with the previous frame's, carried along the flow)
NetClipSource(raw_frames, total, net, blend, flow_method, cut_threshold)   net_clip as a stream.FrameSource
learn_unconditional(images, *, output, settings=GanSettings(), ...) -> Path | None   a DCGAN + sample grid (a demo)

Batches are drawn by a generator seeded with (seed, step), so a resumed run sees the same batches as an unbroken
one. Every `checkpoint_every` steps the weights, Adam's state, the step and the loss history go to
`<output>.training` (one file, written atomically); running the same command again (same data, look, recipe and
settings) resumes from it; the finished network replaces it. A preview sheet of the held-out keyframes (each:
the frame, then the network's output) is written to `<output>.preview.jpg` every `preview_every` steps and at the
end. Progress leaves through `progress(LearnProgress)`.

With clip=True and a temporal weight, `images` are consecutive frames: each batch item is a pair (t, t+1) cropped
at the same place, with the backward optical flow and its reliability mask (computed once per pair, on demand).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator, Sequence

import jax
import jax.numpy as jnp
import numpy as np

from ..core.fields import SEED_MAX, choice, integer, number, setting, validate
from ..core.nets import (NORMS, DreamLook, ExtraWeights, LearnedNet, NetConfig, StyleLook, apply_net, dream_look,
                         init_state, make_train_step, optimizer, style_look)
from ..core.nets.networks import hold_strength
from ..core.nets.gan import GanConfig, gan_optimizer, init_gan, make_gan_step, sample, sample_grid
from ..core.stylize import stylize
from ..errors import DreamreelError
from ..models.registry import Model
from ..motion.flow import flow_pair, reliability_mask
from ..motion.warp import follow
from ..recipe import Recipe, check_layers, resolve
from ..settings import ClipSettings
from .stream import Frame

MIN_TRAIN_SIDE = 64


@dataclass(frozen=True)
class LearnSettings:
    steps: int = setting(1100, integer(1), "training steps (batches); the default took 12 min on 2 loaded cores (a "
                                          "style, on a clip's frames)")
    batch: int = setting(2, integer(1, 64), "random crops per step")
    crop: int = setting(128, integer(32, 1024), "side of the square training crops, px")
    side: int = setting(512, integer(MIN_TRAIN_SIDE, 4096),
                        "longer side the photos or frames are scaled to: the scale at which the look is learned")
    learning_rate: float = setting(3e-3, number(0.0, 1.0, low_open=True),
                                   "Adam's initial learning rate (it decays along a cosine to a tenth)")
    clip_norm: float = setting(1.0, number(0.0, low_open=True), "gradients are clipped to this global norm")
    width: int = setting(16, integer(4, 128), "channels at full resolution (x2 at half, x4 at quarter size)")
    residual_blocks: int = setting(5, integer(0, 16), "residual blocks at quarter resolution")
    norm: str = setting("instance", choice(NORMS), "normalisation: instance or group")
    temporal_weight: float = setting(0.0, number(0.0), "weight of the temporal loss on consecutive frames (clips)")
    keyframe_weight: float = setting(0.0, number(0.0), "weight of the L1 distance to the optimiser's keyframes")
    keyframe_feature_weight: float = setting(0.0, number(0.0), "weight of the distance of the Gram statistics to "
                                                               "the optimiser's output on each keyframe crop")
    adversarial_weight: float = setting(0.0, number(0.0), "weight of a PatchGAN critic's verdict on the keyframes "
                                                          "(pix2pix); needs keyframes, like keyframe_weight")
    closeness_weight: float = setting(1.0, number(0.0), "dream looks: weight of the mean squared change of the "
                                                        "pixels (at the held strength: favours an even change over a "
                                                        "concentrated one)")
    objective_weight: float = setting(1.0, number(0.0), "dream looks: weight of the objective's gain (with keyframes "
                                                        "counted up to the optimiser's own gain on them)")
    held_out: int = setting(1, integer(0, 64), "photos or frames kept out of training and shown in the previews")
    keyframes: int = setting(0, integer(0, 256), "training frames or photos the look's own optimiser paints first "
                                                 "(a style frame takes minutes), for the keyframe and adversarial "
                                                 "terms")
    checkpoint_every: int = setting(25, integer(1), "steps between checkpoints")
    preview_every: int = setting(200, integer(0), "steps between preview sheets (0: only at the end)")
    report_every: int = setting(10, integer(1), "steps between progress reports (the losses are read back then)")
    seed: int = setting(0, integer(0, SEED_MAX), "random seed of the weights and the crops")

    def __post_init__(self):
        validate(self)
        if self.crop > self.side:
            raise DreamreelError(f"crop ({self.crop} px) must not exceed side ({self.side} px)")

    @property
    def config(self) -> NetConfig:
        return NetConfig((self.width, 2 * self.width, 4 * self.width), self.residual_blocks, self.norm)

    @property
    def extra(self) -> ExtraWeights:
        return ExtraWeights(temporal=self.temporal_weight, keyframe=self.keyframe_weight,
                            keyframe_features=self.keyframe_feature_weight, adversarial=self.adversarial_weight)


@dataclass(frozen=True)
class LearnProgress:
    """A progress report: `step` of `steps` done, the latest loss terms, seconds per step since the last report,
    the step the run resumed from (0: fresh), and the preview sheet just written (or None)."""

    step: int
    steps: int
    losses: dict
    seconds_per_step: float
    resumed_from: int = 0
    preview: Path | None = None


# --- data ----------------------------------------------------------------------------------------------------------

def _fit(image: np.ndarray, side: int) -> np.ndarray:
    from ..io import resize_to_fit

    return resize_to_fit(np.asarray(image, np.float32), side)


def training_images(paths: Iterable[str | os.PathLike], side: int) -> list[np.ndarray]:
    """Photos from files and folders (their image files, sorted), each scaled so its longer side is `side`."""
    from ..io import IMAGE_SUFFIXES, read_image

    files: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            files += sorted(p for p in path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        else:
            files.append(path)
    if not files:
        raise DreamreelError("no training images: give photo files or folders that contain some")
    return [_fit(read_image(f), side) for f in files]


def clip_frames(path: str | os.PathLike, side: int, every: int = 1, start: float | None = None,
                end: float | None = None) -> list[np.ndarray]:
    """Every `every`-th frame of a clip, scaled to fit `side` (held in memory: a minute at 512 px is ~1.3 GB)."""
    from ..io import read_video

    if every < 1:
        raise DreamreelError(f"every must be at least 1 (got {every})")
    frames, _ = read_video(path, start=start, end=end, max_side=side)
    return [frame for index, frame in enumerate(frames) if index % every == 0]


def hold_out(images: Sequence[np.ndarray], count: int) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """(training images, `count` evenly spaced held-out ones); at least one image is kept for training."""
    if count <= 0:
        return list(images), []
    if len(images) <= count:
        raise DreamreelError(f"cannot hold out {count} of {len(images)} images and still train on some")
    picks = set(np.linspace(0, len(images) - 1, count + 2)[1:-1].round().astype(int).tolist())
    return [im for i, im in enumerate(images) if i not in picks], [im for i, im in enumerate(images) if i in picks]


def painting_look(model: Model, paintings: Sequence[np.ndarray], *, side: int, style_scale: float = 1.0,
                  **style) -> StyleLook:
    """A style look whose painting statistics are taken at the scale of the training images (as `dreamreel style`
    does: the painting's longer side is style_scale times the image's), so strokes keep their size."""
    target = max(MIN_TRAIN_SIDE, round(style_scale * side))
    return style_look(model, [_fit(p, target) for p in paintings], **style)


LOOK_KINDS = ("style", "dream")
_PHOTOS = ("sky.jpg", "flowers.jpg")  # presets/images: the photos (the third file there is a painting)


def default_photos() -> list[Path]:
    from ..home import presets_dir

    return [presets_dir() / "images" / name for name in _PHOTOS]


def _sha256(path: str | os.PathLike) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]


@dataclass(frozen=True)
class LookSource:
    """The look a network learns, as data, before any model loads: a style (paintings and the Gatys weights) or a
    dream (a recipe.Recipe). to_dict() is the recipe saved in the network file; from_dict() reads it back."""

    kind: str
    name: str
    model: str
    recipe: Recipe = Recipe()
    styles: tuple[str, ...] = ()
    content_weight: float = 1.0
    style_weight: float = 10.0
    tv_weight: float = 0.0
    loss: str = "gram"
    strength: float = 12.0  # a dream's held mean change, grey levels of 255 (the clip presets' key)
    clip: ClipSettings = ClipSettings()  # a dream's optimiser, for keyframes (not kept in the network's recipe)

    def files(self) -> list[str]:
        return list(self.styles) if self.kind == "style" else self.recipe.files()

    def to_dict(self) -> dict:
        if self.kind == "style":
            return {"kind": "style", "name": self.name, "model": self.model,
                    "styles": [{"file": str(Path(p).resolve()), "sha256": _sha256(p)} for p in self.styles],
                    "content_weight": self.content_weight, "style_weight": self.style_weight,
                    "tv_weight": self.tv_weight, "loss": self.loss}
        from ..settings import plain_values

        return {"kind": "dream", "name": self.name, "model": self.model, "objective": plain_values(self.recipe),
                "strength": self.strength}

    @staticmethod
    def from_dict(recipe: dict, where: str = "the network") -> "LookSource":
        """The look of a network's recipe; its paintings must still be where they were, unchanged."""
        try:
            if recipe["kind"] == "dream":
                return LookSource("dream", recipe["name"], recipe["model"], Recipe(**recipe["objective"]),
                                  strength=recipe["strength"])
            styles = [_painting_file(painting, where) for painting in recipe["styles"]]
            return LookSource("style", recipe["name"], recipe["model"], styles=tuple(styles),
                              content_weight=recipe["content_weight"], style_weight=recipe["style_weight"],
                              tv_weight=recipe["tv_weight"], loss=recipe["loss"])
        except (KeyError, TypeError):
            raise DreamreelError(f"{where} keeps no look an optimiser can continue (made by an older dreamreel?); "
                                 f"apply it without steps or iterations") from None


def _painting_file(painting: dict, where: str) -> str:
    """The painting a network's recipe names: at its path, else the preset painting of that name and checksum (a
    network made in another clone or install of dreamreel, like the shipped examples)."""
    from ..home import presets_dir

    for path in (Path(painting["file"]), presets_dir() / "images" / Path(painting["file"]).name):
        if path.is_file() and _sha256(path) == painting["sha256"]:
            return str(path)
    raise DreamreelError(f"{where} learned the style of {painting['file']}, which is not there (or changed): the "
                         f"optimiser needs that painting")


def look_source(model: str, *, preset: str | None = None, styles: Sequence[str] = (), objective: str = "") -> LookSource:
    """The look asked for: a clip preset (dream or style), paintings, or a dream objective; exactly one."""
    from ..settings import load_clip_preset

    if sum(map(bool, (preset, styles, objective))) != 1:
        raise DreamreelError("give the look to learn: one of --preset NAME, --style IMAGE... or --objective TEXT")
    if styles:
        return LookSource("style", "+".join(Path(p).stem for p in styles), model, styles=tuple(map(str, styles)))
    if objective:
        return LookSource("dream", objective, model, Recipe(layers=objective))  # the clips' default strength
    look = load_clip_preset(preset)
    s = look.clip
    if s.model != model:
        raise DreamreelError(f"the preset {look.name} is made for the model {s.model}; give --model {s.model}")
    if s.mode == "style":
        return LookSource("style", look.name, model, styles=s.style, content_weight=s.content_weight,
                          style_weight=s.style_weight, tv_weight=s.tv_weight, loss=s.loss)
    return LookSource("dream", look.name, model, look.recipe, strength=s.strength, clip=s)


def check_look(source: LookSource, spec) -> None:
    """The look's layers against the model, before its weights load."""
    if source.kind == "dream":
        check_layers(source.recipe, spec)


def optimiser_keyframes(model: Model, source: LookSource, images: Sequence[np.ndarray], count: int,
                        progress: Callable[[int, int], None] | None = None) -> list[tuple[np.ndarray, np.ndarray]]:
    """(image, the look's own optimiser output) for `count` evenly spaced images: a dream as a clip's first frame
    (dream steps until its strength, then settled: pipelines.clip), a style as `dreamreel style` paints it (3 scales
    of 100 Adam iterations) at the image's size. Deterministic, so a resumed run computes the same ones."""
    from ..io import read_image
    from .clip import dream_clip

    if count > len(images):
        raise DreamreelError(f"cannot take {count} keyframes from {len(images)} training images")
    picks = np.linspace(0, len(images) - 1, count).round().astype(int) if count else []
    objective = resolve(source.recipe, model, size=images[0].shape[:2]).at(0) if source.kind == "dream" else None
    paintings = [read_image(p) for p in source.styles]
    pairs = []
    for done, index in enumerate(picks):
        image = np.asarray(images[index], np.float32)
        if source.kind == "dream":
            settings = dataclasses.replace(source.clip, strength=source.strength)
            target = next(dream_clip([image], model=model, objective=objective, settings=settings))[0]
        else:
            target = stylize(image, paintings, model=model, size=None, content_weight=source.content_weight,
                             style_weight=source.style_weight, tv_weight=source.tv_weight, loss=source.loss)
        pairs.append((image, np.asarray(target, np.float32)))
        if progress:
            progress(done + 1, count)
    return pairs


def build_look(model: Model, source: LookSource, *, side: int, closeness_weight: float = 1.0,
               objective_weight: float = 1.0):
    """The training loss of the look at the scale of `side` px images."""
    from ..io import read_image

    if source.kind == "style":
        return painting_look(model, [read_image(p) for p in source.styles], side=side,
                             content_weight=source.content_weight, style_weight=source.style_weight,
                             tv_weight=source.tv_weight, loss=source.loss)
    schedule = resolve(source.recipe, model, size=(side, side))
    if schedule.spatial:
        raise DreamreelError("a guide compared in place (l1, l2, pixels) is tied to one picture: a network cannot "
                             "learn it; use guide_mode dot, match or channels")
    return dream_look(model, schedule.at(0), closeness_weight=closeness_weight, strength=source.strength / 255.0,
                      objective_weight=objective_weight)


class _Pairs:
    """Consecutive frames with the backward flow and reliability mask of each pair, computed on first use."""

    def __init__(self, frames: Sequence[np.ndarray]):
        self.frames = frames
        self._motion: dict[int, tuple[np.ndarray, np.ndarray]] = {}

    def motion(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        if index not in self._motion:
            forward, backward = flow_pair(self.frames[index], self.frames[index + 1])
            self._motion[index] = backward, reliability_mask(backward, forward)
        return self._motion[index]


def _window(rng: np.random.Generator, shape, crop: int) -> tuple[slice, slice]:
    top = int(rng.integers(0, shape[0] - crop + 1))
    left = int(rng.integers(0, shape[1] - crop + 1))
    return slice(top, top + crop), slice(left, left + crop)


def _pad_to(image: np.ndarray, crop: int) -> np.ndarray:
    h, w = image.shape[:2]
    if h >= crop and w >= crop:
        return image
    return _fit(image, max(h, w) * crop // min(h, w) + 1)


def sample_batch(images: Sequence[np.ndarray], step: int, settings: LearnSettings,
                 pairs: _Pairs | None = None) -> dict[str, np.ndarray]:
    """The crops of one step, drawn from a generator seeded by (seed, step): the same on a resumed run."""
    rng = np.random.default_rng([settings.seed, step])
    crop = settings.crop
    inputs, following, flows, masks = [], [], [], []
    for _ in range(settings.batch):
        flip = bool(rng.integers(2))
        if pairs is None:
            image = _pad_to(images[int(rng.integers(len(images)))], crop)
            window = _window(rng, image.shape, crop)
            inputs.append(image[window][:, ::-1] if flip else image[window])
            continue
        index = int(rng.integers(len(images) - 1))
        window = _window(rng, images[index].shape, crop)
        flow, mask = pairs.motion(index)
        flow, mask = flow[window].copy(), mask[window] * _lands_inside(flow[window])
        prev, nxt = images[index][window], images[index + 1][window]
        if flip:
            prev, nxt, flow, mask = prev[:, ::-1], nxt[:, ::-1], flow[:, ::-1] * [-1.0, 1.0], mask[:, ::-1]
        inputs.append(prev)
        following.append(nxt)
        flows.append(flow)
        masks.append(mask)
    batch = {"inputs": np.stack(inputs).astype(np.float32)}
    if pairs is not None:
        batch.update(next=np.stack(following).astype(np.float32), flow=np.stack(flows).astype(np.float32),
                     mask=np.stack(masks).astype(np.float32))
    return batch


def _lands_inside(flow: np.ndarray) -> np.ndarray:
    """1 where the backward flow of a crop points inside the crop (elsewhere the warp would repeat its border)."""
    h, w = flow.shape[:2]
    x = np.arange(w)[None, :] + flow[..., 0]
    y = np.arange(h)[:, None] + flow[..., 1]
    return ((x >= 0) & (x <= w - 1) & (y >= 0) & (y <= h - 1)).astype(np.float32)


def keyframe_batch(keyframes: Sequence[tuple[np.ndarray, np.ndarray]], step: int,
                    settings: LearnSettings) -> dict[str, np.ndarray]:
    """`batch` crops of random (frame, optimiser output) pairs, each at the same place in both, randomly flipped."""
    rng = np.random.default_rng([settings.seed, step, 1])
    frames, targets = [], []
    for _ in range(settings.batch):
        frame, target = keyframes[int(rng.integers(len(keyframes)))]
        window = _window(rng, frame.shape, settings.crop)
        flip = slice(None, None, -1 if rng.integers(2) else 1)
        frames.append(frame[window][:, flip])
        targets.append(target[window][:, flip])
    return {"keyframes": np.stack(frames), "targets": np.stack(targets)}


# --- checkpoints ---------------------------------------------------------------------------------------------------

_NOT_IN_KEY = ("checkpoint_every", "preview_every", "report_every")


def training_key(images, look, recipe: dict, settings, keyframes=()) -> str:
    """What a checkpoint must match to be resumed: data, look statistics, recipe, settings, dreamreel version."""
    from .. import __version__

    # reporting intervals do not change the trajectory (the step count does: the learning rate decays over it)
    trajectory = {k: v for k, v in asdict(settings).items() if k not in _NOT_IN_KEY}
    digest = hashlib.sha256(json.dumps([recipe, trajectory, __version__], sort_keys=True).encode())
    for array in [*images, *(a for pair in keyframes for a in pair), *jax.tree_util.tree_leaves(look)]:
        digest.update(np.ascontiguousarray(np.asarray(array, np.float32)).tobytes())
    return digest.hexdigest()[:24]


def checkpoint_path(output: str | os.PathLike) -> Path:
    return Path(os.fspath(output) + ".training")


def preview_path(output: str | os.PathLike) -> Path:
    output = Path(output)
    return output.with_name(output.stem + ".preview.jpg")


def _save_checkpoint(path: Path, key: str, state, history: list) -> None:
    """Every leaf of the training state (weights, optimiser state, step) in order, with the run's key."""
    from ..io.netfile import write_netfile

    leaves = jax.tree_util.tree_leaves(state)
    write_netfile(path, {"kind": "checkpoint", "key": key, "step": int(state.step), "history": history},
                  {f"state/{i:04d}": np.asarray(leaf) for i, leaf in enumerate(leaves)})


def _load_checkpoint(path: Path, key: str, fresh):
    """(state, history) from a checkpoint of this very run (shaped like `fresh`), or None (absent, another run's,
    or unreadable: then the run starts over)."""
    from ..io.netfile import read_netfile

    if not path.is_file():
        return None
    try:
        header, arrays = read_netfile(path, "checkpoint")
    except DreamreelError:
        return None
    template = jax.tree_util.tree_leaves(fresh)
    leaves = [arrays.get(f"state/{i:04d}") for i in range(len(template))]
    if header.get("key") != key or any(a is None or a.shape != np.shape(t) for a, t in zip(leaves, template)):
        return None
    state = jax.tree_util.tree_unflatten(jax.tree_util.tree_structure(fresh), [jnp.asarray(a) for a in leaves])
    return state, list(header.get("history") or [])


# --- previews ------------------------------------------------------------------------------------------------------

def preview_sheet(pairs: Sequence[tuple[np.ndarray, np.ndarray]], side: int = 256, gap: int = 4) -> np.ndarray:
    """One row per (frame, output) pair, each image scaled to fit `side`, on a white ground."""
    rows = [[_fit(a, side), _fit(b, side)] for a, b in pairs]
    height = sum(max(im.shape[0] for im in row) for row in rows) + gap * (len(rows) + 1)
    width = max(sum(im.shape[1] for im in row) for row in rows) + gap * 3
    sheet = np.ones((height, width, 3), np.float32)
    top = gap
    for row in rows:
        left = gap
        for image in row:
            sheet[top:top + image.shape[0], left:left + image.shape[1]] = image
            left += image.shape[1] + gap
        top += max(im.shape[0] for im in row) + gap
    return sheet


def _write_preview(output: Path, net: LearnedNet, held_out: Sequence[np.ndarray]) -> Path | None:
    from ..io import write_image

    if not held_out:
        return None
    return write_image(preview_path(output), preview_sheet([(im, np.asarray(apply_net(net, im))) for im in held_out]))


# --- training ------------------------------------------------------------------------------------------------------

def _check_data(images: Sequence[np.ndarray], settings: LearnSettings, clip: bool) -> None:
    if not len(images):
        raise DreamreelError("no training images")
    for image in images:
        if np.ndim(image) != 3 or np.shape(image)[-1] != 3:
            raise DreamreelError(f"training images must be (H, W, 3) RGB, got shape {np.shape(image)}")
    if clip and settings.temporal_weight:
        if len(images) < 2:
            raise DreamreelError("a temporal loss needs at least two consecutive frames")
        if len({np.shape(im) for im in images}) != 1 or min(np.shape(images[0])[:2]) < settings.crop:
            raise DreamreelError(f"clip frames must share one size with both sides at least the crop "
                                 f"({settings.crop} px)")
    elif settings.temporal_weight:
        raise DreamreelError("the temporal weight needs consecutive frames of a clip (clip=True), not photos")


def optimiser_gain(model: Model, look: DreamLook, keyframes: Sequence[tuple[np.ndarray, np.ndarray]]) -> float:
    """The mean relative gain of the dream objective from each keyframe to the optimiser's output: a network's
    objective term counts up to it (DreamLook.max_gain), so it learns the optimiser's dream, not a stronger one."""
    from ..core.objectives.base import objective_value

    value = jax.jit(lambda image: objective_value(model, look.objective, image[None]))

    def gain(frame, target):
        before = float(value(jnp.asarray(frame, jnp.float32)))
        return (float(value(jnp.asarray(target, jnp.float32))) - before) / (abs(before) + 1e-8)

    return float(np.mean([gain(frame, target) for frame, target in keyframes]))


def net_config(settings: LearnSettings, look) -> NetConfig:
    """The architecture of the settings, holding a dream look's strength (see core.nets.networks)."""
    return dataclasses.replace(settings.config, strength=look.strength if isinstance(look, DreamLook) else 0.0)


def learn(images: Sequence[np.ndarray], *, model: Model, look, recipe: dict, output: str | os.PathLike,
          settings: LearnSettings = LearnSettings(), held_out: Sequence[np.ndarray] = (), clip: bool = False,
          keyframes: Sequence[tuple[np.ndarray, np.ndarray]] = (),
          progress: Callable[[LearnProgress], None] | None = None,
          cancel: Callable[[], bool] | None = None) -> Path | None:
    """Train a network to replicate `look` on `images` (photos or a clip's frames, at the scale to learn) and
    write it to `output` with `recipe` (a JSON object naming the look). Resumes from `<output>.training`.
    keyframes: (frame, optimiser output) pairs for the keyframe and adversarial (PatchGAN) terms. Returns None if `cancel()` said so
    (the checkpoint is kept, so running again continues)."""
    from ..io.netfile import save_net

    _check_data(images, settings, clip)
    if settings.extra.keyframed and not keyframes:
        raise DreamreelError("the keyframe and adversarial weights need keyframes: (frame, optimiser output) pairs")
    recipe = json.loads(json.dumps(recipe))
    if isinstance(look, DreamLook) and keyframes and look.objective_weight:
        look = dataclasses.replace(look, max_gain=optimiser_gain(model, look, keyframes))
    output = Path(output)
    images = [_pad_to(np.asarray(im, np.float32), settings.crop) for im in images] if not clip else list(images)
    opt = optimizer(settings.learning_rate, settings.clip_norm, settings.steps)
    config = net_config(settings, look)
    fresh = init_state(config, jax.random.PRNGKey(settings.seed), opt, settings.extra, settings.crop)
    key = training_key(images, look, recipe, settings, keyframes)
    resumed = _load_checkpoint(checkpoint_path(output), key, fresh)
    state, history = resumed if resumed else (fresh, [])
    resumed_from = int(state.step)
    step_fn = make_train_step(config, opt, settings.extra)
    pairs = _Pairs(images) if clip and settings.temporal_weight else None
    clock, last_reported = time.perf_counter(), resumed_from

    def snapshot() -> LearnedNet:
        info = {"steps": int(state.step), "history": history, "settings": asdict(settings),
                "images": len(images)}
        return LearnedNet(config, jax.device_get(state.params), recipe,
                          min_side=16, max_side=4096, trained_side=settings.side, info=info)

    for step in range(resumed_from, settings.steps):
        if cancel is not None and cancel():
            _save_checkpoint(checkpoint_path(output), key, state, history)
            return None
        batch = sample_batch(images, step, settings, pairs)
        if settings.extra.keyframed:
            batch.update(keyframe_batch(keyframes, step, settings))
        state, terms = step_fn(state, batch, model, look)
        done = step + 1
        if done % settings.report_every == 0 or done == settings.steps:
            losses = {name: float(value) for name, value in jax.device_get(terms).items()}
            history.append([done, losses])
            preview = None
            if settings.preview_every and done % settings.preview_every == 0 and done < settings.steps:
                preview = _write_preview(output, snapshot(), held_out)
            now = time.perf_counter()
            if progress:
                progress(LearnProgress(done, settings.steps, losses, (now - clock) / max(done - last_reported, 1),
                                       resumed_from, preview))
            clock, last_reported = now, done
        if done % settings.checkpoint_every == 0 and done < settings.steps:
            _save_checkpoint(checkpoint_path(output), key, state, history)
    net = snapshot()
    save_net(output, net)
    _write_preview(output, net, held_out)
    checkpoint_path(output).unlink(missing_ok=True)
    return output


# --- applying a network to a clip ----------------------------------------------------------------------------------

def net_frame(net: LearnedNet, raw: np.ndarray, previous: tuple[np.ndarray, np.ndarray] | None = None, *,
              blend: float = 0.0, flow_method: str = "dis", cut_threshold: float = 0.15) -> np.ndarray:
    """The network on one frame; with blend > 0 and the previous (raw, output) pair, the network's *detail*
    (output - raw) is mixed with the previous detail warped along the optical flow, on reliable pixels:
    out = raw + (1 - blend * mask) * (net(raw) - raw) + blend * mask * warp(previous detail) (nothing across a
    scene cut), then held at the network's strength if it has one. The detail, not the output, is carried (as the
    optimiser's clip mode does): the frame's own content is never resampled, so moving edges stay sharp."""
    from .clip import scene_cut

    if not 0.0 <= blend < 1.0:
        raise DreamreelError(f"blend must be in [0, 1) (got {blend})")
    raw = np.asarray(raw, np.float32)
    out = np.asarray(apply_net(net, raw))
    if not blend or previous is None:
        return out
    prev_raw, prev_out = previous
    forward, backward = flow_pair(prev_raw, raw, method=flow_method)
    mask = reliability_mask(backward, forward)
    if scene_cut(prev_raw, raw, mask, cut_threshold):
        return out
    weight = blend * mask[..., None]
    detail = (1.0 - weight) * (out - raw) + weight * follow(prev_out - prev_raw, backward)
    blended = np.clip(raw + detail, 0.0, 1.0)
    if not net.config.strength:
        return blended
    return np.asarray(hold_strength(blended[None], raw[None], net.config.strength)[0])


def _painted(frames: Iterable[np.ndarray], net: LearnedNet, previous: tuple[np.ndarray, np.ndarray] | None,
             **blending) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """(raw, output) per frame, each output blended with the one before (net_frame)."""
    for raw in frames:
        raw = np.asarray(raw, np.float32)
        previous = (raw, net_frame(net, raw, previous, **blending))
        yield previous


def net_clip(frames: Iterable[np.ndarray], net: LearnedNet, *, blend: float = 0.0,
             flow_method: str = "dis") -> Iterator[np.ndarray]:
    """The network on every frame of a clip (net_frame, each blended with the one before)."""
    if not 0.0 <= blend < 1.0:
        raise DreamreelError(f"blend must be in [0, 1) (got {blend})")
    return (out for _, out in _painted(frames, net, None, blend=blend, flow_method=flow_method))


@dataclass
class NetClipSource:
    """A clip painted by a network as a stream.FrameSource: `raw_frames(first)` yields the clip's frames from index
    `first` on; the checkpoint state is the last (raw, output) pair, so a resumed clip equals an unbroken one."""

    raw_frames: Callable[[int], Iterator[np.ndarray]]
    total: int
    net: LearnedNet
    blend: float = 0.0
    flow_method: str = "dis"
    cut_threshold: float = 0.15
    stage: str = "network"

    @property
    def shown_total(self) -> int:
        return self.total

    def frames(self, start: int = 0, state: dict | None = None) -> Iterator[Frame]:
        previous = (state["raw"], state["out"]) if state and start else None
        painted = _painted(self.raw_frames(start), self.net, previous, blend=self.blend,
                           flow_method=self.flow_method, cut_threshold=self.cut_threshold)
        for index, (raw, out) in enumerate(painted, start=start):
            yield Frame(index, index, out, {"raw": raw, "out": out})


# --- the unconditional GAN (a demonstration) -----------------------------------------------------------------------

@dataclass(frozen=True)
class GanSettings:
    steps: int = setting(3000, integer(1), "training steps")
    batch: int = setting(16, integer(2, 256), "images per step")
    size: int = setting(64, integer(8, 256), "side of the generated images, a power of two")
    width: int = setting(32, integer(4, 256), "generator channels at full size")
    latent: int = setting(64, integer(1, 1024), "length of the noise vector")
    learning_rate: float = setting(2e-4, number(0.0, 1.0, low_open=True), "Adam's learning rate (both networks)")
    samples: int = setting(64, integer(1, 1024), "images in the sample grid")
    checkpoint_every: int = setting(100, integer(1), "steps between checkpoints")
    report_every: int = setting(50, integer(1), "steps between progress reports")
    seed: int = setting(0, integer(0, SEED_MAX), "random seed")

    def __post_init__(self):
        validate(self)
        GanConfig(self.size, self.width, self.latent)  # checks the size is a power of two

    @property
    def config(self) -> GanConfig:
        return GanConfig(self.size, self.width, self.latent)


def samples_path(output: str | os.PathLike) -> Path:
    output = Path(output)
    return output.with_name(output.stem + ".samples.png")


def _gan_batch(images: Sequence[np.ndarray], step: int, settings: GanSettings) -> np.ndarray:
    """Random square crops (half to all of the shorter side), scaled to `size`, randomly flipped."""
    from ..io import resize

    rng = np.random.default_rng([settings.seed, step])
    batch = []
    for _ in range(settings.batch):
        image = images[int(rng.integers(len(images)))]
        h, w = image.shape[:2]
        side = int(rng.integers(min(h, w) // 2, min(h, w) + 1))
        top, left = int(rng.integers(0, h - side + 1)), int(rng.integers(0, w - side + 1))
        crop = resize(image[top:top + side, left:left + side], settings.size, settings.size)
        batch.append(crop[:, ::-1] if rng.integers(2) else crop)
    return np.stack(batch).astype(np.float32)


def learn_unconditional(images: Sequence[np.ndarray], *, output: str | os.PathLike,
                        settings: GanSettings = GanSettings(),
                        progress: Callable[[LearnProgress], None] | None = None,
                        cancel: Callable[[], bool] | None = None) -> Path | None:
    """Train a small DCGAN on `images` (e.g. a folder of dreamed images) and write the generator to `output`
    and a grid of samples from noise to `<output stem>.samples.png`. A demonstration of the paper's experiment:
    at 64 px it learns colours and textures, not scenes. Resumes from `<output>.training` like `learn`."""
    from ..io import write_image
    from ..io.netfile import params_to_arrays, write_netfile

    if not len(images):
        raise DreamreelError("no training images for the GAN")
    if min(min(np.shape(im)[:2]) for im in images) < 8:
        raise DreamreelError("GAN training images must be at least 8 px on each side")
    output = Path(output)
    opt = gan_optimizer(settings.learning_rate)
    key = jax.random.PRNGKey(settings.seed)
    fresh = init_gan(settings.config, key, opt)
    run_key = training_key(images, None, {"unconditional": True}, settings)
    resumed = _load_checkpoint(checkpoint_path(output), run_key, fresh)
    state, history = resumed if resumed else (fresh, [])
    resumed_from = int(state.step)
    step_fn = make_gan_step(settings.config, opt)
    clock, last = time.perf_counter(), resumed_from
    for step in range(resumed_from, settings.steps):
        if cancel is not None and cancel():
            _save_checkpoint(checkpoint_path(output), run_key, state, history)
            return None
        state, terms = step_fn(state, jnp.asarray(_gan_batch(images, step, settings)), key)
        done = step + 1
        if done % settings.report_every == 0 or done == settings.steps:
            losses = {name: float(value) for name, value in jax.device_get(terms).items()}
            history.append([done, losses])
            now = time.perf_counter()
            if progress:
                progress(LearnProgress(done, settings.steps, losses, (now - clock) / max(done - last, 1),
                                       resumed_from))
            clock, last = now, done
        if done % settings.checkpoint_every == 0 and done < settings.steps:
            _save_checkpoint(checkpoint_path(output), run_key, state, history)
    info = {"steps": int(state.step), "history": history, "settings": asdict(settings), "images": len(images)}
    write_netfile(output, {"kind": "generator", "config": settings.config.to_dict(), "recipe": {"unconditional": True},
                           "info": info}, params_to_arrays(state.generator))
    grid = sample(settings.config, state.generator, jax.random.fold_in(key, -1 % SEED_MAX), settings.samples)
    write_image(samples_path(output), sample_grid(grid, int(np.ceil(np.sqrt(settings.samples)))))
    checkpoint_path(output).unlink(missing_ok=True)
    return output
