"""`python -m backprop_ref`: rerun the seed notes' experiments, every gradient beside torch's.

    python -m backprop_ref lenet [--seed S] [--batch N] [--dtype float32|float64]
    python -m backprop_ref two-layer [--steps N] [--seed S] [--dtype float32|float64]

Exit status: 0 when every value matches torch within tolerance, 1 on a mismatch, 2 on bad
arguments or when torch is not installed.
"""

import argparse
import sys

import numpy as np

from .precision import TOLERANCES, tolerance

TOLERANCE_TEXT = "; ".join(
    f"{name} rtol {rtol:.0e}, atol {atol:.0e} x scale".replace("e-0", "e-")
    for name, (rtol, atol) in TOLERANCES.items()
)

EXIT_OK, EXIT_MISMATCH, EXIT_USAGE = 0, 1, 2

TORCH_MISSING = (
    "backprop_ref: this command compares our gradients with PyTorch's, and torch is not "
    'installed.\nInstall it with: pip install "torch==2.13.0" (or: pip install -e ".[torch]")'
)


# -- argument types: a clear argparse message (exit 2) instead of a traceback ----------------
def _int(text, minimum, what):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
    if value < minimum:
        raise argparse.ArgumentTypeError(f"{what} must be >= {minimum}, got {value}")
    return value


def seed_type(text):
    return _int(text, 0, "the seed")


def batch_type(text):
    return _int(text, 1, "the batch size")


def steps_type(text):
    return _int(text, 1, "the number of steps")


