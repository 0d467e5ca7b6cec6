"""Recipes: what to dream, as data, resolved into objectives once for stills, animations and clips alike.

Recipe                                        the [objective] table of presets; the dream flags of the CLI
resolve(recipe, model, *, size, frames=1, loop=False) -> Schedule
    reads guides, styles and batch images, runs the model on them once, binds every term to the model
Schedule.at(frame) -> Objective              same pytree structure for every frame (only the weights change,
                                             so a video traces its step once)
check_layers(recipe, spec) -> None           every named layer exists, before any weights load

Weights that may change over a video (dream_weight, guide_weight, style_weight, position along a sweep) are
keyframed Tracks; on a still they are read at frame 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import jax.numpy as jnp
import numpy as np

from .core import objectives as O
from .core.fields import choice, integer, number, path_or, setting, strings, text, validate
from .errors import DreamreelError
from .io import read_image, resize
from .models.registry import Model, activations
from .motion.keyframes import Track, track

GUIDE_MODES = ("dot", "l1", "l2", "match", "channels")
SPATIAL_GUIDES = ("dot", "l1", "l2")  # compared position by position: the guide is framed like the picture
GUIDE_SIDE = 512  # guides and paintings are read at this size: features, not pixels, are compared


@dataclass(frozen=True)
class Recipe:
    """What to dream: a base term (layers, a sweep, channels, a class), a guide, a painting's style."""

    layers: str = setting("", text, 'what to dream, e.g. "block4_conv3 + 0.5*block5_conv1:12 - 0.2*block3_conv1" '
                                    "(default: the model's dream layers)", flag="objective")
    channels: str = setting("", text, "only these channels of the one layer given, e.g. 12,40,101")
    class_label: str = setting("", text, "a class of the model's classifier (inception_v1), by name or index",
                               flag="class")
    sweep: tuple = setting((), strings, "objective texts to travel through over a video, e.g. textures to objects")
    position: Track = setting(Track.constant(0.0), track(0.0), "where along `sweep` (0 = first, 1 = second, ...)")
    dream_weight: Track = setting(Track.constant(1.0), track(), "weight of the dream term (layers or sweep)")
    channels_from: tuple = setting((), strings, "dream the channels of the layer most (or least) activated by "
                                                "these images")
    select: str = setting("most", choice(("most", "least")), "with channels_from: the most or least activated")
    count: int = setting(8, integer(1, 4096), "with channels_from: how many channels")
    guide: str = setting("", path_or(), "an image whose features the dream moves towards (or away from)")
    guide_mode: str = setting("dot", choice(GUIDE_MODES), "feature similarity: dot product, L1 or L2 distance "
                              "(in place), the notebook's best match, or the guide's mix of channels",
                              flag="guide-loss")
    guide_layers: tuple = setting((), strings, "layers compared with the guide (default: the deepest dream layer; "
                                               "all dream layers for channels)", flag="guide-layer")
    guide_weight: Track = setting(Track.constant(1.0), track(), "weight of the guide; negative dreams away from it")
    pixel_loss: str = setting("", choice(("", "l1", "l2")), "also compare pixels with the guide (l1 or l2)")
    pixel_weight: float = setting(1.0, number(), "weight of the pixel term; negative: away")
    style: str = setting("", path_or(), "a painting whose style statistics the dream pulls towards")
    style_layers: tuple = setting((), strings, "layers of the style statistics (default: the model's style layers)")
    style_weight: Track = setting(Track.constant(1.0), track(0.0), "weight of the style (a loss: subtracted)")

    def __post_init__(self):
        validate(self)
        if self.layers and self.sweep:
            raise DreamreelError("give objective layers or a sweep, not both")
        if self.pixel_loss and not self.guide:
            raise DreamreelError("pixel_loss compares with the guide: give a guide image too")
        if self.channels and self.channels_from:
            raise DreamreelError("give channels or channels_from, not both")

    def files(self) -> list[str]:
        return [p for p in (self.guide, self.style, *self.channels_from) if p]


@dataclass(frozen=True)
class Schedule:
    """Bound objective terms and the weight of each as a function of the frame."""

    terms: tuple[O.Objective, ...]
    weights: tuple[Callable[[float], float], ...]

    def at(self, frame: float = 0) -> O.Objective:
        return O.Sum(self.terms, tuple(np.float32(w(frame)) for w in self.weights))

    def describe(self) -> str:
        return " + ".join(t.describe() for t in self.terms)

    @property
    def spatial(self) -> bool:
        return any(t.spatial for t in self.terms)


def _names(text_: str) -> list[str]:
    return sorted(O.parse_objective(text_).layers, key=str) if text_ else []


def check_layers(recipe: Recipe, spec) -> None:
    """Every layer the recipe names exists in the model (before any weights load)."""
    named = [*_names(recipe.layers), *recipe.guide_layers, *recipe.style_layers]
    for item in recipe.sweep:
        named += _names(item)
    for name in named:
        spec.layer(name)
    if recipe.class_label and spec.class_layer is None:
        raise DreamreelError(f"model {spec.name!r} has no classifier head; try --model inception_v1")
    if (recipe.channels or recipe.channels_from) and len(_base_layers(recipe, spec)) != 1:
        raise DreamreelError("channels and channels_from need exactly one layer (e.g. --layer block4_conv3)")


