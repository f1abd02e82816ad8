"""Releasing a chapter: the student edition has no solution text, imports, and nbgrader agrees."""
from __future__ import annotations

import nbformat
import pytest

from conftest import ALL_CHAPTERS, CHAPTER, GRADED_CHAPTERS, run_python
from grading import chapters, course, editions, release as releasing

pytestmark = pytest.mark.slow
_released = {}


def released(chapter_id, tmp_path_factory):
    """Release a chapter into its own course folder, once per test session."""
    if chapter_id not in _released:
        root = tmp_path_factory.mktemp(f"release-{chapter_id}")
        _released[chapter_id] = root, releasing.release(chapter_id, root)
    return _released[chapter_id]


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


@pytest.mark.parametrize("chapter_id", GRADED_CHAPTERS)
def test_nbgrader_validate_passes_on_the_instructor_notebook(chapter_id, tmp_path_factory):
    root, _ = released(chapter_id, tmp_path_factory)
    done = course.nbgrader(root, "validate", f"source/{chapter_id}/{chapter_id}.ipynb")
    assert "Success! Your notebook passes all the tests." in done.stdout, done.stdout[-2000:]


@pytest.mark.parametrize("chapter_id", GRADED_CHAPTERS)
def test_nbgrader_validate_invert_holds_on_the_release(chapter_id, tmp_path_factory):
    root, _ = released(chapter_id, tmp_path_factory)
    done = course.nbgrader(root, "validate", "--invert", f"release/{chapter_id}/{chapter_id}.ipynb")
    assert "Success! The notebook does not pass any tests." in done.stdout, done.stdout[-2000:]


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
