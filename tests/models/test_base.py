"""The Model base class: parameter bookkeeping, state dicts, gradient accumulation, zero_grad."""

import numpy as np
import pytest
import torch

from backprop_ref.models import Model


class Affine(Model):
    """The smallest model: y = x * w + b elementwise, enough to exercise the base class."""

    def __init__(self, n, dtype=np.float32):
        super().__init__(dtype)
        self._add_parameter("w", np.arange(1, n + 1))
        self._add_parameter("b", np.zeros(n))
        self.x = None

    def forward(self, x):
        self._check_input("forward", "x", x, self.params["w"].shape)
        self.x = x
        return x * self.params["w"] + self.params["b"]

    def backward(self, grad_output):
        self._accumulate("w", (grad_output * self.x).reshape(-1, self.x.shape[-1]).sum(axis=0))
        self._accumulate("b", grad_output.reshape(-1, self.x.shape[-1]).sum(axis=0))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_parameters_are_contiguous_arrays_of_the_dtype(dtype):
    m = Affine(3, dtype)
    assert m.dtype == np.dtype(dtype)
    assert [n for n, _ in m.named_parameters()] == ["w", "b"]
    for p in m.parameters():
        assert p.dtype == np.dtype(dtype)
        assert p.flags.c_contiguous
    assert m.grads == {"w": None, "b": None}


@pytest.mark.parametrize("dtype", [np.float16, np.int64, "complex128"])
def test_other_dtypes_are_refused(dtype):
    with pytest.raises(TypeError, match="Affine: dtype must be float32 or float64"):
        Affine(3, dtype)


def test_abstract_forward_and_backward():
    m = Model()
    with pytest.raises(NotImplementedError):
        m(np.zeros(1, np.float32))
    with pytest.raises(NotImplementedError):
        m.backward(np.zeros(1, np.float32))


def test_call_is_forward():
    m = Affine(3, np.float64)
    x = np.array([[1.0, 2.0, 3.0]])
    np.testing.assert_array_equal(m(x), m.forward(x))


def test_uniform_init_bounds():
    m = Model(np.float64)
    v = m._uniform(np.random.default_rng(0), (1000,), fan_in=16)
    assert v.shape == (1000,)
    assert np.abs(v).max() <= 0.25
    assert np.abs(v).max() > 0.24  # fills the range


def test_accumulation_starts_from_none_and_adds():
    m = Affine(2, np.float64)
    x = np.array([[1.0, 2.0]])
    m(x)
    m.backward(np.array([[3.0, 4.0]]))
    np.testing.assert_array_equal(m.grads["w"], [3.0, 8.0])
    m.backward(np.array([[1.0, 1.0]]))
    np.testing.assert_array_equal(m.grads["w"], [4.0, 10.0])
    np.testing.assert_array_equal(m.grads["b"], [4.0, 5.0])


def test_accumulate_casts_to_model_dtype_and_copies():
    m = Affine(2, np.float32)
    g = np.array([1.0, 2.0])  # float64
    m._accumulate("w", g)
    assert m.grads["w"].dtype == np.float32
    g[0] = 99.0
    assert m.grads["w"][0] == 1.0  # a copy, not a view of g


def test_accumulate_refuses_wrong_shape():
    m = Affine(2, np.float64)
    with pytest.raises(ValueError, match=r"Affine: gradient of w has shape \(3,\), the parameter"):
        m._accumulate("w", np.zeros(3))


def test_zero_grad_like_torch():
    """torch 2.x: zero_grad() sets .grad to None; set_to_none=False zeros it in place."""
    lin = torch.nn.Linear(2, 2)
    m = Affine(2, np.float64)
    for zero in (lambda: (lin.zero_grad(), m.zero_grad()),):
        lin(torch.ones(1, 2)).sum().backward()
        m(np.ones((1, 2)))
        m.backward(np.ones((1, 2)))
        zero()
        assert lin.weight.grad is None and m.grads["w"] is None
    lin(torch.ones(1, 2)).sum().backward()
    m(np.ones((1, 2)))
    m.backward(np.ones((1, 2)))
    t_before, ours_before = lin.weight.grad, m.grads["w"]
    lin.zero_grad(set_to_none=False)
    m.zero_grad(set_to_none=False)
    assert lin.weight.grad is t_before and m.grads["w"] is ours_before  # same arrays, in place
    assert not lin.weight.grad.any() and not m.grads["w"].any()
    m.grads["b"] = None
    m.zero_grad(set_to_none=False)  # a gradient that is None stays None, as in torch
    assert m.grads["b"] is None


def test_state_dict_shares_memory_and_load_copies():
    m = Affine(3, np.float64)
    sd = m.state_dict()
    assert list(sd) == ["w", "b"]
    assert sd["w"] is m.params["w"]
    src = {"w": torch.tensor([1.5, 2.5, 3.5]), "b": np.array([1, 2, 3])}  # tensor and int array
    m.load_state_dict(src)
    np.testing.assert_array_equal(m.params["w"], [1.5, 2.5, 3.5])
    np.testing.assert_array_equal(m.params["b"], [1.0, 2.0, 3.0])
    assert m.params["b"].dtype == np.float64
    src["b"][0] = 100
    assert m.params["b"][0] == 1.0
    assert sd["w"] is m.params["w"]  # loaded in place: earlier references stay valid


def test_load_state_dict_accepts_tensors_that_require_grad():
    m = Affine(2, np.float32)
    w = torch.tensor([1.0, 2.0], requires_grad=True)
    m.load_state_dict({"w": w, "b": torch.zeros(2)})
    np.testing.assert_array_equal(m.params["w"], [1.0, 2.0])


def test_load_state_dict_errors():
    m = Affine(2, np.float64)
    with pytest.raises(KeyError, match=r"Affine.load_state_dict: missing keys \['b'\]"):
        m.load_state_dict({"w": np.zeros(2)})
    with pytest.raises(KeyError, match=r"unexpected keys \['c'\]"):
        m.load_state_dict({"w": np.zeros(2), "b": np.zeros(2), "c": np.zeros(2)})
    with pytest.raises(ValueError, match=r"b has shape \(2,\) in the model, got \(3,\)"):
        m.load_state_dict({"w": np.zeros(2), "b": np.zeros(3)})
    with pytest.raises(TypeError, match="w must hold real numbers, got dtype <U1"):
        m.load_state_dict({"w": np.array(["a", "b"]), "b": np.zeros(2)})
    # nothing was copied by any of the failed calls
    np.testing.assert_array_equal(m.params["w"], [1.0, 2.0])


def test_check_input_messages():
    m = Affine(3, np.float32)
    with pytest.raises(TypeError, match=r"Affine.forward: x must be a numpy\.ndarray, got list"):
        m([1.0, 2.0, 3.0])
    with pytest.raises(
        TypeError, match=r"x has dtype float64, .* \(cast it with .astype\(np.float32\)\)"
    ):
        m(np.zeros(3))
    with pytest.raises(
        ValueError, match=r"Affine.forward: expected x of shape \(\*, 3\), got \(2, 2\)"
    ):
        m(np.zeros((2, 2), np.float32))
    assert m(np.ones((4, 3), np.float32)).shape == (4, 3)
