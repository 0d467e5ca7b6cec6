"""dreamreel: DeepDream and neural-style animation on a JIT-compiled JAX core.

    import dreamreel
    model = dreamreel.load_model("vgg16")            # fetches and converts the weights on first use
    image = dreamreel.read_image("photo.jpg")        # (H, W, 3) float32 RGB in [0, 1]
    objective = dreamreel.layer("block4_conv3") + 0.5 * dreamreel.channel("block5_conv1", [12, 40])
    dreamed = dreamreel.dream(image, model=model, objective=objective, octaves=4, steps=10)
    dreamreel.write_image("dream.png", dreamed)
"""

__version__ = "0.1.0"

from .errors import DreamreelError  # noqa: E402
from .io import read_image, write_image  # noqa: E402
from .models import activations, load_model  # noqa: E402
from .core.objectives import channel, layer, layers_sum, neuron, parse_objective, total_variation  # noqa: E402
from .core.dream import Progress, dream  # noqa: E402
from .core.stylize import stylize  # noqa: E402
from .core.visualize import atlas, visualize  # noqa: E402

__all__ = ["DreamreelError", "Progress", "activations", "atlas", "channel", "dream", "layer", "layers_sum",
           "load_model", "neuron", "parse_objective", "read_image", "stylize", "total_variation", "visualize",
           "write_image"]
