"""Animation presets: TOML files -> frozen, validated dataclasses.

load_preset(name_or_path, overrides=()) -> Preset      overrides: ["camera.zoom=1.03", "steps=2", ...] (--set)
list_presets(folder=None) -> [(name, description, path)]   the *.toml files of the presets folder
presets_dir() -> Path                                   the project's presets/ folder (or $DREAMREEL_PRESETS)
check_layers(preset, spec) -> None                      the objective's layers against a model, before any weights load
Preset.as_dict() -> dict                                every resolved setting (hashed for resume, written to the sidecar)

A preset is flat TOML: top-level keys are the render settings, [camera] the per-frame move and [objective] what to
dream. Numbers under [camera] and the weights under [objective] may be keyframed:
`zoom = [[0, 1.0], ["25%", 1.04, "ease_in_out"], ["100%", 1.04]]` (frame index or share of the clip, value,
easing of the segment that starts there). Relative paths (source, guide, style) are relative to the preset file;
paths given with --set are relative to the working directory. Defaults of settings that the core also has (step
size, jitter, tile, normalisation, octaves, seed, video quality) are read from the core functions' signatures, so
there is one source of truth. Unknown keys, wrong types and out-of-range values raise a DreamreelError that names
the key and what is allowed.
"""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
import inspect
import math
import os
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Callable, Sequence

from .motion.camera import EASINGS, INTERPOLATIONS, Camera, Track, parse_track
from .errors import DreamreelError


def _defaults(function) -> dict:
    return {name: p.default for name, p in inspect.signature(function).parameters.items()
            if p.default is not inspect.Parameter.empty}


def _core_defaults() -> tuple[dict, dict]:
    from .io import VideoWriter
    from .core.dream import dream

    return _defaults(dream), _defaults(VideoWriter.__init__)


_DREAM, _WRITER = _core_defaults()


# --- field checkers: (value, key) -> the validated value ----------------------------------------------------------

Check = Callable[[Any, str], Any]


def _fail(key: str, allowed: str, value) -> DreamreelError:
    return DreamreelError(f"{key} must be {allowed}; got {value!r}")


def _bounds(low, high, low_open=False) -> str:
    parts = []
    if low is not None:
        parts.append(f"{'>' if low_open else '>='} {low:g}")
    if high is not None:
        parts.append(f"<= {high:g}")
    return " and ".join(parts)


def integer(low: int | None = None, high: int | None = None) -> Check:
    def check(value, key):
        allowed = f"an integer {_bounds(low, high)}".rstrip()
        if isinstance(value, bool) or not isinstance(value, int):
            raise _fail(key, allowed, value)
        if (low is not None and value < low) or (high is not None and value > high):
            raise _fail(key, allowed, value)
        return value

    return check


def number(low: float | None = None, high: float | None = None, low_open: bool = False) -> Check:
    def check(value, key):
        allowed = f"a number {_bounds(low, high, low_open)}".rstrip()
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise _fail(key, allowed, value)
        if (low is not None and (value <= low if low_open else value < low)) or (high is not None and value > high):
            raise _fail(key, allowed, value)
        return float(value)

    return check


def choice(options: Sequence[str]) -> Check:
    def check(value, key):
        if value not in options:
            raise _fail(key, f"one of {', '.join(options)}", value)
        return value

    return check


def text(value, key):
    if not isinstance(value, str):
        raise _fail(key, "a string", value)
    return value


def boolean(value, key):
    if not isinstance(value, bool):
        raise _fail(key, "true or false", value)
    return value


def strings(value, key):
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) and v.strip() for v in value):
        raise _fail(key, 'a list of non-empty strings such as ["block3_conv3", "block4_conv3"]', value)
    return tuple(value)


def track(low: float | None = None, high: float | None = None, low_open: bool = False) -> Check:
    def check(value, key):
        if isinstance(value, Track):
            return value
        return parse_track(value, key, low=low, high=high, low_open=low_open)

    return check


def path_or(*words: str) -> Check:
    """A file path (checked to exist when the preset is resolved), or one of `words`, or "" for none."""

    def check(value, key):
        if not isinstance(value, str):
            raise _fail(key, f"a file path{''.join(f' or {w!r}' for w in words)}", value)
        return value

    check.is_path = True
    check.words = words
    return check


