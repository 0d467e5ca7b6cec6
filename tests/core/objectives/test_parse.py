"""The objective text: signs, scientific weights, channels; malformed text is one line quoting the text."""

import pytest

from dreamreel.core.objectives import Sum, parse_objective
from dreamreel.errors import DreamreelError


@pytest.mark.parametrize("text,described", [
    ("block4_conv3", "layer(block4_conv3)"),
    ("block4_conv3 + 0.5*block5_conv1:12,40 - 0.2*block3_conv1",
     "layer(block4_conv3) + 0.5*channel(block5_conv1, 12,40) - 0.2*layer(block3_conv1)"),
    ("1e-3*block5_conv1", "0.001*layer(block5_conv1)"),
    ("2.5e2 * block4_conv3:12", "250*channel(block4_conv3, 12)"),
    ("-block3_conv1", "- layer(block3_conv1)"),
    ("  -0.5*a_1 +b:1, 2 -.25 * c ", "- 0.5*layer(a_1) + channel(b, 1,2) - 0.25*layer(c)"),
    ("1E+2*mixed4c", "100*layer(mixed4c)"),
])
def test_parses(text, described):
    objective = parse_objective(text)
    assert isinstance(objective, Sum) and objective.describe() == described


@pytest.mark.parametrize("text", [
    "", "   ", "2x*block4_conv3", "block4_conv3:a,b", "0.5*", "block4_conv3 +", "block4_conv3 block5_conv1",
    "nan*block4_conv3", "1e999*block4_conv3", "inf*block4_conv3", "block4_conv3 * 2", "blöck4_conv3", "a + ☃",
    "block4_conv3:", "block4_conv3:1,", "--block4_conv3", "a\nb",
])
def test_malformed_text_is_one_line_quoting_the_text(text):
    with pytest.raises(DreamreelError) as error:
        parse_objective(text)
    message = str(error.value)
    assert "\n" not in message and repr(text) in message
