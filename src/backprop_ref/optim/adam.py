"""Adam and AdamW, as torch.optim.Adam and torch.optim.AdamW.

The two differ only in the weight decay: Adam adds weight_decay * theta to the gradient (an L2
penalty, which then goes through the moments), AdamW shrinks theta by 1 - lr * weight_decay
before the step (decoupled). Chapter: docs/training/optim.md
"""

import numpy as np

from .optimizer import Optimizer, _flag, _nonnegative


class Adam(Optimizer):
    """theta <- theta - lr * m_hat / (sqrt(v_hat) + eps), m and v moving averages of g and g^2.

    Adam(model, lr=0.001, betas=(0.9, 0.999), eps=1e-08, weight_decay=0, amsgrad=False, *,
    maximize=False, decoupled_weight_decay=False): torch.optim.Adam's options and defaults
    (torch 2.13); decoupled_weight_decay=True is AdamW. State per parameter: 'step',
    'exp_avg' (m), 'exp_avg_sq' (v) and, with amsgrad, 'max_exp_avg_sq' (v_max).
    """

    def __init__(
        self,
        model,
        lr=1e-3,
        betas=(0.9, 0.999),
        eps=1e-8,
        weight_decay=0,
        amsgrad=False,
        *,
        foreach=None,
        maximize=False,
        capturable=False,
        differentiable=False,
        fused=None,
        decoupled_weight_decay=False,
    ):
        where = type(self).__name__
        _nonnegative(where, "lr", lr, "learning rate")
        _nonnegative(where, "eps", eps, "epsilon value")
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise ValueError(f"{where}: betas must be a pair (beta1, beta2), got {betas!r}")
        for i, beta in enumerate(betas):
            if not isinstance(beta, float):  # torch: "both floats" (an int 0 is refused too)
                raise ValueError(f"{where}: betas[{i}] must be a float, got {beta!r}")
            if not 0.0 <= beta < 1.0:
                raise ValueError(f"{where}: invalid betas[{i}]={beta!r}, must be in [0, 1)")
        _nonnegative(where, "weight_decay", weight_decay, "weight_decay value")
        defaults = dict(
            lr=lr,
            betas=(float(betas[0]), float(betas[1])),
            eps=eps,
            weight_decay=weight_decay,
            amsgrad=_flag(where, "amsgrad", amsgrad),
            maximize=_flag(where, "maximize", maximize),
            decoupled_weight_decay=_flag(where, "decoupled_weight_decay", decoupled_weight_decay),
        )
        switches = dict(
            foreach=foreach, capturable=capturable, differentiable=differentiable, fused=fused
        )
        super().__init__(model, defaults, switches)

    # --8<-- [start:adam-update]
    def _update(self, name, theta, grad, group):
        gamma, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
        lam = group["weight_decay"]
        state = self.state.setdefault(name, {})
        if not state:  # the first step with a gradient: m_0 = v_0 = 0
            state["step"] = 0
            state["exp_avg"] = np.zeros_like(theta)
            state["exp_avg_sq"] = np.zeros_like(theta)
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = np.zeros_like(theta)
        m, v = state["exp_avg"], state["exp_avg_sq"]
        state["step"] += 1
        t = state["step"]

        g = -grad if group["maximize"] else grad  # (2)
        if lam != 0:
            if group["decoupled_weight_decay"]:
                theta *= 1 - gamma * lam  # (14) AdamW: shrink theta, g untouched
            else:
                g = g + lam * theta  # (13) Adam: L2 penalty, through m and v
        m += (1 - beta1) * (g - m)  # (8) m_t = beta1 m_{t-1} + (1 - beta1) g_t (torch's lerp_)
        v *= beta2  # (9) v_t = beta2 v_{t-1} + (1 - beta2) g_t^2
        v += (1 - beta2) * g * g
        bias_correction1 = 1 - beta1**t  # (10)
        bias_correction2 = 1 - beta2**t
        if group["amsgrad"]:
            v_max = state["max_exp_avg_sq"]
            np.maximum(v_max, v, out=v_max)  # (12) v_max_t = max(v_max_{t-1}, v_t)
            v = v_max
        step_size = gamma / bias_correction1  # (11) lr * m_hat = step_size * m
        denom = np.sqrt(v) / bias_correction2**0.5 + eps  # (11) sqrt(v_hat) + eps
        theta -= step_size * (m / denom)  # (11) in place: the model's array moves

    # --8<-- [end:adam-update]


class AdamW(Adam):
    """Adam with decoupled weight decay: theta <- (1 - lr * weight_decay) theta, then Adam.

    AdamW(model, lr=0.001, betas=(0.9, 0.999), eps=1e-08, weight_decay=0.01, amsgrad=False, *,
    maximize=False): torch.optim.AdamW's options and defaults (torch 2.13).
    """

    def __init__(
        self,
        model,
        lr=1e-3,
        betas=(0.9, 0.999),
        eps=1e-8,
        weight_decay=1e-2,
        amsgrad=False,
        *,
        maximize=False,
        foreach=None,
        capturable=False,
        differentiable=False,
        fused=None,
    ):
        super().__init__(
            model,
            lr,
            betas,
            eps,
            weight_decay,
            amsgrad,
            foreach=foreach,
            maximize=maximize,
            capturable=capturable,
            differentiable=differentiable,
            fused=fused,
            decoupled_weight_decay=True,
        )
