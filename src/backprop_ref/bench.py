"""`python -m backprop_ref.bench`: how fast is the reference? Timed beside torch on the CPU.

For every op of LeNet, with LeNet's shapes, and for one whole LeNet training step (forward, MSE
loss, backward), time forward + backward of

- the loop version (`conv2d_naive`, `max_pool2d_naive` and their backward; batch 1 only and far
  fewer repeats: it is hundreds to thousands of times slower),
- the vectorized default (`conv2d`, `max_pool2d`, ...),
- torch on the CPU (autograd: `y.backward(dy)`),

interleaved in one process, one thread each, and print the medians, ours / torch, the peak
memory of our LeNet step and the machine. With --output, the same report is written to a
Markdown file (docs/performance/bench_results.txt is generated this way; the chapter
docs/performance.md includes it).

One thread each: this module sets OPENBLAS_NUM_THREADS, OMP_NUM_THREADS and MKL_NUM_THREADS to
1 when it is imported (before numpy is: run it with `python -m`), sets numpy's OpenBLAS to one
thread at run time as well (through its `openblas_set_num_threads`, found with ctypes) and calls
torch.set_num_threads(1). Environment variables the user set are kept; the report shows them.
"""

import os

_SET_HERE = [
    name
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
    if name not in os.environ
]
for _name in _SET_HERE:
    os.environ[_name] = "1"  # read by OpenBLAS / OpenMP when they load: set before numpy

import argparse  # noqa: E402
import ctypes  # noqa: E402
import datetime  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import tracemalloc  # noqa: E402

import numpy as np  # noqa: E402

from .functional import (  # noqa: E402
    conv2d,
    conv2d_backward,
    flatten,
    flatten_backward,
    linear,
    linear_backward,
    max_pool2d,
    max_pool2d_backward,
    mse_loss,
    mse_loss_backward,
    relu,
    relu_backward,
)
from .functional.conv2d import conv2d_backward_naive, conv2d_naive  # noqa: E402
from .functional.max_pool2d import max_pool2d_backward_naive, max_pool2d_naive  # noqa: E402

IMPLS = ("loop", "vectorized", "torch")
ENV_SHOWN = (
    "OPENBLAS_NUM_THREADS",
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "OPENBLAS_CORETYPE",
    "OPENBLAS_L2_SIZE",
)


# -- one thread each -------------------------------------------------------------------------------
def _openblas():
    """numpy's OpenBLAS as a ctypes library and its symbol suffix, or (None, None)."""
    try:
        with open("/proc/self/maps", encoding="utf-8") as f:
            paths = {line.split()[-1] for line in f if "openblas" in line.lower()}
    except OSError:
        return None, None
    for path in sorted(paths):
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for prefix, suffix in (("scipy_", "64_"), ("", "64_"), ("", "")):
            if hasattr(lib, f"{prefix}openblas_set_num_threads{suffix}"):
                return lib, (prefix, suffix)
    return None, None


def blas_info(set_one_thread=True):
    """{'library', 'core', 'threads'} of numpy's BLAS; sets OpenBLAS to 1 thread if asked."""
    info = {"library": "unknown", "core": "unknown", "threads": "unknown"}
    try:
        deps = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        info["library"] = f"{deps.get('name', '?')} {deps.get('version', '?')}"
    except Exception:  # show_config's layout is not a stable API
        pass
    lib, affix = _openblas()
    if lib is None:
        return info
    prefix, suffix = affix

    def fn(name, restype):
        f = getattr(lib, f"{prefix}openblas_{name}{suffix}", None)
        if f is not None:
            f.restype = restype
        return f

    set_threads, get_threads = fn("set_num_threads", None), fn("get_num_threads", ctypes.c_int)
    corename = fn("get_corename", ctypes.c_char_p)
    if set_one_thread and set_threads is not None:
        set_threads(1)
    if get_threads is not None:
        info["threads"] = str(get_threads())
    if corename is not None:
        info["core"] = corename().decode()
    return info


def machine_info():
    cpu, cores = "unknown", os.cpu_count()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        cpu = platform.processor() or "unknown"
    return cpu, cores


# -- timing ----------------------------------------------------------------------------------------
CLOCKS = {"cpu": time.process_time, "wall": time.perf_counter}


def _call_time(fn, number, clock):
    t0 = clock()
    for _ in range(number):
        fn()
    return (clock() - t0) / number


