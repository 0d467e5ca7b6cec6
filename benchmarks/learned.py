"""Learned looks (issue 16): trained networks against the optimiser they replicate, side by side on this machine.

    python benchmarks/learned.py speed --net STYLE.dnet --dream-net DREAM.dnet    # s/frame at 640x360
    python benchmarks/learned.py fidelity --net STYLE.dnet --clip bikes.mp4 [--sheet comparison.jpg] [--look starry]
    python benchmarks/learned.py dream --dream-net DREAM.dnet --clip bikes.mp4 [--sheet dream_comparison.jpg]
    python benchmarks/learned.py temporal --net STYLE.dnet --dream-net DREAM.dnet --clip bikes.mp4
    python benchmarks/learned.py hybrid --net STYLE.dnet --clip bikes.mp4

--clip is the clip the networks were trained on (`dreamreel learn --clip`; default the cached bikes.mp4): the
held-out frames are recomputed exactly as the learn job chose them (the network's side, held_out and --every).

speed: the network alone and with the flow blend of `dreamreel video --net`, against the optimiser modes they
    replicate at their presets' settings: style clip mode (preset starry: 60 Adam iterations a frame; the time of
    an iteration at 640x360 times 60) and dream clip mode (preset dream_dots: flow, 4 steps, held strength; the
    median frame of a panning clip through pipelines.clip.dream_clip).
fidelity (style): on each held-out frame at the training side, the Gatys style and content losses (the optimiser's
    own: content block4_conv2, Gram block1..5_conv1, equal weights; style and content weight 1 so each is shown as
    is) of the raw frame, the optimiser's painting (`dreamreel style` defaults: 3 scales x 100 Adam iterations) and
    the network's; the feature distance and SSIM of each to the optimiser's.
dream: on each held-out frame, the dream objective's value and its gain over the raw frame, and the strength
    (mean |out - raw|, grey levels), for the raw frame, the optimiser (dream clip mode's first frame of a shot: dream
    steps until the preset's strength, then two ordinary updates) and the network.
temporal: flicker (pipelines.clip.flicker: mean squared change along tracks reliable over 1, 2, 5, 10 frames, x1000)
    of the networks over the clip's first --frames frames at --max-side, alone and with flow blends, and the
    strength of each (a weak look flickers less by itself).
hybrid: the Gatys total loss of Adam started from the network's output against Adam started from the frame.
Each part prints a markdown table with the load average (the CPU is shared). --cache DIR keeps the optimiser's
outputs of fidelity and dream (keyed by the frame's bytes and the look), so a second network is measured against
the very same optimiser images without repainting them (minutes a frame for a style).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SIZE = (360, 640)
GREY = 255.0


def _load() -> str:
    return f"load {' / '.join(f'{v:.1f}' for v in os.getloadavg())}"


def _median_seconds(fn, runs: int) -> float:
    fn()  # compile / warm up
    times = []
    for _ in range(runs):
        clock = time.perf_counter()
        fn()
        times.append(time.perf_counter() - clock)
    return statistics.median(times)


def _cached(cache: Path | None, what: str, frame: np.ndarray, compute) -> tuple[np.ndarray, float]:
    """(the optimiser's output for `frame`, seconds it took: 0 when read back from the cache)."""
    path = None
    if cache is not None:
        digest = hashlib.sha256(np.ascontiguousarray(frame, np.float32).tobytes() + what.encode()).hexdigest()[:20]
        path = cache / f"{digest}.npy"
        if path.is_file():
            return np.load(path), 0.0
    clock = time.perf_counter()
    image = np.asarray(compute(), np.float32)
    seconds = time.perf_counter() - clock
    if path is not None:
        cache.mkdir(parents=True, exist_ok=True)
        np.save(path, image)
    return image, seconds


def _preset(name: str):
    from dreamreel.settings import load_clip_preset

    return load_clip_preset(name)


def _frames_640x360():
    from dreamreel.io import read_image, resize
    from dreamreel.pipelines.learn import default_photos

    sky = resize(read_image(default_photos()[0]), *SIZE)
    return [np.roll(sky, 4 * k, axis=1) for k in range(8)]  # a pan: the flow has something to find


def speed(nets: dict, model, runs: int) -> None:
    import jax
    import jax.numpy as jnp

    from dreamreel.core import objectives as S
    from dreamreel.core import steps
    from dreamreel.core.nets import apply_net
    from dreamreel.io import read_image, resize_to_fit
    from dreamreel.pipelines.clip import dream_clip
    from dreamreel.pipelines.learn import net_frame
    from dreamreel.recipe import resolve

    print(f"## speed at {SIZE[1]}x{SIZE[0]} ({_load()})")
    pan = _frames_640x360()
    frame = jnp.asarray(pan[0])
    print("| contender | s/frame | the network is faster by | target |")
    print("|---|---|---|---|")
    rows = {}
    for kind, net in nets.items():
        alone = _median_seconds(lambda: apply_net(net, frame).block_until_ready(), runs)
        blended = _median_seconds(lambda: net_frame(net, pan[1], (pan[0], pan[0]), blend=0.5), runs)
        rows[kind] = (alone, blended)
        print(f"| {kind} network {net.config.widths}, {net.config.residual_blocks} blocks: alone | {alone:.3f} | | |")
        print(f"| {kind} network with the flow blend (`video --net`) | {blended:.3f} | | |")

    if "style" in nets:
        starry = _preset("starry")
        s = starry.clip
        painting = resize_to_fit(read_image(s.style[0]), max(SIZE))
        objective = S.gatys_objective(S.content_loss(model, pan[0]), S.style_loss(model, [painting]),
                                      content_weight=s.content_weight, style_weight=s.style_weight, tv_weight=0.0)
        chunk = 3

        def style_chunk():
            image, _ = steps.run(steps.Adam(clip=True), steps.Whole(), model, objective, frame,
                                 jax.random.PRNGKey(0), chunk, rate=s.learning_rate)
            image.block_until_ready()

        per_iteration = _median_seconds(style_chunk, max(1, runs // 2)) / chunk
        optimiser = s.iterations * per_iteration
        alone, blended = rows["style"]
        print(f"| style optimiser, preset starry: {s.iterations} Adam iterations x {per_iteration:.2f} s | "
              f"{optimiser:.1f} | **{optimiser / alone:.0f}x** alone, **{optimiser / blended:.0f}x** blended | "
              f">= 50x |")
    if "dream" in nets:
        dots = _preset("dream_dots")
        objective = resolve(dots.recipe, model, size=SIZE).at(0)
        times, clock = [], time.perf_counter()
        for index, _ in enumerate(dream_clip(pan, model=model, objective=objective, settings=dots.clip)):
            now = time.perf_counter()
            if index >= 2:  # frame 0 is a shot's first (dreamed to strength), frame 1 compiles the update
                times.append(now - clock)
            clock = now
        optimiser = statistics.median(times)
        alone, blended = rows["dream"]
        print(f"| dream optimiser, preset dream_dots: flow + {dots.clip.steps} steps + held strength (median of "
              f"{len(times)} frames) | {optimiser:.2f} | **{optimiser / alone:.1f}x** alone, "
              f"**{optimiser / blended:.1f}x** blended | >= 10x |")
    print(f"({_load()})")


def held_out_frames(net, clip: Path, every: int) -> list[np.ndarray]:
    """The frames the learn job held out of training (same side, count and selection)."""
    from dreamreel.pipelines.learn import clip_frames, hold_out

    s = net.info["settings"]
    return hold_out(clip_frames(clip, s["side"], every), s["held_out"])[1]


def comparison_sheet(rows, zoom: int = 96, gap: int = 6) -> np.ndarray:
    """One row per held-out frame: raw | optimiser | network, then the same zoom x zoom detail of each enlarged 2x
    (is the brush texture there, or a blur?)."""
    import cv2

    h, w = rows[0][0].shape[:2]
    detail = 2 * zoom
    sheet = np.ones((len(rows) * (h + gap) + gap, 3 * (w + gap) + 3 * (detail + gap) + gap, 3), np.float32)
    for r, images in enumerate(rows):
        y = gap + r * (h + gap)
        top, left = (h - zoom) // 2, (w - zoom) // 2
        for c, image in enumerate(images):
            x = gap + c * (w + gap)
            sheet[y:y + h, x:x + w] = image
            crop = cv2.resize(image[top:top + zoom, left:left + zoom], (detail, detail),
                              interpolation=cv2.INTER_NEAREST)
            x = gap + 3 * (w + gap) + c * (detail + gap)
            sheet[y:y + detail, x:x + detail] = crop[:h]
    return sheet


def fidelity(net, model, clip: Path, every: int, sheet: Path | None, preset: str | None = None,
             cache: Path | None = None) -> None:
    from skimage.metrics import structural_similarity

    from dreamreel.core import objectives as S
    from dreamreel.core.nets import apply_net
    from dreamreel.core.stylize import stylize
    from dreamreel.io import read_image, resize_to_fit, write_image
    from dreamreel.pipelines.learn import LookSource

    from dreamreel.pipelines.learn import look_source

    look = look_source(net.recipe["model"], preset=preset) if preset else LookSource.from_dict(net.recipe)
    painting = read_image(look.styles[0])
    frames = held_out_frames(net, clip, every)
    print(f"## style fidelity (the optimiser paints the look {look.name}, style weight {look.style_weight:g}) on {len(frames)} held-out frames of {clip.name} at "
          f"{frames[0].shape[1]}x{frames[0].shape[0]} ({_load()})")
    print("| frame | image | Gatys style loss | content loss | feature distance to the optimiser | SSIM to the "
          "optimiser | s |")
    print("|---|---|---|---|---|---|---|")
    totals, rows = {}, []
    for k, raw in enumerate(frames):
        optimised, optimiser_s = _cached(
            cache, f"style {look.name} {look.content_weight:g} {look.style_weight:g}", raw,
            lambda: stylize(raw, [painting], model=model, size=None, content_weight=look.content_weight,
                            style_weight=look.style_weight))
        clock = time.perf_counter()
        learned = np.asarray(apply_net(net, raw))
        net_s = time.perf_counter() - clock
        scaled = resize_to_fit(painting, max(raw.shape[:2]))
        measure = S.gatys_objective(S.content_loss(model, raw), S.style_loss(model, [scaled]), content_weight=1.0,
                                    style_weight=1.0, tv_weight=0.0)
        to_optimised = S.gatys_objective(S.content_loss(model, optimised), None, content_weight=1.0,
                                         style_weight=0.0, tv_weight=0.0)
        for name, image, seconds in (("raw", raw, 0.0), ("optimiser", optimised, optimiser_s),
                                     ("network", learned, net_s)):
            terms = S.loss_terms(model, measure, image)
            distance = S.loss_terms(model, to_optimised, image)["content"]
            ssim = structural_similarity(image, optimised, channel_axis=-1, data_range=1.0)
            totals.setdefault(name, []).append((terms["style"], terms["content"], distance, ssim))
            print(f"| {k} | {name} | {terms['style']:.4f} | {terms['content']:.4f} | {distance:.4f} | {ssim:.3f} "
                  f"| {seconds:.2f} |")
        rows.append((raw, optimised, learned))
    mean = {name: np.mean(values, axis=0) for name, values in totals.items()}
    geo = float(np.sqrt(mean["raw"][0] * mean["optimiser"][0]))
    print(f"| mean | raw | {mean['raw'][0]:.4f} | {mean['raw'][1]:.4f} | {mean['raw'][2]:.4f} | "
          f"{mean['raw'][3]:.3f} | |")
    print(f"| mean | optimiser | {mean['optimiser'][0]:.4f} | {mean['optimiser'][1]:.4f} | 0 | 1 | |")
    print(f"| mean | network | {mean['network'][0]:.4f} | {mean['network'][1]:.4f} | {mean['network'][2]:.4f} | "
          f"{mean['network'][3]:.3f} | |")
    style_ok, content_ok = mean["network"][0] < geo, mean["network"][1] <= 2 * mean["optimiser"][1]
    print(f"style: network {mean['network'][0]:.4f} vs the geometric mean of raw and optimiser {geo:.4f} "
          f"({'below: met' if style_ok else 'NOT below'}); content: network {mean['network'][1]:.4f} vs 2 x the "
          f"optimiser's {2 * mean['optimiser'][1]:.4f} ({'within: met' if content_ok else 'NOT within'})")
    if sheet:
        write_image(sheet, comparison_sheet(rows), quality=92)
        print(f"wrote {sheet}")


def dream_fidelity(net, model, clip: Path, every: int, sheet: Path | None, cache: Path | None = None) -> None:
    import jax.numpy as jnp

    from dreamreel.core.dream import objective_value
    from dreamreel.core.nets import apply_net
    from dreamreel.io import write_image
    from dreamreel.pipelines.clip import dream_clip, strength
    from dreamreel.pipelines.learn import LookSource
    from dreamreel.recipe import resolve

    look = LookSource.from_dict(net.recipe)
    preset = _preset(look.name) if look.name in ("dream_dots", "dream_worms") else _preset("dream_dots")
    frames = held_out_frames(net, clip, every)
    objective = resolve(look.recipe, model, size=frames[0].shape[:2]).at(0).bind(model.spec)

    def value(image):
        return float(objective_value(model, objective, jnp.asarray(image)[None]))

    print(f"## dream fidelity on {len(frames)} held-out frames of {clip.name} at "
          f"{frames[0].shape[1]}x{frames[0].shape[0]}: objective {objective.describe()} ({_load()})")
    print("| frame | image | objective | gain over the raw frame | strength (grey levels) | s |")
    print("|---|---|---|---|---|---|")
    gains, values, rows = {}, {}, []
    for k, raw in enumerate(frames):
        optimised, optimiser_s = _cached(
            cache, f"dream {preset.name} {objective.describe()}", raw,
            lambda: next(dream_clip([raw], model=model, objective=objective, settings=preset.clip))[0])
        clock = time.perf_counter()
        learned = np.asarray(apply_net(net, raw))
        net_s = time.perf_counter() - clock
        base = value(raw)
        for name, image, seconds in (("raw", raw, 0.0), ("optimiser", optimised, optimiser_s),
                                     ("network", learned, net_s)):
            v = value(image)
            gains.setdefault(name, []).append(v / base - 1.0)
            values.setdefault(name, []).append(v)
            print(f"| {k} | {name} | {v:.4f} | {100 * (v / base - 1):+.0f} % | {GREY * strength(image, raw):.1f} "
                  f"| {seconds:.2f} |")
        rows.append((raw, optimised, learned))
    mean = {name: float(np.mean(g)) for name, g in gains.items()}
    value_mean = {name: float(np.mean(v)) for name, v in values.items()}
    geo = float(np.sqrt(value_mean["raw"] * value_mean["optimiser"]))
    print(f"mean gain: optimiser {100 * mean['optimiser']:+.0f} %, network {100 * mean['network']:+.0f} %; mean "
          f"objective: raw {value_mean['raw']:.2f}, optimiser {value_mean['optimiser']:.2f}, network "
          f"{value_mean['network']:.2f} against the geometric mean of raw and optimiser {geo:.2f} "
          f"({'above: met' if value_mean['network'] > geo else 'NOT above'})")
    if sheet:
        write_image(sheet, comparison_sheet(rows), quality=92)
        print(f"wrote {sheet}")


def temporal(nets: dict, clip: Path, frames_count: int, max_side: int, blends, reference: Path | None = None,
             model=None, optimiser: str | None = None) -> None:
    from dreamreel.io import read_video
    from dreamreel.pipelines.clip import dream_clip, flicker, strength
    from dreamreel.pipelines.learn import net_clip
    from dreamreel.recipe import resolve

    frames = list(read_video(clip, max_side=max_side)[0])[:frames_count]
    h, w = frames[0].shape[:2]
    print(f"## flicker on {clip.name}, first {len(frames)} frames at {w}x{h} ({_load()})")
    print("| contender | strength (grey levels) | flicker x1000 at 1 / 2 / 5 / 10 frames | at 10 / strength^2 |")
    print("|---|---|---|---|")
    own = flicker(frames, frames)
    print(f"| footage's own | 0 | {' / '.join(f'{1000 * own[j]:.2f}' for j in (1, 2, 5, 10))} | |")
    if reference is not None:  # the same clip painted by the optimiser, e.g. examples/clip_starry.mp4
        painted = list(read_video(reference, max_side=max_side)[0])[:len(frames)]
        errors = flicker(painted, frames)
        level = GREY * float(np.mean([strength(o, f) for o, f in zip(painted, frames)]))
        print(f"| optimiser: {reference.name} | {level:.1f} | "
              f"{' / '.join(f'{1000 * errors[j]:.2f}' for j in (1, 2, 5, 10))} | {1000 * errors[10] / level ** 2:.4f} |")
    if optimiser is not None:  # the dream optimiser's clip mode over the very same frames
        preset = _preset(optimiser)
        objective = resolve(preset.recipe, model, size=frames[0].shape[:2]).at(0)
        clock = time.perf_counter()
        painted = [out for out, _ in dream_clip(frames, model=model, objective=objective, settings=preset.clip)]
        seconds = (time.perf_counter() - clock) / len(frames)
        errors = flicker(painted, frames)
        level = GREY * float(np.mean([strength(o, f) for o, f in zip(painted, frames)]))
        print(f"| optimiser clip mode, preset {optimiser} ({seconds:.2f} s/frame) | {level:.1f} | "
              f"{' / '.join(f'{1000 * errors[j]:.2f}' for j in (1, 2, 5, 10))} | {1000 * errors[10] / level ** 2:.4f} |")
    for kind, net in nets.items():
        for blend in blends:
            clock = time.perf_counter()
            outputs = list(net_clip(frames, net, blend=blend))
            seconds = (time.perf_counter() - clock) / len(frames)
            errors = flicker(outputs, frames)
            level = GREY * float(np.mean([strength(o, f) for o, f in zip(outputs, frames)]))
            label = f"{kind} network, " + (f"flow blend {blend:g}" if blend else "each frame alone")
            print(f"| {label} ({seconds:.2f} s/frame) | {level:.1f} | "
                  f"{' / '.join(f'{1000 * errors[j]:.2f}' for j in (1, 2, 5, 10))} | "
                  f"{1000 * errors[10] / level ** 2:.4f} |")


def hybrid(net, model, clip: Path, every: int, iterations: int) -> None:
    from dreamreel.core.nets import apply_net
    from dreamreel.core.stylize import stylize
    from dreamreel.io import read_image
    from dreamreel.pipelines.learn import LookSource

    look = LookSource.from_dict(net.recipe)
    raw = held_out_frames(net, clip, every)[0]
    painting = read_image(look.styles[0])
    curves = {}
    for name, init in (("from the frame", "content"), ("from the network's output", np.asarray(apply_net(net, raw)))):
        losses = {}

        def record(p, losses=losses):
            if p.done % 10 == 0 and p.losses:  # the loss terms are computed every 10 iterations (LOSS_EVERY)
                losses[p.done] = dict(p.losses)

        stylize(raw, [painting], model=model, size=None, scales=1, iterations=iterations, init=init,
                content_weight=look.content_weight, style_weight=look.style_weight, progress=record)
        curves[name] = losses
    print(f"## hybrid: one scale of Adam at {raw.shape[1]}x{raw.shape[0]} on a held-out frame, Gatys total loss "
          f"(content + {look.style_weight:g} x style) ({_load()})")
    marks = sorted(curves["from the frame"])
    print("| start | " + " | ".join(f"{s} it." for s in marks) + " |")
    print("|---|" + "---|" * len(marks))
    for name, losses in curves.items():
        print(f"| {name} | " + " | ".join(f"{losses[s]['total']:.3f}" for s in marks) + " |")
    reference = curves["from the frame"][marks[-1]]["total"]
    matched = next((s for s in marks if curves["from the network's output"][s]["total"] <= reference), None)
    print(f"from the network's output, {matched} iterations reach the loss of {marks[-1]} from the frame"
          if matched is not None else f"the network start does not reach the frame start's {marks[-1]}-iteration "
                                      f"loss within {marks[-1]}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("parts", nargs="+", choices=["speed", "fidelity", "dream", "temporal", "hybrid"])
    parser.add_argument("--net", help="a style network (.dnet)")
    parser.add_argument("--dream-net", help="a dream network (.dnet)")
    parser.add_argument("--clip", help="the clip the networks learned from (default: the cached bikes.mp4)")
    parser.add_argument("--every", type=int, default=1, help="the learn job's --every")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--sheet", help="fidelity: write the comparison sheet here")
    parser.add_argument("--look", help="fidelity: the clip preset the optimiser paints (default: the network's own)")
    parser.add_argument("--dream-sheet", help="dream: write the comparison sheet here")
    parser.add_argument("--frames", type=int, default=110, help="temporal: frames of the clip")
    parser.add_argument("--max-side", type=int, default=320, help="temporal: working size")
    parser.add_argument("--reference", help="temporal: the same clip painted by the optimiser")
    parser.add_argument("--blends", type=float, nargs="+", default=[0.0, 0.5, 0.8])
    parser.add_argument("--iterations", type=int, default=60, help="hybrid: Adam iterations")
    parser.add_argument("--optimiser", help="temporal: also run this dream clip preset's optimiser on the frames")
    parser.add_argument("--cache", help="fidelity, dream: keep the optimiser's outputs in this folder")
    args = parser.parse_args(argv)

    from dreamreel.home import enable_compilation_cache
    from dreamreel.io.footage import footage
    from dreamreel.io.netfile import load_net
    from dreamreel.models import load_model

    enable_compilation_cache()
    nets = {kind: load_net(path) for kind, path in (("style", args.net), ("dream", args.dream_net)) if path}
    for kind, net in nets.items():
        print(f"{kind} network: look {net.recipe.get('name')}, {net.info.get('steps')} steps, "
              f"{net.info.get('images')} training images, widths {net.config.widths}")
    clip = Path(args.clip) if args.clip else footage("bikes")
    model = load_model("vgg16")
    if "speed" in args.parts:
        speed(nets, model, args.runs)
    cache = Path(args.cache) if args.cache else None
    if "fidelity" in args.parts:
        fidelity(nets["style"], model, clip, args.every, Path(args.sheet) if args.sheet else None, args.look, cache)
    if "dream" in args.parts:
        dream_fidelity(nets["dream"], model, clip, args.every, Path(args.dream_sheet) if args.dream_sheet else None,
                       cache)
    if "temporal" in args.parts:
        temporal(nets, clip, args.frames, args.max_side, args.blends, Path(args.reference) if args.reference else None,
                 model, args.optimiser)
    if "hybrid" in args.parts:
        hybrid(nets["style"], model, clip, args.every, args.iterations)
    return 0


if __name__ == "__main__":
    sys.exit(main())
