"""The student edition of ``dlmath``, generated from the instructor edition.

In the repository every graded function's body sits between ``### BEGIN
SOLUTION`` and ``### END SOLUTION``. For chapter C the student edition

* replaces the body of C's functions and every later chapter's with a stub
  that raises ``NotImplementedError`` naming the function and the notebook
  section that derives it;
* keeps earlier chapters' functions as reference code (markers removed);
* ships the public check cases of C and earlier chapters only.

Signatures, docstrings and input validation sit outside the fences and stay.
"""
from __future__ import annotations

import ast
import json
import textwrap
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from grading import chapters

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
MARKERS = (BEGIN, END, "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS")


@dataclass(frozen=True)
class Fence:
    function: str
    begin: int  # 0-based line index of the BEGIN marker
    end: int    # 0-based line index of the END marker
    indent: str
    section: str


def _functions(tree: ast.AST, prefix: str = "") -> dict[ast.AST, str]:
    """Every function definition with its qualified name: ``sigmoid``, ``Value.tanh``, ``outer.inner``."""
    found = {}
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            name = prefix + node.name
            if not isinstance(node, ast.ClassDef):
                found[node] = name
            found.update(_functions(node, name + "."))
    return found


def fences(source: str, path: str = "<module>") -> list[Fence]:
    """Every solution fence in a module, with the (qualified) name of the function it belongs to.

    Raises:
        ValueError: unbalanced markers, or a fence outside a function or spanning two.
    """
    lines = source.splitlines()
    functions = _functions(ast.parse(source))
    found, begin = [], None
    for index, line in enumerate(lines):
        marker = line.strip()
        if marker == BEGIN:
            if begin is not None:
                raise ValueError(f"{path}:{index + 1}: BEGIN SOLUTION inside another fence")
            begin = index
        elif marker == END:
            if begin is None:
                raise ValueError(f"{path}:{index + 1}: END SOLUTION without BEGIN")
            # the END marker is a comment after the function's last statement, so own by BEGIN
            owners = [f for f in functions if f.lineno < begin + 1 <= f.end_lineno]
            if not owners:
                raise ValueError(f"{path}:{begin + 1}: solution fence outside any function")
            owner = max(owners, key=lambda f: f.lineno)  # innermost
            # a helper defined wholly inside the fence (a closure) is part of the solution;
            # a fence reaching into another function's definition is a mistake
            if any(begin < f.lineno - 1 < index and not (f.end_lineno - 1 < index and owner.lineno < f.lineno <= owner.end_lineno)
                   for f in functions):
                raise ValueError(f"{path}:{begin + 1}: solution fence spans a function definition")
            doc = ast.get_docstring(owner) or ""
            match = re.search(r"Derived in:\s*(.+)", doc)
            section = match.group(1).strip() if match else "the chapter notebook"
            indent = lines[begin][: len(lines[begin]) - len(lines[begin].lstrip())]
            found.append(Fence(functions[owner], begin, index, indent, section))
            begin = None
    if begin is not None:
        raise ValueError(f"{path}:{begin + 1}: BEGIN SOLUTION without END")
    return found


def calls(module: str, function: str, candidates: set[str]) -> set[str]:
    """The ``candidates`` (graded names such as ``softmax`` or ``Value.tanh``) that the reference
    solution of ``dlmath.<module>.<function>`` mentions: by name, or as an attribute (``self.tanh``)."""
    source = (chapters.PACKAGE_DIR / f"{module}.py").read_text(encoding="utf-8")
    fence = next(f for f in fences(source) if f.function == function)
    body = textwrap.dedent("\n".join(source.splitlines()[fence.begin + 1:fence.end]))
    names = set()
    for node in ast.walk(ast.parse(body if body.strip() else "pass")):
        if isinstance(node, ast.Name):
            names.add(node.id)
        elif isinstance(node, ast.Attribute):
            names.add(node.attr)
    return {c for c in candidates if c.split(".")[-1] in names}