def setting(default, check: Check, help: str):
    kind = dict(default_factory=lambda: default) if isinstance(default, (list, dict)) else dict(default=default)
    return field(metadata=dict(check=check, help=help), **kind)


# --- the sections ----------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class RenderSettings:
    """Top-level keys: what to start from, the size and length of the video, and how each frame is dreamed."""

    description: str = setting("", text, "one line shown by `dreamreel presets`")
    source: str = setting("noise", path_or("noise"), 'an image to start from, or "noise"')
    width: int = setting(512, integer(16, 8192), "frame width in pixels")
    height: int = setting(512, integer(16, 8192), "frame height in pixels")
    frames: int = setting(48, integer(1, 100_000), "frames in the video")
    fps: float = setting(24.0, number(0, 240, low_open=True), "frames per second")
    model: str = setting("vgg16", text, "network (see `dreamreel models`)")
    seed: int = setting(_DREAM["seed"], integer(0), "random seed; frame i uses fold_in(seed, i)")
    steps: int = setting(3, integer(1, 1000), "gradient steps per frame")
    step_size: float = setting(_DREAM["step_size"], number(0, 1, low_open=True),
                               "mean change of a pixel per step")
    jitter: int = setting(_DREAM["jitter"], integer(0, 4096), "random shift in pixels before each step")
    tile_size: int = setting(_DREAM["tile_size"], integer(32, 8192), "largest tile the network sees at once")
    normalize: str = setting(_DREAM["normalize"], choice(("laplacian", "mean", "none")), "gradient normalisation")
    first_octaves: int = setting(_DREAM["octaves"], integer(1, 12), "octaves of the first frame's dream")
    first_steps: int = setting(_DREAM["steps"], integer(0, 1000), "steps per octave of the first frame (0: none)")
    octave_scale: float = setting(_DREAM["octave_scale"], number(1, 4, low_open=True),
                                  "size ratio between the first frame's octaves")
    interpolation: str = setting("lanczos", choice(INTERPOLATIONS), "resampling of the camera move")
    loop: bool = setting(False, boolean, "make the last frame flow into the first")
    loop_frames: int = setting(12, integer(1, 100_000), "frames over which a loop steers back to its first frame")
    warmup: int = setting(0, integer(0, 100_000), "frames dreamed before the first one shown")
    quality: int = setting(_WRITER["quality"], integer(0, 51), "H.264 CRF of an MP4: 0 lossless .. 51 worst")


@dataclass(frozen=True)
class CameraSettings:
    """[camera]: the move from each frame to the next (numbers or keyframes)."""

    zoom: Track = setting(Track.constant(1.0), track(0.25, 4.0, low_open=False),
                          "scale per frame about the centre; > 1 goes in")
    rotate: Track = setting(Track.constant(0.0), track(-45.0, 45.0), "degrees per frame, counter-clockwise")
    pan_x: Track = setting(Track.constant(0.0), track(-1000.0, 1000.0), "camera moves right, pixels per frame")
    pan_y: Track = setting(Track.constant(0.0), track(-1000.0, 1000.0), "camera moves down, pixels per frame")

    def camera(self) -> Camera:
        return Camera(self.zoom, self.rotate, self.pan_x, self.pan_y)


@dataclass(frozen=True)
class ObjectiveSettings:
    """[objective]: what to dream. The terms are summed; every weight may be keyframed (no re-compile)."""

    layers: str = setting("", text, 'objective spec such as "block4_conv3 + 0.5*block5_conv1:12" '
                                    "(default: the model's dream layers)")
    sweep: tuple = setting((), strings, "objective specs to travel through, e.g. textures to objects")
    position: Track = setting(Track.constant(0.0), track(0.0), "where along `sweep` (0 = first, 1 = second, ...)")
    dream_weight: Track = setting(Track.constant(1.0), track(), "weight of `layers` (or of the sweep)")
    guide: str = setting("", path_or(), "an image whose features to grow")
    guide_layers: tuple = setting((), strings, "layers of the guide (default: the model's dream layers)")
    guide_mode: str = setting("channels", choice(("channels", "match", "dot")),
                              "channels: the guide's channel mix; match: best-match features; dot: in place")
    guide_weight: Track = setting(Track.constant(1.0), track(), "weight of the guide")
    style: str = setting("", path_or(), "a painting whose style statistics to pull towards")
    style_layers: tuple = setting((), strings, "layers of the style statistics (default: block1..5_conv1)")
    style_weight: Track = setting(Track.constant(1.0), track(0.0), "weight of the style (a loss: subtracted)")


