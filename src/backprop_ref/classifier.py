"""The blitz's classifier: LeNet trained on handwritten digits with cross-entropy and SGD with
momentum, our numpy network and optimizer beside torch's. Chapter: docs/walkthroughs/classifier.md

The data are scikit-learn's bundled digits (no download). The side-by-side run imports torch;
`digits` and `batches` need only numpy and scikit-learn.
"""

import numpy as np

TEST_FRACTION = 0.2  # 360 of the 1,797 images
SPLIT_SEED = 0
JUDGED_EPOCHS = 1  # the CLI judges epoch 1 step by step; later epochs drift (the chapter)


# --8<-- [start:digits]
def digits(dtype=np.float32):
    """scikit-learn's 1,797 handwritten digits, shaped for LeNet: X_train, y_train, X_test, y_test.

    X (N, 1, 32, 32) in [0, 1]: each 8 x 8 image (values 0 to 16) divided by 16, then enlarged
    4 times by nearest neighbour (every pixel becomes a 4 x 4 block). y (N,) int64, 0 to 9.
    The split is fixed and stratified: 20 % test, every digit in the same proportion.
    """
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    data = load_digits()
    X = (data.images / 16.0).repeat(4, axis=1).repeat(4, axis=2)[:, None].astype(dtype)
    y = data.target.astype(np.int64)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=TEST_FRACTION, random_state=SPLIT_SEED, stratify=y
    )
    return X_train, y_train, X_test, y_test


def batches(n, batch_size, epoch, seed=0):
    """The index arrays of one epoch's mini-batches: a shuffle drawn from (seed, epoch), so
    that both networks, and every rerun, see the same batches in the same order. The last
    batch is smaller when batch_size does not divide n."""
    order = np.random.default_rng([seed, epoch]).permutation(n)
    return [order[i : i + batch_size] for i in range(0, n, batch_size)]


# --8<-- [end:digits]


class SideBySide:
    """Our LeNet and SGD beside torch's BlitzNet and torch.optim.SGD, from the same initial
    weights (torch's initialization, copied into ours), stepped on the same batches."""

    def __init__(self, dtype="float64", lr=0.001, momentum=0.9, seed=0):
        import torch

        from .models import LeNet
        from .models.torch_reference import BlitzNet
        from .optim import SGD

        self.torch, self.dtype = torch, np.dtype(dtype)
        torch.manual_seed(seed)
        self.torch_net = BlitzNet().to(getattr(torch, self.dtype.name))
        self.torch_optimizer = torch.optim.SGD(
            self.torch_net.parameters(), lr=lr, momentum=momentum
        )
        self.net = LeNet(dtype=self.dtype)
        self.net.load_state_dict(self.torch_net.state_dict())
        self.optimizer = SGD(self.net, lr=lr, momentum=momentum)

    # --8<-- [start:step]
    def step(self, x, y):
        """One training step of each network on the batch (x, y): (our loss, torch's loss),
        both computed before the update."""
        from .functional import cross_entropy, cross_entropy_backward

        self.optimizer.zero_grad()
        logits = self.net(x)  # (N, 10)
        loss = cross_entropy(logits, y)  # the mean over the batch
        dlogits = cross_entropy_backward(np.ones((), self.dtype), logits, y)[0]  # (p - y) / N
        self.net.backward(dlogits)
        self.optimizer.step()

        torch = self.torch
        self.torch_optimizer.zero_grad()
        torch_loss = torch.nn.functional.cross_entropy(
            self.torch_net(torch.from_numpy(x)), torch.from_numpy(y)
        )
        torch_loss.backward()
        self.torch_optimizer.step()
        return float(loss), torch_loss.item()

    # --8<-- [end:step]

    def predict(self, X, batch_size=512):
        """The predicted class of every image: (ours, torch's), each (N,) int64."""
        ours, theirs = [], []
        with self.torch.no_grad():
            for i in range(0, len(X), batch_size):
                x = X[i : i + batch_size]
                ours.append(self.net(x).argmax(axis=1))
                theirs.append(self.torch_net(self.torch.from_numpy(x)).argmax(dim=1).numpy())
        return np.concatenate(ours), np.concatenate(theirs)

    def largest_parameter_difference(self):
        """max over the parameters of max |ours - torch's|, after the steps so far."""
        return max(
            float(np.max(np.abs(self.net.params[name] - p.detach().numpy())))
            for name, p in self.torch_net.named_parameters()
        )
