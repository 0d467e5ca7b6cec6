"""Random option values and random bytes fed to the command line (in-process, tiny model): the exit code is 0 or 2,
never a traceback; no input changes; nothing staged is left behind."""

import contextlib
import io

import numpy as np
import pytest
from conftest import init_tiny_model, photo
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dreamreel import jobs
from dreamreel.cli import main
from dreamreel.io import write_image

TINY = init_tiny_model()
NUMBERS = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-10, 10),
                    st.sampled_from(["nan", "inf", "-1", "0", "1e-3", "abc", "", "99999999999999"]))
FLAGS = {"--octaves": st.integers(-2, 2), "--steps": st.integers(-2, 2), "--step-size": NUMBERS,
         "--octave-scale": NUMBERS, "--jitter": st.integers(-5, 5), "--seed": st.integers(-5, 2**40),
         "--max-side": st.integers(-5, 40), "--guide-weight": NUMBERS, "--tile": st.integers(-5, 64),
         "--objective": st.text(max_size=20), "--normalize": st.sampled_from(["mean", "none", "l2", ""])}


def run(argv) -> tuple[int, str]:
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        code = main(argv)
    return code, err.getvalue()


@pytest.fixture(autouse=True)
def tiny(monkeypatch):
    monkeypatch.setattr(jobs, "default_loader", lambda name: TINY)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(options=st.dictionaries(st.sampled_from(sorted(FLAGS)), st.just(None), max_size=3).flatmap(
    lambda keys: st.fixed_dictionaries({k: FLAGS[k] for k in keys})), junk=st.one_of(st.none(), st.binary()))
def test_dream_options_and_inputs(tmp_path_factory, options, junk):
    folder = tmp_path_factory.mktemp("fuzz")
    source = folder / "in.png"
    if junk is None:
        write_image(source, photo((24, 32)))
    else:
        source.write_bytes(junk)
    before = source.read_bytes()
    argv = ["dream", str(source), "-o", str(folder / "out.png"), "--layer", "block2_conv1"]
    for flag, value in options.items():
        argv += [flag, str(value)]
    code, err = run(argv)
    assert code in (0, 2), err
    assert "Traceback" not in err and (code == 0 or len(err.strip().splitlines()) == 1), err
    assert source.read_bytes() == before
    assert not [p for p in folder.iterdir() if "dreamreel-part" in p.name or "dreamreel-lock" in p.name]


@settings(max_examples=25, deadline=None)
@given(text=st.binary(max_size=200))
def test_random_preset_files(tmp_path_factory, text):
    folder = tmp_path_factory.mktemp("preset")
    preset = folder / "p.toml"
    preset.write_bytes(text)
    code, err = run(["render", str(preset), "-o", str(folder / "o.gif"), "--frames", "1", "--set", "width=16",
                     "--set", "height=16", "--set", "first_steps=0", "--set", "steps=1"])
    assert code in (0, 2) and "Traceback" not in err, err


class Kill(Exception):
    pass


def test_a_render_killed_at_random_points_then_finished_equals_the_uninterrupted_one(tmp_path):
    preset = tmp_path / "p.toml"
    preset.write_text("width = 24\nheight = 16\nframes = 8\nsteps = 1\nfirst_steps = 1\nfirst_octaves = 1\n"
                      "jitter = 2\n[camera]\nzoom = 1.05\n[objective]\nlayers = 'block2_conv1'\n")
    whole = jobs.run(jobs.RenderJob(str(preset), str(tmp_path / "whole/")), load_model=lambda name: TINY)
    rng = np.random.default_rng(0)
    job = jobs.RenderJob(str(preset), str(tmp_path / "cut/"))
    for kill_at in sorted(rng.choice(np.arange(1, 8), size=4, replace=False)):
        def kill(event, at=int(kill_at)):
            if event.done == at:
                raise Kill

        with pytest.raises(Kill):
            jobs.run(job, progress=kill, load_model=lambda name: TINY)
    resumed = jobs.run(job, load_model=lambda name: TINY)
    a, b = sorted(whole.glob("*.png")), sorted(resumed.glob("*.png"))
    assert len(a) == len(b) == 8 and all(x.read_bytes() == y.read_bytes() for x, y in zip(a, b))
