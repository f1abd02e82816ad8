"""Releasing a chapter: the student edition has no solution text, imports, and nbgrader agrees."""
from __future__ import annotations

import nbformat
import pytest

from conftest import CHAPTER, run_python
from grading import course, editions, release as releasing

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def released(tmp_path_factory):
    root = tmp_path_factory.mktemp("course")
    return root, releasing.release(CHAPTER, root)


def test_release_holds_no_solution_text(released):
    _, path = released
    assert editions.find_leaks(path, CHAPTER) == []
    assert editions.solution_lines(CHAPTER)  # the gate has something to look for


def test_the_leak_gate_catches_a_planted_solution_line(released, tmp_path):
    line = sorted(editions.solution_lines(CHAPTER))[0]
    (tmp_path / "notes.py").write_text(f"# copied\n{line}\n")
    assert editions.find_leaks(tmp_path, CHAPTER)


def test_release_contains_the_notebook_and_the_student_package(released):
    _, path = released
    assert (path / f"{CHAPTER}.ipynb").is_file()
    assert (path / "dlmath" / "activations.py").is_file()
    assert (path / "dlmath" / "checking" / "public" / f"{CHAPTER}.json").is_file()


def test_release_holds_neither_the_grader_nor_its_hidden_inputs(released):
    _, path = released
    names = {p.name for p in path.rglob("*")}
    assert "grading" not in names and "fixtures" not in names
    assert not [p for p in path.rglob("*.json") if '"audience": "hidden"' in p.read_text()]
    assert [p for p in path.rglob("*.json") if '"audience": "public"' in p.read_text()]  # the public ones are there


def test_release_imports_and_its_functions_are_stubs_naming_their_section(released):
    _, path = released
    code = ("import sys; sys.path.insert(0, '.')\nimport dlmath.activations as a\ntry:\n    a.softmax([1.0, 2.0])\n"
            "except NotImplementedError as e:\n    print(e)")
    done = run_python(["-I", "-c", code], path)
    assert done.stdout.strip() == "dlmath.activations.softmax is not implemented yet — see 03_activations §5.1"


def test_release_notebook_has_no_hidden_tests_and_no_outputs(released):
    _, path = released
    notebook = nbformat.read(path / f"{CHAPTER}.ipynb", as_version=4)
    text = "\n".join(cell.source for cell in notebook.cells)
    assert "grading.harness" not in text and "HIDDEN TESTS" not in text
    assert all(not cell.get("outputs") for cell in notebook.cells if cell.cell_type == "code")


def test_nbgrader_validate_passes_on_the_instructor_notebook(released):
    root, _ = released
    done = course.nbgrader(root, "validate", f"source/{CHAPTER}/{CHAPTER}.ipynb")
    assert "Success! Your notebook passes all the tests." in done.stdout, done.stdout[-2000:]


def test_nbgrader_validate_invert_holds_on_the_release(released):
    root, _ = released
    done = course.nbgrader(root, "validate", "--invert", f"release/{CHAPTER}/{CHAPTER}.ipynb")
    assert "Success! The notebook does not pass any tests." in done.stdout, done.stdout[-2000:]


def test_course_source_keeps_this_chapters_solutions_for_validation(released):
    root, _ = released
    assert "### BEGIN SOLUTION" in (root / "source" / CHAPTER / "dlmath" / "activations.py").read_text()
