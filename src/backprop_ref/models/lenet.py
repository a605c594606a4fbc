"""LeNet of the first seed note (the PyTorch blitz network). Chapter: docs/walkthroughs/lenet.md"""

import numpy as np

from ..kernels import (
    conv2d,
    conv2d_backward,
    flatten,
    flatten_backward,
    linear,
    linear_backward,
    max_pool2d,
    max_pool2d_backward,
    relu,
    relu_backward,
)
from ..kernels.conv2d import conv2d_bias, conv2d_weight
from .base import Model

# Height and width that reach fc1 with 16 x 5 x 5 = 400 features: ((H - 4) // 2 - 4) // 2 == 5.
# The blitz feeds 32 x 32; torch's Net accepts 33 to 35 too (max-pooling floors), and so do we.
SIZES = range(32, 36)


class LeNet(Model):
    """The blitz tutorial's Net, in numpy.

    conv1 (1->6, 5x5), ReLU, max-pool 2, conv2 (6->16, 5x5), ReLU, max-pool 2, flatten,
    fc1 (400->120), ReLU, fc2 (120->84), ReLU, fc3 (84->10).

    Parameters, in torch's order: conv1.weight (6, 1, 5, 5), conv1.bias (6,),
    conv2.weight (16, 6, 5, 5), conv2.bias (16,), fc1.weight (120, 400), fc1.bias (120,),
    fc2.weight (84, 120), fc2.bias (84,), fc3.weight (10, 84), fc3.bias (10,).
    forward: x (N, 1, 32, 32) -> (N, 10). backward(grad_output (N, 10)) accumulates into grads.
    """

    def __init__(self, *, dtype=np.float32, seed=None):
        super().__init__(dtype)
        rng = np.random.default_rng(seed)
        for name, shape, fan_in in (
            ("conv1", (6, 1, 5, 5), 1 * 5 * 5),
            ("conv2", (16, 6, 5, 5), 6 * 5 * 5),
            ("fc1", (120, 400), 400),
            ("fc2", (84, 120), 120),
            ("fc3", (10, 84), 84),
        ):
            self._add_parameter(f"{name}.weight", self._uniform(rng, shape, fan_in))
            self._add_parameter(f"{name}.bias", self._uniform(rng, shape[:1], fan_in))
        self.cache = None

    def __repr__(self):
        return f"LeNet(dtype=np.{self.dtype})"

    def _check_x(self, x):
        self._check_input("forward", "x", x, ())  # an ndarray of the model's dtype
        if x.ndim != 4 or x.shape[1] != 1 or not set(x.shape[2:]) <= set(SIZES):
            hint = (
                " (an unbatched image (1, 32, 32) needs a batch axis, x[None]; torch's Net "
                "rejects it too)"
                if x.shape == (1, 32, 32)
                else ""
            )
            raise ValueError(
                "LeNet.forward: expected x of shape (N, 1, 32, 32) (a height and width of "
                f"33 to 35 also reach fc1's 400 features), got {x.shape}{hint}"
            )

    # --8<-- [start:lenet-forward]
    def forward(self, x):
        self._check_x(x)
        p = self.params
        z1 = conv2d(x, p["conv1.weight"], p["conv1.bias"])  # (N, 6, 28, 28)
        a1 = relu(z1)  # (N, 6, 28, 28)
        p1 = max_pool2d(a1, 2)  # (N, 6, 14, 14)
        z2 = conv2d(p1, p["conv2.weight"], p["conv2.bias"])  # (N, 16, 10, 10)
        a2 = relu(z2)  # (N, 16, 10, 10)
        p2 = max_pool2d(a2, 2)  # (N, 16, 5, 5)
        f = flatten(p2, 1)  # (N, 400)   the seed's x.view(-1, 400)
        z3 = linear(f, p["fc1.weight"], p["fc1.bias"])  # (N, 120)
        a3 = relu(z3)  # (N, 120)
        z4 = linear(a3, p["fc2.weight"], p["fc2.bias"])  # (N, 84)
        a4 = relu(z4)  # (N, 84)
        y = linear(a4, p["fc3.weight"], p["fc3.bias"])  # (N, 10)
        # every activation, by its name in the picture: what backward needs (autograd saves these).
        # x is the caller's array: a copy, so that changing it before backward changes nothing
        self.cache = dict(x=x.copy(), z1=z1, a1=a1, p1=p1, z2=z2, a2=a2, p2=p2)
        self.cache.update(f=f, z3=z3, a3=a3, z4=z4, a4=a4, y=y)
        return y

    # --8<-- [end:lenet-forward]

    def _check_grad_output(self, grad_output):
        if self.cache is None:
            raise RuntimeError("LeNet.backward: call forward first")
        self._check_input("backward", "grad_output", grad_output, ())
        y = self.cache["y"]
        if grad_output.shape != y.shape:
            raise ValueError(
                f"LeNet.backward: grad_output must have the output's shape {y.shape}, "
                f"got {grad_output.shape}"
            )

    # --8<-- [start:lenet-backward]
    def backward(self, grad_output):
        """Accumulate dL/dparam into self.grads, given dy = dL/dy (N, 10)."""
        self._check_grad_output(grad_output)
        p, c = self.params, self.cache
        dy = grad_output  # (N, 10)
        da4, dW, db = linear_backward(dy, c["a4"], p["fc3.weight"], p["fc3.bias"])
        self._accumulate("fc3.weight", dW)  # (10, 84)
        self._accumulate("fc3.bias", db)  # (10,)
        dz4 = relu_backward(da4, c["z4"])  # (N, 84)
        da3, dW, db = linear_backward(dz4, c["a3"], p["fc2.weight"], p["fc2.bias"])
        self._accumulate("fc2.weight", dW)  # (84, 120)
        self._accumulate("fc2.bias", db)  # (84,)
        dz3 = relu_backward(da3, c["z3"])  # (N, 120)
        df, dW, db = linear_backward(dz3, c["f"], p["fc1.weight"], p["fc1.bias"])
        self._accumulate("fc1.weight", dW)  # (120, 400)
        self._accumulate("fc1.bias", db)  # (120,)
        dp2 = flatten_backward(df, c["p2"], 1)  # (N, 16, 5, 5)
        da2 = max_pool2d_backward(dp2, c["a2"], 2)  # (N, 16, 10, 10)
        dz2 = relu_backward(da2, c["z2"])  # (N, 16, 10, 10)
        dp1, dW, db = conv2d_backward(dz2, c["p1"], p["conv2.weight"], p["conv2.bias"])
        self._accumulate("conv2.weight", dW)  # (16, 6, 5, 5)
        self._accumulate("conv2.bias", db)  # (16,)
        da1 = max_pool2d_backward(dp1, c["a1"], 2)  # (N, 6, 28, 28)
        dz1 = relu_backward(da1, c["z1"])  # (N, 6, 28, 28)
        # conv1: the weight's and the bias's gradients only. x is data (x.requires_grad is
        # False), so torch's autograd never computes dL/dx, and neither do we
        dW = conv2d_weight(c["x"], p["conv1.weight"].shape, dz1)  # conv2d_backward's second
        db = conv2d_bias(dz1)  # and third result: dz1 summed over the batch and positions
        self._accumulate("conv1.weight", dW)  # (6, 1, 5, 5)
        self._accumulate("conv1.bias", db)  # (6,)

    # --8<-- [end:lenet-backward]
