"""Learned looks through the jobs layer on the tiny model: `dreamreel learn` writes a network that loads, resumes
after a kill or a cancel, and refuses bad input in one line; `--net` in dream (plain and hybrid), video (the one
stream, resumable, with audio) and feedback presets; the command lines parse back into the same jobs."""

import shlex

import numpy as np
import pytest
from conftest import photo
from synthetic import painting, pan_clip, write_clip

from dreamreel import jobs
from dreamreel.cli import build_parser, main
from dreamreel.core.nets import apply_net
from dreamreel.errors import DreamreelError
from dreamreel.io import read_image, read_video, video_info, write_image
from dreamreel.io.netfile import load_net, read_netfile, write_netfile
from dreamreel.jobs import Cancelled, CancelToken, ClipJob, DreamJob, LearnJob, RenderJob, command_line, run
from dreamreel.pipelines.checkpoint import checkpoint_dir
from dreamreel.pipelines.learn import GanSettings, LearnSettings, checkpoint_path, preview_path

TINY = LearnSettings(steps=6, batch=2, crop=32, side=64, width=4, residual_blocks=1, checkpoint_every=2,
                     preview_every=4, report_every=2, learning_rate=1e-2)
TINY_FLAGS = ["--steps", "6", "--batch", "2", "--crop", "32", "--side", "64", "--width", "4", "--residual-blocks",
              "1", "--checkpoint-every", "2", "--report-every", "2", "--learning-rate", "0.01"]


@pytest.fixture
def loader(tiny_model, monkeypatch):
    monkeypatch.setattr(jobs, "default_loader", lambda name: tiny_model)  # the CLI's loader, for main()
    return lambda name: tiny_model


@pytest.fixture
def files(tmp_path):
    folder = tmp_path / "photos"
    folder.mkdir()
    write_image(folder / "a.png", photo((64, 96)))
    write_image(folder / "b.png", photo((80, 64))[::-1])
    write_image(folder / "c.png", photo((64, 64))[:, ::-1])
    write_image(tmp_path / "paint.png", painting((48, 48)))
    return tmp_path


@pytest.fixture(scope="module")
def style_net(tmp_path_factory, tiny_model):
    """A tiny style network (trained once for the module) and the painting it learned."""
    folder = tmp_path_factory.mktemp("net")
    paint = write_image(folder / "paint.png", painting((48, 48)))
    write_image(folder / "p.png", photo((64, 96)))
    write_image(folder / "q.png", photo((64, 64)))
    job = LearnJob(str(folder / "look.dnet"), styles=(str(paint),), photos=(str(folder / "p.png"),
                                                                            str(folder / "q.png")), settings=TINY)
    return run(job, load_model=lambda name: tiny_model)


def test_learn_writes_a_network_that_loads_with_its_look_and_a_preview(files, loader):
    events = []
    job = LearnJob(str(files / "look.dnet"), styles=(str(files / "paint.png"),), photos=(str(files / "photos"),),
                   settings=TINY)
    out = run(job, progress=events.append, load_model=loader)
    net = load_net(out)
    assert net.recipe["kind"] == "style" and net.recipe["name"] == "paint"
    assert net.recipe["styles"][0]["file"] == str((files / "paint.png").resolve())
    assert net.info["images"] == 2 and net.info["steps"] == 6  # one of three photos held out for the preview
    assert [e.done for e in events] == [2, 4, 6] and events[-1].total == 6 and events[-1].stage == "learn"
    assert {"content", "style", "total"} <= dict(events[-1].losses).keys()
    assert read_image(preview_path(out)).shape[1] > 2 * 32
    image = photo((40, 56))
    assert np.asarray(apply_net(net, image)).shape == image.shape
    assert not checkpoint_path(out).exists()


class Kill(Exception):
    pass


def test_learning_resumes_after_a_kill_and_after_a_cancel(files, loader):
    job = LearnJob(str(files / "look.dnet"), objective="block3_conv2", photos=(str(files / "photos"),),
                   settings=TINY)
    whole = load_net(run(LearnJob(str(files / "whole.dnet"), objective="block3_conv2",
                                  photos=(str(files / "photos"),), settings=TINY), load_model=loader))

    def kill_at_four(event):  # a kill after step 4's report, before its checkpoint: step 2's is kept
        if event.done == 4:
            raise Kill

    with pytest.raises(Kill):
        run(job, progress=kill_at_four, load_model=loader)
    assert checkpoint_path(job.output).is_file() and not (files / "look.dnet").exists()
    events = []
    out = run(job, progress=events.append, load_model=loader)
    assert events[0].resumed == 2 and [e.done for e in events] == [4, 6]
    for a, b in zip(jax_leaves(whole.params), jax_leaves(load_net(out).params)):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    token = CancelToken()

    def cancel_at_two(event):
        if event.done == 2:
            token.cancel()

    other = LearnJob(str(files / "c.dnet"), objective="block3_conv2", photos=(str(files / "photos"),), settings=TINY)
    with pytest.raises(Cancelled, match="resume"):
        run(other, progress=cancel_at_two, cancel=token, load_model=loader)
    assert checkpoint_path(other.output).is_file()
    events = []
    run(other, progress=events.append, load_model=loader)
    assert events[0].resumed == 2  # the cancel is seen before the third step, and a checkpoint saved there


