"""The training loop: a network file with its recipe, previews, resume after a stop, temporal pairs, bad input."""

import jax
import numpy as np
import pytest

from conftest import photo
from synthetic import pan_clip
from dreamreel.core.nets import LearnedNet, NetConfig, apply_net, init_params, style_look
from dreamreel.errors import DreamreelError
from dreamreel.io import read_image
from dreamreel.io.netfile import load_net
from dreamreel.motion.warp import follow as warp
from dreamreel.pipelines.clip import temporal_error
from dreamreel.pipelines.learn import (LearnSettings, LookSource, checkpoint_path, hold_out, keyframe_batch, learn,
                                       look_source, net_clip, preview_path, sample_batch)

RECIPE = {"name": "noise look", "kind": "style"}
TINY = dict(steps=12, batch=2, crop=32, side=64, width=4, residual_blocks=1, checkpoint_every=4, preview_every=8,
            report_every=2, learning_rate=1e-2)


@pytest.fixture(scope="module")
def look(tiny_model):
    painting = np.random.default_rng(5).random((48, 48, 3)).astype(np.float32)
    return style_look(tiny_model, [painting], content_layer="block2_conv1",
                      style_layers=("block1_conv1", "block2_conv1", "block3_conv1"))


@pytest.fixture(scope="module")
def images():
    big = photo((64, 96))
    return [big, big[:, ::-1].copy(), photo((48, 64))]


def test_learn_writes_a_network_that_learned_the_look(tmp_path, tiny_model, look, images):
    reports = []
    out = learn(images, model=tiny_model, look=look, recipe=RECIPE, output=tmp_path / "look.dnet",
                settings=LearnSettings(**TINY), held_out=[photo((40, 40))], progress=reports.append)
    net = load_net(out, recipe=RECIPE)
    assert net.info["steps"] == 12 and net.trained_side == 64
    assert [r.step for r in reports] == [2, 4, 6, 8, 10, 12]
    assert all(np.isfinite(r.losses["total"]) for r in reports)
    assert [entry[0] for entry in net.info["history"]] == [2, 4, 6, 8, 10, 12]
    assert reports[3].preview == preview_path(out)
    sheet = read_image(preview_path(out))
    assert sheet.shape[0] > 40 and sheet.shape[1] > 2 * 40
    assert not checkpoint_path(out).exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["look.dnet", "look.preview.jpg"]


def test_a_stopped_run_resumes_to_the_same_network(tmp_path, tiny_model, look, images):
    settings = LearnSettings(**TINY)
    whole = learn(images, model=tiny_model, look=look, recipe=RECIPE, output=tmp_path / "whole.dnet",
                  settings=settings)
    calls = []
    stopped = learn(images, model=tiny_model, look=look, recipe=RECIPE, output=tmp_path / "part.dnet",
                    settings=settings, cancel=lambda: calls.append(1) or len(calls) > 6)
    assert stopped is None and checkpoint_path(tmp_path / "part.dnet").is_file()
    reports = []
    resumed = learn(images, model=tiny_model, look=look, recipe=RECIPE, output=tmp_path / "part.dnet",
                    settings=settings, progress=reports.append)
    assert reports[0].resumed_from == 6
    for a, b in zip(jax.tree_util.tree_leaves(load_net(whole).params), jax.tree_util.tree_leaves(load_net(resumed).params)):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_a_checkpoint_of_another_recipe_is_not_resumed(tmp_path, tiny_model, look, images):
    output = tmp_path / "look.dnet"
    calls = []
    learn(images, model=tiny_model, look=look, recipe=RECIPE, output=output, settings=LearnSettings(**TINY),
          cancel=lambda: calls.append(1) or len(calls) > 5)
    reports = []
    learn(images, model=tiny_model, look=look, recipe={**RECIPE, "name": "other"}, output=output,
          settings=LearnSettings(**TINY), progress=reports.append)
    assert reports[0].resumed_from == 0
    assert load_net(output).recipe["name"] == "other"


