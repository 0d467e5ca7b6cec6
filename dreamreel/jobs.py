"""Jobs: what a user asks dreamreel to do, as data, and the one way to run it (the CLI, the studio and a cluster
all call this module and nothing below it).

DreamJob, StyleJob, VisualizeJob, AtlasJob, RenderJob, ClipJob, LearnJob   frozen dataclasses: inputs, output, settings
run(job, *, progress=None, cancel=None, load_model=None) -> Path   read -> resolve -> run -> write
command_line(job) -> str                                           the equivalent `dreamreel ...` command
CancelToken().cancel(); Cancelled                                  stop a running job within one step

Every job checks all of its inputs and its output before any work (an unreadable input, an output that cannot be
written or that is one of the inputs fails in a second, not after an hour), writes its output atomically, and
reports progress as core.steps.Progress events. `load_model(name) -> Model` lets a caller keep models loaded
between jobs (the studio, cluster workers) or use a small model (tests).
"""

from __future__ import annotations

import dataclasses
import os
import shlex
import threading
from contextlib import ExitStack
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Callable

import numpy as np

from .core.dream import DreamSettings, dream
from .core.fields import default_of
from .core.objectives import class_logit, parse_objective
from .core.steps import Progress
from .core.stylize import StyleSettings, stylize
from .core.visualize import VisualizeSettings, atlas, visualize
from .errors import DreamreelError
from .io import check_output, open_writer, read_image, read_video, resize, write_image
from .io.paths import IMAGE, NET, VIDEO
from .models import DEFAULT_MODEL, get_spec
from .pipelines.checkpoint import fingerprint
from .pipelines.clip import ClipSource
from .pipelines.feedback import Animation
from .pipelines.learn import (GanSettings, LearnProgress, LearnSettings, LookSource, NetClipSource, build_look,
                              check_look, clip_frames, default_photos, hold_out, learn, learn_unconditional,
                              look_source, optimiser_keyframes, preview_path, samples_path, training_images)
from .pipelines.stream import stream
from .recipe import Recipe, check_layers, resolve
from .settings import check_preset_layers, load_clip_preset, load_preset

ProgressCallback = Callable[[Progress], None]


class Cancelled(DreamreelError):
    """The job was cancelled; nothing half-written is left (a video keeps its checkpoint to resume)."""


class CancelToken:
    """Thread-safe: another thread (a Cancel button, a signal handler) calls cancel(); the job stops within one
    step, at its next progress report."""

    def __init__(self):
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def check(self) -> None:
        if self._event.is_set():
            raise Cancelled("cancelled")


# --- the jobs --------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class DreamJob:
    """Dream a photo: `dreamreel dream INPUT -o OUTPUT`."""

    input: str
    output: str
    model: str = DEFAULT_MODEL
    recipe: Recipe = Recipe()
    settings: DreamSettings = DreamSettings()
    max_side: int | None = None
    timelapse: str | None = None
    net: str | None = None  # a trained network (.dnet) paints the photo instead of the optimiser
    net_steps: int = 0  # with a net: optimiser steps (dream) or iterations (style) from the network's output

    command = "dream"


@dataclass(frozen=True)
class StyleJob:
    """Paint a photo in the style of paintings: `dreamreel style CONTENT STYLE... -o OUTPUT`. content None:
    texture synthesis from the styles; no styles: content reconstruction."""

    content: str | None
    styles: tuple[str, ...]
    output: str
    model: str = DEFAULT_MODEL
    settings: StyleSettings = StyleSettings()

    command = "style"


@dataclass(frozen=True)
class VisualizeJob:
    """What a layer, channel or class sees, from noise: `dreamreel visualize -o OUTPUT`."""

    output: str
    objective: str = ""
    class_label: str = ""
    model: str = DEFAULT_MODEL
    settings: VisualizeSettings = VisualizeSettings()

    command = "visualize"


@dataclass(frozen=True)
class AtlasJob:
    """A contact sheet of channel visualisations: `dreamreel atlas -o OUTPUT`."""

    output: str
    layer: str | None = None
    channels: str = "0-15"
    per_layer: bool = False
    channel: int = 7
    model: str = DEFAULT_MODEL
    settings: VisualizeSettings = VisualizeSettings()

    command = "atlas"


