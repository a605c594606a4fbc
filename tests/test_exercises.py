"""The exercises (docs/exercises/*.py) and their checker (backprop_ref.exercises).

Every exercise notebook runs twice, in this process (the jupytext cells exec'd in order, no
kernel): with the blanks, where every `check` must say "not filled in" and return False and
nothing may raise; and with the solutions, where every `check` must return True.

The mechanism: a code cell tagged `exercise` (`# %% tags=["exercise"]`) holds the blanks,
lines `name = ...  # your code: ...`, and ends with its `check` call. The markdown cell right
below it holds the solution, folded in `<details><summary>Solution</summary>` (答案 in the
Chinese edition), as one
```python block: that same cell with the blanks filled in. The solved run replaces each
exercise cell by that block.
"""

import re
import sys
import unicodedata
from pathlib import Path

import jupytext
import numpy as np
import pytest

from backprop_ref import exercises
from backprop_ref.exercises import check, expected

ROOT = Path(__file__).resolve().parent.parent
FOLDER = ROOT / "docs" / "exercises"
NOTEBOOKS = sorted(FOLDER.glob("*.py"))  # both languages: `linear.py` and `linear.zh.py`
ENGLISH = [p for p in NOTEBOOKS if not p.stem.endswith(".zh")]
SOLUTION = re.compile(
    r"\A<details><summary>[^<]+</summary>\s*```python\n(?P<code>.*?)```\s*</details>\s*\Z",
    re.DOTALL,
)
BLANK = re.compile(r"^\s*\w+ = \.\.\.  # (?:your code\b|你的代码)")


def exercise_cells(path):
    """[(blank code, solution code)] and the notebook's code cells as [(tags, source)]."""
    cells = jupytext.read(path, fmt="py:percent").cells
    program, pairs = [], []
    for i, cell in enumerate(cells):
        if cell.cell_type != "code":
            continue
        tags = cell.metadata.get("tags", [])
        solution = None
        if "exercise" in tags:
            after = cells[i + 1] if i + 1 < len(cells) else None
            m = SOLUTION.match(after.source) if after and after.cell_type == "markdown" else None
            assert m, f"{path.name}: exercise cell {i} has no solution block right below it"
            solution = m["code"]
            pairs.append((cell.source, solution))
        program.append((cell.source, solution))
    return program, pairs


def run(path, solved, monkeypatch):
    """Exec the notebook's code cells (solutions in place of the blanks when `solved`);
    return every check's result, in order."""
    results = []

    def recording_check(*args, **kwargs):
        results.append(check(*args, **kwargs))
        return results[-1]

    monkeypatch.setattr(exercises, "check", recording_check)
    program, _ = exercise_cells(path)
    namespace = {"__name__": "__main__"}
    for source, solution in program:
        code = solution if solved and solution is not None else source
        exec(compile(code, str(path), "exec"), namespace)
    return results


def test_there_are_exercises():
    assert len(ENGLISH) >= 8


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_blanks_report_not_filled_in(path, monkeypatch, capsys):
    results = run(path, solved=False, monkeypatch=monkeypatch)
    out = capsys.readouterr().out
    _, pairs = exercise_cells(path)
    assert results and not any(results), out
    assert len(results) == len(pairs), "one check per exercise cell, at its end"
    assert out.count("not filled in yet") == len(results), out


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_solutions_pass(path, monkeypatch, capsys):
    results = run(path, solved=True, monkeypatch=monkeypatch)
    out = capsys.readouterr().out
    assert results and all(results), out


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_each_solution_fills_in_its_exercise(path):
    """Each blank line is `name = ...  # your code: ...`; every other line of the exercise
    cell appears in its solution, in the same order (the solution is the cell, filled in)."""
    _, pairs = exercise_cells(path)
    assert pairs
    for blank, solution in pairs:
        lines = blank.splitlines()
        assert any(BLANK.match(line) for line in lines), blank
        assert not any(BLANK.match(line) for line in solution.splitlines()), solution
        assert lines[-1].startswith("check("), "an exercise cell ends with its check"
        kept = iter(solution.splitlines())
        for line in lines:
            if not BLANK.match(line):
                assert any(s == line for s in kept), f"{path.name}: {line!r} not in the solution"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_code_fits_a_phone(path):
    """Code lines (cells and solutions) of at most 86 columns (a Chinese character takes two):
    prose wraps, code scrolls."""
    program, _ = exercise_cells(path)
    code = [line for cell in program for part in cell if part for line in part.splitlines()]
    long = [f"{path.name}: {width(line)} columns: {line}" for line in code if width(line) > 86]
    assert not long, "\n".join(long)


