import subprocess
import sys

import numpy as np
import pytest
from conftest import photo

from dreamreel.cli import main
from dreamreel.io import read_image, write_image


@pytest.fixture
def small_photo(tmp_path):
    return write_image(tmp_path / "in.png", photo((48, 64)))


def run_cli(capsys, *argv):
    code = main(list(argv))
    err = capsys.readouterr().err
    return code, err


@pytest.mark.parametrize("make_args,message", [
    (lambda p, t: ["dream", str(t / "missing.jpg"), "-o", str(t / "o.png")], "no such image"),
    (lambda p, t: ["dream", str(t / "text.png"), "-o", str(t / "o.png")], "cannot read"),
    (lambda p, t: ["dream", str(p), "-o", str(p)], "refusing to overwrite the input"),
    (lambda p, t: ["dream", str(p), "-o", str(t / "nodir" / "o.png")], "does not exist"),
    (lambda p, t: ["dream", str(p), "-o", str(t / "o.xyz")], "cannot write"),
    (lambda p, t: ["dream", str(p), "-o", "/proc/o.png"], "cannot write"),
    (lambda p, t: ["dream", str(p), "-o", str(t)], "cannot write"),
    (lambda p, t: ["dream", str(p), "-o", str(t / "o.png"), "--step-size", "nan"], "finite number"),
    (lambda p, t: ["dream", str(p), "-o", str(t / "o.png"), "--guide-weight", "inf"], "must be finite"),
    (lambda p, t: ["dream", str(p), "-o", str(t / "o.png"), "--seed", "99999999999"], "seed must be"),
    (lambda p, t: ["dream", str(p), "-o", str(t / "o.png"), "--max-side", "-5"], "must be 1 or more"),
    (lambda p, t: ["dream", str(p), "-o", str(t / "o.png"), "--objective", "nan*block4_conv3"], "weight"),
    (lambda p, t: ["dream", str(p), "-o", str(t / "o.png"), "--octave-scale", "nan"], "finite number"),
    (lambda p, t: ["dream", str(p), "-o", str(t / "o.png"), "--guide", str(t / "o.png")], "refusing to overwrite"),
    (lambda p, t: ["video", str(p), "-o", str(t / "o.mp4"), "--steps", "-1"], "steps must be"),
    (lambda p, t: ["style", str(p), str(p), "-o", str(t / "o.png"), "--lr", "nan"], "finite number"),
    (lambda p, t: ["dream", str(p), "-o", str(t / "o.png"), "--octaves"], "expected one argument"),
    (lambda p, t: ["dream", str(p), "-o", str(t / "o.png"), "--layer", "block4_conv9"], "no layer"),
    (lambda p, t: ["dream", str(p), "-o", str(t / "o.png"), "--model", "alexnet"], "unknown model"),
    (lambda p, t: ["dream", str(p), "-o", str(t / "o.png"), "--octaves", "0"], "octaves"),
    (lambda p, t: ["dream", str(p), "-o", str(t / "o.png"), "--channels", "1,x", "--layer", "block4_conv3"],
     "comma-separated"),
    (lambda p, t: ["dream", str(p), "-o", str(t / "o.png"), "--layer", "block4_conv3:600"], "channels 0..511"),
    (lambda p, t: ["dream", str(p), "-o", str(t / "o.png"), "--layer", "block4_conv3", "--channels", "600"],
     "channels 0..511"),
    (lambda p, t: ["dream", str(p), "-o", str(t / "o.png"), "--guide", str(t / "missing.jpg")], "no such image"),
    (lambda p, t: ["dream", str(p), "-o", str(t / "o.png"), "--pixel-loss", "l1"], "give a guide image"),
    (lambda p, t: ["dream", str(p), "-o", str(t / "o.png"), "--timelapse", str(t / "t.avi")], "t.avi"),
    (lambda p, t: ["models", "list", "--bogus"], "unrecognized arguments"),
    (lambda p, t: ["visualize", "-o", str(t / "o.png")], "--objective"),
    (lambda p, t: ["atlas", "-o", str(t / "o.png")], "--per-layer"),
    (lambda p, t: ["atlas", "-o", str(t / "o.png"), "--layer", "block4_conv3", "--channels", "a-b"], "range"),
    (lambda p, t: ["models", "fetch", "alexnet"], "unknown model"),
    (lambda p, t: ["models", "import", "vgg16", str(t / "none.h5")], "no such file"),
])
def test_user_mistakes_give_one_line_and_exit_2(capsys, tmp_path, small_photo, make_args, message):
    (tmp_path / "text.png").write_text("hello")
    before = small_photo.read_bytes()
    code, err = run_cli(capsys, *make_args(small_photo, tmp_path))
    assert code == 2
    assert err.startswith("dreamreel: error: ") and message in err and len(err.strip().splitlines()) == 1
    assert small_photo.read_bytes() == before
    assert not (tmp_path / "o.png").exists()


def test_models_lists_layers_and_weight_state(capsys):
    assert main(["models"]) == 0
    out = capsys.readouterr().out
    assert "vgg16:" in out and "block4_conv3" in out and "weights" in out


def test_every_command_has_help_with_examples(capsys):
    for command in ("dream", "style", "visualize", "atlas", "render", "video", "models"):
        assert main([command, "--help"]) == 0
        out = capsys.readouterr().out
        assert "examples:" in out, command


def test_help_teaches_with_examples():
    result = subprocess.run([sys.executable, "-m", "dreamreel", "dream", "--help"],
                            capture_output=True, text=True)
    assert result.returncode == 0 and "examples:" in result.stdout and "--octaves" in result.stdout


@pytest.mark.integration
def test_dream_command_writes_a_dream(tmp_path, small_photo, vgg16):
    import imageio.v3 as iio

    out, timelapse = tmp_path / "dream.png", tmp_path / "steps.gif"
    result = subprocess.run([sys.executable, "-m", "dreamreel", "dream", str(small_photo), "-o", str(out),
                             "--octaves", "2", "--steps", "2", "--layer", "block3_conv3",
                             "--timelapse", str(timelapse)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    frames = iio.imread(timelapse, index=None)
    assert frames.shape[:3] == (4, 48, 64)  # one frame per step, each at the output's size
    dreamed, original = read_image(out), read_image(small_photo)
    assert dreamed.shape == original.shape
    assert np.abs(dreamed - original).mean() > 0.003