@dataclass(frozen=True)
class RenderJob:
    """A feedback animation from a preset: `dreamreel render PRESET -o OUTPUT`."""

    preset: str
    output: str | None = None
    overrides: tuple[str, ...] = ()
    preview: str | None = None
    preview_every: int = 1
    resume: bool = True
    keep_frames: bool = False

    command = "render"


@dataclass(frozen=True)
class ClipJob:
    """Dream or paint over a clip: `dreamreel video INPUT -o OUTPUT`. The look is a clip preset plus overrides
    (KEY=VALUE as in `--set`, e.g. "mode=\\"style\\"", "objective.layers=\\"block5_conv1\\"")."""

    input: str
    output: str
    preset: str | None = None
    overrides: tuple[str, ...] = ()
    start: float | None = None
    end: float | None = None
    keep_audio: bool = True
    resume: bool = True

    command = "video"


@dataclass(frozen=True)
class LearnJob:
    """Train a network to replicate a look: `dreamreel learn -o OUTPUT.dnet`. The look: one of a clip preset (dream
    or style), paintings (`styles`) or a dream objective; the data: a clip's frames (every `every`-th between start
    and end) or photos (files and folders; none: the photos shipped with the presets). unconditional: the DCGAN
    demonstration on `photos` (a folder of dreamed images), with `gan` settings."""

    output: str
    preset: str | None = None
    styles: tuple[str, ...] = ()
    objective: str = ""
    clip: str | None = None
    photos: tuple[str, ...] = ()
    start: float | None = None
    end: float | None = None
    every: int = 1
    model: str = DEFAULT_MODEL
    settings: LearnSettings = LearnSettings()
    unconditional: bool = False
    gan: GanSettings = GanSettings()

    command = "learn"


Job = DreamJob | StyleJob | VisualizeJob | AtlasJob | RenderJob | ClipJob | LearnJob


# --- running -----------------------------------------------------------------------------------------------------------

@dataclass
class _Context:
    progress: ProgressCallback | None
    cancel: CancelToken | None
    load_model: Callable

    def report(self, event: Progress) -> None:
        if self.cancel is not None:
            self.cancel.check()
        if self.progress is not None:
            self.progress(event)

    def model(self, name: str):
        if self.cancel is not None:
            self.cancel.check()
        return self.load_model(name)


def default_loader(name: str):
    """The model `name` from the weights cache (fetched on first use), with JAX's compilation cache on."""
    from .home import enable_compilation_cache
    from .models import load_model

    enable_compilation_cache()
    return load_model(name)


def run(job: Job, *, progress: ProgressCallback | None = None, cancel: CancelToken | None = None,
        load_model: Callable | None = None) -> Path:
    """Run a job; returns the written output. Raises DreamreelError (Cancelled when cancelled)."""
    ctx = _Context(progress, cancel, load_model or default_loader)
    runner = _RUNNERS.get(type(job))
    if runner is None:
        raise DreamreelError(f"not a dreamreel job: {job!r}")
    return runner(job, ctx)


def _run_dream(job: DreamJob, ctx: _Context) -> Path:
    inputs = [job.input, *job.recipe.files(), *([job.net] if job.net else [])]
    output = check_output(job.output, *inputs, kinds=(IMAGE,))
    timelapse = check_output(job.timelapse, *inputs, output, kinds=(VIDEO,)) if job.timelapse else None
    if job.net:
        return _run_dream_net(job, ctx, output)
    for path in inputs[1:]:
        read_image(path, max_side=16)  # a broken guide fails now, not after the model loads
    image = read_image(job.input, max_side=job.max_side)
    check_layers(job.recipe, get_spec(job.model))
    model = ctx.model(job.model)
    objective = resolve(job.recipe, model, size=image.shape[:2]).at(0)
    with ExitStack() as stack:
        frames = stack.enter_context(open_writer(timelapse, 12)) if timelapse else None

        def on_progress(event: Progress) -> None:
            ctx.report(event)
            if frames is not None:
                frames.write(resize(np.asarray(event.image), *image.shape[:2]))

        result = dream(image, model=model, objective=objective, settings=job.settings, progress=on_progress)
    return write_image(output, result)