def measure(fns, repeats, loop_repeats, min_sample, clock=time.process_time):
    """Median seconds per call of each fn, interleaved: every round times each fn once.

    A sample times `number` calls in a row (number chosen so a sample lasts >= min_sample; 1 for
    anything slower); the first call of each fn is a warm-up and is not counted. The loop
    version takes part in the first `loop_repeats` rounds only.
    """
    number = {}
    for name, fn in fns.items():
        t = _call_time(fn, 1, clock)  # warm-up (and a first estimate)
        number[name] = 1 if name == "loop" else max(1, min(1000, int(min_sample / max(t, 1e-9))))
    samples = {name: [] for name in fns}
    names = list(fns)
    for r in range(repeats):
        order = names[r % len(names) :] + names[: r % len(names)]  # rotate who goes first
        for name in order:
            if name == "loop" and r >= loop_repeats:
                continue
            samples[name].append(_call_time(fns[name], number[name], clock))
    return {name: statistics.median(s) for name, s in samples.items()}, {
        name: len(s) for name, s in samples.items()
    }


# -- the cases -------------------------------------------------------------------------------------
def _torch_step(torch, fn, leaves, dy):
    """forward + backward in torch, with fresh .grad for the leaves each call."""

    def step():
        for t in leaves:
            t.grad = None
        fn().backward(dy)

    return step


