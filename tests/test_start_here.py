"""Chapter 00_start_here: an ungraded notebook whose NumPy exercises check themselves.

Each exercise is a code cell with a ``...`` placeholder, followed by a check cell that says
"not attempted yet" while the placeholder is there, and by an Answer block (``<details>``)
holding the solution as a ``python`` code block. These tests run the notebook as shipped,
with the Answer blocks' code filled in (every check must pass), and with a typical wrong
answer per exercise (its check must fail and name the mistake).
"""
from __future__ import annotations

import re

import nbformat
import pytest

from grading import chapters, editions
from grading.release import release
from notebooks import errors, execute, text_of

CHAPTER = "00_start_here"
NOTEBOOK = chapters.get(CHAPTER).notebook
PLACEHOLDER = "# your code here"

# exercise (a string only its exercise cell contains) → (a typical wrong answer, what its check must say)
WRONG = {
    "def as_float": ("def as_float(x):\n    return np.asarray(x).astype(float)", "a float32 array must stay float32"),
    "centred = ...": ("centred = S - S.mean(axis=1)", "use keepdims=True"),
    "predictions = {": ("predictions = {((3, 1), (4,)): (3, 1), ((2, 3), (2,)): 'error', ((5, 1, 4), (3, 1)): (5, 3, 4),\n"
                        "               ((8, 10), (8, 1)): (8, 10), ((8, 10), (10, 8)): 'error', ((), (2, 3)): (2, 3)}",
                        "1 of 6 predictions are wrong"),
    "Z = ...": ("Z = X @ W", "the bias is missing"),
    "def pairwise_fast": ("def pairwise_fast(A, B):\n    return ((A[:, None, :] - B[None, :, :]) ** 2).sum(axis=1)",
                          "expected (n, m) = (60, 40)"),
    "def centre(v)": ("def centre(v):\n    v -= v.mean()\n    return v", "centre changed its input"),
    "perm = ...": ("perm = shuffler.permutation(10)\nXs_shuffled = Xs[perm]\nys_shuffled = ys[shuffler.permutation(10)]",
                   "an example and its label were separated"),
    "eps32 = ...": ("eps32 = np.finfo(np.float64).eps", "keep the computation in float32"),
}


@pytest.fixture(scope="module")
def notebook():
    return nbformat.read(NOTEBOOK, as_version=4)


def exercises(notebook) -> list[tuple[int, str]]:
    """(index of each exercise cell, the code of its Answer block)."""
    found = []
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type == "code" and PLACEHOLDER in cell.source:
            answer = next(c.source for c in notebook.cells[index + 1:] if c.cell_type == "markdown" and "<details>" in c.source)
            found.append((index, re.search(r"```python\n(.*?)```", answer, re.S).group(1)))
    return found


def with_answers(notebook, answers: dict[int, str]):
    """A copy of the notebook with a code cell holding ``answers[i]`` inserted after exercise cell i."""
    patched = nbformat.from_dict(notebook)
    for index in sorted(answers, reverse=True):
        patched.cells.insert(index + 1, nbformat.v4.new_code_cell(answers[index]))
    return patched


def run(tmp_path, notebook, monkeypatch):
    monkeypatch.setenv("DLMATH_NO_TENSORFLOW", "1")  # the kernel inherits it: no 5 s TensorFlow import
    path = tmp_path / f"{CHAPTER}.ipynb"
    nbformat.write(notebook, path)
    executed, _ = execute(path, chapters.REPO, allow_errors=True)
    return executed


def test_committed_without_outputs(notebook):
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert not cell.outputs and cell.execution_count is None


def test_ungraded_no_nbgrader_cells_or_marker_text(notebook):
    # nbgrader's ClearSolutions treats the marker words as a solution region in *any* cell, markdown
    # included, and fails the release ("no end solution statement found") when they appear in prose
    assert not chapters.get(CHAPTER).graded
    for cell in notebook.cells:
        assert "nbgrader" not in cell.metadata
        for marker in ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"):
            assert marker not in cell.source


def test_no_solution_line_of_any_chapter_appears(notebook):
    # every chapter comes after 00, so every solution line is secret in this release
    text = "\n".join(cell.source for cell in notebook.cells)
    assert [line for line in editions.solution_lines(CHAPTER) if line in text] == []


def test_every_exercise_has_a_guarded_check_and_an_answer(notebook):
    found = exercises(notebook)
    assert len(found) == len(WRONG)
    for index, answer in found:
        check = notebook.cells[index + 1]
        assert check.cell_type == "code" and "attempted(" in check.source and "assert" in check.source
        assert answer.strip()
    assert sorted(key for key in WRONG if any(key in notebook.cells[i].source for i, _ in found)) == sorted(WRONG)


def test_sections_numbered_and_glossary_in_english_and_chinese(notebook):
    headings = re.findall(r"^(#+) (\d+(?:\.\d+)?)\.? ", "\n".join(c.source for c in notebook.cells if c.cell_type == "markdown"), re.M)
    assert [n for level, n in headings if level == "##"] == ["1", "2", "3", "4"]
    last = notebook.cells[-1].source
    assert "Glossary" in last and len(re.findall(r"[\u4e00-\u9fff]", last)) > 50


