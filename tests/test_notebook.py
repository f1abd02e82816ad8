"""Every chapter notebook: anatomy, the instructor edition runs clean and fast, the student edition runs with stubs."""
from __future__ import annotations

import re

import nbformat
import pytest

from conftest import ALL_CHAPTERS, GRADED_CHAPTERS
from grading import chapters, course, editions
from grading.release import release
from notebooks import errors, execute, text_of

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


@pytest.mark.slow
@pytest.mark.parametrize("chapter_id", ALL_CHAPTERS)
def test_instructor_edition_runs_top_to_bottom_without_error(chapter_id, tmp_path):
    source = course.assemble_source(chapters.get(chapter_id), tmp_path)
    executed, seconds = execute(source / f"{chapter_id}.ipynb", source)
    print(f"\n{chapter_id} instructor notebook: {seconds:.1f} s")
    assert errors(executed) == []
    for cell in graded_cells(executed):  # every hidden test reports full marks on the instructor's own solutions
        result = cell.outputs[-1]["data"]["text/plain"]
        assert float(result) == cell.metadata.nbgrader.points, text_of(cell)
    # its run time is a figure (benchmarks/figures.py), not an assertion: the machine may be busy


@pytest.mark.slow
@pytest.mark.parametrize("chapter_id", ALL_CHAPTERS)
def test_student_edition_runs_with_stubs_and_says_what_to_implement(chapter_id, tmp_path):
    released = release(chapter_id, tmp_path)
    executed, seconds = execute(released / f"{chapter_id}.ipynb", released, allow_errors=True)
    print(f"\n{chapter_id} student notebook with stubs: {seconds:.1f} s")
    graded = {i for i, c in enumerate(executed.cells) if c.metadata.get("nbgrader", {}).get("grade")}
    failed = errors(executed)
    assert {i for i, _ in failed} == graded  # only the graded cells fail, each on its own stub
    names = {g.grade_id: g for g in chapters.get(chapter_id).graded}
    for index, error in failed:
        graded_function = names[executed.cells[index].metadata.nbgrader.grade_id]
        name, module = graded_function.name, graded_function.module
        assert error.ename == "NotImplementedError"
        assert f"dlmath.{module}.{name} is not implemented yet — see {chapter_id} §" in error.evalue
    printed = "\n".join(text_of(c) for c in executed.cells)
    if graded:
        assert f"not implemented yet — see {chapter_id} §" in printed  # a check cell
        assert "Skipped: dlmath." in printed                           # an experiment cell
