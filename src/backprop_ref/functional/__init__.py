"""numpy mirrors of torch.nn.functional ops, each with `<op>_backward(grad_output, <same args>)`.

One op family per module, one chapter per module (docs/layers/<module>.md).
"""

from .conv2d import conv2d, conv2d_backward
from .cross_entropy import cross_entropy, cross_entropy_backward, nll_loss, nll_loss_backward
from .flatten import flatten, flatten_backward
from .linear import linear, linear_backward
from .max_pool2d import max_pool2d, max_pool2d_backward
from .mse_loss import mse_loss, mse_loss_backward
from .relu import relu, relu_backward
from .softmax import log_softmax, log_softmax_backward, softmax, softmax_backward

__all__ = [
    "conv2d",
    "conv2d_backward",
    "cross_entropy",
    "cross_entropy_backward",
    "flatten",
    "flatten_backward",
    "linear",
    "linear_backward",
    "log_softmax",
    "log_softmax_backward",
    "max_pool2d",
    "max_pool2d_backward",
    "mse_loss",
    "mse_loss_backward",
    "nll_loss",
    "nll_loss_backward",
    "relu",
    "relu_backward",
    "softmax",
    "softmax_backward",
]
