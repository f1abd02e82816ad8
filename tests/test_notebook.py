"""Every chapter notebook: anatomy, and the instructor edition runs clean under nbgrader validate (the student
edition's run with stubs is in test_release.py, on the chapter's release)."""
from __future__ import annotations

import re

import nbformat
import pytest

from conftest import ALL_CHAPTERS, GRADED_CHAPTERS
from grading import chapters, course, editions
from notebooks import errors, text_of, validate


def load(chapter_id):
    return nbformat.read(chapters.get(chapter_id).notebook, as_version=4)


def graded_cells(notebook):
    return [c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade")]


@pytest.mark.parametrize("chapter_id", ALL_CHAPTERS)
def test_committed_without_outputs(chapter_id):
    for cell in load(chapter_id).cells:
        if cell.cell_type == "code":
            assert not cell.outputs and cell.execution_count is None


@pytest.mark.parametrize("chapter_id", ALL_CHAPTERS)
def test_title_cell_names_the_chapter_and_its_objectives(chapter_id):
    first = load(chapter_id).cells[0]
    assert first.cell_type == "markdown" and first.source.startswith(f"# {chapter_id[:2]} · ")
    assert "objectives" in first.source.lower() or "you will" in first.source.lower()


@pytest.mark.parametrize("chapter_id", GRADED_CHAPTERS)
def test_every_section_a_docstring_cites_exists(chapter_id):
    headings = "\n".join(c.source for c in load(chapter_id).cells if c.cell_type == "markdown")
    for graded in chapters.get(chapter_id).graded:
        fence = next(f for f in editions.fences((chapters.PACKAGE_DIR / f"{graded.module}.py").read_text())
                     if f.function == graded.name)
        number = fence.section.split("§")[1]
        assert re.search(rf"^#+ {re.escape(number)}\b", headings, re.M), f"no heading {number} for {graded.name}"


@pytest.mark.parametrize("chapter_id", ALL_CHAPTERS)
def test_one_graded_cell_per_function_with_the_registered_points(chapter_id):
    graded = graded_cells(load(chapter_id))
    expected = {g.grade_id: g.points for g in chapters.get(chapter_id).graded}
    assert {c.metadata.nbgrader.grade_id: c.metadata.nbgrader.points for c in graded} == expected
    assert len(graded) == len(expected)
    names = {g.grade_id: g.name for g in chapters.get(chapter_id).graded}
    for cell in graded:
        name = names[cell.metadata.nbgrader.grade_id]
        assert f'dlmath.assert_implemented("{name}")' in cell.source
        assert f'grade("{chapter_id}", "{name}")' in cell.source.split("### BEGIN HIDDEN TESTS")[1]


@pytest.mark.parametrize("chapter_id", GRADED_CHAPTERS)
def test_each_graded_function_has_a_check_cell(chapter_id):
    sources = [c.source for c in load(chapter_id).cells if c.cell_type == "code"]
    for graded in chapters.get(chapter_id).graded:
        assert any(f'dlmath.check("{graded.name}")' in s for s in sources), graded.name


@pytest.mark.parametrize("chapter_id", ALL_CHAPTERS)
def test_glossary_in_english_and_chinese(chapter_id):
    last = "\n".join(c.source for c in load(chapter_id).cells[-3:] if c.cell_type == "markdown")
    assert "Glossary" in last or "glossary" in last
    assert len(re.findall(r"[\u4e00-\u9fff]", last)) > 20


# One execution of each instructor notebook serves every check made on it: nbgrader's own validation
# (its Validator and Execute, in this process) runs it, and the test inspects the notebook that run left.
# The student edition's run is in test_release.py, where the chapter's release is built once.
@pytest.mark.slow
@pytest.mark.parametrize("chapter_id", ALL_CHAPTERS)
def test_instructor_edition_runs_top_to_bottom_and_passes_nbgrader_validate(chapter_id, tmp_path):
    course.prepare(tmp_path)
    source = course.assemble_source(chapters.get(chapter_id), tmp_path)
    validation = validate(source / f"{chapter_id}.ipynb", tmp_path)  # = `nbgrader validate source/<id>/<id>.ipynb`
    print(f"\n{chapter_id} instructor notebook under nbgrader validate: {validation.seconds:.1f} s")
    assert "Success! Your notebook passes all the tests." in validation.printed, validation.printed[-2000:]
    executed = validation.notebook
    assert all(c.execution_count is not None for c in executed.cells if c.cell_type == "code")  # top to bottom
    assert errors(executed) == []
    graded = graded_cells(executed)
    assert len(graded) == len(chapters.get(chapter_id).graded)
    for cell in graded:  # every hidden test reports full marks on the instructor's own solutions
        result = cell.outputs[-1]["data"]["text/plain"]
        assert float(result) == cell.metadata.nbgrader.points, text_of(cell)
    # its run time is a figure (benchmarks/figures.py), not an assertion: the machine may be busy
