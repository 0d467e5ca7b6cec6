"""Several jobs from one command: dream and style batches into a folder, several presets and seeds, and the
--cluster flag's errors (no Ray needed: they are raised before a cluster is reached)."""

from pathlib import Path

import pytest
from conftest import photo

from dreamreel.cli import build_parser, dream, main, render, style
from dreamreel.io import write_image
from dreamreel.jobs import DreamJob, RenderJob, StyleJob


@pytest.fixture
def photos(tmp_path):
    return [str(write_image(tmp_path / name, photo((16, 16)))) for name in ("a.png", "b.jpg", "c.webp")]


def parse(*argv):
    return build_parser().parse_args(list(argv))


def test_a_dream_batch_is_one_job_per_photo_in_the_output_folder(tmp_path, photos):
    jobs = dream.jobs_from(parse("dream", *photos, "-o", str(tmp_path / "out") + "/", "--steps", "3"))
    assert [job.output for job in jobs] == [str(tmp_path / "out" / n) for n in ("a.png", "b.jpg", "c.webp")]
    assert [job.input for job in jobs] == photos and {job.settings.steps for job in jobs} == {3}
    assert all(isinstance(job, DreamJob) for job in jobs) and (tmp_path / "out").is_dir()


def test_one_photo_keeps_its_output_and_a_style_batch_paints_every_photo(tmp_path, photos):
    assert dream.job_from(parse("dream", photos[0], "-o", str(tmp_path / "x.png"))).output == str(tmp_path / "x.png")
    jobs = style.jobs_from(parse("style", *photos[:2], "--styles", photos[2], "-o", str(tmp_path / "s") + "/"))
    assert [(job.content, job.styles, job.output) for job in jobs] == [
        (photos[0], (photos[2],), str(tmp_path / "s" / "a.png")), (photos[1], (photos[2],), str(tmp_path / "s" / "b.jpg"))]
    assert all(isinstance(job, StyleJob) for job in jobs)


def test_several_presets_and_seeds_are_one_render_each(tmp_path):
    jobs = render.jobs_from(parse("render", "infinite_zoom", "spiral_zoom", "--seeds", "1", "2", "--frames", "4",
                                  "-o", str(tmp_path) + "/"))
    assert [Path(job.output).name for job in jobs] == ["infinite_zoom-seed1.mp4", "infinite_zoom-seed2.mp4",
                                                       "spiral_zoom-seed1.mp4", "spiral_zoom-seed2.mp4"]
    assert jobs[1] == RenderJob("infinite_zoom", str(tmp_path / "infinite_zoom-seed2.mp4"), ("seed=2", "frames=4"))


@pytest.mark.parametrize("argv,message", [
    (lambda t, p: ["dream", *p, "-o", str(t / "o.png")], "several inputs need an output folder"),
    (lambda t, p: ["dream", p[0], p[0], "-o", str(t / "o") + "/"], "would both be written"),
    (lambda t, p: ["dream", *p, "-o", str(t / "o") + "/", "--timelapse", str(t / "t.gif")], "--timelapse takes one"),
    (lambda t, p: ["dream", *p, "-o", str(t / "none" / "o") + "/"], "cannot make the output folder"),
    (lambda t, p: ["render", "infinite_zoom", "--seeds", "1", "2", "-o", str(t / "z.mp4")], "output folder"),
    (lambda t, p: ["dream", *p, "-o", str(t / "o") + "/", "--cluster", "127.0.0.1:1"], "cannot reach a Ray cluster"),
    (lambda t, p: ["dream", str(t / "missing.png"), "-o", str(t / "o.png"), "--cluster", "127.0.0.1:1"], "no such"),
])
def test_batch_and_cluster_mistakes_give_one_line_and_exit_2(capsys, tmp_path, photos, argv, message):
    assert main(argv(tmp_path, photos)) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1, err
