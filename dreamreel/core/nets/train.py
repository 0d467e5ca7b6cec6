"""One jitted training step of a look network: forward, the look's loss through the frozen model, clip, Adam.

training_loss(net_params, batch, model, look, *, config, weights) -> (scalar, {term: scalar})
optimizer(learning_rate, clip_norm, steps=None) -> optax transformation (global-norm clipping, Adam, cosine decay)
init_state(config, key, optimizer, weights=ExtraWeights(), crop=64) -> TrainState(params, opt_state, step, critic,
                                                                                critic_opt)
make_train_step(config, optimizer, weights) -> step(state, batch, model, look) -> (state, {term: scalar})

batch: {"inputs": (N, H, W, 3) float32 in [0, 1]} and, when their weights are positive,
       "next" (N, H, W, 3), "flow" (N, H, W, 2) backward flow on next's grid, "mask" (N, H, W)   temporal term
       "keyframes" (K, H, W, 3) with "targets" (K, H, W, 3), the optimiser's outputs             keyframe, feature
                                                                                       and adversarial terms
With an adversarial weight, a PatchGAN critic (core.nets.patchgan) learns to tell the optimiser's outputs on the
keyframes from the network's; each step first takes the critic's Adam step, then the network's, whose loss adds
weight * softplus(-critic(network output)) (terms "adversarial", and "critic" for the critic's own loss).
The step is one XLA program (jit, state donated): no host round-trips; the term dict is its only output besides
the new state. The frozen model (VGG) and the look (painting statistics) are arguments, not constants baked into
the program, so a new painting or weight does not recompile.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any, Callable

import jax
import jax.numpy as jnp
import optax

from ...models.registry import Model
from .losses import feature_term, keyframe_term, look_terms, look_total, temporal_term
from .networks import NetConfig, build, init_params
from .patchgan import PatchConfig, critic_losses, init_critic


@dataclass(frozen=True)
class ExtraWeights:
    """Weights of the optional terms (0: off, and their batch entries are not needed)."""

    temporal: float = 0.0
    keyframe: float = 0.0
    keyframe_features: float = 0.0  # feature_term against the keyframes' optimiser outputs
    adversarial: float = 0.0

    @property
    def keyframed(self) -> bool:
        return bool(self.keyframe or self.keyframe_features or self.adversarial)
    critic: PatchConfig = PatchConfig()


@partial(jax.tree_util.register_dataclass, data_fields=["params", "opt_state", "step", "critic", "critic_opt"],
         meta_fields=[])
@dataclass(frozen=True)
class TrainState:
    params: Any
    opt_state: Any
    step: jax.Array  # int32 scalar: steps taken
    critic: Any = None  # the PatchGAN critic's parameters and Adam state, with an adversarial weight
    critic_opt: Any = None


def critic_optimizer() -> optax.GradientTransformation:
    return optax.adam(2e-4, b1=0.5)  # pix2pix's


def optimizer(learning_rate: float = 1e-3, clip_norm: float = 1.0, steps: int | None = None,
              final_fraction: float = 0.1) -> optax.GradientTransformation:
    """Adam after clipping the gradient's global norm (the style loss's gradient spikes on flat crops); with
    `steps`, the rate decays along a cosine to final_fraction of itself: large early steps find the look fast,
    small late ones settle the strokes."""
    rate = optax.cosine_decay_schedule(learning_rate, steps, final_fraction) if steps else learning_rate
    return optax.chain(optax.clip_by_global_norm(clip_norm), optax.adam(rate))


def init_state(config: NetConfig, key: jax.Array, opt: optax.GradientTransformation,
               weights: ExtraWeights = ExtraWeights(), crop: int = 64) -> TrainState:
    params = init_params(config, key)
    state = TrainState(params, opt.init(params), jnp.zeros((), jnp.int32))
    if not weights.adversarial:
        return state
    critic = init_critic(weights.critic, jax.random.fold_in(key, 1), crop)
    return TrainState(params, state.opt_state, state.step, critic, critic_optimizer().init(critic))


def training_loss(net_params, batch: dict, model: Model, look, *, config: NetConfig,
                  weights: ExtraWeights = ExtraWeights(), critic=None) -> tuple[jax.Array, dict[str, jax.Array]]:
    """The weighted loss of the network on a batch and its unweighted terms (plus "total"); `critic`: the PatchGAN
    critic's parameters (with an adversarial weight)."""
    net = build(config)
    inputs = batch["inputs"]
    outputs = net.apply({"params": net_params}, inputs)
    terms = look_terms(model, look, outputs, inputs)
    total = look_total(look, terms)
    if weights.temporal:
        following = net.apply({"params": net_params}, batch["next"])
        terms["temporal"] = temporal_term(following, outputs, batch["flow"], batch["mask"])
        total = total + weights.temporal * terms["temporal"]
    if weights.keyframed:
        painted = net.apply({"params": net_params}, batch["keyframes"])
    if weights.keyframe:
        terms["keyframe"] = keyframe_term(painted, batch["targets"])
        total = total + weights.keyframe * terms["keyframe"]
    if weights.keyframe_features:
        terms["keyframe_features"] = feature_term(model, look, painted, batch["targets"])
        total = total + weights.keyframe_features * terms["keyframe_features"]
    if weights.adversarial:
        terms["critic"], terms["adversarial"] = critic_losses(weights.critic, critic, batch["targets"], painted,
                                                              batch["keyframes"])
        total = total + weights.adversarial * terms["adversarial"]
    return total, {**terms, "total": total}


def make_train_step(config: NetConfig, opt: optax.GradientTransformation,
                    weights: ExtraWeights = ExtraWeights()) -> Callable:
    """step(state, batch, model, look) -> (new state, {term: scalar}); one compiled program per batch shape."""
    loss = partial(training_loss, config=config, weights=weights)

    def critic_step(state: TrainState, batch: dict):
        """The critic's Adam step on real (the optimiser's) and fake (the network's, fixed) keyframe outputs."""
        fake = jax.lax.stop_gradient(build(config).apply({"params": state.params}, batch["keyframes"]))
        grads = jax.grad(lambda c: critic_losses(weights.critic, c, batch["targets"], fake, batch["keyframes"])[0])(
            state.critic)
        updates, critic_opt = critic_optimizer().update(grads, state.critic_opt, state.critic)
        return optax.apply_updates(state.critic, updates), critic_opt

    def step(state: TrainState, batch: dict, model: Model, look):
        critic, critic_opt = critic_step(state, batch) if weights.adversarial else (state.critic, state.critic_opt)
        grads, terms = jax.grad(loss, has_aux=True)(state.params, batch, model, look, critic=critic)
        updates, opt_state = opt.update(grads, state.opt_state, state.params)
        terms["grad_norm"] = optax.tree.norm(grads)
        params = optax.apply_updates(state.params, updates)
        return TrainState(params, opt_state, state.step + 1, critic, critic_opt), terms

    return jax.jit(step, donate_argnums=(0,))
