"""`python -m backprop_ref.bench`: our fast path (backprop_ref.kernels) timed beside torch.

Every case in CASES runs forward + backward on both sides, in one process, one thread each
(threadpoolctl for numpy's BLAS, torch.set_num_threads for torch's), interleaved, and prints
per row the medians, ours / torch, the peak extra memory of both, each target and whether it is
met. Before timing, every output and gradient of ours is compared with torch's through
backprop_ref.precision, so a fast wrong kernel cannot pass. A second table times the engine
(backprop_ref.engine running the seed's LeNet) against our hand-chained models.LeNet. With
--output, the printed report is also written to a file (docs/performance/bench_results.txt is
made that way).

The environment is left as it is: the header shows numpy's BLAS kernel (threadpoolctl's
report) and OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE, which change it.
"""

import argparse
import contextlib
import datetime
import os
import platform
import statistics
import sys
import time
import tracemalloc
from pathlib import Path
from typing import NamedTuple

import numpy as np

from . import kernels
from .cli import EXIT_MISMATCH, EXIT_MISSING, EXIT_OK, exit_status_help, import_torch
from .precision import compare

PROG = "python -m backprop_ref.bench"
EXIT_HELP = exit_status_help(
    "done (a missed target is not an error)",
    "an output of ours differs from torch's",
    "torch or threadpoolctl is",
)


class Op(NamedTuple):
    name: str
    op: str  # a name in backprop_ref.kernels and in torch.nn.functional
    shapes: tuple  # of the array arguments, in order (input, weight, bias); axis 0 is the batch
    kwargs: dict


# One op of a network, at its shapes: LeNet's at batch 64; ResNet-18's first layers (no bias).
# fmt: off
OPS = [
    Op("LeNet conv1",   "conv2d",     ((64, 1, 32, 32), (6, 1, 5, 5), (6,)), {}),
    Op("LeNet relu1",   "relu",       ((64, 6, 28, 28),), {}),
    Op("LeNet pool1",   "max_pool2d", ((64, 6, 28, 28),), {"kernel_size": 2}),
    Op("LeNet conv2",   "conv2d",     ((64, 6, 14, 14), (16, 6, 5, 5), (16,)), {}),
    Op("LeNet pool2",   "max_pool2d", ((64, 16, 10, 10),), {"kernel_size": 2}),
    Op("LeNet fc1",     "linear",     ((64, 400), (120, 400), (120,)), {}),
    Op("LeNet fc2",     "linear",     ((64, 120), (84, 120), (84,)), {}),
    Op("LeNet fc3",     "linear",     ((64, 84), (10, 84), (10,)), {}),
    Op("ResNet stem",   "conv2d",     ((4, 3, 224, 224), (64, 3, 7, 7)),
                                      {"stride": 2, "padding": 3}),
    Op("ResNet pool",   "max_pool2d", ((4, 64, 112, 112),),
                                      {"kernel_size": 3, "stride": 2, "padding": 1}),
    Op("ResNet 3x3",    "conv2d",     ((4, 64, 56, 56), (64, 64, 3, 3)), {"padding": 1}),
    Op("depthwise 3x3", "conv2d",     ((4, 64, 56, 56), (64, 1, 3, 3)),
                                      {"padding": 1, "groups": 64}),
]
# fmt: on
LENET_BATCHES = (1, 8, 64, 256)
# ours / torch at most: the whole LeNet per dtype, a single op.
LENET_TARGET = {"float32": 1.1, "float64": 1.0}
OP_TARGET = 2.0
# the engine running LeNet / our hand-chained models.LeNet at most (issue 15), per dtype
ENGINE_TARGET = 1.5
ARGUMENTS = ("input", "weight", "bias")


class Case(NamedTuple):
    name: str
    target: float
    ours: object  # () -> {name: array}: forward + backward
    torch: object  # the same in torch
    clear: object  # () -> None: drop what the previous step left (gradients, caches)


