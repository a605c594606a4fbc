"""The seeds' networks in PyTorch: the references our numpy models are checked against.

Importing this module imports torch; the rest of backprop_ref needs only numpy.
"""

import torch
import torch.nn.functional as F
from torch import nn


class BlitzNet(nn.Module):
    """The first seed's Net (PyTorch's 60-minute blitz LeNet); models.LeNet mirrors it.

    x (N, 1, 32, 32) -> (N, 10). flatten(x, 1) is the seed's x.view(-1, 400).
    """

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)


def two_layer_net(D_in, H, D_out):
    """The second seed's Sequential(Linear, ReLU, Linear); models.TwoLayerNet mirrors it."""
    return nn.Sequential(nn.Linear(D_in, H), nn.ReLU(), nn.Linear(H, D_out))
