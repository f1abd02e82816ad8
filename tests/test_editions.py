"""Student editions of dlmath: stubs for this and later chapters, reference code for earlier ones."""
from __future__ import annotations

import ast

import pytest

from grading import chapters, editions

MODULE = '''
def early(x):
    """Derived in: 01_a §1"""
    x = check(x)
    ### BEGIN SOLUTION
    return x + 1
    ### END SOLUTION


def own(x):
    """Derived in: 02_b §3.1"""
    ### BEGIN SOLUTION
    y = x * 2
    return y
    ### END SOLUTION


def later(x):
    """Derived in: 03_c §7"""
    ### BEGIN SOLUTION
    return x ** 3
    ### END SOLUTION
'''


@pytest.fixture
def three_chapters(monkeypatch):
    registry = {cid: chapters.Chapter(cid, cid, (chapters.Graded("mod", fn, 1),))
                for cid, fn in [("01_a", "early"), ("02_b", "own"), ("03_c", "later")]}
    monkeypatch.setattr(chapters, "CHAPTERS", registry)


def run(source, name, *args):
    namespace = {"check": lambda x: x}
    exec(compile(source, "mod.py", "exec"), namespace)
    return namespace[name](*args)


def test_student_edition_stubs_this_and_later_chapters_and_keeps_earlier(three_chapters):
    student = editions.student_source(MODULE, "mod", "02_b")
    assert "BEGIN SOLUTION" not in student and "x * 2" not in student and "x ** 3" not in student
    assert run(student, "early", 1) == 2  # earlier chapter: reference code, markers gone
    assert "x = check(x)" in student      # validation outside the fence stays
    with pytest.raises(NotImplementedError, match=r"dlmath\.mod\.own is not implemented yet — see 02_b §3\.1"):
        run(student, "own", 1)
    with pytest.raises(NotImplementedError, match="see 03_c §7"):
        run(student, "later", 1)


def test_course_source_keeps_its_own_solutions_but_never_a_later_chapters(three_chapters):
    source = editions.student_source(MODULE, "mod", "02_b", keep_own=True)
    assert run(source, "own", 2) == 4 and "### BEGIN SOLUTION" in source
    assert "x ** 3" not in source


def test_a_fence_no_chapter_grades_yet_is_stubbed_in_every_edition(three_chapters):
    orphaned = MODULE.replace("def later", "def orphan")
    for chapter_id, keep_own in [("01_a", False), ("03_c", True), ("99_z", True)]:
        source = editions.student_source(orphaned, "mod", chapter_id, keep_own=keep_own)
        assert "x ** 3" not in source and "mod.orphan is not implemented yet" in source


@pytest.mark.parametrize("broken, message", [
    (MODULE.replace("    ### END SOLUTION\n", "", 1), "inside another fence"),
    (MODULE + "\n    ### END SOLUTION\n", "END SOLUTION without BEGIN"),
    ("### BEGIN SOLUTION\nx = 1\n### END SOLUTION\n", "outside any function"),
])
def test_malformed_fences_are_rejected(three_chapters, broken, message):
    with pytest.raises(ValueError, match=message):
        editions.fences(broken)


def test_every_fence_in_the_package_belongs_to_a_registered_chapter_and_cites_its_section():
    for path in sorted(chapters.PACKAGE_DIR.rglob("*.py")):
        module = path.relative_to(chapters.PACKAGE_DIR).with_suffix("").as_posix().replace("/", ".")
        for fence in editions.fences(path.read_text(), str(path)):
            owner = chapters.owner_of(module, fence.function)
            assert owner is not None, f"{module}.{fence.function}"
            assert fence.section.startswith(owner.id + " §"), f"{module}.{fence.function}: {fence.section}"


def test_every_graded_function_has_exactly_one_fence():
    for chapter in chapters.CHAPTERS.values():
        for graded in chapter.graded:
            source = (chapters.PACKAGE_DIR / f"{graded.module}.py").read_text()
            assert [f.function for f in editions.fences(source)].count(graded.name) == 1, graded


def test_the_student_package_compiles_and_ships_only_released_check_data(tmp_path):
    package = editions.write_student_package("03_activations", tmp_path)
    for path in package.rglob("*.py"):
        ast.parse(path.read_text(), str(path))
    shipped = sorted(p.stem for p in (package / "checking" / "public").iterdir())
    assert shipped == [c.id for c in chapters.CHAPTERS.values() if c.graded and c.id <= "03_activations"]


CLASS_MODULE = '''
class Node:
    def __init__(self, v):
        self.v = v

    def double(self):
        """Derived in: 02_b §1"""
        ### BEGIN SOLUTION
        def helper():
            return self.v * 2
        return helper()
        ### END SOLUTION
'''


def test_a_method_fence_is_named_by_class_and_may_hold_a_closure(monkeypatch):
    monkeypatch.setattr(chapters, "CHAPTERS", {"02_b": chapters.Chapter("02_b", "b", (chapters.Graded("mod", "Node.double", 1),))})
    (fence,) = editions.fences(CLASS_MODULE)
    assert fence.function == "Node.double" and fence.indent == " " * 8
    student = editions.student_source(CLASS_MODULE, "mod", "02_b")
    with pytest.raises(NotImplementedError, match=r"dlmath\.mod\.Node\.double is not implemented yet — see 02_b §1"):
        namespace = {}
        exec(compile(student, "mod.py", "exec"), namespace)
        namespace["Node"](3).double()


