"""The PatchGAN critic: one logit per patch, a receptive field of its size, a critic that learns to tell real from
fake, and the adversarial term inside the network's jitted step (both networks move, the state round-trips)."""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from conftest import photo
from dreamreel.core.nets import (ExtraWeights, NetConfig, PatchConfig, critic_logits, critic_losses, init_critic,
                                 init_state, make_train_step, optimizer, style_look)
from dreamreel.core.nets.train import critic_optimizer
from dreamreel.errors import DreamreelError


def test_one_logit_per_patch_and_a_local_receptive_field():
    config = PatchConfig(width=4, layers=3, conditional=True)
    params = init_critic(config, jax.random.PRNGKey(0), 64)
    images = jnp.asarray(np.random.default_rng(0).random((2, 64, 64, 3)), jnp.float32)
    logits = critic_logits(config, params, images, images)
    assert logits.shape == (2, 8, 8)
    # a change in one corner moves the logits near it far more than those of the far corner, which only the group
    # normalisation's statistics reach (a patch critic)
    changed = images.at[:, :8, :8].set(1.0 - images[:, :8, :8])
    delta = np.abs(np.asarray(critic_logits(config, params, changed, images) - logits))
    assert np.all(delta[:, -1, -1] < 0.3 * delta[:, 0, 0])
    with pytest.raises(DreamreelError, match="layers"):
        PatchConfig(layers=0)


def test_the_critic_learns_to_tell_real_from_fake():
    config = PatchConfig(width=4, layers=2, conditional=False)
    params = init_critic(config, jax.random.PRNGKey(1), 32)
    rng = np.random.default_rng(1)
    _, x = np.mgrid[:32, :32]
    stripes = [np.repeat((0.5 + 0.4 * np.sin(x / 1.5 + k))[..., None], 3, axis=-1) for k in range(4)]
    real = jnp.asarray(np.stack(stripes), jnp.float32)
    fake = jnp.asarray(rng.random((4, 32, 32, 3)) * 0.2 + 0.4, jnp.float32)  # flat noise
    opt = critic_optimizer()
    state = opt.init(params)
    before, _ = critic_losses(config, params, real, fake)
    grad = jax.jit(jax.grad(lambda p: critic_losses(config, p, real, fake)[0]))
    for _ in range(200):  # pix2pix's slow critic rate, 2e-4
        updates, state = opt.update(grad(params), state, params)
        params = optax.apply_updates(params, updates)
    after, generator = critic_losses(config, params, real, fake)
    assert float(after) < 0.5 * float(before), (before, after)
    assert float(generator) > float(after)  # the fakes are now recognised: the generator's loss is high


def test_the_adversarial_term_trains_both_networks_in_one_step(tiny_model):
    config = NetConfig(widths=(4, 8, 8), residual_blocks=1)
    painting = np.random.default_rng(1).random((32, 32, 3)).astype(np.float32)
    look = style_look(tiny_model, [painting], content_layer="block2_conv1", style_layers=("block1_conv1",))
    weights = ExtraWeights(adversarial=0.5, critic=PatchConfig(width=4, layers=2))
    opt = optimizer(1e-2)
    state = init_state(config, jax.random.PRNGKey(0), opt, weights, crop=24)
    image = photo((48, 48))
    batch = {"inputs": jnp.asarray(np.stack([image[:24, :24], image[24:, 24:]])),
             "keyframes": jnp.asarray(image[None, :24, 24:]), "targets": jnp.asarray(1.0 - image[None, :24, 24:])}
    critic_before = jax.tree_util.tree_map(np.asarray, state.critic)
    step = make_train_step(config, opt, weights)
    state, terms = step(state, batch, tiny_model, look)
    state, terms = step(state, batch, tiny_model, look)
    assert {"adversarial", "critic"} <= set(terms) and np.isfinite(float(terms["total"]))
    moved = [np.abs(np.asarray(a) - b).max() for a, b in zip(jax.tree_util.tree_leaves(state.critic),
                                                              jax.tree_util.tree_leaves(critic_before))]
    assert max(moved) > 0 and int(state.step) == 2
    plain = init_state(config, jax.random.PRNGKey(0), opt)
    assert plain.critic is None and plain.critic_opt is None
