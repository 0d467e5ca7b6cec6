"""Presets: TOML files parsed into the settings dataclasses, the one place a preset is read.

load_preset(name_or_path, overrides=()) -> Preset          a feedback animation (`dreamreel render`)
load_clip_preset(name_or_path, overrides=()) -> ClipPreset  a clip's look (`dreamreel video --preset`)
list_presets(folder=None) -> [(name, description, path)]    also list_clip_presets()
parse_override("camera.zoom=1.03") -> ("camera.zoom", 1.03)  the --set syntax
plain_values(settings) -> dict                              the non-default fields as JSON-ready data
describe_settings(sections) -> str                         every key with its default and help

A preset is flat TOML: top-level keys are the render (or clip) settings, [camera] the per-frame move, and
[objective] what to dream (a recipe.Recipe, shared by animations, clips and stills). Numbers under [camera] and
the weights under [objective] may be keyframed: `zoom = [[0, 1.0], ["25%", 1.04, "ease_in_out"], ["100%", 1.04]]`
(frame index or share of the video, value, easing of the segment that starts there). Relative paths are relative
to the preset file; paths given with --set to the working directory. Defaults shared with the still dream come
from core.dream.DreamSettings, so each default is written once. Unknown keys, wrong types, out-of-range or
non-finite values and files that are not UTF-8 TOML raise a one-line DreamreelError naming the key.
"""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
import os
import tomllib
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Sequence

from .core.dream import DreamSettings, NORMALIZATIONS
from .core.fields import boolean, choice, default_of, integer, number, path_or, setting, strings, text, validate
from .core.stylize import STYLE_LOSSES, StyleSettings
from .errors import DreamreelError
from .home import presets_dir
from .io import WriterSettings
from .models import DEFAULT_MODEL
from .motion.camera import MOVES, Camera, settings_keys
from .motion.keyframes import EASINGS, Track
from .motion.warp import INTERPOLATIONS
from .recipe import Recipe, check_layers

_DREAM = {f.name: default_of(f) for f in fields(DreamSettings)}
_STYLE = {f.name: default_of(f) for f in fields(StyleSettings)}
_WRITER = {f.name: default_of(f) for f in fields(WriterSettings)}


def _from_dream(name: str, help_: str | None = None):
    """A field whose default, check and help are those of DreamSettings' field `name`."""
    f = next(f for f in fields(DreamSettings) if f.name == name)
    return setting(default_of(f), f.metadata["check"], help_ or f.metadata["help"])


@dataclass(frozen=True)
class RenderSettings:
    """Top-level keys of an animation preset: what to start from, the size and length, how frames are dreamed."""

    description: str = setting("", text, "one line shown by `dreamreel presets`")
    source: str = setting("noise", path_or("noise"), 'an image to start from, or "noise"')
    width: int = setting(512, integer(16, 8192), "frame width in pixels")
    height: int = setting(512, integer(16, 8192), "frame height in pixels")
    frames: int = setting(48, integer(1, 100_000), "frames in the video")
    fps: float = setting(_WRITER["fps"], number(0, 240, low_open=True), "frames per second")
    model: str = setting(DEFAULT_MODEL, text, "network (see `dreamreel models`)")
    seed: int = _from_dream("seed", "random seed; frame i uses fold_in(seed, i)")
    steps: int = setting(3, integer(1, 1000), "gradient steps per frame")
    step_size: float = _from_dream("step_size")
    jitter: int = _from_dream("jitter")
    tile_size: int = _from_dream("tile_size")
    normalize: str = _from_dream("normalize")
    first_octaves: int = _from_dream("octaves", "octaves of the first frame's dream")
    first_steps: int = setting(_DREAM["steps"], integer(0, 1000), "steps per octave of the first frame (0: none)")
    octave_scale: float = _from_dream("octave_scale", "size ratio between the first frame's octaves")
    interpolation: str = setting("lanczos", choice(INTERPOLATIONS), "resampling of the camera move")
    loop: bool = setting(False, boolean, "make the last frame flow into the first")
    loop_frames: int = setting(12, integer(1, 100_000), "frames over which a loop steers back to its first frame")
    warmup: int = setting(0, integer(0, 100_000), "frames dreamed before the first one shown")
    net: str = setting("", path_or(), "a trained look network (.dnet, `dreamreel learn`): each frame is the network "
                                      "applied to the moved previous frame, instead of dream steps")
    quality: int = setting(_WRITER["quality"], integer(0, 51), "H.264 CRF of an MP4: 0 lossless .. 51 worst")

    def __post_init__(self):
        validate(self)

    def dream_settings(self, *, first: bool) -> DreamSettings:
        """The still-dream settings of the first frame (octaves) or of every later frame (one octave)."""
        return DreamSettings(octaves=self.first_octaves if first else 1, octave_scale=self.octave_scale,
                             steps=self.first_steps if first else self.steps, step_size=self.step_size,
                             jitter=self.jitter, tile_size=self.tile_size, normalize=self.normalize, seed=self.seed)


