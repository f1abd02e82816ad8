"""Releasing a chapter: the student edition has no solution text, imports, and nbgrader agrees."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys

import nbformat
import pytest

from conftest import ALL_CHAPTERS, CHAPTER, GRADED_CHAPTERS, run_python
from grading import chapters, course, editions, release as releasing
from notebooks import errors, text_of, validate

pytestmark = pytest.mark.slow
_released, _validated = {}, {}


def released(chapter_id, tmp_path_factory):
    """Release a chapter into its own course folder, once per test session."""
    if chapter_id not in _released:
        root = tmp_path_factory.mktemp(f"release-{chapter_id}")
        _released[chapter_id] = root, releasing.release(chapter_id, root)
    return _released[chapter_id]


def validated(chapter_id, tmp_path_factory):
    """The student edition as a learner gets it, run once per session for every test that inspects the run:
    ``nbgrader validate`` on a copy of the release (nbgrader's Validator and Execute, in this process), with
    nbclient's default stop-on-error — the way JupyterLab's Run All runs — so the run only completes if every
    cell that raises is one the release lets Run All continue past. The live framework view is off, as learners
    have it (the instructor notebooks' runs in test_notebook.py have it on)."""
    if chapter_id not in _validated:
        root, path = released(chapter_id, tmp_path_factory)
        student = tmp_path_factory.mktemp(f"student-{chapter_id}") / chapter_id
        shutil.copytree(path, student)  # the run writes caches next to the notebook: keep the release as released
        _validated[chapter_id] = validate(student / f"{chapter_id}.ipynb", root, stop_on_error=True,
                                          env={"DLMATH_TENSORFLOW": None})
    return _validated[chapter_id]


def graded_functions(notebook, chapter_id):
    """(cell index, cell, graded function) for each graded cell of the notebook."""
    by_id = {g.grade_id: g for g in chapters.get(chapter_id).graded}
    return [(i, c, by_id[c.metadata.nbgrader.grade_id]) for i, c in enumerate(notebook.cells)
            if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("grade")]


@pytest.mark.parametrize("chapter_id", ALL_CHAPTERS)
def test_release_holds_no_solution_text(chapter_id, tmp_path_factory):
    _, path = released(chapter_id, tmp_path_factory)
    assert editions.find_leaks(path, chapter_id) == []
    assert editions.solution_lines(chapter_id)  # the gate has something to look for


def test_the_leak_gate_catches_a_planted_solution_line(tmp_path):
    line = sorted(editions.solution_lines(CHAPTER))[0]
    (tmp_path / "notes.py").write_text(f"# copied\n{line}\n")
    assert editions.find_leaks(tmp_path, CHAPTER)


@pytest.mark.parametrize("chapter_id", ALL_CHAPTERS)
def test_release_contains_the_notebook_the_student_package_and_the_checks_so_far(chapter_id, tmp_path_factory):
    _, path = released(chapter_id, tmp_path_factory)
    assert (path / f"{chapter_id}.ipynb").is_file()
    for module in chapters.get(chapter_id).modules:
        assert (path / "dlmath" / f"{module}.py").is_file()
    shipped = sorted(p.stem for p in (path / "dlmath" / "checking" / "public").glob("*.json"))
    assert shipped == [c for c in GRADED_CHAPTERS if c <= chapter_id]


@pytest.mark.parametrize("chapter_id", ALL_CHAPTERS)
def test_release_holds_neither_the_grader_nor_its_hidden_inputs(chapter_id, tmp_path_factory):
    _, path = released(chapter_id, tmp_path_factory)
    names = {p.name for p in path.rglob("*")}
    assert "grading" not in names and "fixtures" not in names
    assert not [p for p in path.rglob("*.json") if '"audience": "hidden"' in p.read_text()]


@pytest.mark.parametrize("chapter_id", GRADED_CHAPTERS)
def test_release_imports_and_its_functions_are_stubs_naming_their_section(chapter_id, tmp_path_factory):
    _, path = released(chapter_id, tmp_path_factory)
    code = ("import sys; sys.path.insert(0, '.')\nimport dlmath.checking as c\n"
            f"for r in c.run('{chapter_id}'):\n    print(r.text())")
    done = run_python(["-I", "-c", code], path)
    assert done.returncode == 0, done.stderr
    for graded in chapters.get(chapter_id).graded:
        assert f"· dlmath.{graded.module}.{graded.name}: not implemented yet — see {chapter_id} §" in done.stdout


@pytest.mark.parametrize("chapter_id", ALL_CHAPTERS)
def test_release_notebook_has_no_hidden_tests_and_no_outputs(chapter_id, tmp_path_factory):
    _, path = released(chapter_id, tmp_path_factory)
    notebook = nbformat.read(path / f"{chapter_id}.ipynb", as_version=4)
    text = "\n".join(cell.source for cell in notebook.cells)
    assert "grading.harness" not in text and "HIDDEN TESTS" not in text
    assert all(not cell.get("outputs") for cell in notebook.cells if cell.cell_type == "code")


# nbgrader validate of the instructor notebook: tests/test_notebook.py, in the run that checks it top to bottom.


@pytest.mark.parametrize("chapter_id", GRADED_CHAPTERS)
def test_nbgrader_validate_invert_holds_on_the_release(chapter_id, tmp_path_factory):
    run = validated(chapter_id, tmp_path_factory)
    graded = graded_functions(run.notebook, chapter_id)
    assert len(graded) == len(chapters.get(chapter_id).graded)
    # what `nbgrader validate --invert` lists (its run is the same; only the judgement differs): nothing passes
    assert run.passed() == []


@pytest.mark.parametrize("chapter_id", ALL_CHAPTERS)
def test_student_edition_runs_all_past_its_graded_cells(chapter_id, tmp_path_factory):
    run = validated(chapter_id, tmp_path_factory)  # stop-on-error: a graded cell without the tag would raise here
    print(f"\n{chapter_id} student notebook with stubs under nbgrader validate: {run.seconds:.1f} s")
    code = [i for i, c in enumerate(run.notebook.cells) if c.cell_type == "code"]
    assert all(run.notebook.cells[i].execution_count is not None for i in code)  # every cell ran
    graded = [i for i, _, _ in graded_functions(run.notebook, chapter_id)]
    if graded:
        assert [i for i in code if i > graded[0]]  # there is something after the first graded cell, and it ran
        assert all(editions.RAISES in run.notebook.cells[i].metadata.tags for i in graded)


@pytest.mark.parametrize("chapter_id", ALL_CHAPTERS)
def test_student_edition_runs_with_stubs_and_says_what_to_implement(chapter_id, tmp_path_factory):
    run = validated(chapter_id, tmp_path_factory)
    executed = run.notebook
    graded = graded_functions(executed, chapter_id)
    failed = errors(executed)
    assert {i for i, _ in failed} == {i for i, _, _ in graded}  # only the graded cells fail, each on its own stub
    by_index = {i: g for i, _, g in graded}
    for index, error in failed:
        name, module = by_index[index].name, by_index[index].module
        assert error.ename == "NotImplementedError"
        assert f"dlmath.{module}.{name} is not implemented yet — see {chapter_id} §" in error.evalue
        # shown as one line naming the function, its file and its section: no traceback into dlmath.checking
        assert len(error.traceback) == 1 and name in error.traceback[0], error.traceback
        assert f"dlmath/{module}.py" in error.traceback[0] and "§" in error.traceback[0]
    printed = "\n".join(text_of(c) for c in executed.cells)
    if graded:
        assert f"not implemented yet — see {chapter_id} §" in printed  # a check cell
        assert "Skipped: dlmath." in printed                           # an experiment cell
    if any("frameworks.tensorflow()" in c.source for c in executed.cells):  # the framework view, from stored values
        assert "TensorFlow's live view is off" in printed


def failure_blocks(printed: str) -> list[tuple[str, list[str]]]:
    """`nbgrader validate`'s report, one (cell source, error lines) per failed cell."""
    blocks = []
    for block in printed.split("The following cell failed:")[1:]:
        source, _, error = block.partition("The error was:")
        lines = [ln.strip() for ln in error.split("=" * 20)[0].strip("\n").splitlines() if ln.strip()]
        blocks.append((source, lines))
    return blocks


def section_of(function) -> str:
    """'§2.2' for a function whose docstring says 'Derived in: 03_activations §2.2'."""
    source = (chapters.PACKAGE_DIR / f"{function.module}.py").read_text(encoding="utf-8")
    return "§" + next(f for f in editions.fences(source) if f.function == function.name).section.split("§")[1]


def assert_one_line_per_stub(printed: str, chapter_id: str) -> None:
    graded = chapters.get(chapter_id).graded
    assert f"VALIDATION FAILED ON {len(graded)} CELL(S)!" in printed.replace("\n", " "), printed[:2000]
    assert "Traceback" not in printed and "dlmath/checking" not in printed and "site-packages" not in printed
    blocks = failure_blocks(printed)
    assert len(blocks) == len(graded)
    for function in graded:
        (lines,) = [lines for source, lines in blocks if f'dlmath.assert_implemented("{function.name}")' in source]
        assert len(lines) == 1, lines  # one line per stub
        # what it is, where to write it and where it is derived survive nbgrader's cut at 87 characters (the
        # longest names, up to 53 characters, lose the end of "not implemented")
        assert lines[0].startswith(function.name + " ") and f"dlmath/{function.module}.py" in lines[0], lines[0]
        assert section_of(function) in lines[0], lines[0]
        assert "not implemented" in lines[0] or (lines[0].endswith("...") and "): not" in lines[0]), lines[0]


@pytest.mark.parametrize("chapter_id", GRADED_CHAPTERS)
def test_nbgrader_validate_says_one_line_per_stub(chapter_id, tmp_path_factory):
    assert_one_line_per_stub(validated(chapter_id, tmp_path_factory).printed, chapter_id)


def test_the_nbgrader_validate_command_says_one_line_per_stub(tmp_path_factory):
    """The command itself, as a learner types it in a chapter folder (the live framework view off, as learners have
    it), on the released student edition of the pilot chapter: one line per stub, no traceback."""
    root, path = released(CHAPTER, tmp_path_factory)
    student = tmp_path_factory.mktemp("validate-command") / CHAPTER
    shutil.copytree(path, student)
    env = {k: v for k, v in os.environ.items() if k not in ("DLMATH_TENSORFLOW", "PYTHONPATH")}
    done = subprocess.run([sys.executable, "-m", "nbgrader", "validate", f"{CHAPTER}.ipynb"], cwd=student,
                          capture_output=True, text=True, env={**env, "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert_one_line_per_stub(done.stdout, CHAPTER)
    assert "Traceback" not in done.stderr, done.stderr[-2000:]


@pytest.mark.parametrize("chapter_id", GRADED_CHAPTERS)
def test_course_source_keeps_this_chapters_solutions_for_validation(chapter_id, tmp_path_factory):
    root, _ = released(chapter_id, tmp_path_factory)
    for module in chapters.get(chapter_id).modules:
        assert "### BEGIN SOLUTION" in (root / "source" / chapter_id / "dlmath" / f"{module}.py").read_text()


def test_course_source_never_holds_a_later_chapters_solution(tmp_path_factory):
    root, _ = released("02_forward", tmp_path_factory)
    layers = (root / "source" / "02_forward" / "dlmath" / "layers.py").read_text()
    assert "dlmath.layers.dense_backward is not implemented yet" in layers  # 05's function, stubbed
    assert editions.find_leaks(root / "release" / "02_forward", "05_backprop") == []


def test_a_new_gradebook_is_the_one_nbgrader_creates(tmp_path):
    # release() creates the gradebook itself (nbgrader would spend ~5 s on an `alembic heads` command); it must be
    # the database nbgrader's Gradebook makes: same tables, indexes and migration stamp, and nbgrader opens it as its own
    import sqlite3

    from nbgrader.api import Gradebook

    theirs, ours = tmp_path / "nbgrader", tmp_path / "ours"
    theirs.mkdir(), ours.mkdir()
    Gradebook(f"sqlite:///{theirs / 'gradebook.db'}", course_id="dlmath").close()
    assert releasing.new_gradebook(ours) and not releasing.new_gradebook(ours)  # once only
    with Gradebook(f"sqlite:///{ours / 'gradebook.db'}", course_id="dlmath") as gradebook:
        gradebook.add_assignment("03_activations")

    def schema(folder):
        with sqlite3.connect(folder / "gradebook.db") as db:
            return (sorted(db.execute("SELECT type, name, tbl_name, sql FROM sqlite_master")),
                    db.execute("SELECT version_num FROM alembic_version").fetchall())

    assert schema(ours) == schema(theirs) and len(schema(ours)[0]) > 10
