"""`backprop-ref` (or `python -m backprop_ref`): rerun the seed notes' experiments beside torch.

    backprop-ref lenet [--seed S] [--batch N] [--dtype float32|float64]
    backprop-ref two-layer [--steps N] [--seed S] [--dtype float32|float64]
    backprop-ref classify [--epochs E] [--batch N] [--lr LR] [--seed S] [--dtype ...]

Every value is compared with torch's through backprop_ref.precision, the one tolerance policy.
Exit status (the benchmark, `python -m backprop_ref.bench`, uses the same numbers): 0 all match,
1 a mismatch, 2 bad arguments, 3 torch is not installed.
"""

import argparse
import os
import sys
import textwrap

import numpy as np

from .precision import TOLERANCES, Comparison, compare

EXIT_OK, EXIT_MISMATCH, EXIT_USAGE, EXIT_MISSING = 0, 1, 2, 3

# The version the tests run against; pyproject.toml's `torch` extra pins the same (a test checks).
TORCH_REQUIREMENT = "torch==2.13.0"


def exit_status_help(ok, mismatch, missing="torch is"):
    """The exit-status paragraph of a --help text: the same numbers for every command."""
    return textwrap.fill(
        f"Exit status: {EXIT_OK} {ok}, {EXIT_MISMATCH} {mismatch}, {EXIT_USAGE} bad arguments, "
        f"{EXIT_MISSING} {missing} not installed.",
        width=79,
    )


def install_hint(platform=None):
    """The pip command that installs torch: on Linux the CPU build, from PyTorch's CPU index."""
    platform = sys.platform if platform is None else platform
    if platform.startswith("linux"):  # PyPI's Linux wheel is the CUDA build, several GB
        return f"pip install {TORCH_REQUIREMENT} --index-url https://download.pytorch.org/whl/cpu"
    return f"pip install {TORCH_REQUIREMENT}"


def import_torch(prog, purpose):
    """torch, or (None and) a message on stderr saying how to install it."""
    try:
        import torch
    except ImportError:
        print(
            f"{prog}: {purpose}, and torch is not installed.\nInstall it with: {install_hint()}",
            file=sys.stderr,
        )
        return None
    return torch


def prog_name(argv0=None):
    """How we were invoked: `backprop-ref` (the console script) or `python -m backprop_ref`."""
    name = os.path.basename(sys.argv[0] if argv0 is None else argv0)
    if not name or name == "-c" or name.endswith(".py"):  # python -m / -c / a script
        return "python -m backprop_ref"
    return name.removesuffix(".exe")


def _number(x):
    return f"{x:g}".replace("e-0", "e-")  # 1e-5, not 1e-05


def tolerance_text(dtype):
    rtol, atol = TOLERANCES[np.dtype(dtype).name]
    return f"rtol {_number(rtol)}, atol {_number(atol)} x max(1, max |torch|)"


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


def epochs_type(text):
    return _int(text, 1, "the number of epochs")


def lr_type(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"the learning rate must be > 0 and finite, got {text}")
    return value