def _net_and_look(job: DreamJob):
    """(the network, the look its optimiser continues, or None without net_steps), checked against the job."""
    from .io.netfile import load_net

    if job.recipe != Recipe():
        raise DreamreelError("a network brings its own look: give no objective, guide or style flags with --net")
    if job.timelapse:
        raise DreamreelError("--timelapse shows the optimiser's steps; a network has none")
    net = load_net(job.net)
    if not job.net_steps:
        return net, None
    look = LookSource.from_dict(net.recipe, where=job.net)
    if job.model not in (DEFAULT_MODEL, look.model):
        raise DreamreelError(f"{job.net} learned a look of the model {look.model}, not {job.model}")
    return net, look


def _run_dream_net(job: DreamJob, ctx: _Context, output: Path) -> Path:
    """The network's look; with net_steps, the look's own optimiser continues from it (the hybrid mode)."""
    from .core.nets import apply_net

    net, look = _net_and_look(job)
    image = read_image(job.input, max_side=job.max_side)
    if look is not None:
        check_look(look, get_spec(look.model))
        for path in look.files():
            read_image(path, max_side=16)
    result = np.asarray(apply_net(net, image))
    if look is None:
        ctx.report(Progress("network", 1, 1))
        return write_image(output, result)
    model = ctx.model(look.model)
    if look.kind == "dream":
        objective = resolve(look.recipe, model, size=image.shape[:2]).at(0)
        settings = dataclasses.replace(job.settings, octaves=1, steps=job.net_steps)
        result = dream(result, model=model, objective=objective, settings=settings, progress=ctx.report)
    else:
        result = stylize(image, [read_image(p) for p in look.styles], model=model, init=result, size=None,
                         scales=1, iterations=job.net_steps, content_weight=look.content_weight,
                         style_weight=look.style_weight, tv_weight=look.tv_weight, loss=look.loss,
                         progress=ctx.report)
    return write_image(output, result)


def _run_style(job: StyleJob, ctx: _Context) -> Path:
    inputs = [p for p in (job.content, *job.styles) if p]
    output = check_output(job.output, *inputs, kinds=(IMAGE,))
    content = read_image(job.content) if job.content else None
    styles = [read_image(path) for path in job.styles]
    model = ctx.model(job.model)
    result = stylize(content, styles, model=model, settings=job.settings, progress=ctx.report)
    return write_image(output, result, quality=90)


def _visualize_objective(job: VisualizeJob, spec):
    if bool(job.objective) == bool(job.class_label):
        raise DreamreelError("give one of --objective SPEC or --class LABEL")
    if job.class_label and spec.class_layer is None:
        raise DreamreelError(f"model {spec.name!r} has no classifier head; try --model inception_v1")
    objective = parse_objective(job.objective) if job.objective else class_logit(job.class_label)
    return objective.bind(spec)


def _run_visualize(job: VisualizeJob, ctx: _Context) -> Path:
    output = check_output(job.output, kinds=(IMAGE,))
    objective = _visualize_objective(job, get_spec(job.model))
    model = ctx.model(job.model)
    image = visualize(model, objective, settings=job.settings, progress=ctx.report)
    return write_image(output, image[0])


def parse_channels(text: str) -> list[int]:
    """"0-15" or "3,9,27" -> channel indices."""
    try:
        channels = []
        for part in text.split(","):
            if "-" in part:
                lo, hi = part.split("-")
                channels += range(int(lo), int(hi) + 1)
            elif part.strip():
                channels.append(int(part))
    except ValueError:
        raise DreamreelError(f"channels takes a range or list like 0-15 or 3,9,27; got {text!r}") from None
    if not channels:
        raise DreamreelError(f"no channels in {text!r}")
    return channels