SECTIONS: dict[str | None, type] = {None: RenderSettings, "camera": CameraSettings, "objective": ObjectiveSettings}


@dataclass(frozen=True)
class Preset:
    name: str
    path: Path | None
    render: RenderSettings
    camera: CameraSettings
    objective: ObjectiveSettings
    overrides: tuple[str, ...] = ()

    @property
    def description(self) -> str:
        return self.render.description

    def as_dict(self) -> dict:
        """Every setting as JSON-ready data (tracks as their keyframes), the same for equal presets."""

        def plain(value):
            if isinstance(value, Track):
                keys = value.keys
                return keys[0].value if len(keys) == 1 else [[k.at, k.value, k.easing] for k in keys]
            if isinstance(value, tuple):
                return list(value)
            return value

        out = {"name": self.name}
        for section, obj in ((None, self.render), ("camera", self.camera), ("objective", self.objective)):
            values = {f.name: plain(getattr(obj, f.name)) for f in fields(obj)}
            if section is None:
                out.update(values)
            else:
                out[section] = values
        return out

    def files(self) -> list[Path]:
        """The files the preset reads (source, guide, style)."""
        paths = [self.render.source, self.objective.guide, self.objective.style]
        return [Path(p) for p in paths if p and p != "noise"]

    def fingerprint(self) -> str:
        """A hash of the settings and the contents of the files they read."""
        digest = hashlib.sha256(repr(sorted(_flatten(self.as_dict()))).encode())
        for path in self.files():
            digest.update(hashlib.sha256(path.read_bytes()).digest())
        return digest.hexdigest()[:16]


def _flatten(data: dict, prefix: str = "") -> list[tuple[str, str]]:
    out = []
    for key, value in data.items():
        if isinstance(value, dict):
            out += _flatten(value, f"{prefix}{key}.")
        else:
            out.append((prefix + key, repr(value)))
    return out


# --- finding and loading ----------------------------------------------------------------------------------------------

def presets_dir() -> Path:
    if os.environ.get("DREAMREEL_PRESETS"):
        return Path(os.environ["DREAMREEL_PRESETS"]).expanduser()
    return Path(__file__).resolve().parent.parent / "presets"


def list_presets(folder: Path | None = None) -> list[tuple[str, str, Path]]:
    folder = folder or presets_dir()
    out = []
    for path in sorted(folder.glob("*.toml")) if folder.is_dir() else []:
        try:
            with open(path, "rb") as f:
                description = str(tomllib.load(f).get("description", "")).strip()
        except (OSError, tomllib.TOMLDecodeError) as error:
            description = f"(cannot read: {error})"
        out.append((path.stem, description.splitlines()[0] if description else "", path))
    return out


def find_preset(name_or_path: str | os.PathLike) -> Path:
    path = Path(name_or_path).expanduser()
    if path.is_file():
        return path
    if path.suffix == ".toml" or os.sep in str(name_or_path) or path.is_dir():
        raise DreamreelError(f"no such preset file: {path}")
    candidate = presets_dir() / f"{name_or_path}.toml"
    if candidate.is_file():
        return candidate
    names = [name for name, _, _ in list_presets()]
    close = difflib.get_close_matches(str(name_or_path), names, n=2)
    hint = f"did you mean {' or '.join(close)}? " if close else ""
    raise DreamreelError(f"no preset named {str(name_or_path)!r}; {hint}known presets: {', '.join(names) or 'none'} "
                         f"(or give the path of a .toml file)")


def load_preset(name_or_path: str | os.PathLike, overrides: Sequence[str] = ()) -> Preset:
    path = find_preset(name_or_path)
    try:
        with open(path, "rb") as f:
            raw = tomllib.load(f)
    except tomllib.TOMLDecodeError as error:
        raise DreamreelError(f"{path} is not valid TOML: {error}") from None
    except OSError as error:
        raise DreamreelError(f"cannot read the preset {path}: {error.strerror}") from None
    return preset_from_dict(raw, name=path.stem, base=path.parent, overrides=overrides, origin=str(path))


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


