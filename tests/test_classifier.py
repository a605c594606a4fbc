"""The blitz's classifier (backprop_ref.classifier, docs/walkthroughs/classifier.md): the digits
as LeNet sees them, the batch order, and our LeNet + cross_entropy + SGD trained beside torch's
for one epoch, the loss equal to torch's at every step."""

import numpy as np
import pytest
from sklearn.datasets import load_digits

from backprop_ref.classifier import SideBySide, batches, digits
from backprop_ref.precision import assert_close


def test_digits_are_the_bundled_images_enlarged_4_times_by_nearest_neighbour():
    X_train, y_train, X_test, y_test = digits(np.float64)
    assert X_train.shape == (1437, 1, 32, 32) and X_test.shape == (360, 1, 32, 32)
    assert X_train.dtype == np.float64 and y_train.dtype == np.int64
    X = np.concatenate([X_train, X_test])[:, 0]
    small = X[:, ::4, ::4]  # one pixel of every 4 x 4 block
    np.testing.assert_array_equal(X, small.repeat(4, axis=1).repeat(4, axis=2))
    # the 8 x 8 images, /16, are exactly the bundled ones (as a multiset of images)
    bundled = load_digits().images / 16.0
    key = lambda images: sorted(map(bytes, images.reshape(len(images), -1)))  # noqa: E731
    assert key(small) == key(bundled)
    assert X.min() == 0.0 and X.max() == 1.0
    # stratified: every digit is 20 % of its class in the test set, to within one image
    for digit in range(10):
        n_train, n_test = np.sum(y_train == digit), np.sum(y_test == digit)
        assert abs(n_test - 0.2 * (n_train + n_test)) <= 1
    assert digits(np.float32)[0].dtype == np.float32


def test_batches_cover_the_epoch_once_in_a_fixed_order():
    epoch = batches(1437, 4, epoch=1, seed=0)
    assert [len(b) for b in epoch] == [4] * 359 + [1]
    np.testing.assert_array_equal(np.sort(np.concatenate(epoch)), np.arange(1437))
    again = batches(1437, 4, epoch=1, seed=0)
    assert all(np.array_equal(a, b) for a, b in zip(epoch, again, strict=True))
    other = np.concatenate(batches(1437, 4, epoch=2, seed=0))
    assert not np.array_equal(np.concatenate(epoch), other)


def test_float64_loss_equals_torchs_at_every_step_of_an_epoch():
    """The walkthrough's claim: the blitz's settings (batch 4, lr 0.001, momentum 0.9), one
    epoch of 360 steps, the loss equal under the float64 policy at every step, and the
    parameters after it."""
    X_train, y_train, _, _ = digits(np.float64)
    run = SideBySide("float64", lr=0.001, momentum=0.9, seed=0)
    for step, index in enumerate(batches(len(X_train), 4, epoch=1)):
        ours, theirs = run.step(X_train[index], y_train[index])
        assert_close(np.float64(ours), np.float64(theirs), name=f"loss at step {step}")
    for name, param in run.torch_net.named_parameters():
        assert_close(run.net.params[name], param.detach().numpy(), name=name)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_the_first_step_agrees_in_both_dtypes(dtype):
    X_train, y_train, _, _ = digits(dtype)
    run = SideBySide(dtype, lr=0.01, momentum=0.9, seed=3)
    index = batches(len(X_train), 16, epoch=1, seed=3)[0]
    ours, theirs = run.step(X_train[index], y_train[index])
    assert_close(np.asarray(ours, dtype), np.asarray(theirs, dtype), name="loss")
    for name, param in run.torch_net.named_parameters():
        assert_close(run.net.params[name], param.detach().numpy(), name=name)