def test_clip_pairs_are_aligned_by_their_flow_even_when_flipped():
    clip = pan_clip(photo((96, 128)), 4, dx=3.0, dy=1.0, size=(64, 80))
    settings = LearnSettings(batch=6, crop=40, side=80, temporal_weight=1.0)
    from dreamreel.pipelines.learn import _Pairs  # noqa: PLC0415 (the cache is what learn() passes)

    batch = sample_batch(clip.frames, 3, settings, _Pairs(clip.frames))
    assert batch["inputs"].shape == batch["next"].shape == (6, 40, 40, 3)
    assert batch["flow"].shape == (6, 40, 40, 2) and batch["mask"].shape == (6, 40, 40)
    for prev, nxt, flow, mask in zip(batch["inputs"], batch["next"], batch["flow"], batch["mask"]):
        assert mask.mean() > 0.5
        error = np.abs(warp(prev, flow) - nxt).mean(axis=-1)
        assert (error * mask).sum() / mask.sum() < 0.03
        assert (error * mask).sum() / mask.sum() < 0.5 * np.abs(prev - nxt).mean()


def test_temporal_training_on_a_clip(tmp_path, tiny_model, look):
    clip = pan_clip(photo((96, 128)), 5, dx=2.0, dy=0.0, size=(48, 64))
    reports = []
    settings = LearnSettings(**{**TINY, "steps": 4, "temporal_weight": 5.0})
    out = learn(clip.frames, model=tiny_model, look=look, recipe=RECIPE, output=tmp_path / "t.dnet",
                settings=settings, clip=True, progress=reports.append)
    assert "temporal" in reports[-1].losses and np.isfinite(reports[-1].losses["temporal"])
    net = load_net(out)
    outputs = list(net_clip(clip.frames, net))
    np.testing.assert_allclose(outputs[2], np.asarray(apply_net(net, clip.frames[2])), atol=1e-6)
    blended = list(net_clip(clip.frames, net, blend=0.5))
    assert temporal_error(blended, clip.frames) <= temporal_error(outputs, clip.frames) + 1e-9


def test_a_blended_clip_of_a_dream_network_keeps_its_strength(tiny_model):
    clip = pan_clip(photo((96, 128)), 4, dx=2.0, dy=0.0, size=(48, 64))
    config = NetConfig((4, 8, 8), 1, strength=0.05)
    net = LearnedNet(config, init_params(config, jax.random.PRNGKey(1)), RECIPE)
    for raw, out in zip(clip.frames, net_clip(clip.frames, net, blend=0.8)):
        assert np.mean(np.abs(out - raw)) == pytest.approx(0.05, rel=0.02)


def test_hold_out_keeps_training_images():
    train, held = hold_out(list(range(10)), 2)
    assert len(train) == 8 and len(held) == 2 and not set(train) & set(held)
    with pytest.raises(DreamreelError, match="hold out"):
        hold_out([1, 2], 2)


def test_bad_settings_and_data_raise(tmp_path, tiny_model, look, images):
    with pytest.raises(DreamreelError, match="crop"):
        LearnSettings(crop=256, side=128)
    with pytest.raises(DreamreelError, match="norm"):
        LearnSettings(norm="batch")
    with pytest.raises(DreamreelError, match="steps"):
        LearnSettings(steps=0)
    with pytest.raises(DreamreelError, match="consecutive frames"):
        learn(images, model=tiny_model, look=look, recipe=RECIPE, output=tmp_path / "x.dnet",
              settings=LearnSettings(**{**TINY, "temporal_weight": 1.0}))
    with pytest.raises(DreamreelError, match="keyframes"):
        learn(images, model=tiny_model, look=look, recipe=RECIPE, output=tmp_path / "x.dnet",
              settings=LearnSettings(**{**TINY, "keyframe_weight": 1.0}))
    with pytest.raises(DreamreelError, match="RGB"):
        learn([np.zeros((64, 64))], model=tiny_model, look=look, recipe=RECIPE, output=tmp_path / "x.dnet",
              settings=LearnSettings(**TINY))
    with pytest.raises(DreamreelError, match="blend"):
        next(net_clip([photo((32, 32))], None, blend=1.0))