def stub_lines(module: str, fence: Fence) -> list[str]:
    qualname = f"dlmath.{module}.{fence.function}"
    return [
        f"{fence.indent}# YOUR CODE HERE — implement the formula in the docstring ({fence.section}).",
        f'{fence.indent}raise NotImplementedError("{qualname} is not implemented yet — see {fence.section}")',
    ]


def student_source(source: str, module: str, chapter_id: str, path: str = "<module>", keep_own: bool = False,
                   keep: frozenset[str] = frozenset()) -> str:
    """The student edition of one module's source for ``chapter_id``.

    With ``keep_own`` the chapter's own solutions stay (only later chapters are
    stubbed): the form ``course/source/<chapter>/`` needs, so that nothing of a
    later chapter reaches the course folder, its autograded copies or feedback.

    A fenced function no chapter grades (yet) is stubbed in every edition. Functions named in
    ``keep`` keep their solution (markers removed) whatever their chapter: the reference code the
    judge hands the sandbox for what the function being graded builds on.
    """
    lines = source.splitlines()
    out, cursor = [], 0
    for fence in fences(source, path):
        owner = chapters.owner_of(module, fence.function)
        out += lines[cursor:fence.begin]
        if fence.function in keep:
            out += lines[fence.begin + 1:fence.end]
            cursor = fence.end + 1
            continue
        # a fence no chapter grades yet (a chapter being written) is stubbed like a later chapter's:
        # an unregistered solution never reaches any edition (tests/test_registry.py wants an owner)
        if owner is None or owner.id > chapter_id or (owner.id == chapter_id and not keep_own):
            out += stub_lines(module, fence)
        elif owner.id == chapter_id:
            out += lines[fence.begin:fence.end + 1]  # markers stay: the release hook strips them
        else:
            out += lines[fence.begin + 1:fence.end]
        cursor = fence.end + 1
    out += lines[cursor:]
    return "\n".join(out) + "\n"


RAISES = "raises-exception"  # JupyterLab's Run All and nbclient run on past an error in a cell with this tag


def graded_code_cells(notebook) -> list:
    """The graded code cells of an ``nbformat`` notebook."""
    return [c for c in notebook.cells if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("grade")]


def let_run_all_continue(path: Path) -> int:
    """Tag the graded cells of a student-edition notebook ``raises-exception``; return how many.

    With stubs, a graded cell's visible line (``dlmath.assert_implemented``) raises, which would stop
    Run All there: the learner would never see the later cells run. The tag lets it go on. It changes
    nothing for nbgrader: Validate still reports the cell as failing (it reads the error output, and its
    own execution never stops), and a cell's checksum covers its source, type, grade_id and points,
    not its tags.
    """
    import nbformat

    notebook = nbformat.read(path, as_version=4)
    cells = graded_code_cells(notebook)
    for cell in cells:
        tags = cell.metadata.setdefault("tags", [])
        if RAISES not in tags:
            tags.append(RAISES)
    nbformat.write(notebook, path)
    return len(cells)