CLIP_MODES = ("dream", "style")


@dataclass(frozen=True)
class ClipSettings:
    """Top-level keys of a clip preset (`dreamreel video`): how each frame of a clip is dreamed or painted.
    Dream mode carries the dream's detail along the optical flow; style mode adds a temporal loss."""

    description: str = setting("", text, "one line shown by `dreamreel presets`")
    mode: str = setting("dream", choice(CLIP_MODES), "dream: DeepDream along the motion; style: paint the clip")
    model: str = setting(DEFAULT_MODEL, text, "network (see `dreamreel models`)")
    max_side: int = setting(640, integer(32, 8192), "working size: the longer side in pixels")
    seed: int = _from_dream("seed")
    flow_method: str = setting("dis", choice(("dis", "farneback")), "optical flow estimator")
    quality: int = setting(_WRITER["quality"], integer(0, 51), "H.264 CRF of an MP4: 0 lossless .. 51 worst")
    cut_threshold: float = setting(0.15, number(0.0, 1.0), "a scene cut (the next shot starts afresh): consecutive "
                                   "frames' colour histograms differ by more than this and the flow fails on most of "
                                   "the frame; 1 never cuts")
    memory: int = setting(3, integer(0, 16), "key frames remembered besides the previous one: a region that comes "
                                             "back into view gets back the look it had there")
    memory_every: int = setting(10, integer(1, 10_000), "frames between remembered key frames")
    net: str = setting("", path_or(), "a trained look network (.dnet, `dreamreel learn`): it paints every frame, "
                                      "instead of the optimiser (mode and its keys are then unused)")
    net_blend: float = setting(0.95, number(0.0, 0.99), "with a network: share of the previous frame's look, carried "
                                                        "along the flow, mixed into each frame where the flow is "
                                                        "reliable (0.95: less flicker than the optimiser's clip mode "
                                                        "on bikes.mp4, like its carry of 0.97)")
    # dream mode
    strength: float = setting(12.0, number(0.0, 255.0, low_open=True),
                              "dream mode: mean change of a pixel in grey levels (of 255), held in every frame")
    first_steps: int = setting(40, integer(0, 10_000), "dream mode: the first frame of a shot is dreamed until it is "
                                                       "as strong as `strength` (at most this many steps)")
    warm_up: int = setting(5, integer(0, 100), "dream mode: a shot's first frame is carried forward over this many "
                                               "next frames and back before it is shown, so the shot starts at the "
                                               "level it keeps (0: no warm-up)")
    steps: int = setting(2, integer(0, 1000), "dream steps per frame, on top of the carried detail")
    step_size: float = _from_dream("step_size")
    carry: float = setting(0.97, number(0.0, 0.999), "how much of the previous frame's dream detail is carried "
                                                     "(below 1, so stale detail fades)")
    tile_size: int = _from_dream("tile_size")
    jitter: int = setting(16, integer(0, 4096), "random shift in pixels before each step")
    normalize: str = setting(_DREAM["normalize"], choice(NORMALIZATIONS), "gradient normalisation")
    # style mode
    style: tuple = setting((), strings, "style mode: the painting(s) whose style the clip takes")
    content_weight: float = setting(1.0, number(0.0), "style mode: weight of the content loss")
    style_weight: float = setting(10.0, number(0.0), "style mode: weight of the style loss")
    tv_weight: float = setting(0.0, number(0.0), "style mode: total-variation smoothing")
    temporal_weight: float = setting(200.0, number(0.0), "style mode: how strongly a painted pixel follows its motion")
    first_iterations: int = setting(200, integer(1, 100_000), "style mode: iterations of the first frame")
    iterations: int = setting(60, integer(1, 100_000), "style mode: optimiser iterations per frame")
    first_scales: int = setting(2, integer(1, 8), "style mode: scales of the first frame")
    passes: int = setting(1, integer(1, 64), "style mode: passes over the clip in alternating directions (Ruder et "
                                             "al.); above 1 the whole clip is painted in memory, `iterations` per "
                                             "frame per pass")
    learning_rate: float = setting(_STYLE["learning_rate"], number(0.0, 1.0, low_open=True),
                                   "style mode: Adam's learning rate")
    loss: str = setting(_STYLE["loss"], choice(STYLE_LOSSES), "style mode: Gram matrices or mean and covariance")
    original_colors: bool = setting(False, boolean, "style mode: keep the clip's colours")

    def __post_init__(self):
        validate(self)