def atlas_cells(job: AtlasJob) -> list[tuple[str, int]]:
    """(layer, channel) of each cell of the sheet."""
    spec = get_spec(job.model)
    if job.per_layer:
        convs = [layer.name for layer in spec.layers if layer.kind == "pre_relu"]
        return [(name, job.channel % spec.layer(name).channels) for name in convs]
    if not job.layer:
        raise DreamreelError("give --layer NAME (with --channels) or --per-layer")
    width = spec.layer(job.layer).channels
    cells = [(job.layer, c) for c in parse_channels(job.channels)]
    bad = [c for _, c in cells if not 0 <= c < width]
    if bad:
        raise DreamreelError(f"{job.layer} has channels 0..{width - 1}; got {bad[0]}")
    return cells


def _run_atlas(job: AtlasJob, ctx: _Context) -> Path:
    output = check_output(job.output, kinds=(IMAGE,))
    cells = atlas_cells(job)
    model = ctx.model(job.model)
    sheet = atlas(model, cells, settings=job.settings, progress=ctx.report)
    return write_image(output, sheet)


def _preview_writer(job: RenderJob, ctx: _Context) -> ProgressCallback:
    def on_progress(event: Progress) -> None:
        ctx.report(event)
        if job.preview and event.image is not None and event.done % job.preview_every == 0:
            write_image(job.preview, event.image)

    return on_progress


def _run_render(job: RenderJob, ctx: _Context) -> Path:
    preset = load_preset(job.preset, job.overrides)
    r = preset.render
    output = check_output(job.output or f"{preset.name}.mp4", *preset.files(), kinds=(VIDEO,))
    if job.preview:
        check_output(job.preview, *preset.files(), output, kinds=(IMAGE,))
    if job.preview_every < 1:
        raise DreamreelError(f"preview_every must be 1 or more, got {job.preview_every}")
    check_preset_layers(preset, get_spec(r.model))
    source = read_image(r.source) if r.source != "noise" else None
    net = _load_net(r.net)
    model = ctx.model(r.model) if net is None else None  # a network replaces the model's dream steps
    animation = Animation.build(preset, model, source, net)
    from . import __version__

    settings = preset.as_dict()
    key = fingerprint({"preset": settings, "model": r.model}, preset.files(), [animation.source])
    objective = animation.schedule.describe() if net is None else f"network {r.net}"
    sidecar = {"dreamreel": __version__, "preset": preset.name, "preset_file": str(preset.path or ""),
               "overrides": list(preset.overrides), "model": r.model,
               "objective": objective, "settings": settings, "size": [r.width, r.height]}
    comment = f"dreamreel {__version__} preset {preset.name}"
    return stream(animation, output, key=key, fps=r.fps, quality=r.quality, comment=comment, sidecar=sidecar,
                  resume=job.resume, keep_checkpoint=job.keep_frames, progress=_preview_writer(job, ctx))


def _load_net(path: str):
    """The network of a preset's `net` key, or None."""
    from .io.netfile import load_net

    return load_net(path) if path else None


def _run_clip(job: ClipJob, ctx: _Context) -> Path:
    look = load_clip_preset(job.preset, job.overrides)
    s = look.clip
    check_output(job.output, job.input, *look.files(), kinds=(VIDEO,))
    frames, info = read_video(job.input, start=job.start, end=job.end, max_side=s.max_side)  # fails now if broken
    frames.close()

    def raw_frames(first: int):
        frames, _ = read_video(job.input, start=job.start, end=job.end, max_side=s.max_side)
        for index, frame in enumerate(frames):
            if index >= first:
                yield frame

    net = _load_net(s.net)
    if net is not None:  # the network paints every frame; the model is not needed
        source = NetClipSource(raw_frames, info.n_frames, net, s.net_blend, s.flow_method, s.cut_threshold)
        return stream_clip(job, look, info, source, progress=ctx.report)
    styles = [read_image(path) for path in s.style]
    spec = get_spec(s.model)
    check_preset_layers(look, spec)
    model = ctx.model(s.model)
    objective = resolve(look.recipe, model, size=(info.height, info.width)).at(0) if s.mode == "dream" else None
    source = ClipSource(raw_frames, info.n_frames, model, s, objective, styles)
    return stream_clip(job, look, info, source, progress=ctx.report)


