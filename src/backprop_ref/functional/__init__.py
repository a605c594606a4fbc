"""numpy mirrors of torch.nn.functional ops, each with `<op>_backward(grad_output, <same args>)`.

One op family per module, one chapter per module (docs/layers/<module>.md).
"""

from .activations import gelu, gelu_backward, sigmoid, sigmoid_backward, tanh, tanh_backward
from .avg_pool2d import (
    adaptive_avg_pool2d,
    adaptive_avg_pool2d_backward,
    avg_pool2d,
    avg_pool2d_backward,
)
from .batch_norm import batch_norm, batch_norm_backward
from .conv2d import conv2d, conv2d_backward
from .cross_entropy import cross_entropy, cross_entropy_backward, nll_loss, nll_loss_backward
from .dropout import dropout, dropout_backward
from .embedding import embedding, embedding_backward
from .flatten import flatten, flatten_backward
from .layer_norm import layer_norm, layer_norm_backward
from .linear import linear, linear_backward
from .max_pool2d import max_pool2d, max_pool2d_backward
from .mse_loss import mse_loss, mse_loss_backward
from .relu import relu, relu_backward
from .softmax import log_softmax, log_softmax_backward, softmax, softmax_backward

# --8<-- [start:arrays]
# op name -> its array arguments, in the order <op>_backward returns their gradients (the
# engine wraps each op by it, the exercises name the gradients by it)
ARRAYS = {
    "linear": ("input", "weight", "bias"),
    "conv2d": ("input", "weight", "bias"),
    "relu": ("input",),
    "max_pool2d": ("input",),
    "avg_pool2d": ("input",),
    "adaptive_avg_pool2d": ("input",),
    "flatten": ("input",),
    "mse_loss": ("input", "target"),
    "cross_entropy": ("input", "target", "weight"),
    "nll_loss": ("input", "target", "weight"),
    "sigmoid": ("input",),
    "tanh": ("input",),
    "gelu": ("input",),
    "softmax": ("input",),
    "log_softmax": ("input",),
    "dropout": ("input",),
    "batch_norm": ("input", "running_mean", "running_var", "weight", "bias"),
    "layer_norm": ("input", "weight", "bias"),
    "embedding": ("input", "weight"),
}
# --8<-- [end:arrays]

__all__ = [
    "adaptive_avg_pool2d",
    "adaptive_avg_pool2d_backward",
    "avg_pool2d",
    "avg_pool2d_backward",
    "batch_norm",
    "batch_norm_backward",
    "conv2d",
    "conv2d_backward",
    "cross_entropy",
    "cross_entropy_backward",
    "dropout",
    "dropout_backward",
    "embedding",
    "embedding_backward",
    "flatten",
    "flatten_backward",
    "gelu",
    "gelu_backward",
    "layer_norm",
    "layer_norm_backward",
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
    "sigmoid",
    "sigmoid_backward",
    "softmax",
    "softmax_backward",
    "tanh",
    "tanh_backward",
]
