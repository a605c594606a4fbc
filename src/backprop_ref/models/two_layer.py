"""The two-layer network of the second seed note. Chapter: docs/walkthroughs/two_layer.md"""

import numpy as np

from ..kernels import linear, linear_backward, relu, relu_backward
from .base import Model


class TwoLayerNet(Model):
    """torch.nn.Sequential(Linear(D_in, H), ReLU(), Linear(H, D_out)), in numpy.

    Parameters, in torch's order: 0.weight (H, D_in), 0.bias (H,), 2.weight (D_out, H),
    2.bias (D_out,). forward: x (*, D_in) -> (*, D_out), usually (N, D_in) -> (N, D_out).
    """

    def __init__(self, D_in, H, D_out, *, dtype=np.float32, seed=None):
        super().__init__(dtype)
        for name, value in (("D_in", D_in), ("H", H), ("D_out", D_out)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"TwoLayerNet: {name} must be a positive int, got {value!r}")
        self.D_in, self.H, self.D_out = int(D_in), int(H), int(D_out)
        rng = np.random.default_rng(seed)
        self._add_parameter("0.weight", self._uniform(rng, (H, D_in), D_in))
        self._add_parameter("0.bias", self._uniform(rng, (H,), D_in))
        self._add_parameter("2.weight", self._uniform(rng, (D_out, H), H))
        self._add_parameter("2.bias", self._uniform(rng, (D_out,), H))
        self.cache = None

    def __repr__(self):
        return (
            f"TwoLayerNet(D_in={self.D_in}, H={self.H}, D_out={self.D_out}, dtype=np.{self.dtype})"
        )

    # --8<-- [start:two-layer-forward]
    def forward(self, x):
        self._check_input("forward", "x", x, (self.D_in,))
        p = self.params
        z1 = linear(x, p["0.weight"], p["0.bias"])  # (1)  (N, H)      pre-activation
        h1 = relu(z1)  # (2)  (N, H)      hidden activation
        y_pred = linear(h1, p["2.weight"], p["2.bias"])  # (3)  (N, D_out)  output
        # what backward needs, like ctx.save_for_backward; x is the caller's array: a copy, so
        # that changing it in place before backward changes nothing
        self.cache = (x.copy(), z1, h1)
        return y_pred

    # --8<-- [end:two-layer-forward]

    # --8<-- [start:two-layer-backward]
    def backward(self, grad_output):
        """Accumulate dL/dparam into self.grads, given dy_pred = dL/dy_pred."""
        if self.cache is None:
            raise RuntimeError("TwoLayerNet.backward: call forward first")
        p = self.params
        x, z1, h1 = self.cache
        dy_pred = self._check_input("backward", "grad_output", grad_output, ())
        if dy_pred.shape != (*x.shape[:-1], self.D_out):
            raise ValueError(
                f"TwoLayerNet.backward: grad_output must have the output's shape "
                f"{(*x.shape[:-1], self.D_out)}, got {dy_pred.shape}"
            )
        dh1, dW2, db2 = linear_backward(dy_pred, h1, p["2.weight"], p["2.bias"])  # (6) (7) (8)
        dz1 = relu_backward(dh1, z1)  # (9)
        _, dW1, db1 = linear_backward(dz1, x, p["0.weight"], p["0.bias"])  # (10) (11)
        for name, g in (("0.weight", dW1), ("0.bias", db1), ("2.weight", dW2), ("2.bias", db2)):
            self._accumulate(name, g)

    # --8<-- [end:two-layer-backward]