def stream_clip(job: ClipJob, look, info, source, *, progress: ProgressCallback | None = None,
                extra: dict | None = None) -> Path:
    """A clip's frames (a FrameSource) through the one stream, with the clip's checkpoint key, sidecar and audio;
    `extra` (e.g. the cluster's segment plan) joins both the key and the sidecar."""
    stat = os.stat(job.input)
    settings = {"look": look.as_dict(), "start": job.start, "end": job.end, "model": look.clip.model, **(extra or {})}
    key = fingerprint({**settings, "input": [str(Path(job.input).resolve()), stat.st_size, stat.st_mtime_ns]},
                      look.files())
    audio = {}
    if job.keep_audio and info.has_audio and str(job.output).lower().endswith(".mp4"):
        audio = dict(audio=job.input, audio_start=info.start, audio_end=info.start + info.duration)
    return stream(source, job.output, key=key, fps=info.fps, quality=look.clip.quality,
                  sidecar={"input": str(job.input), **settings}, resume=job.resume, progress=progress, **audio)


def _learn_reporter(ctx: _Context) -> Callable[[LearnProgress], None]:
    """LearnProgress as the one Progress event (the loss terms for the bar); cancelling is checked by learn() itself,
    which saves a checkpoint first."""

    def report(p: LearnProgress) -> None:
        if ctx.progress is not None:
            detail = f"{p.seconds_per_step:.2f} s/step" + (f", preview {p.preview.name}" if p.preview else "")
            ctx.progress(Progress("learn", p.step, p.steps, detail=detail, losses=tuple(p.losses.items()),
                                  resumed=p.resumed_from))

    return report


def _cancelled(ctx: _Context) -> Callable[[], bool] | None:
    return (lambda: ctx.cancel.cancelled) if ctx.cancel is not None else None


def _run_learn(job: LearnJob, ctx: _Context) -> Path:
    if job.unconditional:
        return _run_gan(job, ctx)
    s = job.settings
    look = look_source(job.model, preset=job.preset, styles=job.styles, objective=job.objective)
    if job.clip and job.photos:
        raise DreamreelError("train on --clip or on --photos, not both")
    if s.extra.keyframed and not s.keyframes:
        raise DreamreelError("--keyframe-weight, --keyframe-feature-weight and --adversarial-weight need keyframes: "
                             "give --keyframes N")
    photos = [] if job.clip else [*job.photos] or default_photos()
    inputs = [*photos, job.clip, *look.files()]
    output = check_output(job.output, *inputs, kinds=(NET,))
    check_output(preview_path(output), *inputs, output, kinds=(IMAGE,))
    check_look(look, get_spec(job.model))
    for path in look.files():
        read_image(path, max_side=16)  # a broken painting fails now, not after the frames are read
    images = (clip_frames(job.clip, s.side, job.every, job.start, job.end) if job.clip
              else training_images(photos, s.side))
    train, held = hold_out(images, s.held_out)
    model = ctx.model(job.model)
    learned = build_look(model, look, side=s.side, closeness_weight=s.closeness_weight,
                         objective_weight=s.objective_weight)
    keyframes = optimiser_keyframes(model, look, train, s.keyframes,
                                    lambda done, total: ctx.report(Progress("keyframes", done, total, unit="frame")))
    result = learn(train, model=model, look=learned, recipe=look.to_dict(), output=output, settings=s,
                   held_out=held, clip=job.clip is not None, keyframes=keyframes, progress=_learn_reporter(ctx),
                   cancel=_cancelled(ctx))
    if result is None:
        raise Cancelled(f"cancelled; the checkpoint {output.name}.training is kept: run the same command to resume")
    return result


def _run_gan(job: LearnJob, ctx: _Context) -> Path:
    if job.preset or job.styles or job.objective or job.clip:
        raise DreamreelError("--unconditional learns from dreamed images alone (--photos FOLDER): no look or clip")
    if not job.photos:
        raise DreamreelError("--unconditional needs --photos: a folder of dreamed images")
    output = check_output(job.output, *job.photos, kinds=(NET,))
    check_output(samples_path(output), *job.photos, output, kinds=(IMAGE,))
    images = training_images(job.photos, 4 * job.gan.size)  # crops of half to all of it are scaled to `size`
    result = learn_unconditional(images, output=output, settings=job.gan, progress=_learn_reporter(ctx),
                                 cancel=_cancelled(ctx))
    if result is None:
        raise Cancelled(f"cancelled; the checkpoint {output.name}.training is kept: run the same command to resume")
    return result


