"""The objective text of the command line and presets.

parse_objective(text) -> Objective      terms joined by + or -, each `[weight *] layer[:channel,channel,...]`

    "block4_conv3"    "block4_conv3 + 0.5*block5_conv1:12,40 - 0.2*block3_conv1"    "1e-3*block5_conv1"
    "-block3_conv1"   "2.5e2 * block4_conv3:12"

A weight is a plain or scientific number; a layer name is ASCII letters, digits and underscores. Anything else
(empty text, a dangling operator, NaN or infinite weights, stray characters) is a one-line DreamreelError that
quotes the text and shows where it stopped making sense.
"""

from __future__ import annotations

import math
import re

from ...errors import DreamreelError
from .base import Objective, Sum
from .features import channel, layer

_TERM = re.compile(
    r"""\s*(?P<sign>[+-])?\s*
        (?:(?P<weight>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)\s*\*\s*)?
        (?P<name>[A-Za-z_][A-Za-z0-9_]*)
        (?:\s*:\s*(?P<channels>\d+(?:\s*,\s*\d+)*))?
        \s*""",
    re.VERBOSE | re.ASCII,
)

EXAMPLE = "block4_conv3 + 0.5*block5_conv1:12,40"


def _error(text: str, position: int, what: str) -> DreamreelError:
    rest = text[position:position + 20]
    where = f" at {rest!r}" if rest else " at the end"
    return DreamreelError(f"cannot read the objective {text!r}: {what}{where}; write terms like {EXAMPLE!r}")


def _term(match: re.Match) -> tuple[float, Objective]:
    sign = -1.0 if match["sign"] == "-" else 1.0
    weight = sign * (float(match["weight"]) if match["weight"] else 1.0)
    name = match["name"]
    if match["channels"]:
        return weight, channel(name, [int(c) for c in match["channels"].split(",")])
    return weight, layer(name)


def parse_objective(text: str) -> Objective:
    if not isinstance(text, str) or not text.strip():
        raise DreamreelError(f"the objective {text!r} is empty; write terms like {EXAMPLE!r}")
    terms, position = [], 0
    while position < len(text):
        match = _TERM.match(text, position)
        if match is None or match.end() == position:
            raise _error(text, position, "expected a term [weight*]layer[:channels]")
        if terms and not match["sign"]:
            raise _error(text, position, "expected + or - between terms")
        weight, term = _term(match)
        if not math.isfinite(weight):
            raise _error(text, match.start("weight"), "weights must be finite numbers")
        terms.append((weight, term))
        position = match.end()
    return Sum.of(terms)
