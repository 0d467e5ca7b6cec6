"""`dreamreel style` on the command line: user mistakes, help, a real-weights run (moved out of the core's tests)."""

import numpy as np
import pytest
from conftest import photo
from synthetic import painting

from dreamreel.cli import main
from dreamreel.io import read_image, write_image


@pytest.mark.parametrize("extra,message", [
    (["missing.jpg"], "no such image"),
    ([], "no style image"),
    (["style.png", "--content-weight", "0", "--style-weight", "0"], "nothing to transfer"),
    (["style.png", "--style-weights", "1", "2"], "blend weights"),
    (["style.png", "--style-layers", "block1_conv1,block9_conv1"], "no layer"),
])
def test_cli_user_mistakes_give_one_line_and_exit_2(capsys, tmp_path, extra, message):
    write_image(tmp_path / "content.png", photo((32, 32)))
    write_image(tmp_path / "style.png", painting())
    argv = ["style", str(tmp_path / "content.png"), *[str(tmp_path / a) if a.endswith((".jpg", ".png")) else a
                                                        for a in extra], "-o", str(tmp_path / "out.png")]
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.startswith("dreamreel: error: ") and message in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "out.png").exists()


def test_cli_help_has_examples(capsys):
    assert main(["style", "--help"]) == 0
    out = capsys.readouterr().out
    assert "examples:" in out and "--original-colors" in out and "--reconstruct" in out


@pytest.mark.integration
def test_cli_style_with_real_weights(tmp_path):
    import subprocess
    import sys

    write_image(tmp_path / "content.png", photo((48, 64)))
    write_image(tmp_path / "style.png", painting((64, 64)))
    result = subprocess.run([sys.executable, "-m", "dreamreel", "style", str(tmp_path / "content.png"),
                             str(tmp_path / "style.png"), "-o", str(tmp_path / "out.jpg"), "--size", "64",
                             "--scales", "1", "--iterations", "5", "--original-colors"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "style" in result.stderr and "wrote" in result.stderr
    out = read_image(tmp_path / "out.jpg")
    assert out.shape == (48, 64, 3)
    assert np.abs(out - photo((48, 64))).mean() > 0.005  # the style changed something