def op_case(torch, op, dtype, rng, batch=None):
    forward, backward = getattr(kernels, op.op), getattr(kernels, op.op + "_backward")
    shapes = [op.shapes[0] if batch is None else (batch, *op.shapes[0][1:]), *op.shapes[1:]]
    arrays = [rng.standard_normal(s).astype(dtype) for s in shapes]
    dY = rng.standard_normal(forward(*arrays, **op.kwargs).shape).astype(dtype)
    leaves = [torch.from_numpy(a).requires_grad_() for a in arrays]
    dYt, torch_forward = torch.from_numpy(dY), getattr(torch.nn.functional, op.op)
    names = ["output", *(f"grad_{a}" for a in ARGUMENTS[: len(arrays)])]

    def ours():
        Y = forward(*arrays, **op.kwargs)
        grads = backward(dY, *arrays, **op.kwargs)
        grads = grads if isinstance(grads, tuple) else (grads,)
        return dict(zip(names, (Y, *grads[: len(arrays)]), strict=True))  # no grad_bias: None

    def clear():
        for t in leaves:
            t.grad = None

    def theirs():
        clear()
        Y = torch_forward(*leaves, **op.kwargs)
        Y.backward(dYt)
        return dict(zip(names, (Y, *(t.grad for t in leaves)), strict=True))

    label = op.name if batch is None else f"{op.name} (N={batch})"
    return Case(label, OP_TARGET, ours, theirs, clear)


def lenet_case(torch, batch, dtype, rng):
    """zero_grad, forward, MSE loss, backward: models.LeNet against torch_reference.BlitzNet."""
    from .models import LeNet
    from .models.torch_reference import BlitzNet

    torch.manual_seed(int(rng.integers(2**31)))
    tnet = BlitzNet().to(getattr(torch, dtype))
    net = LeNet(dtype=dtype)
    net.load_state_dict(tnet.state_dict())
    x = rng.standard_normal((batch, 1, 32, 32)).astype(dtype)
    target = rng.standard_normal((batch, 10)).astype(dtype)
    xt, tt = torch.from_numpy(x), torch.from_numpy(target)
    one = np.ones((), dtype=dtype)

    def ours():
        net.zero_grad()
        y = net(x)
        loss = kernels.mse_loss(y, target)
        dy, _ = kernels.mse_loss_backward(one, y, target)
        net.backward(dy)
        return {"output": y, "loss": loss, **net.grads}

    def theirs():
        tnet.zero_grad()
        y = tnet(xt)
        loss = torch.nn.functional.mse_loss(y, tt)
        loss.backward()
        return {"output": y, "loss": loss, **{n: p.grad for n, p in tnet.named_parameters()}}

    def clear():
        net.zero_grad()
        net.cache = None
        tnet.zero_grad()

    return Case(f"LeNet N={batch}", LENET_TARGET[dtype], ours, theirs, clear)


def engine_lenet_case(batch, dtype, rng):
    """zero_grad, forward, MSE loss, backward: the seed's Net on backprop_ref.engine (its
    nn.Module, F.* and loss.backward()) against models.LeNet, which chains the same kernels by
    hand. The same weights and data; "ours" is the engine, "torch" the hand-chained model."""
    from . import engine
    from .engine import nn
    from .engine.nn import functional as F
    from .models import LeNet

    class Net(nn.Module):  # the first seed note's Net (PyTorch's blitz)
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 6, 5)
            self.conv2 = nn.Conv2d(6, 16, 5)
            self.fc1 = nn.Linear(16 * 5 * 5, 120)
            self.fc2 = nn.Linear(120, 84)
            self.fc3 = nn.Linear(84, 10)

        def forward(self, x):
            x = F.max_pool2d(F.relu(self.conv1(x)), (2, 2))
            x = F.max_pool2d(F.relu(self.conv2(x)), 2)
            x = x.view(-1, 16 * 5 * 5)
            x = F.relu(self.fc1(x))
            x = F.relu(self.fc2(x))
            return self.fc3(x)

    engine.manual_seed(int(rng.integers(2**31)))
    net, criterion = Net().to(dtype), nn.MSELoss()
    hand = LeNet(dtype=dtype)
    hand.load_state_dict(net.state_dict())
    x = rng.standard_normal((batch, 1, 32, 32)).astype(dtype)
    target = rng.standard_normal((batch, 10)).astype(dtype)
    xe, te = engine.tensor(x), engine.tensor(target)
    one = np.ones((), dtype=dtype)
    parameters = list(net.named_parameters())  # looked up once, as hand.grads is

    def ours():  # tensors, as the torch cases return (check() reads them as arrays)
        net.zero_grad()
        y = net(xe)
        loss = criterion(y, te)
        loss.backward()
        return {"output": y, "loss": loss, **{n: p.grad for n, p in parameters}}

    def theirs():
        hand.zero_grad()
        y = hand(x)
        loss = kernels.mse_loss(y, target)
        dy, _ = kernels.mse_loss_backward(one, y, target)
        hand.backward(dy)
        return {"output": y, "loss": loss, **hand.grads}

    def clear():
        net.zero_grad()
        hand.zero_grad()
        hand.cache = None

    return Case(f"engine LeNet N={batch}", ENGINE_TARGET, ours, theirs, clear)