DREAM_ONLY = ("strength", "first_steps", "warm_up", "steps", "step_size", "carry", "tile_size", "jitter", "normalize")
STYLE_ONLY = ("style", "content_weight", "style_weight", "tv_weight", "temporal_weight", "first_iterations",
              "iterations", "first_scales", "passes", "learning_rate", "loss", "original_colors")

ANIMATION_SECTIONS: dict[str | None, type] = {None: RenderSettings, "camera": Camera, "objective": Recipe}
CLIP_SECTIONS: dict[str | None, type] = {None: ClipSettings, "objective": Recipe}


def plain_values(obj) -> dict:
    """The fields of a settings object that differ from their defaults, as JSON-ready data (tracks as keyframes);
    cls(**plain_values(obj)) == obj."""
    return {f.name: _plain(getattr(obj, f.name)) for f in fields(obj) if getattr(obj, f.name) != default_of(f)}


def _plain(value):
    if isinstance(value, Track):
        keys = value.keys
        return keys[0].value if len(keys) == 1 else [[k.at, k.value, k.easing] for k in keys]
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value


@dataclass(frozen=True)
class _PresetBase:
    name: str
    path: Path | None
    overrides: tuple[str, ...]

    # each preset kind defines sections() -> {None: top-level settings, "objective": Recipe, ...}

    @property
    def description(self) -> str:
        return self.sections()[None].description

    @property
    def objective(self) -> Recipe:
        return self.sections()["objective"]

    def as_dict(self) -> dict:
        """Every setting as JSON-ready data (tracks as their keyframes), the same for equal presets."""
        out: dict = {"name": self.name}
        for section, obj in self.sections().items():
            values = {key: _plain(value) for key, value in _values(obj).items()}
            out.update(values) if section is None else out.__setitem__(section, values)
        return out

    def files(self) -> list[Path]:
        """The files the preset reads (source, guide, style, ...)."""
        top = self.sections()[None]
        paths = [getattr(top, "source", ""), getattr(top, "net", ""), *getattr(top, "style", ()),
                 *self.objective.files()]
        return [Path(p) for p in paths if p and p != "noise"]

    def fingerprint(self) -> str:
        """A hash of the settings and the contents of the files they read."""
        digest = hashlib.sha256(repr(sorted(_flatten(self.as_dict()))).encode())
        for path in self.files():
            digest.update(hashlib.sha256(path.read_bytes()).digest())
        return digest.hexdigest()[:16]


@dataclass(frozen=True)
class Preset(_PresetBase):
    render: RenderSettings = RenderSettings()
    camera: Camera = Camera.from_settings({})
    recipe: Recipe = Recipe()

    def sections(self):
        return {None: self.render, "camera": self.camera, "objective": self.recipe}


@dataclass(frozen=True)
class ClipPreset(_PresetBase):
    clip: ClipSettings = ClipSettings()
    recipe: Recipe = Recipe()

    def sections(self):
        return {None: self.clip, "objective": self.recipe}


def _section_fields(cls) -> dict[str, dataclasses.Field]:
    """The keys of a preset section: a settings dataclass's fields, or every registered camera move's keys."""
    if cls is Camera:
        return {key: f for move in MOVES.values() for key, f in settings_keys(move).items()}
    return {f.name: f for f in fields(cls)}


def _values(obj) -> dict[str, Any]:
    """A section's settings by key (a Camera's by the keys of its moves)."""
    if isinstance(obj, Camera):
        return {key: getattr(move, f.name) for move in obj.moves for key, f in settings_keys(type(move)).items()}
    return {f.name: getattr(obj, f.name) for f in fields(obj)}


def _build(cls, kwargs: dict):
    return Camera.from_settings(kwargs) if cls is Camera else cls(**kwargs)


def _flatten(data: dict, prefix: str = "") -> list[tuple[str, str]]:
    out = []
    for key, value in data.items():
        if isinstance(value, dict):
            out += _flatten(value, f"{prefix}{key}.")
        else:
            out.append((prefix + key, repr(value)))
    return out


# --- finding and reading ------------------------------------------------------------------------------------------

def clip_presets_dir() -> Path:
    return presets_dir() / "video"