def jax_leaves(tree):
    import jax

    return jax.tree_util.tree_leaves(tree)


def test_the_learn_command_trains_on_a_clip_and_resumes(files, loader, capsys):
    clip = pan_clip(photo((128, 160)), 6, dx=2.0, dy=1.0, size=(48, 64)).frames
    source = str(write_clip(files / "clip.mp4", clip, 10))
    out = files / "clip.dnet"
    argv = ["learn", "--objective", "block3_conv2", "--clip", source, "-o", str(out), *TINY_FLAGS,
            "--temporal-weight", "2", "--side", "64"]
    assert main(argv) == 0, capsys.readouterr().err
    net = load_net(out)
    assert net.recipe == {"kind": "dream", "name": "block3_conv2", "model": "vgg16",
                          "objective": {"layers": "block3_conv2"}, "strength": 12.0}
    assert net.config.strength == pytest.approx(12.0 / 255)
    raw = photo((48, 64))
    assert 255 * np.abs(np.asarray(apply_net(net, raw)) - raw).mean() == pytest.approx(12.0, abs=0.5)
    assert [entry[0] for entry in net.info["history"]] == [2, 4, 6] and "temporal" in net.info["history"][-1][1]
    assert net.info["images"] == 5


def test_optimiser_keyframes_feed_the_keyframe_and_adversarial_terms(files, loader):
    settings = LearnSettings(**{**TINY.__dict__, "keyframes": 2, "keyframe_weight": 1.0, "adversarial_weight": 0.1})
    events = []
    out = run(LearnJob(str(files / "k.dnet"), objective="block3_conv2", photos=(str(files / "photos"),),
                       settings=settings), progress=events.append, load_model=loader)
    assert [(e.stage, e.done) for e in events[:2]] == [("keyframes", 1), ("keyframes", 2)]
    assert {"keyframe", "adversarial", "critic"} <= dict(events[-1].losses).keys()
    assert load_net(out).info["steps"] == 6
    with pytest.raises(DreamreelError, match="keyframes"):
        run(LearnJob(str(files / "k2.dnet"), objective="block3_conv2", photos=(str(files / "photos"),),
                     settings=LearnSettings(**{**TINY.__dict__, "keyframes": 5})), load_model=loader)


@pytest.mark.parametrize("extra,message", [
    ([], "give the look to learn"),
    (["--style", "paint.png", "--objective", "block3_conv2"], "give the look to learn"),
    (["--objective", "block3_conv2", "--clip", "photos/a.png", "--photos", "photos"], "not both"),
    (["--objective", "block3_conv2", "--photos", "missing.png"], "no such"),
    (["--style", "missing.png"], "no such"),
    (["--objective", "block9_conv1"], "no layer"),
    (["--preset", "no_such_preset"], "no preset named"),
    (["--objective", "block3_conv2", "--photos", "photos/a.png"], "cannot hold out"),
    (["--objective", "block3_conv2", "--crop", "600"], "crop"),
    (["--objective", "block3_conv2", "--norm", "batch"], "invalid choice"),
    (["--objective", "block3_conv2", "--temporal-weight", "1"], "consecutive frames"),
    (["--objective", "block3_conv2", "--keyframe-weight", "1"], "need keyframes"),
    (["--unconditional"], "needs --photos"),
    (["--unconditional", "--photos", "photos", "--objective", "block3_conv2"], "no look or clip"),
    (["--unconditional", "--photos", "photos", "--size", "48"], "power of two"),
])
def test_learn_mistakes_give_one_line_and_exit_2(files, loader, capsys, extra, message):
    argv = ["learn", *[str(files / a) if a.endswith((".png", ".dnet")) or a == "photos" or a.startswith("photos/")
                       else a for a in extra], "-o", str(files / "o.dnet"), *TINY_FLAGS[:2]]
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.startswith("dreamreel: error: ") and message in err and len(err.strip().splitlines()) == 1
    assert not (files / "o.dnet").exists()