def test_unconditional_gan_writes_a_generator_and_a_sample_grid(tmp_path, images):
    from dreamreel.io.netfile import load_generator
    from dreamreel.pipelines.learn import GanSettings, learn_unconditional, samples_path

    settings = GanSettings(steps=6, batch=4, size=8, width=4, latent=8, samples=6, report_every=3,
                           checkpoint_every=2)
    calls = []
    assert learn_unconditional(images, output=tmp_path / "g.dnet", settings=settings,
                               cancel=lambda: calls.append(1) or len(calls) > 3) is None
    reports = []
    out = learn_unconditional(images, output=tmp_path / "g.dnet", settings=settings, progress=reports.append)
    assert reports[0].resumed_from == 3 and reports[-1].step == 6
    config, params = load_generator(out)
    assert config.size == 8
    grid = read_image(samples_path(out))
    assert grid.shape[:2] == (2 * 10 + 2, 3 * 10 + 2)
    with pytest.raises(DreamreelError, match="holds a GAN generator .*, not a look network"):
        load_net(out)


def test_keyframe_and_adversarial_terms_train_and_resume_with_the_critic(tmp_path, tiny_model, look, images):
    keyframes = [(images[0], np.clip(1.0 - images[0], 0, 1)), (images[2], images[2][::-1].copy())]
    settings = LearnSettings(**{**TINY, "steps": 6, "keyframe_weight": 1.0, "adversarial_weight": 0.1})
    whole = learn(images, model=tiny_model, look=look, recipe=RECIPE, output=tmp_path / "w.dnet", settings=settings,
                  keyframes=keyframes)
    calls = []
    assert learn(images, model=tiny_model, look=look, recipe=RECIPE, output=tmp_path / "p.dnet", settings=settings,
                 keyframes=keyframes, cancel=lambda: calls.append(1) or len(calls) > 3) is None
    reports = []
    resumed = learn(images, model=tiny_model, look=look, recipe=RECIPE, output=tmp_path / "p.dnet",
                    settings=settings, keyframes=keyframes, progress=reports.append)
    assert reports[0].resumed_from == 3 and {"adversarial", "critic", "keyframe"} <= set(reports[-1].losses)
    for a, b in zip(jax.tree_util.tree_leaves(load_net(whole).params),
                    jax.tree_util.tree_leaves(load_net(resumed).params)):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_keyframe_batches_crop_frame_and_target_at_the_same_place():
    frame = np.random.default_rng(0).random((60, 70, 3)).astype(np.float32)
    keyframes = [(frame, 1.0 - frame), (frame[::-1].copy(), 1.0 - frame[::-1])]
    settings = LearnSettings(**{**TINY, "batch": 5, "crop": 32})
    batch = keyframe_batch(keyframes, 3, settings)
    assert batch["keyframes"].shape == batch["targets"].shape == (5, 32, 32, 3)
    np.testing.assert_array_equal(batch["targets"], 1.0 - batch["keyframes"])
    again = keyframe_batch(keyframes, 3, settings)
    np.testing.assert_array_equal(again["keyframes"], batch["keyframes"])  # seeded by the step: resumes alike


def test_feature_keyframes_need_keyframes(tmp_path, tiny_model, look, images):
    settings = LearnSettings(**{**TINY, "keyframe_feature_weight": 1.0})
    with pytest.raises(DreamreelError, match="need keyframes"):
        learn(images, model=tiny_model, look=look, recipe=RECIPE, output=tmp_path / "k.dnet", settings=settings)


def test_a_recipe_made_in_another_clone_finds_the_preset_painting_by_name_and_checksum():
    recipe = look_source("vgg16", preset="starry").to_dict()
    moved = {**recipe, "styles": [{**recipe["styles"][0], "file": "/elsewhere/presets/images/starry_night.jpg"}]}
    assert LookSource.from_dict(moved).styles == (recipe["styles"][0]["file"],)
    changed = {**moved, "styles": [{**moved["styles"][0], "sha256": "0" * 16}]}
    with pytest.raises(DreamreelError, match="not there"):
        LookSource.from_dict(changed)