def cases(torch, dtype, rng, quick):
    yield from (lenet_case(torch, N, dtype, rng) for N in LENET_BATCHES)
    yield from (op_case(torch, op, dtype, rng, batch=1 if quick else None) for op in OPS)


# -- measuring ------------------------------------------------------------------------------------
def check(case):
    """The first call of each side: '' when every output of ours matches torch's, else why not."""
    ours, theirs = case.ours(), case.torch()
    wrong = []
    for name, expected in theirs.items():
        c = compare(ours[name], expected)
        if not c.ok:
            wrong.append(f"{name}: {c.reason}, max |ours - torch| {c.max_abs:.3g}")
    return "; ".join(wrong)


def _seconds(fn, number):
    t0 = time.process_time()
    for _ in range(number):
        fn()
    return (time.process_time() - t0) / number


def measure(fns, repeats, min_sample):
    """Median CPU seconds per call of each fn, interleaved: each round times every fn once,
    the order rotating. A sample repeats a fast fn so that it lasts about min_sample."""
    number = {
        name: max(1, int(min_sample / max(_seconds(fn, 1), 1e-9))) if min_sample else 1
        for name, fn in fns.items()
    }
    names, samples = list(fns), {name: [] for name in fns}
    for r in range(repeats):
        for name in names[r % len(names) :] + names[: r % len(names)]:
            samples[name].append(_seconds(fns[name], number[name]))
    return {name: statistics.median(s) for name, s in samples.items()}


def peak_ours(case):
    """Peak bytes numpy allocated during one step (tracemalloc sees numpy's allocations)."""
    case.clear()
    tracemalloc.start()
    try:
        case.ours()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@contextlib.contextmanager