def _base_layers(recipe: Recipe, spec) -> list[str]:
    return _names(recipe.layers) or list(spec.dream_layers)


def _channel_list(text_: str) -> list[int]:
    try:
        return [int(c) for c in text_.split(",") if c.strip()]
    except ValueError:
        raise DreamreelError(f"channels takes comma-separated integers, got {text_!r}") from None


def cover(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Scale to fill (H, W) and crop the overflow equally on both sides."""
    height, width = size
    h, w = image.shape[:2]
    scale = max(height / h, width / w)
    sh, sw = max(height, round(h * scale)), max(width, round(w * scale))
    top, left = (sh - height) // 2, (sw - width) // 2
    return np.ascontiguousarray(resize(image, sh, sw)[top:top + height, left:left + width])


def _acts(model: Model, image: np.ndarray, names) -> dict:
    return activations(model, jnp.asarray(image)[None], model.spec.deepest(names))


def _base_term(recipe: Recipe, model: Model) -> O.Objective | None:
    spec = model.spec
    if recipe.class_label:
        return O.class_logit(recipe.class_label)
    if recipe.channels_from:
        (name,) = _base_layers(recipe, spec)
        batch = np.stack([resize(read_image(p), 224, 224) for p in recipe.channels_from])
        picked = O.batch_channels(name, activations(model, batch, name), count=recipe.count,
                                  most=recipe.select == "most")
        return picked if recipe.select == "most" else -picked
    if recipe.channels:
        (name,) = _base_layers(recipe, spec)
        return O.channel(name, _channel_list(recipe.channels))
    if recipe.layers:
        return O.parse_objective(recipe.layers)
    return O.layers_sum(spec.dream_layers)


def _guide_term(recipe: Recipe, model: Model, size) -> O.Objective:
    spec = model.spec
    base = _base_layers(recipe, spec)
    mode = recipe.guide_mode
    names = list(recipe.guide_layers) or (base if mode == "channels" else [spec.deepest(base)])
    image = read_image(recipe.guide, max_side=GUIDE_SIDE)
    if mode in SPATIAL_GUIDES and size is not None:
        image = cover(image, size)
    acts = _acts(model, image, names)
    if mode == "channels":
        return O.guide_channel_weights(names, acts)
    if mode == "match":
        return sum((O.guide_match(n, acts) for n in names), 0)
    return sum((O.guide(n, acts, mode) for n in names), 0)


def _has_dream_term(recipe: Recipe) -> bool:
    """A guide alone steers by itself; a plain dream term joins it only when asked for (or to keep a dream going
    when the guide pushes away: "away" alone would only blur the image)."""
    if recipe.dream_weight.is_constant and recipe.dream_weight.keys[0].value == 0.0:
        return False
    explicit = recipe.layers or recipe.sweep or recipe.channels or recipe.channels_from or recipe.class_label
    negative_guide = recipe.guide_weight.is_constant and recipe.guide_weight.keys[0].value < 0
    return bool(explicit or not recipe.guide or negative_guide)


def resolve(recipe: Recipe, model: Model, *, size: tuple[int, int] | None = None, frames: int = 1,
            loop: bool = False) -> Schedule:
    """The recipe as bound terms with (keyframed) weights; guide, style and batch features computed here, once.
    size: the (H, W) the objective will see (spatial guides are framed to it)."""
    check_layers(recipe, model.spec)
    terms: list[O.Objective] = []
    weights: list[Callable[[float], float]] = []

    def add(term: O.Objective, weight: Callable[[float], float]):
        terms.append(term.bind(model.spec))
        weights.append(weight)

    def tracked(t: Track, sign: float = 1.0):
        return lambda i: sign * t.at(i, frames, loop)

    if _has_dream_term(recipe):
        if recipe.sweep:
            for k, item in enumerate(recipe.sweep):
                add(O.parse_objective(item), lambda i, k=k: recipe.dream_weight.at(i, frames, loop)
                    * max(0.0, 1.0 - abs(recipe.position.at(i, frames, loop) - k)))
        else:
            add(_base_term(recipe, model), tracked(recipe.dream_weight))
    if recipe.guide:
        add(_guide_term(recipe, model, size), tracked(recipe.guide_weight))
        if recipe.pixel_loss:
            pixel_target = read_image(recipe.guide, max_side=GUIDE_SIDE)
            add(O.pixels(pixel_target if size is None else cover(pixel_target, size), recipe.pixel_loss),
                lambda i: recipe.pixel_weight)
    if recipe.style:
        painting = read_image(recipe.style, max_side=GUIDE_SIDE)
        add(O.style_loss(model, [painting], layers=recipe.style_layers or model.spec.style_layers),
            tracked(recipe.style_weight, -1.0))
    if not terms:
        raise DreamreelError("the objective is empty: dream_weight is 0 and there is no guide or style")
    return Schedule(tuple(terms), tuple(weights))