@pytest.mark.slow
def test_as_shipped_every_check_says_not_attempted(tmp_path, notebook, monkeypatch):
    executed = run(tmp_path, notebook, monkeypatch)
    assert errors(executed) == []
    for index, _ in exercises(notebook):
        assert "not attempted yet" in text_of(executed.cells[index + 1])
    assert not any(out.get("name") == "stderr" for cell in executed.cells for out in cell.get("outputs", []))


@pytest.mark.slow
def test_the_answers_pass_every_check(tmp_path, notebook, monkeypatch):
    found = exercises(notebook)
    executed = run(tmp_path, with_answers(notebook, dict(found)), monkeypatch)
    assert errors(executed) == []
    for shift, (index, _) in enumerate(found):  # each inserted cell moves the later ones down by one
        check = executed.cells[index + shift + 2]
        assert "✓" in text_of(check), check.source
    assert any("faster" in text_of(cell) for cell in executed.cells)  # the timing cell ran on the answer


@pytest.mark.slow
def test_a_typical_wrong_answer_fails_its_check_and_names_the_mistake(tmp_path, notebook, monkeypatch):
    found = exercises(notebook)
    wrong = {index: next(code for key, (code, _) in WRONG.items() if key in notebook.cells[index].source)
             for index, _ in found}
    executed = run(tmp_path, with_answers(notebook, wrong), monkeypatch)
    failed = dict(errors(executed))
    for shift, (index, _) in enumerate(found):
        check_index = index + shift + 2
        message = next(m for key, (_, m) in WRONG.items() if key in notebook.cells[index].source)
        assert check_index in failed, f"the check after exercise cell {index} passed a wrong answer"
        assert failed[check_index]["ename"] == "AssertionError"
        assert message in failed[check_index]["evalue"]
    assert set(failed) == {index + shift + 2 for shift, (index, _) in enumerate(found)}


@pytest.mark.slow
def test_student_edition_runs_top_to_bottom_without_error(tmp_path, monkeypatch):
    released = release(CHAPTER, tmp_path)
    monkeypatch.setenv("DLMATH_NO_TENSORFLOW", "1")
    executed, _ = execute(released / f"{CHAPTER}.ipynb", released)
    assert errors(executed) == []
    skipped = text_of(executed.cells[3])  # every graded function is a stub in this chapter's release
    assert "Skipped: dlmath.activations.sigmoid is not implemented yet — see 03_activations §2.2" in skipped


@pytest.mark.slow
def test_instructor_edition_runs_in_the_repository_with_tensorflow():
    executed, seconds = execute(NOTEBOOK, chapters.REPO)
    print(f"\ninstructor notebook: {seconds:.1f} s")
    assert errors(executed) == []
    # σ(±2) = 1 / (1 + e^∓2) = 0.1192029220…, 0.8807970779…: the repository's solutions are in place
    assert "sigmoid([-2, 0, 2]) = [0.11920292 0.5        0.88079708]" in text_of(executed.cells[3])
    framework_view = next(c for c in executed.cells if c.cell_type == "code" and "frameworks.tensorflow()" in c.source)
    assert "equal to X @ kernel + bias: True" in text_of(framework_view)


# ---- the checked exercises of chapters 01–05 (second edition) ---------------------------------------------

LATER = ["01_math_toolkit", "02_forward", "03_activations", "04_losses", "05_backprop"]


def _checked_exercises(chapter_id):
    """(setup code, [(exercise code, check code, answer code), ...]) of a chapter's 🏋️ exercises."""
    book = nbformat.read(chapters.get(chapter_id).notebook, as_version=4)
    code = [i for i, c in enumerate(book.cells) if c.cell_type == "code"]
    setup = "\n".join(line for line in book.cells[code[0]].source.splitlines() if not line.startswith("%"))
    found = []
    for index, cell in enumerate(book.cells):
        if cell.cell_type == "code" and PLACEHOLDER in cell.source:
            check = next(c.source for c in book.cells[index + 1:] if c.cell_type == "code")
            answer = next(c.source for c in book.cells[index + 1:] if c.cell_type == "markdown" and "<details>" in c.source)
            found.append((cell.source, check, re.search(r"```python\n(.*?)```", answer, re.S).group(1)))
    return setup, found


@pytest.mark.parametrize("chapter_id", LATER)
def test_checked_exercises_say_not_attempted_then_pass_with_their_worked_answers(chapter_id, capsys):
    import matplotlib
    matplotlib.use("Agg")
    setup, found = _checked_exercises(chapter_id)
    assert 1 <= len(found) <= 2, "one or two checked exercises per chapter"
    namespace = {}
    exec(compile(setup, f"{chapter_id}-setup", "exec"), namespace)
    for exercise, check, answer in found:
        exec(compile(exercise, "exercise", "exec"), namespace)
        exec(compile(check, "check", "exec"), namespace)
        assert "not attempted yet" in capsys.readouterr().out
        exec(compile(answer, "answer", "exec"), namespace)   # the worked answer, as the learner would type it
        exec(compile(check, "check", "exec"), namespace)
        assert "✓" in capsys.readouterr().out
