"""The seeds' networks, with gradients keyed like torch's named_parameters().

`backprop_ref.models.torch_reference` holds the same networks in torch (it imports torch).
"""

from .base import Model
from .lenet import LeNet
from .two_layer import TwoLayerNet

__all__ = ["LeNet", "Model", "TwoLayerNet"]
