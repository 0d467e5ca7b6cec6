"""What the cluster tests hand to workers by reference: the worker processes import this module (tests/ and
tests/cluster/ are on their PYTHONPATH), so these functions must be top-level and importable."""

from conftest import init_tiny_model

from dreamreel.errors import DreamreelError


def tiny_loader(name: str):
    """The tiny random VGG of tests/conftest.py, whatever model the job names (its layers exist in both)."""
    return init_tiny_model()


def refusing_loader(name: str):
    raise DreamreelError(f"no weights for {name} on this node")