def width(line):
    """Columns a line takes in a monospace font: two for a wide (CJK) character."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line)


def test_index_lists_every_exercise_and_each_chapter_links_to_its_own():
    index = (FOLDER / "index.md").read_text(encoding="utf-8")
    nav = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    for path in ENGLISH:
        assert f"({path.name})" in index, f"index.md does not link {path.name}"
        assert f"exercises/{path.name}" in nav, f"mkdocs.yml's nav lacks {path.name}"
        chapter = ROOT / "docs" / "layers" / f"{path.stem}.md"
        if chapter.is_file():
            text = chapter.read_text(encoding="utf-8")
            assert f"../exercises/{path.name}" in text, f"{chapter.name} lacks its exercise link"
            assert f"../../layers/{path.stem}/" in path.read_text(), f"{path.name}: no chapter link"


# --- the checker --------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def english(monkeypatch):
    """The checker's words follow the locale: these tests read its English."""
    for variable in ("LANGUAGE", "LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")


def test_exact(capsys):
    x = np.arange(6.0).reshape(2, 3)
    assert check("x", x.copy(), x) is True
    out = capsys.readouterr().out
    assert "exact" in out and "right" in out


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_approximately_equal_within_the_policy_and_not_beyond(dtype, capsys):
    from backprop_ref.precision import tolerance

    rtol, _ = tolerance(dtype)
    e = np.linspace(1, 2, 10).astype(dtype)
    inside = (e * (1 + rtol / 4)).astype(dtype)
    assert not np.array_equal(inside, e)
    assert check("x", inside, e) is True
    assert "approximately equal" in capsys.readouterr().out
    outside = (e * (1 + 20 * rtol)).astype(dtype)
    assert check("x", outside, e) is False
    out = capsys.readouterr().out
    assert "wrong" in out and "max |yours - expected|" in out


def test_float32_tolerance_is_looser_than_float64s():
    e64 = np.linspace(1, 2, 10)
    off = e64 * (1 + 1e-7)  # far beyond float64's rtol 1e-10, well within float32's 1e-5
    assert check("x", off, e64) is False
    assert check("x", off.astype(np.float32), e64.astype(np.float32)) is True


def test_wrong_value_reports_the_largest_difference(capsys):
    e = np.zeros(3)
    assert check("x", np.array([0.0, 0.5, -2.0]), e) is False
    assert "wrong" in capsys.readouterr().out.split("x:")[1]
    assert check("x", np.array([0.0, 0.5, -2.0]), e) is False
    assert "max |yours - expected| 2" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("yours", "words"),
    [
        (np.zeros((3, 2)), "wrong shape (3, 2), expected (2, 3)"),
        (np.zeros(6), "wrong shape (6,)"),
        (None, "None"),
        (..., "not filled in"),
        ("abc", "not an array of numbers"),
        ([[1.0], [1.0, 2.0]], "not an array"),
        (np.zeros((2, 3), np.float32), "wrong dtype float32, expected float64"),
        (np.full((2, 3), np.nan), "wrong"),
    ],
    ids=["transposed", "flat", "None", "Ellipsis", "str", "ragged", "dtype", "nan"],
)
def test_wrong_answers_never_raise(yours, words, capsys):
    assert check("x", yours, np.zeros((2, 3))) is False
    assert words in capsys.readouterr().out


def test_dict_form(capsys):
    want = {"input": np.ones(2), "weight": np.zeros((2, 2))}
    assert check("op", {"input": np.ones(2), "weight": np.zeros((2, 2))}, want) is True
    assert "right: all 2" in capsys.readouterr().out
    assert check("op", {"input": np.ones(2), "weight": ...}, want) is False
    out = capsys.readouterr().out
    assert "not filled in" in out and "1 of 2 right" in out
    assert check("op", {"input": np.ones(2)}, want) is False
    assert "missing" in capsys.readouterr().out
    assert check("op", ..., want) is False
    assert "not filled in yet" in capsys.readouterr().out
    assert check("op", np.ones(2), want) is False  # one array for two gradients
    assert "give a dict" in capsys.readouterr().out
    extra = {"input": np.ones(2), "weight": np.zeros((2, 2)), "bias": np.ones(2)}
    assert check("op", extra, want) is True
    assert "bias: not a gradient" in capsys.readouterr().out


