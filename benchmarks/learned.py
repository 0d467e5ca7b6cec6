"""Learned looks (issue 16): a trained network against the optimiser it replicates, side by side on this machine.

    python benchmarks/learned.py speed        # s/frame at 640x360: network, style optimiser (60 it.), dream preset
    python benchmarks/learned.py fidelity     # held-out astronaut: Gatys losses, feature distance, SSIM; a sheet
    python benchmarks/learned.py temporal     # the demo clip: temporal error of the network vs the optimiser's clip
    python benchmarks/learned.py hybrid       # the optimiser started from the network's output vs from the photo
    python benchmarks/learned.py all --net examples/learned/starry.dnet

The optimiser's reference outputs are the committed examples made with the real weights: examples/
style_starry_night.jpg (the astronaut at 512 px, `dreamreel style` defaults, 3 scales x 100 iterations) and
examples/clip_starry.mp4 (examples/demo_clip.mp4 painted with preset `starry`, 30 iterations a frame). Each part
prints a markdown table with the load average, since the CPU may be shared.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data" if (ROOT.parent / "shared" / "data").is_dir() else Path("/work/shared/data")
PAINTING = SHARED / "style" / "starry_night.jpg"
SIZE = (360, 640)


def _load():
    return f"load {' / '.join(f'{v:.1f}' for v in os.getloadavg())}"


def _median_seconds(fn, runs: int) -> tuple[float, list[float]]:
    fn()  # compile / warm up
    times = []
    for _ in range(runs):
        clock = time.perf_counter()
        fn()
        times.append(time.perf_counter() - clock)
    return statistics.median(times), times


def _clip_preset(name: str):
    from dreamreel.settings import load_clip_preset

    return load_clip_preset(name)


def speed(net, model, runs: int) -> None:
    import jax
    import jax.numpy as jnp

    from dreamreel.core import objectives as S
    from dreamreel.core import steps
    from dreamreel.core.nets import apply_net
    from dreamreel.core.objectives import parse_objective
    from dreamreel.io import read_image, resize, resize_to_fit
    from dreamreel.pipelines.clip import dream_clip

    print(f"## speed at {SIZE[1]}x{SIZE[0]} ({_load()})")
    sky = resize(read_image(SHARED / "content" / "sky1024px.jpg"), *SIZE)
    frame = jnp.asarray(sky)
    net_s, _ = _median_seconds(lambda: apply_net(net, frame).block_until_ready(), runs)

    # style clip mode: each frame after the first is `iterations` Adam steps on the Gatys + temporal objective
    iterations = _clip_preset("starry").clip.iterations
    look = S.style_loss(model, [resize_to_fit(read_image(PAINTING), max(SIZE))])
    objective = S.gatys_objective(S.content_loss(model, sky), look, content_weight=1.0, style_weight=10.0,
                                  tv_weight=0.0)
    chunk = 3

    def style_chunk():
        image, _ = steps.run(steps.Adam(), steps.Whole(), model, objective, frame, jax.random.PRNGKey(0), chunk,
                             rate=0.02)
        image.block_until_ready()

    iteration_s = _median_seconds(style_chunk, max(1, runs // 2))[0] / chunk
    style_frame_s = iterations * iteration_s

    # dream clip mode (preset dream_dots): flow + `steps` dream steps per frame; the first frame's octaves skipped
    dots = _clip_preset("dream_dots")
    pan = [np.roll(sky, 4 * k, axis=1) for k in range(runs + 2)]
    settings = {"steps": dots.clip.steps}
    clock, dream_times = time.perf_counter(), []
    for index, _ in enumerate(dream_clip(pan, model=model, objective=parse_objective(dots.recipe.layers),
                                         settings=dots.clip)):
        now = time.perf_counter()
        if index >= 2:  # frame 0 has no work, frame 1 compiles
            dream_times.append(now - clock)
        clock = now
    dream_s = statistics.median(dream_times)
    print("| contender | s/frame | network is faster by | target |")
    print("|---|---|---|---|")
    print(f"| network ({net.config.widths}, {net.config.residual_blocks} blocks) | **{net_s:.3f}** | | |")
    print(f"| style optimiser, preset starry: {iterations} Adam iterations x {iteration_s:.2f} s | {style_frame_s:.1f} "
          f"| **{style_frame_s / net_s:.0f}x** | >= 50x |")
    print(f"| dream preset dream_dots: flow + {settings.get('steps')} steps (median of {len(dream_times)}) | "
          f"{dream_s:.2f} | **{dream_s / net_s:.1f}x** | >= 10x |")
    print(f"({_load()})")


def _astronaut(side: int = 512):
    from skimage import data

    from dreamreel.io import resize_to_fit, to_float_rgb

    return resize_to_fit(to_float_rgb(data.astronaut()), side)


def _style_objective(model, content):
    from dreamreel.core import objectives as S
    from dreamreel.io import read_image, resize_to_fit

    painting = resize_to_fit(read_image(PAINTING), max(content.shape[:2]))
    return S.gatys_objective(S.content_loss(model, content), S.style_loss(model, [painting]), content_weight=1.0,
                             style_weight=1.0, tv_weight=0.0)


def fidelity(net, model, sheet_path: Path | None) -> None:
    from skimage.metrics import structural_similarity

    from dreamreel.core import objectives as S
    from dreamreel.core.nets import apply_net
    from dreamreel.io import read_image, resize, write_image

    raw = _astronaut()
    optimised = read_image(ROOT / "examples" / "style_starry_night.jpg")
    optimised = resize(optimised, *raw.shape[:2]) if optimised.shape != raw.shape else optimised
    learned = np.asarray(apply_net(net, raw))
    objective = _style_objective(model, raw)
    to_optimised = S.gatys_objective(S.content_loss(model, optimised), None, content_weight=1.0, style_weight=0.0,
                                     tv_weight=0.0)
    rows = []
    for name, image in (("raw photo", raw), ("optimiser (3 x 100 it.)", optimised), ("network", learned)):
        terms = S.loss_terms(model, objective, image)
        distance = S.loss_terms(model, to_optimised, image)["content"]
        ssim = structural_similarity(image, optimised, channel_axis=-1, data_range=1.0)
        rows.append((name, terms["style"], terms["content"], distance, ssim))
    geo = np.sqrt(rows[0][1] * rows[1][1])
    print(f"## fidelity on the held-out astronaut, 512 px ({_load()})")
    print("| image | Gatys style loss | content loss | feature distance to the optimiser (block4_conv2) | "
          "SSIM to the optimiser |")
    print("|---|---|---|---|---|")
    for name, style, content, distance, ssim in rows:
        print(f"| {name} | {style:.4f} | {content:.4f} | {distance:.4f} | {ssim:.3f} |")
    print(f"style: network {rows[2][1]:.4f} vs geometric mean of raw and optimiser {geo:.4f} "
          f"({'below' if rows[2][1] < geo else 'NOT below'}); content: network {rows[2][2]:.4f} vs 2 x optimiser "
          f"{2 * rows[1][2]:.4f} ({'within' if rows[2][2] <= 2 * rows[1][2] else 'NOT within'})")
    if sheet_path:
        write_image(sheet_path, comparison_sheet(raw, optimised, learned))
        print(f"wrote {sheet_path}")


def comparison_sheet(raw, optimised, learned, zoom: int = 160, gap: int = 6):
    """Top: photo | optimiser | network; bottom: the same 160 px detail of each, enlarged 2x (brush texture)."""
    import cv2

    h, w = raw.shape[:2]
    top, left = h // 3, w // 3
    row1 = [raw, optimised, learned]
    row2 = [cv2.resize(im[top:top + zoom, left:left + zoom], (w, h), interpolation=cv2.INTER_NEAREST)
            for im in row1]
    sheet = np.ones((2 * h + 3 * gap, 3 * w + 4 * gap, 3), np.float32)
    for r, row in enumerate((row1, row2)):
        for c, image in enumerate(row):
            y, x = gap + r * (h + gap), gap + c * (w + gap)
            sheet[y:y + h, x:x + w] = image
    return sheet


def _temporal_rows(net, frames, blends):
    from dreamreel.pipelines.clip import temporal_error
    from dreamreel.pipelines.learn import net_clip

    print(f"| raw input (the clip's own change) | {temporal_error(frames, frames):.5f} | {len(frames)} |")
    for blend in blends:
        outputs = list(net_clip(frames, net, blend=blend))
        label = "network, each frame alone" if not blend else f"network, flow blend {blend:g}"
        print(f"| {label} | {temporal_error(outputs, frames):.5f} | {len(frames)} |")


def temporal(net, model, blends, footage: Path | None, frames_count: int, optimiser_frames: int) -> None:
    from dreamreel.io import read_image, read_video, resize_to_fit
    from dreamreel.pipelines.clip import style_clip, temporal_error

    frames = list(read_video(ROOT / "examples" / "demo_clip.mp4")[0])
    optimised = list(read_video(ROOT / "examples" / "clip_starry.mp4")[0])
    print(f"## temporal error on examples/demo_clip.mp4 ({len(frames)} frames, "
          f"{frames[0].shape[1]}x{frames[0].shape[0]}; {_load()})")
    print("| contender | temporal error | frames |")
    print("|---|---|---|")
    print(f"| optimiser clip mode, preset starry at 30 it./frame (examples/clip_starry.mp4) | "
          f"{temporal_error(optimised, frames):.5f} | {len(frames)} |")
    _temporal_rows(net, frames, blends)
    if footage is None or not footage.is_file():
        print("(no filmed footage found: skipped)")
        return
    clip = list(read_video(footage, max_side=320)[0])[:frames_count]
    print(f"## temporal error on filmed footage {footage.name} (first {len(clip)} frames, "
          f"{clip[0].shape[1]}x{clip[0].shape[0]}; {_load()})")
    print("| contender | temporal error | frames |")
    print("|---|---|---|")
    if optimiser_frames:
        preset = _clip_preset("starry")
        painting = resize_to_fit(read_image(PAINTING), 512)
        clock = time.perf_counter()
        outs = list(style_clip(clip[:optimiser_frames], [painting], model=model, iterations=preset["iterations"],
                               first_iterations=preset["first_iterations"], temporal_weight=preset["temporal_weight"],
                               style_weight=preset["style_weight"]))
        print(f"| optimiser clip mode, preset starry ({preset['iterations']} it./frame; "
              f"{time.perf_counter() - clock:.0f} s) | {temporal_error(outs, clip[:optimiser_frames]):.5f} | "
              f"{optimiser_frames} |")
        _temporal_rows(net, clip[:optimiser_frames], blends)
    _temporal_rows(net, clip, blends)


def hybrid(net, model, iterations: int) -> None:
    from dreamreel.core import objectives as S
    from dreamreel.core.nets import apply_net
    from dreamreel.io import read_image, resize_to_fit

    raw = _astronaut()
    painting = resize_to_fit(read_image(PAINTING), 512)
    start = np.asarray(apply_net(net, raw))
    curves = {}
    for name, init in (("from the photo", "content"), ("from the network's output", start)):
        losses = {}

        def record(p, losses=losses):
            losses[p.step] = dict(p.losses)

        S.stylize(raw, [painting], model=model, size=None, scales=1, iterations=iterations, init=init,
                  progress=record)
        curves[name] = losses
    print(f"## hybrid: Adam iterations at 512 px on the astronaut, Gatys total loss (content + 10 x style) "
          f"({_load()})")
    steps = sorted(curves["from the photo"])
    print("| start | " + " | ".join(f"{s} it." for s in steps) + " |")
    print("|---|" + "---|" * len(steps))
    for name, losses in curves.items():
        print(f"| {name} | " + " | ".join(f"{losses[s]['total']:.3f}" for s in steps) + " |")
    reference = curves["from the photo"][steps[-1]]["total"]
    matched = next((s for s in steps if curves["from the network's output"][s]["total"] <= reference), None)
    print(f"from the network's output, {matched} iterations reach the loss of {steps[-1]} from the photo"
          if matched is not None else f"the network start does not reach the photo start's {steps[-1]}-iteration loss")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("parts", nargs="+", choices=["speed", "fidelity", "temporal", "hybrid", "all"])
    parser.add_argument("--net", default=str(ROOT / "examples" / "learned" / "starry.dnet"))
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--sheet", default=str(ROOT / "examples" / "learned" / "comparison.jpg"))
    parser.add_argument("--blends", type=float, nargs="+", default=[0.0, 0.5])
    parser.add_argument("--iterations", type=int, default=60)
    parser.add_argument("--footage", default=None, help="a filmed clip (default: the cached bikes.mp4, if any)")
    parser.add_argument("--frames", type=int, default=48, help="frames of the footage for the network")
    parser.add_argument("--optimiser-frames", type=int, default=0, help="frames of the footage for the optimiser")
    args = parser.parse_args(argv)

    from dreamreel.home import enable_compilation_cache
    from dreamreel.io.netfile import load_net
    from dreamreel.models import load_model

    enable_compilation_cache()
    net = load_net(args.net)
    model = load_model("vgg16")
    parts = {"speed", "fidelity", "temporal", "hybrid"} if "all" in args.parts else set(args.parts)
    print(f"network {args.net}: recipe {net.recipe.get('name')}, {net.info.get('steps')} steps")
    if "speed" in parts:
        speed(net, model, args.runs)
    if "fidelity" in parts:
        fidelity(net, model, Path(args.sheet) if args.sheet else None)
    if "temporal" in parts:
        from dreamreel.home import dreamreel_home

        footage = Path(args.footage) if args.footage else dreamreel_home() / "footage" / "bikes.mp4"
        temporal(net, model, args.blends, footage, args.frames, args.optimiser_frames)
    if "hybrid" in parts:
        hybrid(net, model, args.iterations)
    return 0


if __name__ == "__main__":
    sys.exit(main())