def _read_toml(path: Path) -> dict:
    try:
        with open(path, "rb") as f:
            return tomllib.load(f)
    except UnicodeDecodeError:
        raise DreamreelError(f"{path} is not a UTF-8 text file: presets are TOML text") from None
    except tomllib.TOMLDecodeError as error:
        raise DreamreelError(f"{path} is not valid TOML: {error}") from None
    except OSError as error:
        raise DreamreelError(f"cannot read the preset {path}: {error.strerror}") from None


def list_presets(folder: Path | None = None) -> list[tuple[str, str, Path]]:
    folder = folder or presets_dir()
    out = []
    for path in sorted(folder.glob("*.toml")) if folder.is_dir() else []:
        try:
            description = str(_read_toml(path).get("description", "")).strip()
        except DreamreelError as error:
            description = f"(cannot read: {error})"
        out.append((path.stem, description.splitlines()[0] if description else "", path))
    return out


def list_clip_presets() -> list[tuple[str, str, Path]]:
    return list_presets(clip_presets_dir())


def find_preset(name_or_path: str | os.PathLike, folder: Path | None = None) -> Path:
    folder = folder or presets_dir()
    path = Path(name_or_path).expanduser()
    if path.is_file():
        return path
    if path.suffix == ".toml" or os.sep in str(name_or_path) or path.is_dir():
        raise DreamreelError(f"no such preset file: {path}")
    candidate = folder / f"{name_or_path}.toml"
    if candidate.is_file():
        return candidate
    names = [name for name, _, _ in list_presets(folder)]
    close = difflib.get_close_matches(str(name_or_path), names, n=2)
    hint = f"did you mean {' or '.join(close)}? " if close else ""
    raise DreamreelError(f"no preset named {str(name_or_path)!r} in {folder}; {hint}known: {', '.join(names) or 'none'}"
                         f" (or give the path of a .toml file)")


def parse_override(item: str) -> tuple[str, Any]:
    """"camera.zoom=1.03" -> ("camera.zoom", 1.03): the value is read as TOML, else taken as a plain string."""
    key, sep, value = item.partition("=")
    key = key.strip()
    if not sep or not key:
        raise DreamreelError(f"--set takes KEY=VALUE (e.g. camera.zoom=1.03 or steps=2), got {item!r}")
    try:
        return key, tomllib.loads(f"v = {value.strip()}")["v"]
    except tomllib.TOMLDecodeError:
        return key, value.strip()


def parse_sections(raw: dict, sections: dict[str | None, type], *, base: Path | None = None,
                   overrides: Sequence[str] = (), origin: str = "preset") -> dict[str | None, Any]:
    """A preset's table (as tomllib reads it) plus KEY=VALUE overrides -> one validated dataclass per section."""
    raw = {k: (dict(v) if isinstance(v, dict) else v) for k, v in raw.items()}
    from_cli: set[str] = set()
    for item in overrides:
        key, value = parse_override(item)
        section, _, leaf = key.rpartition(".")
        _check_key(sections, section or None, leaf, "command line")
        (raw.setdefault(section, {}) if section else raw)[leaf] = value
        from_cli.add(key)
    values: dict[str | None, dict] = {section: {} for section in sections}
    for key, value in raw.items():
        if key in sections and key is not None:
            if not isinstance(value, dict):
                raise DreamreelError(f"{origin}: [{key}] must be a table of settings, got {value!r}")
            values[key].update(value)
        else:
            values[None][key] = value
    out = {}
    for section, cls in sections.items():
        known = _section_fields(cls)
        kwargs = {}
        for leaf, value in values[section].items():
            full = f"{section}.{leaf}" if section else leaf
            where = "command line" if full in from_cli else origin
            _check_key(sections, section, leaf, where)
            check = known[leaf].metadata["check"]
            try:
                value = check(value, full)
            except DreamreelError as error:
                raise DreamreelError(f"{where}: {error}") from None
            kwargs[leaf] = _resolve_paths(value, check, Path.cwd() if full in from_cli or base is None else base,
                                          full, where)
        try:
            out[section] = _build(cls, kwargs)
        except DreamreelError as error:
            raise DreamreelError(f"{origin}: {error}") from None
    return out


def _resolve_paths(value, check, base: Path, key: str, where: str):
    words = getattr(check, "words", None)
    if getattr(check, "is_path", False) and value and value not in words:
        return _resolve_path(value, base, key, where)
    if key.rpartition(".")[2] in ("style", "channels_from") and isinstance(value, tuple):
        return tuple(_resolve_path(v, base, key, where) for v in value)
    return value