def op_cases(torch, batch, dtype, rng):
    """(name, shape text, {impl: callable}, checker) for each op at LeNet's shapes."""
    F = torch.nn.functional
    N = batch

    def arr(*shape):
        return rng.standard_normal(shape).astype(dtype)

    def leaf(a):
        return torch.tensor(a, requires_grad=True)

    cases = []

    # conv1 and conv2: (N, 1, 32, 32) * (6, 1, 5, 5); (N, 6, 14, 14) * (16, 6, 5, 5)
    for label, x_shape, w_shape in (
        ("conv2d (conv1)", (N, 1, 32, 32), (6, 1, 5, 5)),
        ("conv2d (conv2)", (N, 6, 14, 14), (16, 6, 5, 5)),
    ):
        X, W, b = arr(*x_shape), arr(*w_shape), arr(w_shape[0])
        H_out = x_shape[2] - w_shape[2] + 1
        dY = arr(N, w_shape[0], H_out, H_out)
        Xt, Wt, bt = leaf(X), leaf(W), leaf(b)

        def ours(X=X, W=W, b=b, dY=dY, f=conv2d, fb=conv2d_backward):
            f(X, W, b)
            return fb(dY, X, W, b)

        def loop(X=X, W=W, b=b, dY=dY, ours=ours):
            return ours(X, W, b, dY, conv2d_naive, conv2d_backward_naive)

        def torch_grads(Xt=Xt, Wt=Wt, bt=bt):
            return (Xt.grad, Wt.grad, bt.grad)

        fns = {
            "loop": loop,
            "vectorized": ours,
            "torch": _torch_step(
                torch,
                lambda Xt=Xt, Wt=Wt, bt=bt: F.conv2d(Xt, Wt, bt),
                [Xt, Wt, bt],
                torch.from_numpy(dY),
            ),
        }
        shape = f"x {_shape(x_shape, N)}, w {_shape(w_shape)}"
        cases.append((label, shape, fns, torch_grads))

    # max-pool 2x2 after conv1 and after conv2
    for label, x_shape in (
        ("max_pool2d (pool1)", (N, 6, 28, 28)),
        ("max_pool2d (pool2)", (N, 16, 10, 10)),
    ):
        X = arr(*x_shape)
        dY = arr(N, x_shape[1], x_shape[2] // 2, x_shape[3] // 2)
        Xt = leaf(X)

        def ours(X=X, dY=dY, f=max_pool2d, fb=max_pool2d_backward):
            f(X, 2)
            return (fb(dY, X, 2),)

        def loop(X=X, dY=dY, ours=ours):
            return ours(X, dY, max_pool2d_naive, max_pool2d_backward_naive)

        fns = {
            "loop": loop,
            "vectorized": ours,
            "torch": _torch_step(
                torch, lambda Xt=Xt: F.max_pool2d(Xt, 2), [Xt], torch.from_numpy(dY)
            ),
        }
        cases.append((label, f"x {_shape(x_shape, N)}, 2x2 windows", fns, lambda Xt=Xt: (Xt.grad,)))

    # relu on conv1's output (the largest activation)
    X, dY = arr(N, 6, 28, 28), arr(N, 6, 28, 28)
    Xt = leaf(X)
    fns = {
        "vectorized": lambda X=X, dY=dY: (relu(X), relu_backward(dY, X))[1:],
        "torch": _torch_step(torch, lambda Xt=Xt: F.relu(Xt), [Xt], torch.from_numpy(dY)),
    }
    cases.append(("relu (after conv1)", f"x {_shape(X.shape, N)}", fns, lambda Xt=Xt: (Xt.grad,)))

    # flatten before fc1
    X, dY = arr(N, 16, 5, 5), arr(N, 400)
    Xt = leaf(X)
    fns = {
        "vectorized": lambda X=X, dY=dY: (flatten(X, 1), flatten_backward(dY, X, 1))[1:],
        "torch": _torch_step(torch, lambda Xt=Xt: torch.flatten(Xt, 1), [Xt], torch.from_numpy(dY)),
    }
    cases.append(("flatten", f"x {_shape(X.shape, N)}, start_dim 1", fns, lambda Xt=Xt: (Xt.grad,)))

    # linear: fc1, the largest of the three
    X, W, b, dY = arr(N, 400), arr(120, 400), arr(120), arr(N, 120)
    Xt, Wt, bt = leaf(X), leaf(W), leaf(b)
    fns = {
        "vectorized": lambda X=X, W=W, b=b, dY=dY: (
            linear(X, W, b),
            linear_backward(dY, X, W, b),
        )[1],
        "torch": _torch_step(
            torch,
            lambda Xt=Xt, Wt=Wt, bt=bt: F.linear(Xt, Wt, bt),
            [Xt, Wt, bt],
            torch.from_numpy(dY),
        ),
    }
    cases.append(
        (
            "linear (fc1)",
            f"x {_shape(X.shape, N)}, w {_shape(W.shape)}",
            fns,
            lambda Xt=Xt, Wt=Wt, bt=bt: (Xt.grad, Wt.grad, bt.grad),
        )
    )

    # mse_loss on the output, both input and target requiring grad
    X, T, dL = arr(N, 10), arr(N, 10), np.asarray(rng.standard_normal(), dtype=dtype)
    Xt, Tt = leaf(X), leaf(T)
    fns = {
        "vectorized": lambda X=X, T=T, dL=dL: (mse_loss(X, T), mse_loss_backward(dL, X, T))[1],
        "torch": _torch_step(
            torch, lambda Xt=Xt, Tt=Tt: F.mse_loss(Xt, Tt), [Xt, Tt], torch.from_numpy(dL)
        ),
    }
    cases.append(
        (
            "mse_loss",
            f"x and target {_shape(X.shape, N)}",
            fns,
            lambda Xt=Xt, Tt=Tt: (Xt.grad, Tt.grad),
        )
    )
    return cases


def lenet_case(torch, batch, dtype, rng):
    """One training step of LeNet: zero_grad, forward, MSE loss, backward."""
    from .models import LeNet
    from .models.torch_reference import BlitzNet

    tdtype = getattr(torch, np.dtype(dtype).name)
    torch.manual_seed(int(rng.integers(2**31)))
    tnet = BlitzNet().to(tdtype)
    net = LeNet(dtype=dtype)
    net.load_state_dict(tnet.state_dict())
    x = rng.standard_normal((batch, 1, 32, 32)).astype(dtype)
    target = rng.standard_normal((batch, 10)).astype(dtype)
    xt, tt = torch.from_numpy(x), torch.from_numpy(target)
    one = np.ones((), dtype=dtype)

    def ours():
        net.zero_grad()
        y = net.forward(x)
        mse_loss(y, target)
        dy, _ = mse_loss_backward(one, y, target)
        net.backward(dy)
        return tuple(net.grads.values())

    def theirs():
        tnet.zero_grad()
        torch.nn.functional.mse_loss(tnet(xt), tt).backward()

    def torch_grads():
        return tuple(p.grad for p in tnet.parameters())

    fns = {"vectorized": ours, "torch": theirs}
    return (
        "LeNet step",
        "zero_grad, forward x (N, 1, 32, 32), MSE loss to (N, 10), backward",
        fns,
        torch_grads,
    ), (net, ours, x)


def _shape(shape, batch=None):
    """'(N, 6, 28, 28)' for an array whose first axis is the batch, else the plain shape."""
    dims = [str(s) for s in shape]
    if batch is not None:
        dims[0] = "N"
    return "(" + ", ".join(dims) + ")"


def _check_agree(name, fns, torch_grads, dtype):
    """Run every impl once and compare its gradients with torch's: we time the same sums."""
    fns["torch"]()
    expected = [g.numpy() for g in torch_grads()]
    rtol = 1e-8 if np.dtype(dtype) == np.float64 else 1e-3
    for impl in ("loop", "vectorized"):
        if impl not in fns:
            continue
        got = fns[impl]()
        for a, e in zip(got, expected, strict=True):
            scale = max(1.0, float(np.abs(e).max()))
            if not np.allclose(a, e, rtol=rtol, atol=rtol * scale):
                raise RuntimeError(f"bench: {name} ({impl}, {dtype}) disagrees with torch")


def peak_memory(step, x):
    """Peak numpy memory of one LeNet step above what was allocated before it (tracemalloc)."""
    net, fn, _ = step
    fn()  # warm-up: the gradients exist, as in training after the first step
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        fn()
        peak = tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
    cache = sum(v.nbytes for v in net.cache.values() if isinstance(v, np.ndarray))
    return peak, cache - x.nbytes  # the input is not allocated by the step


# -- the report ------------------------------------------------------------------------------------
def _fmt_time(seconds):
    if seconds is None:
        return "—"
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


def _fmt_ratio(r):
    if r is None:
        return "—"
    if r >= 100:
        return f"{r:,.0f}x"
    return f"{r:.2f}x"


def _mib(n):
    return f"{n / 2**20:.2f} MiB"


def header(torch, blas, args):
    cpu, cores = machine_info()
    env = ", ".join(
        f"{k} unset"
        if k not in os.environ
        else f"{k}={os.environ[k]}" + (" (set by the benchmark)" if k in _SET_HERE else "")
        for k in ENV_SHOWN
    )
    date = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    load = ""
    if hasattr(os, "getloadavg"):
        load = " (load average {:.1f}, {:.1f}, {:.1f} at the start)".format(*os.getloadavg())
    command = " ".join(["python -m backprop_ref.bench", *args.argv])
    clock = {
        "cpu": "CPU time of this process (time.process_time: time other processes take "
        "on a shared machine is not counted)",
        "wall": "wall-clock time (time.perf_counter)",
    }[args.clock]
    return [
        f"Generated by `{command}` on {date}.",
        "",
        f"- Machine: {cpu}, {cores} cores{load}, {platform.system()} {platform.machine()}",
        f"- Versions: Python {platform.python_version()}, numpy {np.__version__}, "
        f"torch {torch.__version__}",
        f"- BLAS: numpy uses {blas['library']} (kernel {blas['core']}, {blas['threads']} "
        f"thread); torch uses its own (MKL, oneDNN), {torch.get_num_threads()} thread",
        f"- Environment: {env}",
        f"- Clock: {clock}",
        f"- Each time is the median of {args.repeats} samples of forward + backward, the "
        f"implementations interleaved; the loop version runs at batch 1 only, "
        f"{args.loop_repeats} sample(s). A sample lasts at least {args.min_sample * 1e3:g} ms "
        "(fast calls are repeated within it). A ratio below 1 means ours is faster than torch.",
    ]


def table(rows):
    lines = [
        "| op | N | vectorized | torch | vectorized / torch | loop | loop / torch |",
        "|---|--:|--:|--:|--:|--:|--:|",
    ]
    for _, case, _, N, t in rows:
        loop, vec, tor = t.get("loop"), t.get("vectorized"), t.get("torch")
        lines.append(
            f"| {case} | {N} | {_fmt_time(vec)} | {_fmt_time(tor)} | {_fmt_ratio(vec / tor)} | "
            f"{_fmt_time(loop)} | {_fmt_ratio(loop / tor if loop else None)} |"
        )
    return lines


def legend(cases):
    """What each row times: the op's arrays at LeNet's shapes, N the batch size."""
    return ["Shapes (N is the batch size):", ""] + [f"- {name}: {shape}" for name, shape in cases]


def build_parser():
    p = argparse.ArgumentParser(
        prog="python -m backprop_ref.bench",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=(
            "Time forward + backward of each LeNet op and of a whole LeNet step: the loop\n"
            "version (conv2d, max_pool2d; batch 1 only), the vectorized default, and torch\n"
            "on the CPU, interleaved, one thread each. Prints medians and ours / torch as\n"
            "Markdown tables, the peak memory of our LeNet step and the machine."
        ),
    )
    p.add_argument("--batches", type=int, nargs="+", default=[1, 64, 256], metavar="N")
    p.add_argument(
        "--dtypes", nargs="+", default=["float32", "float64"], choices=["float32", "float64"]
    )
    p.add_argument("--repeats", type=int, default=31, help="samples per median (default 31)")
    p.add_argument(
        "--loop-repeats", type=int, default=3, help="samples of the loop version (default 3)"
    )
    p.add_argument(
        "--min-sample", type=float, default=0.004, help="shortest sample in seconds (0.004)"
    )
    p.add_argument("--no-loop", action="store_true", help="skip the loop versions")
    p.add_argument(
        "--quick",
        action="store_true",
        help="a smoke run: batches 1 2, 3 samples, 1 loop sample, short samples",
    )
    p.add_argument(
        "--clock",
        choices=sorted(CLOCKS),
        default="cpu",
        help="cpu: this process's CPU time (default; robust on a shared machine); wall: elapsed",
    )
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--output", metavar="PATH", help="also write the report (Markdown) to PATH")
    return p


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    args = build_parser().parse_args(argv)
    args.argv = argv
    if args.quick:
        args.batches, args.repeats, args.loop_repeats, args.min_sample = [1, 2], 3, 1, 0.0005
    if min(args.batches) < 1 or args.repeats < 1 or args.loop_repeats < 1:
        raise SystemExit("bench: --batches, --repeats and --loop-repeats must be >= 1")
    try:
        import torch
    except ImportError:
        raise SystemExit(
            "bench: torch is needed for the comparison (pip install torch==2.13.0)"
        ) from None
    torch.set_num_threads(1)
    blas = blas_info(set_one_thread=True)
    rng = np.random.default_rng(args.seed)

    out = [*header(torch, blas, args), ""]
    print("\n".join(out), flush=True)
    memory = []
    for dtype in args.dtypes:
        rows = []
        for N in args.batches:
            cases = op_cases(torch, N, dtype, rng)
            lenet, step = lenet_case(torch, N, dtype, rng)
            for order, (name, shape, fns, torch_grads) in enumerate([*cases, lenet]):
                if "loop" in fns and (N != 1 or args.no_loop):
                    del fns["loop"]
                _check_agree(name, fns, torch_grads, dtype)
                medians, _ = measure(
                    fns, args.repeats, args.loop_repeats, args.min_sample, CLOCKS[args.clock]
                )
                rows.append((order, name, shape, N, medians))
                print(
                    f"  {dtype} N={N} {name}: "
                    + ", ".join(f"{k} {_fmt_time(v)}" for k, v in medians.items()),
                    file=sys.stderr,
                    flush=True,
                )
            memory.append((N, dtype, *peak_memory(step, step[2])))
        rows.sort(key=lambda r: (r[0], r[3]))  # LeNet's order, then the batch size
        part = [f"### {dtype}", "", *table(rows), ""]
        if dtype == args.dtypes[0]:  # the shapes, once, before the first table
            shapes = dict((name, shape) for _, name, shape, _, _ in rows)
            part = [*legend(shapes.items()), "", *part]
        print("\n".join(part), flush=True)
        out += part
    part = [
        "### Peak memory of our LeNet step",
        "",
        "tracemalloc's peak of numpy's allocations during one step (zero_grad, forward, loss, "
        "backward), above what was allocated before it (parameters, gradients, input); torch's "
        "allocations are invisible to tracemalloc and are not measured. The cache column is what "
        "forward keeps for backward (every activation but the input).",
        "",
        "| N | dtype | peak | activation cache |",
        "|--:|---|--:|--:|",
        *(f"| {N} | {d} | {_mib(p)} | {_mib(c)} |" for N, d, p, c in memory),
        "",
    ]
    print("\n".join(part), flush=True)
    out += part
    if args.output:
        with open(args.output, "w", encoding="utf-8") as f:
            f.write("\n".join(out).rstrip() + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
