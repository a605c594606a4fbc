"""LeNet of the first seed note (the PyTorch blitz network). Chapter: docs/walkthroughs/lenet.md"""

from .base import Model


class LeNet(Model):
    """Being written."""
