"""Settings fields: NumPy scalars are numbers, NaN and infinities are refused, options replace fields, and the
signature of a function taking options lists the fields."""

import dataclasses
import inspect

import numpy as np
import pytest

from dreamreel.core.fields import (configure, integer, names, number, optional, setting, takes_options, validate,
                                   weight_list)
from dreamreel.errors import DreamreelError


@dataclasses.dataclass(frozen=True)
class Example:
    count: int = setting(3, integer(1, 10), "how many")
    rate: float = setting(0.5, number(0.0, 1.0, low_open=True), "how fast")
    size: int | None = setting(None, optional(integer(8)), "how big (none: as given)")

    def __post_init__(self):
        validate(self)


def test_numpy_scalars_are_accepted_and_normalised():
    e = Example(count=np.int64(4), rate=np.float32(0.25), size=np.int32(16))
    assert (e.count, e.rate, e.size) == (4, 0.25, 16)
    assert type(e.count) is int and type(e.rate) is float
    assert Example(count=5.0).count == 5


@pytest.mark.parametrize("kwargs,key", [
    (dict(rate=float("nan")), "rate"), (dict(rate=np.float32("inf")), "rate"), (dict(rate=0.0), "rate"),
    (dict(count=True), "count"), (dict(count=2.5), "count"), (dict(count=11), "count"), (dict(size=4), "size"),
    (dict(count="3"), "count"),
])
def test_bad_values_name_the_key(kwargs, key):
    with pytest.raises(DreamreelError, match=f"^{key} must be"):
        Example(**kwargs)


def test_lists():
    assert names("a, b,,c", "k") == ("a", "b", "c") and names([], "k") == ()
    assert weight_list([1, 0], "k") == (1.0, 0.0) and weight_list(None, "k") is None
    for bad in ([0, 0], [-1, 2], [float("nan")], "1,2", []):
        with pytest.raises(DreamreelError, match="^k must be"):
            weight_list(bad, "k")


def test_configure_replaces_fields_and_refuses_unknown_options():
    assert configure(Example, None, {}) == Example()
    assert configure(Example, Example(count=2), {"rate": 0.1}) == Example(count=2, rate=0.1)
    with pytest.raises(DreamreelError, match="unknown option cnt; Example has count, rate, size"):
        configure(Example, None, {"cnt": 2})
    with pytest.raises(DreamreelError, match="settings must be a Example"):
        configure(Example, {"count": 2}, {})


def test_takes_options_lists_the_fields_in_the_signature():
    @takes_options(Example)
    def run(x, *, settings=None, **options):
        return configure(Example, settings, options)

    params = inspect.signature(run).parameters
    assert list(params) == ["x", "settings", "count", "rate", "size"]
    assert params["count"].default == 3 and params["count"].kind is inspect.Parameter.KEYWORD_ONLY
    assert run(1, rate=0.75).rate == 0.75