@pytest.mark.parametrize("output,message", [("o.png", "cannot write"), ("photos/a.png", "cannot write"),
                                            ("nodir/o.dnet", "does not exist"), ("photos", "cannot write")])
def test_learn_refuses_outputs_before_loading_the_model(files, output, message):
    def refuse(name):
        raise AssertionError("the model was loaded before the output was checked")

    job = LearnJob(str(files / output), objective="block3_conv2", photos=(str(files / "photos"),), settings=TINY)
    with pytest.raises(DreamreelError, match=message) as error:
        run(job, load_model=refuse)
    assert "\n" not in str(error.value)


def test_the_unconditional_gan_through_the_command(files, loader, capsys):
    out = files / "gan.dnet"
    argv = ["learn", "--unconditional", "--photos", str(files / "photos"), "-o", str(out), "--steps", "4",
            "--batch", "2", "--size", "8", "--width", "4", "--latent", "4", "--samples", "4", "--report-every", "2"]
    assert main(argv) == 0, capsys.readouterr().err
    assert read_image(files / "gan.samples.png").shape == (2 * 10 + 2, 2 * 10 + 2, 3)
    assert read_netfile(out, "generator")[0]["info"]["steps"] == 4


# --- --net ----------------------------------------------------------------------------------------------------------

def test_dream_with_a_net_applies_it_and_the_hybrid_continues_with_the_look(files, style_net, loader):
    picture = str(files / "photos" / "a.png")
    plain = read_image(run(DreamJob(picture, str(files / "n.png"), net=str(style_net)), load_model=loader))
    expected = np.asarray(apply_net(load_net(style_net), read_image(picture)))
    assert np.abs(plain - expected).max() < 1.5 / 255  # the PNG's rounding
    events = []
    hybrid = read_image(run(DreamJob(picture, str(files / "h.png"), net=str(style_net), net_steps=3),
                            progress=events.append, load_model=loader))
    assert hybrid.shape == plain.shape and np.abs(hybrid - plain).mean() > 1e-3
    assert [e.stage for e in events] == ["style"] * 4 and events[-1].done == 3  # iterations 0..3 of one scale


def test_dream_net_mistakes_give_one_line_and_exit_2(files, style_net, loader, capsys, tmp_path):
    picture = str(files / "photos" / "a.png")
    newer = tmp_path / "newer.dnet"
    header, arrays = read_netfile(style_net)
    write_netfile(newer, {**header, "format_version": 99}, arrays)
    moved = tmp_path / "moved.dnet"
    header["recipe"] = {**header["recipe"], "styles": [{"file": str(tmp_path / "gone.png"), "sha256": "0"}]}
    write_netfile(moved, header, arrays)
    cases = [
        (["--net", str(tmp_path / "none.dnet")], "no network file"),
        (["--net", str(newer)], "upgrade dreamreel"),
        (["--net", str(style_net), "--objective", "block3_conv2"], "brings its own look"),
        (["--iterations", "3"], "give --net"),
        (["--net", str(moved), "--iterations", "2"], "not there"),
        (["--net", str(style_net), "--steps", "2", "--iterations", "3"], "give one"),
        (["--net", picture], "not a dreamreel network file"),
    ]
    for extra, message in cases:
        code = main(["dream", picture, "-o", str(tmp_path / "o.png"), *extra])
        err = capsys.readouterr().err
        assert code == 2 and message in err and len(err.strip().splitlines()) == 1, (extra, err)
        assert not (tmp_path / "o.png").exists()


def _clip_with_audio(path, frames):
    from synthetic import ffmpeg

    write_clip(path.with_name("silent.mp4"), frames, 10)
    ffmpeg("-i", str(path.with_name("silent.mp4")), "-f", "lavfi", "-i", "sine=frequency=440:duration=5",
           "-map", "0:v", "-map", "1:a", "-c:v", "copy", "-c:a", "aac", "-shortest", str(path))
    return str(path)


class Stop(Exception):
    pass


