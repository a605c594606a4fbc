"""The seeds' networks, with gradients keyed like torch's named_parameters()."""

from .base import Model
from .lenet import LeNet
from .two_layer import TwoLayerNet

__all__ = ["LeNet", "Model", "TwoLayerNet"]