def _stderr_muted():
    """Silence file descriptor 2: torch's profiler (kineto) prints two log lines per session."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def peak_torch(torch, case):
    """Peak bytes torch's CPU allocator held during one step, over what it held before: the
    running sum of the allocation events of torch.profiler (profile_memory=True)."""
    from torch.profiler import ProfilerActivity, profile

    case.clear()
    with _stderr_muted(), profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
        case.torch()
    allocation = torch._C._profiler._ExtraFields_Allocation
    events, stack = [], list(prof.profiler.kineto_results.experimental_event_tree())
    while stack:
        node = stack.pop()
        stack.extend(node.children)
        if isinstance(node.extra_fields, allocation):
            events.append((node.start_time_ns, node.extra_fields.alloc_size))
    held = peak = 0
    for _, size in sorted(events):
        held += size
        peak = max(peak, held)
    return peak


# -- the report -----------------------------------------------------------------------------------
def _time(seconds):
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


def _mib(n):
    """MiB to the table's resolution, at which memory is compared: tracemalloc also counts
    Python's own objects (a few KiB), which torch's profiler does not see."""
    return round(n / 2**20, 2)


COLUMNS = [
    ("case", 24),
    ("dtype", 7),
    ("ours", 8),
    ("torch", 8),
    ("ours / torch", 12),
    ("target", 6),
    ("time", 6),
    ("ours peak", 10),
    ("torch peak", 10),
    ("memory", 6),
]


# the engine's table: its step against the hand-chained model's, time only
ENGINE_COLUMNS = [
    ("case", 24),
    ("dtype", 7),
    ("engine", 8),
    ("LeNet", 8),
    ("engine / LeNet", 14),
    ("target", 6),
    ("time", 6),
]


def _row(cells, columns=COLUMNS):
    return "| " + " | ".join(f"{c:<{w}}" for c, (_, w) in zip(cells, columns, strict=True)) + " |"


def _table_head(columns):
    return [
        _row([name for name, _ in columns], columns),
        "|" + "|".join("-" * (w + 2) for _, w in columns) + "|",
    ]


def _verdict(ok, wrong):
    return "WRONG" if wrong else ("met" if ok else "missed")


def legend():
    """What each row runs: the case names and their shapes."""
    lines = [
        f"- LeNet N=...: models.LeNet (kernels) against models.torch_reference.BlitzNet: "
        f"zero_grad, forward (N, 1, 32, 32), MSE loss to (N, 10), backward; N in "
        f"{', '.join(map(str, LENET_BATCHES))}",
    ]
    for op in OPS:
        arrays = ", ".join(f"{a} {s}" for a, s in zip(ARGUMENTS, op.shapes, strict=False))
        kwargs = "".join(f", {k}={v}" for k, v in op.kwargs.items())
        lines.append(f"- {op.name}: {op.op} {arrays}{kwargs}")
    return lines


def header(torch, args, threadpools):
    cpu = "unknown"
    if os.path.exists("/proc/cpuinfo"):
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            cpu = next(
                (ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name")), cpu
            )
    load = ""
    if hasattr(os, "getloadavg"):
        load = ", load average {:.1f} {:.1f} {:.1f} at the start".format(*os.getloadavg())
    blas = [
        f"{p['internal_api']} {p['version']} (kernel {p.get('architecture', '?')}, "
        f"{p['num_threads']} thread)"
        for p in threadpools
        if p["user_api"] == "blas" and "numpy" in p["filepath"]
    ] or ["not reported by threadpoolctl"]
    env = ", ".join(f"{k}={os.environ[k]}" if k in os.environ else f"{k} unset" for k in ENV_SHOWN)
    date = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    samples = "one sample" if args.repeats == 1 else f"the median of {args.repeats} samples"
    return [
        f"Generated by `{' '.join([PROG, *args.argv])}` on {date}.",
        "",
        f"- Machine: {cpu}, {os.cpu_count()} cores{load}; {platform.system()} {platform.machine()}",
        f"- Versions: Python {platform.python_version()}, numpy {np.__version__}, "
        f"torch {torch.__version__}",
        f"- numpy's BLAS: {'; '.join(blas)}; {env} (the benchmark changes neither)",
        f"- torch: {torch.get_num_threads()} thread (its own MKL and oneDNN)",
        f"- Time: CPU time of this process (time.process_time) of forward + backward, "
        f"{samples}, ours and torch interleaved. Target: ours / torch at most "
        f"{LENET_TARGET['float64']} for LeNet in float64, {LENET_TARGET['float32']} in float32, "
        f"{OP_TARGET} for an op.",
        "- Memory: peak bytes allocated during one forward + backward, above what was "
        "allocated before (outputs and gradients included): ours by tracemalloc, torch by "
        "torch.profiler's allocation events (profile_memory=True). Target: ours at most torch's "
        "at the table's resolution (tracemalloc also counts a few KiB of Python objects).",
        "- Correctness: before timing, every output and gradient of ours is compared with "
        "torch's (backprop_ref.precision.compare); a row that differs says WRONG.",
        "",
        *legend(),
        "",
        *_table_head(COLUMNS),
    ]


def engine_header():
    """The engine's table: what its rows run, and its target."""
    return [
        "The engine (backprop_ref.engine, issue 15): the seed's Net written with engine.nn and "
        "F.*, its loss.backward() through the tape, against models.LeNet, which chains the same "
        "kernels by hand (engine LeNet N=...: zero_grad, forward (N, 1, 32, 32), MSE loss to "
        f"(N, 10), backward; N in {', '.join(map(str, LENET_BATCHES))}). Same weights, data and "
        "timing as above; the outputs and gradients of both are compared first. Target: engine / "
        f"LeNet at most {ENGINE_TARGET}.",
        "",
        *_table_head(ENGINE_COLUMNS),
    ]


ENV_SHOWN = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")


