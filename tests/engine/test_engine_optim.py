"""backprop_ref.optim's optimizers over the engine's parameters, as torch.optim over torch's:
`optim.SGD(net.parameters(), lr=...)`; after every step the parameters equal torch's."""

import numpy as np
import pytest
import torch as real_torch

import backprop_ref.engine as engine
from backprop_ref.precision import assert_close


def _model(lib):
    return lib.nn.Sequential(lib.nn.Linear(3, 4), lib.nn.Tanh(), lib.nn.Linear(4, 2)).double()


@pytest.mark.parametrize(
    ("name", "options"),
    [
        ("SGD", dict(lr=0.1)),
        ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.01)),
        ("Adam", dict(lr=0.01, amsgrad=True)),
        ("AdamW", dict(lr=0.01)),
    ],
)
def test_steps_equal_torch(name, options):
    real_torch.manual_seed(0)
    theirs = _model(real_torch)
    ours = _model(engine)
    ours.load_state_dict(theirs.state_dict())
    opt = getattr(engine.optim, name)(ours.parameters(), **options)
    opt_t = getattr(real_torch.optim, name)(theirs.parameters(), **options)
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((5, 3)), rng.standard_normal((5, 2))
    for _ in range(5):
        for model, optimizer, lib in ((ours, opt, engine), (theirs, opt_t, real_torch)):
            optimizer.zero_grad()
            lib.nn.MSELoss()(model(lib.tensor(x)), lib.tensor(y)).backward()
            optimizer.step()
        for (k, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters(), strict=True):
            assert_close(p.detach().numpy(), q, f"{name} {k}")


def test_step_moves_version_and_zero_grad_sets_none():
    model = _model(engine)
    opt = engine.optim.SGD(model.parameters(), lr=0.1)
    x = engine.tensor(np.ones((2, 3)))
    loss = model(x).sum()
    loss.backward(retain_graph=True)
    opt.step()
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        loss.backward()  # the step changed weights the graph saved
    opt.zero_grad()
    assert all(p.grad is None for p in model.parameters())


def test_bad_parameters():
    with pytest.raises(TypeError, match="SGD: optimizer can only optimize Tensors"):
        engine.optim.SGD([np.ones(3)], lr=0.1)
    with pytest.raises(ValueError, match="no parameters"):
        engine.optim.Adam([], lr=0.1)