def test_a_net_clip_streams_resumes_exactly_and_keeps_audio(files, style_net, loader, tmp_path):
    clip = pan_clip(photo((160, 200)), 6, 2.3, -1.2, size=(48, 64)).frames
    source = _clip_with_audio(tmp_path / "in.mp4", clip)
    look = (f'net="{style_net}"', "max_side=64", "net_blend=0.5")
    full = run(ClipJob(source, str(tmp_path / "full/"), overrides=look), load_model=loader)

    def stop_after_three(event):
        if event.done == 3:
            raise Stop

    with pytest.raises(Stop):
        run(ClipJob(source, str(tmp_path / "cut/"), overrides=look), progress=stop_after_three, load_model=loader)
    assert checkpoint_dir(tmp_path / "cut").is_dir()
    events = []
    resumed = run(ClipJob(source, str(tmp_path / "cut/"), overrides=look), progress=events.append,
                  load_model=loader)
    assert events[0].resumed == 3 and events[-1].stage == "network"
    a, b = sorted(full.glob("*.png")), sorted(resumed.glob("*.png"))
    assert len(a) == len(b) == 6
    assert all(x.read_bytes() == y.read_bytes() for x, y in zip(a, b))
    raw = list(read_video(source, max_side=64)[0])
    first = np.asarray(apply_net(load_net(style_net), raw[0]))
    assert np.abs(read_image(a[0]) - first).max() < 1.5 / 255  # frame 0 is the network alone
    mp4 = run(ClipJob(source, str(tmp_path / "out.mp4"), overrides=look), load_model=loader)
    info = video_info(mp4)
    assert info.has_audio and info.n_frames == 6 and (info.width, info.height) == (64, 48)


def test_video_net_mistakes_give_one_line(files, style_net, loader, capsys, tmp_path):
    clip = str(write_clip(tmp_path / "in.mp4", pan_clip(photo((96, 128)), 3, 2.0, 0.0, size=(48, 64)).frames, 10))
    gan = tmp_path / "gan.dnet"
    write_netfile(gan, {"kind": "generator", "config": {}, "recipe": {}}, {})
    for extra, message in ((["--net", str(tmp_path / "none.dnet")], "no such file"),
                           (["--net", str(gan)], "holds a GAN generator"),
                           (["--net", str(style_net), "--cluster", "auto"], "drop --cluster")):
        code = main(["video", clip, "-o", str(tmp_path / "o.mp4"), *extra])
        err = capsys.readouterr().err
        assert code == 2 and message in err and len(err.strip().splitlines()) == 1, (extra, err)
        assert not (tmp_path / "o.mp4").exists()


def test_a_feedback_preset_with_a_net_never_loads_the_model(style_net, tmp_path):
    preset = tmp_path / "zoom.toml"
    preset.write_text(f'width = 40\nheight = 32\nframes = 4\nfps = 8\nnet = "{style_net}"\n[camera]\nzoom = 1.1\n')

    def refuse(name):
        raise AssertionError("a network render loaded the model")

    out = run(RenderJob(str(preset), str(tmp_path / "z/")), load_model=refuse)
    frames = [read_image(p) for p in sorted(out.glob("*.png"))]
    assert len(frames) == 4 and frames[0].shape == (32, 40, 3)
    net = load_net(style_net)
    from dreamreel.motion.warp import warp
    from dreamreel.pipelines.feedback import Animation
    from dreamreel.settings import load_preset

    animation = Animation.build(load_preset(str(preset)), None, None, net)
    expected = np.asarray(apply_net(net, warp(frames[1], animation.move(2), "lanczos")))
    unmoved = np.asarray(apply_net(net, frames[1]))
    # each frame is the net on the moved previous frame (up to the 8-bit rounding of the saved frame 1)
    error = np.abs(frames[2] - expected).mean()
    assert error < 1.0 / 255 and error < 0.3 * np.abs(frames[2] - unmoved).mean()


@pytest.mark.parametrize("job", [
    LearnJob("o.dnet", preset="starry"),
    LearnJob("o.dnet", styles=("a.jpg", "b.jpg"), photos=("p/", "q.jpg"), model="vgg16_imagenet",
             settings=LearnSettings(steps=50, crop=96, side=256, temporal_weight=0.0, closeness_weight=2.0,
                                    held_out=0, norm="group", seed=3)),
    LearnJob("o.dnet", objective="block5_conv1 + 0.5*block4_conv3", clip="c.mp4", start=1.0, end=3.5, every=2,
             settings=LearnSettings(temporal_weight=20.0, preview_every=0)),
    LearnJob("g.dnet", photos=("dreams/",), unconditional=True, gan=GanSettings(steps=100, size=32, latent=16)),
    DreamJob("in.png", "out.png", net="look.dnet"),
    DreamJob("in.png", "out.png", net="look.dnet", net_steps=5, max_side=256),
    ClipJob("c.mp4", "o.mp4", None, ('net="look.dnet"', "net_blend=0.3")),
])
def test_the_command_line_parses_back_into_the_same_job(job):
    from dreamreel.cli import dream, learn, video

    argv = shlex.split(command_line(job))
    args = build_parser().parse_args(argv[1:])
    assert {"dream": dream.job_from, "learn": learn.job_from, "video": video.job_from}[argv[1]](args) == job


def test_default_photos_are_shipped():
    from dreamreel.pipelines.learn import default_photos

    assert all(p.is_file() for p in default_photos()) and len(default_photos()) == 2
