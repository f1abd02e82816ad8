"""Chapter 03's notebook: anatomy, the instructor edition runs clean, the student edition runs with stubs."""
from __future__ import annotations

import re

import nbformat
import pytest

from conftest import CHAPTER
from grading import chapters, course, editions
from grading.release import release
from notebooks import errors, execute, text_of

NOTEBOOK = chapters.get(CHAPTER).notebook


@pytest.fixture(scope="module")
def notebook():
    return nbformat.read(NOTEBOOK, as_version=4)


def test_committed_without_outputs(notebook):
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert not cell.outputs and cell.execution_count is None


def test_every_section_a_docstring_cites_exists(notebook):
    headings = "\n".join(c.source for c in notebook.cells if c.cell_type == "markdown")
    for graded in chapters.get(CHAPTER).graded:
        fence = next(f for f in editions.fences((chapters.PACKAGE_DIR / f"{graded.module}.py").read_text())
                     if f.function == graded.name)
        number = fence.section.split("§")[1]
        assert re.search(rf"^#+ {re.escape(number)}\b", headings, re.M), f"no heading {number} for {graded.name}"


def test_one_graded_cell_per_function_with_the_registered_points(notebook):
    graded = [c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade")]
    expected = {f"test_{g.name}": g.points for g in chapters.get(CHAPTER).graded}
    assert {c.metadata.nbgrader.grade_id: c.metadata.nbgrader.points for c in graded} == expected
    assert len(graded) == len(expected)
    for cell in graded:
        name = cell.metadata.nbgrader.grade_id.removeprefix("test_")
        assert f'dlmath.assert_implemented("{name}")' in cell.source
        assert f'grade("{CHAPTER}", "{name}")' in cell.source.split("### BEGIN HIDDEN TESTS")[1]


def test_each_graded_function_has_a_check_cell(notebook):
    sources = [c.source for c in notebook.cells if c.cell_type == "code"]
    for graded in chapters.get(CHAPTER).graded:
        assert any(f'dlmath.check("{graded.name}")' in s for s in sources), graded.name


def test_glossary_in_english_and_chinese(notebook):
    last = "\n".join(c.source for c in notebook.cells[-3:] if c.cell_type == "markdown")
    assert "Glossary" in last or "glossary" in last
    assert len(re.findall(r"[\u4e00-\u9fff]", last)) > 20


@pytest.mark.slow
def test_instructor_edition_runs_top_to_bottom_without_error(tmp_path):
    source = course.assemble_source(chapters.get(CHAPTER), tmp_path)
    executed, seconds = execute(source / f"{CHAPTER}.ipynb", source)
    print(f"\ninstructor notebook: {seconds:.1f} s")
    assert errors(executed) == []
    graded = [c for c in executed.cells if c.metadata.get("nbgrader", {}).get("grade")]
    for cell in graded:  # every hidden test reports full marks on the instructor's own solutions
        result = cell.outputs[-1]["data"]["text/plain"]
        assert float(result) == cell.metadata.nbgrader.points, text_of(cell)


@pytest.mark.slow
def test_student_edition_runs_with_stubs_and_says_what_to_implement(tmp_path):
    released = release(CHAPTER, tmp_path)
    executed, seconds = execute(released / f"{CHAPTER}.ipynb", released, allow_errors=True)
    print(f"\nstudent notebook with stubs: {seconds:.1f} s")
    graded_ids = {i for i, c in enumerate(executed.cells) if c.metadata.get("nbgrader", {}).get("grade")}
    failed = errors(executed)
    assert {i for i, _ in failed} == graded_ids  # only the graded cells fail, each on its stub
    for index, error in failed:
        name = executed.cells[index].metadata.nbgrader.grade_id.removeprefix("test_")
        assert error.ename == "NotImplementedError"
        assert f"dlmath.activations.{name} is not implemented yet — see {CHAPTER} §" in error.evalue
    printed = "\n".join(text_of(c) for c in executed.cells)
    assert "not implemented yet — see 03_activations §2.2" in printed  # a check cell
    assert "Skipped: dlmath.activations." in printed                    # an experiment cell
