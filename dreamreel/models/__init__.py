"""Models: a registry of specs (layers, preprocessing, weight source) and Flax modules returning named activations.

load_model(name, home=None, fetch=True) -> Model     fetches and converts the weights on first use, verifies them
activations(model, images, until) -> {layer: array}
weights_status(spec, home=None) -> "present" | "missing" | "damaged: <reason>"
fetch_weights(spec, home=None, log, force=False) -> Path;  import_weights(spec, path, home=None, log) -> Path
"""

from __future__ import annotations

from pathlib import Path

from . import zoo  # noqa: F401  (registers the models)
from .registry import Layer, Model, ModelSpec, activations, get_spec, model_names, register
from .weights import fetch_weights, import_weights, is_cached, load_params, weights_status

DEFAULT_MODEL = "vgg16"


def load_model(name: str = DEFAULT_MODEL, *, home: Path | None = None, fetch: bool = True, log=None) -> Model:
    spec = get_spec(name)
    kwargs = {"log": log} if log else {}
    model = Model(params=load_params(spec, home, fetch, **kwargs), spec=spec)
    return spec.on_load(model) if spec.on_load else model


__all__ = ["DEFAULT_MODEL", "Layer", "Model", "ModelSpec", "activations", "fetch_weights", "get_spec",
           "import_weights", "is_cached", "load_model", "load_params", "model_names", "register", "weights_status"]