def solution_lines(chapter_id: str) -> set[str]:
    """Substantive lines of every solution the chapter's release must not contain (for the leak gate).

    A line that also appears outside the fences (``return out`` in given code, say) or in an
    earlier chapter's solution (which the release gives) is public anyway and is left out, so the
    gate only fires on real solution text.
    """
    hidden, public = set(), set()
    owners: dict[str, str] = {}  # a hidden line → the earliest chapter whose solution holds it
    for path in sorted(chapters.PACKAGE_DIR.rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        module = path.relative_to(chapters.PACKAGE_DIR).with_suffix("").as_posix().replace("/", ".")
        lines = source.splitlines()
        fenced = set()
        for fence in fences(source, str(path)):
            fenced.update(range(fence.begin, fence.end + 1))
            owner = chapters.owner_of(module, fence.function)
            body = {ln.strip() for ln in lines[fence.begin + 1:fence.end] if ln.strip() and not ln.strip().startswith("#")}
            if owner is None or owner.id >= chapter_id:
                hidden |= body
                for line in body:
                    owners[line] = min(owners.get(line, "99"), owner.id if owner else "99")
            else:
                public |= body  # an earlier chapter's solution: given in this release
        public |= {ln.strip() for i, ln in enumerate(lines) if i not in fenced}
    # a line an earlier chapter's notebook shows (`batch_losses = []` in 08's training loop) is no
    # secret of a later chapter's solution: the earlier release hands it out anyway
    shown = _notebook_lines_by_chapter()
    public |= {line for line in hidden if any(c < owners[line] and line in lines for c, lines in shown.items())}
    return hidden - public


def _notebook_lines_by_chapter() -> dict[str, set[str]]:
    """Chapter id → the stripped lines of its notebook's cells, outside any solution region."""
    shown = {}
    for chapter in chapters.CHAPTERS.values():
        if chapter.notebook.exists():
            inside, lines = False, set()
            for line in _text_lines(chapter.notebook):
                inside = (inside or MARKERS[0] in line) and MARKERS[1] not in line
                if not inside and MARKERS[1] not in line:
                    lines.add(line.strip())
            shown[chapter.id] = lines
    return shown


def _text_lines(path: Path) -> list[str]:
    """The lines of a file as a reader sees them: a notebook's cell sources, any other file's text."""
    text = path.read_text(encoding="utf-8", errors="replace")
    if path.suffix == ".ipynb":
        try:
            cells = json.loads(text).get("cells", [])
        except ValueError:
            return text.splitlines()
        return [ln for cell in cells for ln in "".join(cell.get("source", "")).splitlines()]
    return text.splitlines()


def strip_package(package: Path, chapter_id: str, keep_own: bool = False) -> None:
    """Turn an instructor-edition ``dlmath`` folder into the student edition for ``chapter_id``, in place.

    Used on a fresh copy (never on the repository, never on a learner's folder).
    """
    package = Path(package)
    for path in sorted(package.rglob("*")):
        relative = path.relative_to(package)
        if "__pycache__" in relative.parts:
            shutil.rmtree(path, ignore_errors=True)
        elif path.suffix == ".py":
            module = relative.with_suffix("").as_posix().replace("/", ".")
            path.write_text(student_source(path.read_text(encoding="utf-8"), module, chapter_id, str(path), keep_own),
                            encoding="utf-8")
        elif path.suffix == ".json" and relative.parent.as_posix() == "checking/public" and path.stem > chapter_id:
            path.unlink()  # later chapters' checks are released with their chapter


def copy_package(destination: Path) -> Path:
    """Copy the repository's dlmath (sources and check data only) to ``destination/dlmath``."""
    target = Path(destination) / "dlmath"
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(chapters.PACKAGE_DIR, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return target


def write_instructor_package(chapter_id: str, destination: Path) -> Path:
    """dlmath for ``course/source/<chapter>/``: this chapter's solutions, later chapters stubbed."""
    target = copy_package(destination)
    strip_package(target, chapter_id, keep_own=True)
    return target


def write_student_package(chapter_id: str, destination: Path) -> Path:
    """Write the student edition of dlmath for ``chapter_id`` to ``destination/dlmath``."""
    target = copy_package(destination)
    strip_package(target, chapter_id)
    return target


def find_leaks(root: Path, chapter_id: str) -> list[str]:
    """Files under ``root`` holding a solution marker or a line of a solution that must stay hidden."""
    secret = solution_lines(chapter_id)
    leaks = []
    for path in sorted(Path(root).rglob("*")):
        if not path.is_file() or path.suffix not in (".py", ".ipynb", ".json", ".txt", ".md"):
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        for marker in MARKERS:
            if marker in text:
                leaks.append(f"{path}: contains '{marker}'")
        for line in sorted({ln.strip() for ln in _text_lines(path)} & secret):
            leaks.append(f"{path}: contains solution line {line!r}")
    return leaks