def build_parser():
    parser = argparse.ArgumentParser(
        prog="python -m backprop_ref",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=(
            "Rerun the experiments of the seed notes with our numpy gradients beside torch\n"
            "autograd's. For every parameter, print its shape, max |ours - torch| and the\n"
            "relative error max |ours - torch| / max |torch|, then a PASS or FAIL line.\n"
            f"Tolerance: {TOLERANCE_TEXT}, where scale = max(1, max |torch|).\n"
            "Exit status: 0 all match, 1 a mismatch, 2 bad arguments or torch missing."
        ),
        epilog=(
            "examples:\n"
            "  python -m backprop_ref lenet --batch 8 --dtype float64\n"
            "  python -m backprop_ref two-layer --steps 20\n"
            "  python -m backprop_ref lenet --help     (a command's options)"
        ),
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def common(p, seed_help):
        p.add_argument("--seed", type=seed_type, default=0, metavar="S", help=seed_help)
        p.add_argument(
            "--dtype",
            choices=("float32", "float64"),
            default="float32",
            help="floating-point type of both networks (default: float32, torch's default)",
        )

    lenet = sub.add_parser(
        "lenet",
        help="the blitz LeNet: one MSE loss, one backward, ten parameter gradients",
        description=(
            "The first seed note: the blitz tutorial's LeNet on a random input (N, 1, 32, 32) "
            "and a random target (N, 10), MSELoss (reduction mean), one backward pass. "
            "Compares the output, the loss and all ten parameter gradients with torch's."
        ),
    )
    lenet.add_argument(
        "--batch", type=batch_type, default=1, metavar="N", help="batch size N (default: 1)"
    )
    common(lenet, "seed of torch's initialization, input and target (default: 0)")
    lenet.set_defaults(run=run_lenet)

    two = sub.add_parser(
        "two-layer",
        help="the two-layer ReLU network: SGD steps, gradients compared at every step",
        description=(
            "The second seed note: Linear(3, 4), ReLU, Linear(4, 5) on a random batch of N = 2, "
            "MSELoss (reduction sum), plain SGD with learning rate 1e-4. Our numpy network and "
            "torch's each train on their own gradients; the gradients are compared at every "
            "step, the parameters after the last."
        ),
    )
    two.add_argument(
        "--steps",
        type=steps_type,
        default=500,
        metavar="N",
        help="number of SGD steps (default: 500, as in the seed note)",
    )
    common(two, "seed of torch's initialization and data (default: 0)")
    two.set_defaults(run=run_two_layer)
    return parser


# -- comparison and report --------------------------------------------------------------------
class Report:
    """Rows of (name, shape, max |ours - torch|, relative error, ok)."""

    def __init__(self, dtype):
        # the test suite's tolerances: |ours - torch| <= atol * scale + rtol * |torch|
        self.rtol, self.atol = tolerance(dtype)
        self.rows = {}

    def compare(self, name, ours, theirs):
        """Add (or, over several steps, fold into) the row `name`; theirs is torch's ndarray."""
        ours = np.asarray(ours, dtype=np.float64)
        theirs = np.asarray(theirs, dtype=np.float64)
        if ours.shape != theirs.shape:
            self.rows[name] = (theirs.shape, np.inf, np.inf, False)
            return
        scale = max(1.0, float(np.abs(theirs).max(initial=0.0)))
        diff = np.abs(ours - theirs)
        ok = bool(np.all(diff <= self.atol * scale + self.rtol * np.abs(theirs)))
        err = float(diff.max(initial=0.0))
        rel = err / float(np.abs(theirs).max(initial=0.0)) if err else 0.0
        if name in self.rows:
            _, err0, rel0, ok0 = self.rows[name]
            err, rel, ok = max(err, err0), max(rel, rel0), ok and ok0
        self.rows[name] = (theirs.shape, err, rel, ok)

    def print(self, title):
        print(title)
        width = max(len(n) for n in self.rows)
        print(f"  {'':{width}}  {'shape':<15} {'max|ours-torch|':>16} {'relative':>10}")
        for name, (shape, err, rel, ok) in self.rows.items():
            mark = "" if ok else "  <-- beyond tolerance"
            print(f"  {name:<{width}}  {shape!s:<15} {err:16.3e} {rel:10.2e}{mark}")
        failed = [n for n, row in self.rows.items() if not row[3]]
        tol = f"rtol {self.rtol:g}, atol {self.atol:g} x max(1, max|torch|)"
        if failed:
            print(f"FAIL: {len(failed)} of {len(self.rows)} beyond tolerance ({tol}): {failed}")
            return EXIT_MISMATCH
        print(f"PASS: all {len(self.rows)} match torch within tolerance ({tol})")
        return EXIT_OK


# -- the two experiments ------------------------------------------------------------------------
def run_lenet(args, torch):
    from .functional import mse_loss, mse_loss_backward
    from .models import LeNet
    from .models.torch_reference import BlitzNet

    tdtype = getattr(torch, args.dtype)
    torch.manual_seed(args.seed)
    tnet = BlitzNet().to(tdtype)
    x = torch.randn(args.batch, 1, 32, 32, dtype=tdtype)
    target = torch.randn(args.batch, 10, dtype=tdtype)
    out = tnet(x)
    loss = torch.nn.MSELoss()(out, target)  # reduction "mean": divides by N * 10
    tnet.zero_grad()
    loss.backward()

    net = LeNet(dtype=args.dtype)
    net.load_state_dict(tnet.state_dict())
    y = net(x.numpy())
    ours_loss = mse_loss(y, target.numpy())
    dy, _ = mse_loss_backward(np.ones((), dtype=args.dtype), y, target.numpy())
    net.backward(dy)

    report = Report(args.dtype)
    report.compare("output", y, out.detach().numpy())
    report.compare("loss", ours_loss, loss.detach().numpy())
    for name, param in tnet.named_parameters():
        report.compare(f"{name}.grad", net.grads[name], param.grad.numpy())
    return report.print(
        f"LeNet, batch {args.batch}, {args.dtype}, seed {args.seed}: loss {loss.item():.6g}"
    )


def run_two_layer(args, torch):
    from .functional import mse_loss, mse_loss_backward
    from .models import TwoLayerNet
    from .models.torch_reference import two_layer_net

    N, D_in, H, D_out, lr = 2, 3, 4, 5, 1e-4
    tdtype = getattr(torch, args.dtype)
    torch.manual_seed(args.seed)
    x = torch.randn(N, D_in, dtype=tdtype)
    y = torch.randn(N, D_out, dtype=tdtype)
    model = two_layer_net(D_in, H, D_out).to(tdtype)
    loss_fn = torch.nn.MSELoss(reduction="sum")

    net = TwoLayerNet(D_in, H, D_out, dtype=args.dtype)
    net.load_state_dict(model.state_dict())
    xn, yn = x.numpy(), y.numpy()
    report = Report(args.dtype)
    for _ in range(args.steps):
        loss = loss_fn(model(x), y)
        model.zero_grad()
        loss.backward()
        with torch.no_grad():  # the seed's plain SGD step (torch.optim.SGD computes the same)
            for param in model.parameters():
                param -= lr * param.grad

        y_pred = net(xn)
        ours_loss = mse_loss(y_pred, yn, reduction="sum")
        dy, _ = mse_loss_backward(np.ones((), dtype=args.dtype), y_pred, yn, reduction="sum")
        net.zero_grad()
        net.backward(dy)
        for name, p in net.named_parameters():
            p -= lr * net.grads[name]  # in place: the model's own array

        report.compare("loss", ours_loss, loss.detach().numpy())
        for name, param in model.named_parameters():
            report.compare(f"{name}.grad", net.grads[name], param.grad.numpy())
    for name, param in model.named_parameters():
        report.compare(f"{name} (after)", net.params[name], param.detach().numpy())
    return report.print(
        f"two-layer, {args.steps} SGD steps, {args.dtype}, seed {args.seed}: gradients compared "
        f"at every step (worst step shown); loss at the last step {loss.item():.6g}"
    )


def main(argv=None):
    args = build_parser().parse_args(argv)
    try:
        import torch
    except ImportError:
        print(TORCH_MISSING, file=sys.stderr)
        return EXIT_USAGE
    return args.run(args, torch)