def test_the_leak_gate_ignores_lines_that_are_public_anyway_and_reads_notebook_cells(tmp_path):
    secret = editions.solution_lines("01_math_toolkit")
    assert "return out" not in secret  # also written outside any fence, in given code
    line = "self.grad += out.grad"
    assert line in secret
    import nbformat
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(f"x = 1\n    {line}")])
    nbformat.write(notebook, tmp_path / "leaky.ipynb")
    assert editions.find_leaks(tmp_path, "01_math_toolkit") == [f"{tmp_path / 'leaky.ipynb'}: contains solution line {line!r}"]


def test_a_line_an_earlier_solution_shares_with_a_later_one_is_not_a_leak(three_chapters, tmp_path, monkeypatch):
    # "y = x * 2" is own()'s (02_b) and later()'s (03_c) first line: in 03_c's release own() is given code
    shared = MODULE.replace("    return x ** 3\n", "    y = x * 2\n    return y ** 3\n")
    package = tmp_path / "dlmath"
    package.mkdir()
    (package / "mod.py").write_text(shared)
    monkeypatch.setattr(editions.chapters, "PACKAGE_DIR", package)
    assert "y = x * 2" not in editions.solution_lines("03_c")  # given in 03_c's release
    assert "y = x * 2" in editions.solution_lines("02_b") and "return y ** 3" in editions.solution_lines("03_c")


def test_a_later_solution_line_an_earlier_notebook_shows_is_not_a_leak(three_chapters, tmp_path, monkeypatch):
    # 03_c's solution starts "total = []", a line 02_b's notebook shows in its own code; the same line
    # in 03_c's own notebook is still a leak, and so is a line inside a notebook's solution region
    import nbformat
    package, notebooks = tmp_path / "dlmath", tmp_path / "notebooks"
    package.mkdir(), notebooks.mkdir()
    (package / "mod.py").write_text(MODULE.replace("    return x ** 3\n", "    total = []\n    seen = 0\n    return x ** 3\n"))
    cell = nbformat.v4.new_code_cell
    nbformat.write(nbformat.v4.new_notebook(cells=[cell("total = []"), cell("### BEGIN SOLUTION\nseen = 0\n### END SOLUTION")]),
                   notebooks / "02_b.ipynb")
    monkeypatch.setattr(editions.chapters, "PACKAGE_DIR", package)
    monkeypatch.setattr(editions.chapters, "NOTEBOOK_DIR", notebooks)
    for chapter_id in ["02_b", "03_c"]:
        secret = editions.solution_lines(chapter_id)
        assert "total = []" not in secret and "seen = 0" in secret and "return x ** 3" in secret
    monkeypatch.setattr(editions, "_notebook_lines_by_chapter", lambda: {"03_c": {"total = []"}})
    assert "total = []" in editions.solution_lines("03_c")


def test_run_all_goes_past_graded_cells_only(tmp_path):
    # the tag JupyterLab and nbclient honour, on the graded cells (the ones that raise for a stub), nowhere else
    import nbformat

    graded = nbformat.v4.new_code_cell('dlmath.assert_implemented("f")', metadata={
        "nbgrader": {"grade": True, "grade_id": "test_f", "points": 1, "locked": True, "solution": False}})
    tagged_already = nbformat.v4.new_code_cell("x", metadata={"nbgrader": {"grade": True}, "tags": ["raises-exception"]})
    other = nbformat.v4.new_code_cell("dlmath.check('f')", metadata={"nbgrader": {"grade": False}})
    text = nbformat.v4.new_markdown_cell("# 01", metadata={"nbgrader": {"grade": True}})
    path = tmp_path / "n.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[graded, tagged_already, other, text]), path)
    assert editions.let_run_all_continue(path) == 2
    cells = nbformat.read(path, as_version=4).cells
    assert [c.metadata.get("tags") for c in cells] == [["raises-exception"], ["raises-exception"], None, None]
    assert cells[0].metadata.nbgrader == graded.metadata.nbgrader  # nbgrader's metadata untouched
    from nbgrader.utils import compute_checksum
    assert compute_checksum(cells[0]) == compute_checksum(graded)  # so Validate sees no changed test cell


def test_a_graded_cells_stub_shows_one_line_naming_function_file_and_section():
    from dlmath.checking import STUB_LINE_WIDTH, StubNotImplemented
    from dlmath.checking.cases import resolve

    for chapter in chapters.CHAPTERS.values():
        for graded in chapter.graded:
            (spec,) = resolve([f"{graded.module}.{graded.name}"])
            error = StubNotImplemented(spec)
            (line,) = error._render_traceback_()  # IPython shows exactly these lines instead of a traceback
            section = "§" + spec.section.split("§")[1]
            assert line.startswith(graded.name + " ") and f"dlmath/{graded.module}.py" in line and section in line
            assert "not implemented" in line
            # nbgrader validate cuts a line at 87 characters after its 4-space indent: function, file and
            # section always survive (only the longest names lose the tail)
            assert len(line) <= STUB_LINE_WIDTH or line.index(section) + len(section) < STUB_LINE_WIDTH
            assert isinstance(error, NotImplementedError) and type(error).__name__ == "NotImplementedError"
            assert str(error) == f"dlmath.{graded.module}.{graded.name} is not implemented yet — see {spec.section}"