def preset_from_dict(raw: dict, *, name: str = "preset", base: Path | None = None, overrides: Sequence[str] = (),
                     origin: str = "preset") -> Preset:
    """Validate a preset's table (as tomllib reads it), apply KEY=VALUE overrides, resolve its paths."""
    raw = {k: (dict(v) if isinstance(v, dict) else v) for k, v in raw.items()}
    from_cli: set[str] = set()
    for item in overrides:
        key, value = parse_override(item)
        section, _, leaf = key.rpartition(".")
        _check_key(section or None, leaf, "command line")
        (raw.setdefault(section, {}) if section else raw)[leaf] = value
        from_cli.add(key)
    values: dict[str | None, dict] = {section: {} for section in SECTIONS}
    for key, value in raw.items():
        if key in SECTIONS and key is not None:
            if not isinstance(value, dict):
                raise DreamreelError(f"{origin}: [{key}] must be a table of settings, got {value!r}")
            for leaf, item in value.items():
                values[key][leaf] = item
        else:
            values[None][key] = value
    sections = {}
    for section, cls in SECTIONS.items():
        known = {f.name: f for f in fields(cls)}
        kwargs = {}
        for leaf, value in values[section].items():
            full = f"{section}.{leaf}" if section else leaf
            where = "command line" if full in from_cli else origin
            _check_key(section, leaf, where)
            check = known[leaf].metadata["check"]
            try:
                value = check(value, full)
            except DreamreelError as error:
                raise DreamreelError(f"{where}: {error}") from None
            if getattr(check, "is_path", False) and value and value not in check.words:
                value = _resolve_path(value, Path.cwd() if full in from_cli or base is None else base, full, where)
            kwargs[leaf] = value
        sections[section] = cls(**kwargs)
    preset = Preset(name, None if base is None else Path(origin), sections[None], sections["camera"],
                    sections["objective"], tuple(overrides))
    _check_together(preset, origin)
    return preset


def _check_key(section: str | None, leaf: str, where: str) -> None:
    if section is not None and section not in SECTIONS:
        sections = ", ".join(f"[{s}]" for s in SECTIONS if s)
        raise DreamreelError(f"{where}: unknown section {section!r}; allowed: {sections} and top-level keys")
    known = [f.name for f in fields(SECTIONS[section])]
    if leaf not in known:
        prefix = f"{section}." if section else ""
        close = difflib.get_close_matches(leaf, known, n=1)
        hint = f"did you mean {prefix}{close[0]}? " if close else ""
        others = [f"{s}.*" for s in SECTIONS if s and s != section] if section is None else []
        raise DreamreelError(f"{where}: unknown key {prefix + leaf!r}; {hint}allowed: "
                             f"{', '.join(prefix + k for k in known)}" + (f" (and {', '.join(others)})" if others
                                                                           else ""))


def _resolve_path(value: str, base: Path, key: str, where: str) -> str:
    path = Path(value).expanduser()
    if not path.is_absolute():
        path = base / path
    if not path.is_file():
        raise DreamreelError(f"{where}: {key}: no such file {path}")
    return str(path.resolve())


def _check_together(preset: Preset, origin: str) -> None:
    r, o = preset.render, preset.objective
    if r.loop and r.loop_frames >= r.frames:
        raise DreamreelError(f"{origin}: loop_frames must be less than frames ({r.frames}) in a loop; "
                             f"got {r.loop_frames}")
    if o.layers and o.sweep:
        raise DreamreelError(f"{origin}: give objective.layers or objective.sweep, not both")
    limit = max(len(o.sweep) - 1, 0)
    for key in o.position.keys:
        if key.value > limit:
            raise DreamreelError(f"{origin}: objective.position must be between 0 and {limit} (the sweep has "
                                 f"{len(o.sweep)} stages); got {key.value:g}")
    for section, obj in (("camera", preset.camera), ("objective", o)):
        for f in fields(obj):
            value = getattr(obj, f.name)
            if isinstance(value, Track):
                try:
                    value.check(f"{section}.{f.name}", r.frames, r.loop)
                except DreamreelError as error:
                    raise DreamreelError(f"{origin}: {error}") from None


