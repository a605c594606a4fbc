"""The fast path: the same ops as backprop_ref.functional, same names, signatures and checks,
tuned for speed. Chapter: docs/performance.md (every trick here, with the gain it measured).

The models and the benchmark call these; the chapters include the lesson in functional/.
Each kernel is tested equal to its lesson on the op table (tests/test_kernels.py).
flatten, mse_loss, softmax, log_softmax, nll_loss, cross_entropy, batch_norm, layer_norm and the
average poolings are the lesson's own code: no trick measured a gain worth a second copy.
sigmoid, tanh, gelu, dropout and embedding are the lesson's own code too (not benchmarked yet).
"""

from .. import functional as _lesson
from ..functional.activations import (  # noqa: F401
    gelu,
    gelu_backward,
    sigmoid,
    sigmoid_backward,
    tanh,
    tanh_backward,
)
from ..functional.avg_pool2d import (  # noqa: F401
    adaptive_avg_pool2d,
    adaptive_avg_pool2d_backward,
    avg_pool2d,
    avg_pool2d_backward,
)
from ..functional.batch_norm import batch_norm, batch_norm_backward  # noqa: F401
from ..functional.cross_entropy import (  # noqa: F401
    cross_entropy,
    cross_entropy_backward,
    nll_loss,
    nll_loss_backward,
)
from ..functional.dropout import dropout, dropout_backward  # noqa: F401
from ..functional.embedding import embedding, embedding_backward  # noqa: F401
from ..functional.flatten import flatten, flatten_backward  # noqa: F401
from ..functional.layer_norm import layer_norm, layer_norm_backward  # noqa: F401
from ..functional.mse_loss import mse_loss, mse_loss_backward  # noqa: F401
from ..functional.softmax import (  # noqa: F401
    log_softmax,
    log_softmax_backward,
    softmax,
    softmax_backward,
)
from .conv2d import conv2d, conv2d_backward  # noqa: F401
from .linear import linear, linear_backward  # noqa: F401
from .max_pool2d import max_pool2d, max_pool2d_backward  # noqa: F401
from .relu import relu, relu_backward  # noqa: F401

__all__ = list(_lesson.__all__)  # exactly the lesson's names