def build_parser(prog=None):
    prog = prog or prog_name()
    tolerances = "".join(f"\n  {name}: {tolerance_text(name)}" for name in TOLERANCES)
    parser = argparse.ArgumentParser(
        prog=prog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=(
            "Rerun the experiments of the seed notes with our numpy gradients beside torch\n"
            "autograd's. For every parameter, print its shape, max |ours - torch| and that\n"
            "relative to max(1, max |torch|), then a PASS or FAIL line.\n"
            f"Tolerance, from backprop_ref.precision:{tolerances}\n"
            + exit_status_help("all match", "a mismatch")
        ),
        epilog=(
            "examples:\n"
            f"  {prog} lenet --batch 8 --dtype float64\n"
            f"  {prog} two-layer --steps 20\n"
            f"  {prog} classify --epochs 2 --dtype float64\n"
            f"  {prog} lenet --help     (a command's options)"
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

    classify = sub.add_parser(
        "classify",
        help="the blitz's classifier: LeNet on handwritten digits, cross-entropy, SGD",
        description=(
            "The blitz's next step: LeNet trained as a classifier on scikit-learn's 1,797 "
            "handwritten digits (8 x 8, enlarged to 32 x 32), cross-entropy loss, SGD with "
            "momentum 0.9. Our numpy network and optimizer train beside torch's from the same "
            "initial weights on the same batches. Every epoch prints both mean losses, both "
            "test accuracies, the largest relative loss difference and the largest parameter "
            "difference. The verdict (exit status) judges the first epoch: the loss at every "
            "step and the parameters after it. Later epochs are printed, not judged: rounding "
            "differences grow as the networks learn, most of all in float32."
        ),
    )
    classify.add_argument(
        "--epochs", type=epochs_type, default=8, metavar="E", help="epochs (default: 8)"
    )
    classify.add_argument(
        "--batch", type=batch_type, default=4, metavar="N", help="batch size (default: 4)"
    )
    classify.add_argument(
        "--lr",
        type=lr_type,
        default=0.001,
        metavar="LR",
        help="learning rate (default: 0.001, as the blitz)",
    )
    common(classify, "seed of torch's initialization and of the batch order (default: 0)")
    classify.set_defaults(run=run_classify)
    return parser


# -- comparison and report --------------------------------------------------------------------
class Report:
    """name -> (shape, precision.Comparison), folded over the steps of a run."""

    def __init__(self, dtype):
        self.dtype = dtype
        self.rows = {}

    def compare(self, name, ours, theirs):
        """Add (or, over several steps, fold into) the row `name`; theirs is torch's ndarray."""
        c = compare(ours, theirs)
        if name in self.rows:
            _, old = self.rows[name]
            c = Comparison(
                c.ok and old.ok,
                max(c.max_abs, old.max_abs),
                max(c.max_rel, old.max_rel),
                old.reason or c.reason,
            )
        self.rows[name] = (np.shape(theirs), c)

    def print(self, title):
        print(textwrap.fill(title, 88))  # a terminal's width, and the site's code column
        width = max(len(n) for n in self.rows)
        print(f"  {'':{width}}  {'shape':<15} {'max|ours-torch|':>16} {'relative':>10}")
        for name, (shape, c) in self.rows.items():
            mark = "" if c.ok else f"  <-- beyond tolerance ({c.reason})"
            print(f"  {name:<{width}}  {shape!s:<15} {c.max_abs:16.3e} {c.max_rel:10.2e}{mark}")
        failed = [n for n, (_, c) in self.rows.items() if not c.ok]
        tol = tolerance_text(self.dtype)
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


def run_classify(args, torch):
    from tqdm import tqdm

    from .classifier import JUDGED_EPOCHS, SideBySide, batches, digits

    X_train, y_train, X_test, y_test = digits(args.dtype)
    run = SideBySide(args.dtype, lr=args.lr, momentum=0.9, seed=args.seed)
    report = Report(args.dtype)
    print(
        f"{'epoch':<5} {'loss ours':>10} {'loss torch':>10} {'acc ours':>8} {'acc torch':>9}"
        f" {'max rel. loss diff':>18} {'max param diff':>14}"
    )
    for epoch in range(1, args.epochs + 1):
        losses = []
        steps = batches(len(X_train), args.batch, epoch, args.seed)
        for index in tqdm(steps, desc=f"epoch {epoch}", leave=False, unit="batch", disable=None):
            ours, theirs = run.step(X_train[index], y_train[index])
            if epoch <= JUDGED_EPOCHS:
                report.compare(
                    "loss, every step", np.asarray(ours, args.dtype), np.asarray(theirs, args.dtype)
                )
            losses.append((ours, theirs))
        if epoch == JUDGED_EPOCHS:
            for name, param in run.torch_net.named_parameters():
                report.compare(name, run.net.params[name], param.detach().numpy())
        ours, theirs = np.array(losses).T
        pred_ours, pred_torch = run.predict(X_test)
        acc_ours, acc_torch = (np.mean(p == y_test) for p in (pred_ours, pred_torch))
        rel = np.max(np.abs(ours - theirs) / np.maximum(np.abs(theirs), np.finfo(float).tiny))
        print(
            f"{epoch:<5} {ours.mean():10.6f} {theirs.mean():10.6f} {acc_ours:8.2%}"
            f" {acc_torch:9.2%} {rel:18.2e} {run.largest_parameter_difference():14.2e}"
        )
    return report.print(
        f"classify, {args.epochs} epochs of batch {args.batch}, lr {args.lr:g}, {args.dtype}, "
        f"seed {args.seed}. Judged: the loss at every step of epoch 1 (worst step shown) and "
        "the parameters after it; later epochs are printed, not judged (rounding differences "
        "grow with training: docs/walkthroughs/classifier.md)"
    )


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    torch = import_torch(parser.prog, "this command compares our gradients with PyTorch's")
    if torch is None:
        return EXIT_MISSING
    return args.run(args, torch)
