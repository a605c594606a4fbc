"""Stochastic gradient descent with momentum, dampening and Nesterov, as torch.optim.SGD.

Chapter: docs/training/optim.md
"""

from .optimizer import Optimizer, _flag, _nonnegative, _real


class SGD(Optimizer):
    """theta <- theta - lr * g, with g the gradient after weight decay and momentum.

    SGD(model, lr=0.001, momentum=0, dampening=0, weight_decay=0, nesterov=False, *,
    maximize=False): torch.optim.SGD's options and defaults (torch 2.13). State per parameter:
    'momentum_buffer', when momentum != 0.
    """

    def __init__(
        self,
        model,
        lr=1e-3,
        momentum=0,
        dampening=0,
        weight_decay=0,
        nesterov=False,
        *,
        maximize=False,
        foreach=None,
        differentiable=False,
        fused=None,
    ):
        where = "SGD"
        _nonnegative(where, "lr", lr, "learning rate")
        _nonnegative(where, "momentum", momentum, "momentum value")
        _nonnegative(where, "weight_decay", weight_decay, "weight_decay value")
        _real(where, "dampening", dampening)  # any real number: torch does not bound it
        nesterov = _flag(where, "nesterov", nesterov)
        maximize = _flag(where, "maximize", maximize)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError(
                f"{where}: nesterov=True needs momentum > 0 and dampening = 0, got "
                f"momentum={momentum!r}, dampening={dampening!r}"
            )
        defaults = dict(
            lr=lr,
            momentum=momentum,
            dampening=dampening,
            weight_decay=weight_decay,
            nesterov=nesterov,
            maximize=maximize,
        )
        switches = dict(foreach=foreach, differentiable=differentiable, fused=fused)
        super().__init__(model, defaults, switches)

    # --8<-- [start:sgd-update]
    def _update(self, name, theta, grad, group):
        gamma, mu, tau = group["lr"], group["momentum"], group["dampening"]
        lam = group["weight_decay"]
        g = -grad if group["maximize"] else grad  # (2) ascend: descend on -f
        if lam != 0:
            g = g + lam * theta  # (3) L2 penalty: the gradient of lam/2 |theta|^2
        if mu != 0:
            state = self.state.setdefault(name, {})
            b = state.get("momentum_buffer")
            if b is None:
                b = state["momentum_buffer"] = g.copy()  # (4) b_1 = g_1: no dampening
            else:
                b *= mu  # (5) b_t = mu b_{t-1} + (1 - tau) g_t
                b += (1 - tau) * g
            if group["nesterov"]:
                g = g + mu * b  # (7) torch's Nesterov: g_t + mu b_t
            else:
                g = b  # (6)
        theta -= gamma * g  # (1) in place: the model's array moves

    # --8<-- [end:sgd-update]
