"""Learned looks: small image-to-image networks trained to replicate a still recipe (issue 16). Pure arrays.

networks: NetConfig, LearnedNet, build, init_params, apply_net       losses: StyleLook, DreamLook, style_look, ...
train: optimizer, init_state, make_train_step, training_loss         patchgan: PatchConfig, critic_losses, ...
"""

from .losses import (DreamLook, StyleLook, dream_look, feature_term, keyframe_term, look_terms, look_total, style_look,
                     temporal_term)
from .networks import MIN_SIDE, NORMS, LearnedNet, NetConfig, apply_net, build, init_params, parameter_count
from .patchgan import PatchConfig, critic_logits, critic_losses, init_critic
from .train import ExtraWeights, TrainState, init_state, make_train_step, optimizer, training_loss

__all__ = ["DreamLook", "ExtraWeights", "LearnedNet", "MIN_SIDE", "NORMS", "NetConfig", "PatchConfig", "StyleLook",
           "TrainState", "apply_net", "build", "critic_logits", "critic_losses", "dream_look", "feature_term",
           "init_critic", "init_params", "init_state", "keyframe_term", "look_terms", "look_total", "make_train_step", "optimizer",
           "parameter_count", "style_look", "temporal_term", "training_loss"]