def build_parser():
    p = argparse.ArgumentParser(
        prog=PROG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=(
            "Time forward + backward of backprop_ref.kernels beside torch, one thread each,\n"
            "interleaved: LeNet at batch 1, 8, 64, 256, and conv2d, max_pool2d, linear, relu at\n"
            "LeNet's and ResNet's shapes. Prints per row the medians, ours / torch, the peak\n"
            "memory of both, each target and whether it is met, after checking every output\n"
            "against torch. Then the engine running LeNet against our hand-chained LeNet.\n"
            + EXIT_HELP
        ),
    )
    p.add_argument(
        "--dtypes",
        nargs="+",
        default=["float32", "float64"],
        choices=["float32", "float64"],
        help="default: both",
    )
    p.add_argument("--repeats", type=int, default=21, help="samples per median (default: 21)")
    p.add_argument(
        "--min-sample",
        type=float,
        default=0.02,
        metavar="SECONDS",
        help="a fast call is repeated within a sample to last this long (default: 0.02)",
    )
    p.add_argument(
        "--quick",
        action="store_true",
        help="a smoke run in seconds: one sample of one call, every op at batch 1",
    )
    p.add_argument("--seed", type=int, default=0, help="seed of the inputs (default: 0)")
    p.add_argument("--output", metavar="PATH", help="also write the printed report to PATH")
    return p


def parse_args(argv):
    parser = build_parser()
    args = parser.parse_args(argv)
    args.argv = argv
    if args.quick:
        args.repeats, args.min_sample = 1, 0.0
    if args.repeats < 1 or args.min_sample < 0:
        parser.error("--repeats must be >= 1 and --min-sample >= 0")
    if args.output:  # fail now, not after minutes of timing
        folder = Path(args.output).resolve().parent
        if Path(args.output).is_dir():
            parser.error(f"--output {args.output} is a folder; give a file name")
        if not folder.is_dir():
            parser.error(f"--output: the folder {folder} does not exist")
        if not os.access(folder, os.W_OK):
            parser.error(f"--output: the folder {folder} is not writable")
    return args


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parse_args(argv)
    torch = import_torch(PROG, "the benchmark times our kernels beside PyTorch's")
    if torch is None:
        return EXIT_MISSING
    try:
        from threadpoolctl import threadpool_info, threadpool_limits
    except ImportError:
        print(f"{PROG}: threadpoolctl is not installed: pip install threadpoolctl", file=sys.stderr)
        return EXIT_MISSING

    start = time.perf_counter()
    torch.set_num_threads(1)
    rng = np.random.default_rng(args.seed)
    lines, wrong = [], []

    def say(*new):
        print(*new, sep="\n", flush=True)
        lines.extend(new)

    with threadpool_limits(limits=1):
        say(*header(torch, args, threadpool_info()))
        for dtype in args.dtypes:
            for case in cases(torch, dtype, rng, args.quick):
                problem = check(case)
                if problem:
                    wrong.append(f"{case.name}, {dtype}: {problem}")
                t = measure({"ours": case.ours, "torch": case.torch}, args.repeats, args.min_sample)
                mem = {"ours": _mib(peak_ours(case)), "torch": _mib(peak_torch(torch, case))}
                ratio = round(t["ours"] / t["torch"], 2)  # the verdict judges the printed ratio
                say(
                    _row(
                        [
                            case.name,
                            dtype,
                            _time(t["ours"]),
                            _time(t["torch"]),
                            f"{ratio:.2f}",
                            f"<= {case.target:.1f}",
                            _verdict(ratio <= case.target, problem),
                            f"{mem['ours']:.2f} MiB",
                            f"{mem['torch']:.2f} MiB",
                            _verdict(mem["ours"] <= mem["torch"], problem),
                        ]
                    )
                )
        say("", *engine_header())
        for dtype in args.dtypes:
            for batch in LENET_BATCHES:
                case = engine_lenet_case(batch, dtype, rng)
                problem = check(case)
                if problem:
                    wrong.append(f"{case.name}, {dtype} (against models.LeNet): {problem}")
                t = measure({"ours": case.ours, "torch": case.torch}, args.repeats, args.min_sample)
                ratio = round(t["ours"] / t["torch"], 2)
                say(
                    _row(
                        [
                            case.name,
                            dtype,
                            _time(t["ours"]),
                            _time(t["torch"]),
                            f"{ratio:.2f}",
                            f"<= {case.target:.1f}",
                            _verdict(ratio <= case.target, problem),
                        ],
                        ENGINE_COLUMNS,
                    )
                )
    say("", f"Full run: {time.perf_counter() - start:.0f} s.")
    if wrong:
        say("", "WRONG: outputs of ours that differ from torch's:", *(f"- {w}" for w in wrong))
    if args.output:
        Path(args.output).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return EXIT_MISMATCH if wrong else EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