def check_layers(preset: Preset, spec) -> None:
    """Every layer the objective names exists in the model (fails before any weights are loaded)."""
    from .core.objectives import parse_objective

    o = preset.objective
    for key, specs in (("objective.layers", [o.layers] if o.layers else []), ("objective.sweep", o.sweep)):
        for item in specs:
            try:
                parse_objective(item).bind(spec)
            except DreamreelError as error:
                raise DreamreelError(f"{key}: {error}") from None
    for key, names in (("objective.guide_layers", o.guide_layers), ("objective.style_layers", o.style_layers)):
        for name in names:
            try:
                spec.layer(name)
            except DreamreelError as error:
                raise DreamreelError(f"{key}: {error}") from None


def describe_settings() -> str:
    """Every key with its default and meaning, as help text."""
    lines = []
    for section, cls in SECTIONS.items():
        lines.append("top-level keys:" if section is None else f"[{section}]:")
        for f in fields(cls):
            default = f.default if f.default is not dataclasses.MISSING else f.default_factory()
            if isinstance(default, Track):
                default = default.describe()
            lines.append(f"  {f.name} = {default!r}  # {f.metadata['help']}")
    lines.append(f"easings: {', '.join(EASINGS)}")
    return "\n".join(lines)


# --- clip presets: presets/video/*.toml, the settings of `dreamreel video` ---------------------------------------

VIDEO_KEYS = ("description", "mode", "objective", "style", "max_side")


def video_presets_dir() -> Path:
    return presets_dir() / "video"


def _clip_defaults(mode: str) -> dict:
    from .pipelines.clip import dream_clip, style_clip

    function = dream_clip if mode == "dream" else style_clip
    skip = {"objective", "previous", "first_index", "seed"}
    return {k: v for k, v in _defaults(function).items() if k not in skip}


def load_video_preset(name_or_path: str | os.PathLike) -> dict:
    """A clip preset: {"mode", "objective", "style", "max_side", "settings": {dream_clip/style_clip kwargs}}.
    Keys are checked against the clip functions' keyword parameters, values against their defaults' types."""
    path = Path(name_or_path).expanduser()
    if not path.is_file():
        candidate = video_presets_dir() / f"{name_or_path}.toml"
        if not candidate.is_file():
            names = sorted(p.stem for p in video_presets_dir().glob("*.toml"))
            raise DreamreelError(f"no clip preset {str(name_or_path)!r}; known: {', '.join(names) or 'none'}")
        path = candidate
    try:
        with open(path, "rb") as f:
            raw = tomllib.load(f)
    except tomllib.TOMLDecodeError as error:
        raise DreamreelError(f"{path}: not valid TOML ({error})") from None
    mode = raw.get("mode", "dream")
    if mode not in ("dream", "style"):
        raise _fail("mode", "dream or style", mode)
    defaults = _clip_defaults(mode)
    preset = {"mode": mode, "objective": None, "style": [], "max_side": 640, "settings": {}}
    for key, value in raw.items():
        if key in ("description", "mode"):
            continue
        if key == "objective":
            preset["objective"] = text(value, key)
        elif key == "style":
            paths = [value] if isinstance(value, str) else strings(value, key)
            preset["style"] = [str((path.parent / p).resolve()) if not Path(p).is_absolute() else p for p in paths]
        elif key == "max_side":
            preset["max_side"] = integer(32, 8192)(value, key)
        elif key in defaults:
            default = defaults[key]
            if isinstance(default, bool):
                value = boolean(value, key)
            elif isinstance(default, int):
                value = integer(0, None)(value, key)
            elif isinstance(default, float):
                value = number(0.0, None)(value, key)
            else:
                value = text(value, key)
            preset["settings"][key] = value
        else:
            allowed = ", ".join([*VIDEO_KEYS, *defaults])
            close = difflib.get_close_matches(key, [*VIDEO_KEYS, *defaults], n=1)
            hint = f"did you mean {close[0]}? " if close else ""
            raise DreamreelError(f"{path.name}: unknown key {key!r} for mode {mode}; {hint}allowed: {allowed}")
    return preset