_RUNNERS = {DreamJob: _run_dream, StyleJob: _run_style, VisualizeJob: _run_visualize, AtlasJob: _run_atlas,
            RenderJob: _run_render, ClipJob: _run_clip, LearnJob: _run_learn}


# --- the equivalent command line ---------------------------------------------------------------------------------

def _flag(f: dataclasses.Field) -> str:
    return "--" + (f.metadata.get("flag") or f.name).replace("_", "-")


def _value(value) -> list[str]:
    from .motion.keyframes import Track

    if isinstance(value, Track):
        if not value.is_constant:
            raise ValueError("keyframes have no flag")
        value = value.keys[0].value
    if isinstance(value, tuple):
        return [str(v) for v in value]
    return [f"{value:g}" if isinstance(value, float) else str(value)]


def _settings_flags(settings) -> list[str]:
    """Flags for the fields of a settings dataclass that differ from their defaults."""
    args: list[str] = []
    for f in fields(settings):
        value, default = getattr(settings, f.name), default_of(f)
        if value == default:
            continue
        if isinstance(value, bool):
            args.append(_flag(f) if value else "--no-" + _flag(f)[2:])
            continue
        args += [_flag(f), *_value(value)]
    return args


def command_line(job: Job) -> str:
    """The `dreamreel` command that runs the same job."""
    args = ["dreamreel", job.command]
    if isinstance(job, DreamJob):
        args += [job.input, "-o", job.output]
        args += _settings_flags(job.recipe) + _settings_flags(job.settings)
        args += ["--max-side", str(job.max_side)] if job.max_side else []
        args += ["--timelapse", job.timelapse] if job.timelapse else []
        args += ["--net", job.net] if job.net else []
        args += ["--iterations", str(job.net_steps)] if job.net_steps else []
    elif isinstance(job, StyleJob):
        args += [p for p in (job.content, *job.styles) if p] + ["-o", job.output]
        args += _settings_flags(job.settings)
    elif isinstance(job, VisualizeJob):
        args += ["-o", job.output]
        args += ["--objective", job.objective] if job.objective else ["--class", job.class_label]
        args += _settings_flags(job.settings)
    elif isinstance(job, AtlasJob):
        args += ["-o", job.output]
        args += ["--per-layer", "--channel", str(job.channel)] if job.per_layer else \
            ["--layer", str(job.layer), "--channels", job.channels]
        args += _settings_flags(job.settings)
    elif isinstance(job, RenderJob):
        args += [job.preset] + (["-o", job.output] if job.output else [])
        for item in job.overrides:
            args += ["--set", item]
    elif isinstance(job, ClipJob):
        args += [job.input, "-o", job.output] + (["--preset", job.preset] if job.preset else [])
        for item in job.overrides:
            args += ["--set", item]
        args += ["--start", f"{job.start:g}"] if job.start is not None else []
        args += ["--end", f"{job.end:g}"] if job.end is not None else []
        args += [] if job.keep_audio else ["--no-audio"]
    elif isinstance(job, LearnJob):
        args += ["-o", job.output] + _learn_flags(job)
    if isinstance(job, (DreamJob, StyleJob, VisualizeJob, AtlasJob, LearnJob)) and job.model != DEFAULT_MODEL:
        args += ["--model", job.model]
    return shlex.join(args)


def _learn_flags(job: LearnJob) -> list[str]:
    args = ["--preset", job.preset] if job.preset else []
    args += ["--style", *job.styles] if job.styles else []
    args += ["--objective", job.objective] if job.objective else []
    args += ["--clip", job.clip] if job.clip else []
    args += ["--photos", *job.photos] if job.photos else []
    args += ["--start", f"{job.start:g}"] if job.start is not None else []
    args += ["--end", f"{job.end:g}"] if job.end is not None else []
    args += ["--every", str(job.every)] if job.every != 1 else []
    if job.unconditional:
        return args + ["--unconditional"] + _settings_flags(job.gan)
    return args + _settings_flags(job.settings)
