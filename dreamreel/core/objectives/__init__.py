"""Objectives: values of a network's activations to maximise, composed with + - * (see base.py for the algebra).

    from dreamreel.core.objectives import layer, channel
    obj = 0.7 * layer("block4_conv3") - 0.3 * channel("block5_conv1", 12)

base.py      Objective, Sum, objective_value(model, objective, images (N, H, W, 3)) -> scalar
features.py  layer, layers_sum, channel, neuron, channel_weights, batch_channels, class_logit
guides.py    guide, guide_match, guide_channel_weights, pixels
style.py     style_loss, content_loss, gatys_objective, gram_matrix, feature_stats, loss_terms
temporal.py  temporal          smoothness.py  total_variation          parse.py  parse_objective
"""

from .base import REDUCTIONS, Objective, Sum, deepest_layer, objective_acts, objective_value, weighted_terms
from .features import (ClassObjective, batch_channels, channel, channel_weights, class_logit, layer, layers_sum,
                       neuron)
from .guides import GUIDE_LOSSES, guide, guide_channel_weights, guide_match, pixels
from .parse import parse_objective
from .smoothness import TotalVariation, total_variation
from .style import (STYLE_LOSSES, ContentLoss, StyleLoss, content_loss, feature_stats, gatys_objective, gram_matrix,
                    loss_terms, style_loss)
from .temporal import temporal

__all__ = [
    "GUIDE_LOSSES", "REDUCTIONS", "STYLE_LOSSES", "ClassObjective", "ContentLoss", "Objective", "StyleLoss", "Sum",
    "TotalVariation", "batch_channels", "channel", "channel_weights", "class_logit", "content_loss", "deepest_layer",
    "feature_stats", "gatys_objective", "gram_matrix", "guide", "guide_channel_weights", "guide_match", "layer",
    "layers_sum", "loss_terms", "neuron", "objective_acts", "objective_value", "parse_objective", "pixels",
    "style_loss", "temporal", "total_variation", "weighted_terms",
]