def test_tuple_form():
    want = (np.ones(2), np.zeros(3))
    assert check("op", (np.ones(2), np.zeros(3)), want) is True
    assert check("op", [np.ones(2), np.ones(3)], want) is False
    assert check("op", (np.ones(2),), want) is False
    assert check("op", ..., want) is False


def test_a_torch_tensor_is_accepted():
    torch = pytest.importorskip("torch")
    assert check("x", torch.ones(3, dtype=torch.float64), np.ones(3)) is True


# --- where the expected values come from -------------------------------------------------------


def _samples():
    rng = np.random.default_rng(1)
    X = rng.standard_normal((3, 4))
    return [
        ("linear", rng.standard_normal((3, 2)), dict(input=X, weight=X[:2] * 2, bias=X[0, :2])),
        ("mse_loss", 1.0, dict(input=X, target=X * 0.5, reduction="sum")),
        ("cross_entropy", 1.0, dict(input=X, target=np.array([0, 3, 1]), weight=np.ones(4))),
        ("batch_norm", X, dict(input=X, running_mean=None, running_var=None, training=True)),
        ("dropout", X, dict(input=X, p=0.25, mask=X > 0)),
        ("max_pool2d", X[None, None, :1, :2], dict(input=X[None, None], kernel_size=2)),
    ]


@pytest.mark.parametrize(("op", "dY", "args"), _samples(), ids=lambda s: str(s)[:12])
def test_expected_from_torch_and_from_the_reference_agree(op, dY, args, monkeypatch, capsys):
    pytest.importorskip("torch")
    from_torch = expected(op, dY, **args)
    assert from_torch.source.startswith("torch ")
    monkeypatch.setitem(sys.modules, "torch", None)  # `import torch` now raises ImportError
    from_reference = expected(op, dY, **args)
    assert "backprop_ref.functional" in from_reference.source
    assert list(from_torch) == list(from_reference)
    assert check(op, dict(from_reference), from_torch)
    assert f"against {from_torch.source}" in capsys.readouterr().out


def test_expected_names_only_what_torch_differentiates():
    X = np.ones((2, 3))
    assert list(expected("cross_entropy", 1.0, input=X, target=np.array([0, 2]))) == ["input"]
    got = expected("batch_norm", X, input=X, running_mean=np.zeros(3), running_var=np.ones(3))
    assert list(got) == ["input"]
    with pytest.raises(ValueError, match="unknown op"):
        expected("conv3d", X, input=X)


def test_expected_lenet_from_torch_and_from_the_reference_agree(monkeypatch):
    pytest.importorskip("torch")
    from backprop_ref.models import LeNet

    params = LeNet(dtype=np.float64, seed=0).state_dict()
    rng = np.random.default_rng(0)
    x, target = rng.standard_normal((2, 1, 32, 32)), rng.standard_normal((2, 10))
    from_torch = exercises.expected_lenet(params, x, target)
    monkeypatch.setitem(sys.modules, "torch", None)
    from_reference = exercises.expected_lenet(params, x, target)
    assert list(from_torch) == list(exercises.LENET_PARAMETERS) == list(from_reference)
    assert "LeNet" in from_reference.source
    assert check("lenet", dict(from_reference), from_torch)


def test_the_checker_speaks_chinese_in_a_chinese_locale(monkeypatch, capsys):
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    want = {"input": np.ones(2), "weight": np.zeros((2, 2)), "bias": np.ones(3)}
    yours = {"input": np.ones(2), "weight": np.ones((2, 2)), "bias": ..., "extra": 1}
    assert check("linear", yours, want) is False
    out = capsys.readouterr().out
    for words in (
        "linear：",
        "精确相等",
        "错误",
        "最大 |你的 - 期望| 1",
        "尚未填写",
        "3 个中 1 个正确",
    ):
        assert words in out, out
    assert "extra：不是本练习要求的梯度" in out
    prose = out
    for name in ("linear", "input", "weight", "bias", "extra"):  # the names stay as given
        prose = prose.replace(name, "")
    assert not set("abcdefghijklmnopqrstuvwxyz") & set(prose.lower()), out
    monkeypatch.setenv("LANGUAGE", "en_US")  # gettext reads LANGUAGE first
    assert check("x", np.zeros(2), np.zeros(2)) is True
    assert "exact" in capsys.readouterr().out


def test_every_chinese_message_takes_the_same_values():
    import string

    def fields(template):
        return sorted(f for _, f, _, _ in string.Formatter().parse(template) if f)

    for english_words, chinese in exercises._ZH.items():
        assert fields(english_words) == fields(chinese), english_words