def _resolve_path(value: str, base: Path, key: str, where: str) -> str:
    path = Path(value).expanduser()
    if not path.is_absolute():
        path = base / path
    if not path.is_file():
        raise DreamreelError(f"{where}: {key}: no such file {path}")
    return str(path.resolve())


def _check_key(sections: dict, section: str | None, leaf: str, where: str) -> None:
    if section is not None and section not in sections:
        names = ", ".join(f"[{s}]" for s in sections if s)
        raise DreamreelError(f"{where}: unknown section {section!r}; allowed: {names} and top-level keys")
    known = list(_section_fields(sections[section]))
    if leaf not in known:
        prefix = f"{section}." if section else ""
        close = difflib.get_close_matches(leaf, known, n=1)
        hint = f"did you mean {prefix}{close[0]}? " if close else ""
        raise DreamreelError(f"{where}: unknown key {prefix + leaf!r}; {hint}allowed: "
                             f"{', '.join(prefix + k for k in known)}")


def load_preset(name_or_path: str | os.PathLike, overrides: Sequence[str] = ()) -> Preset:
    path = find_preset(name_or_path)
    parts = parse_sections(_read_toml(path), ANIMATION_SECTIONS, base=path.parent, overrides=overrides,
                           origin=str(path))
    preset = Preset(path.stem, path, tuple(overrides), parts[None], parts["camera"], parts["objective"])
    _check_animation(preset, str(path))
    return preset


def preset_from_dict(raw: dict, *, name: str = "preset", base: Path | None = None,
                     overrides: Sequence[str] = ()) -> Preset:
    """An animation preset from a table (tests, the studio): paths relative to `base` or the working directory."""
    parts = parse_sections(raw, ANIMATION_SECTIONS, base=base, overrides=overrides, origin=name)
    preset = Preset(name, None, tuple(overrides), parts[None], parts["camera"], parts["objective"])
    _check_animation(preset, name)
    return preset


def load_clip_preset(name_or_path: str | os.PathLike | None, overrides: Sequence[str] = ()) -> ClipPreset:
    """A clip preset (presets/video/NAME.toml or a path), or the defaults (None), with KEY=VALUE overrides."""
    path = find_preset(name_or_path, clip_presets_dir()) if name_or_path else None
    raw = _read_toml(path) if path else {}
    origin = str(path) if path else "clip settings"
    parts = parse_sections(raw, CLIP_SECTIONS, base=path.parent if path else None, overrides=overrides,
                           origin=origin)
    clip = parts[None]
    given = {*raw, *(parse_override(o)[0] for o in overrides)}
    wrong = [k for k in given if k in (STYLE_ONLY if clip.mode == "dream" else DREAM_ONLY)]
    if wrong:
        raise DreamreelError(f"{origin}: {wrong[0]} does not apply to {clip.mode} mode")
    if clip.mode == "style" and not clip.style:
        raise DreamreelError(f"{origin}: style mode needs a painting: style = [\"painting.jpg\"] (or --style)")
    return ClipPreset(path.stem if path else "clip", path, tuple(overrides), clip, parts["objective"])


def _check_animation(preset: Preset, origin: str) -> None:
    r, o = preset.render, preset.recipe
    if r.loop and r.loop_frames >= r.frames:
        raise DreamreelError(f"{origin}: loop_frames must be less than frames ({r.frames}) in a loop; "
                             f"got {r.loop_frames}")
    limit = max(len(o.sweep) - 1, 0)
    for key in o.position.keys:
        if key.value > limit:
            raise DreamreelError(f"{origin}: objective.position must be between 0 and {limit} (the sweep has "
                                 f"{len(o.sweep)} stages); got {key.value:g}")
    for section, obj in (("camera", preset.camera), ("objective", o)):
        for key, value in _values(obj).items():
            if isinstance(value, Track):
                try:
                    value.check(f"{section}.{key}", r.frames, r.loop)
                except DreamreelError as error:
                    raise DreamreelError(f"{origin}: {error}") from None


def check_preset_layers(preset: _PresetBase, spec) -> None:
    """The objective's layers against the model, before any weights load."""
    check_layers(preset.objective, spec)


def describe_settings(sections: dict[str | None, type] = ANIMATION_SECTIONS) -> str:
    """Every key with its default and meaning, as help text."""
    lines = []
    for section, cls in sections.items():
        lines.append("top-level keys:" if section is None else f"[{section}]:")
        for key, f in _section_fields(cls).items():
            default = default_of(f)
            if isinstance(default, Track):
                default = default.describe()
            lines.append(f"  {key} = {default!r}  # {f.metadata['help']}")
    lines.append(f"easings: {', '.join(EASINGS)}")
    return "\n".join(lines)
