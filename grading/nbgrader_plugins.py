"""What nbgrader runs in place of executing student notebooks.

nbgrader's own autograde executes each submitted notebook in a kernel, unconfined: the
student's code would run next to the grader's files. In this course nbgrader keeps the
gradebook, feedback, formgrader and export, but the checking is the sandboxed judge's:

* :class:`WriteVerdicts` replaces nbgrader's ``Execute`` preprocessor. For every hidden test
  cell it writes the judge's report as the cell's output and the partial score as its result,
  which nbgrader's ``SaveAutoGrades`` then stores like any executed cell's. No notebook runs.
  It also appends the submitted graded modules (the work is in ``dlmath/*.py``, which nbgrader's
  formgrader and feedback don't show) as a last markdown cell.
* :class:`CheckCellMetadataOnce` is nbgrader's metadata check without its slowest redundant work.
* :class:`OverwriteCellsLookingUpOnce`, :class:`SaveAutoGradesAtOnce` and
  :class:`GetGradesLookingUpOnce` are nbgrader's preprocessors, each reading a notebook's cells or
  grades from the gradebook in one query instead of one per cell (:class:`NotebookLookups`);
  ``SaveAutoGradesAtOnce`` also commits the grades together instead of cell by cell.
* :class:`FeedbackExporter` is ``generate_feedback``'s HTML exporter: the stock one, without
  its slowest redundant work (see there), whose index names each hidden test cell's function and
  whose long lines wrap (:func:`readable`).
* :class:`AutogradeExporter` is ``autograde``'s notebook exporter: the stock one, without deep
  copies of a notebook that nothing else holds (:class:`OwnsWhatItReads`).
* :class:`AutogradeInOnePass` is nbgrader's ``Autograde`` converter with its two passes over
  each notebook (sanitize, write, read back, grade, write) made one; the pipeline runs it through
  :func:`autograde_in_one_pass` (nbgrader's API method, with this converter).
* :func:`refuse_unless_pipeline` is the ``pre_convert_hook`` of ``Autograde``: an autograde
  not started by ``python -m grading autograde`` (``nbgrader autograde`` typed in ``course/``,
  formgrader's Autograde button) stops with a message naming the command that grades safely.

Both are installed by ``grading.nbgrader_settings`` for every nbgrader command run in the
course directory.
"""
from __future__ import annotations

import json
import os
import re
from pathlib import Path

import nbformat
from nbconvert.exporters import HTMLExporter, NotebookExporter, TemplateExporter
from nbconvert.exporters.html import Highlight2HTML, WidgetsDataTypeFilter
from jinja2 import BytecodeCache
from nbgrader.api import BaseCell, Grade
from nbgrader.converters import Autograde
from nbgrader.converters.base import BaseConverter
from nbgrader.nbgraderformat import MetadataValidator, ValidationError
from nbgrader.preprocessors import (CheckCellMetadata, GetGrades, NbGraderPreprocessor, OverwriteCells,
                                    SaveAutoGrades)
from nbgrader.utils import capture_log, setenv, temp_attrs
from sqlalchemy.orm import undefer

try:
    from jinja2 import pass_context as contextfilter
except ImportError:  # older jinja2
    from jinja2 import contextfilter

from grading import chapters
from grading.intake import read_modules
from grading.judge import from_json

VERDICTS_ENV = "DLMATH_VERDICTS"  # set by the pipeline: the folder of this run's verdicts


class NotThroughThePipeline(SystemExit):
    """Raised to stop an autograde that did not come through ``python -m grading autograde``."""


def refuse_unless_pipeline(assignment=None, student=None, notebooks=None, **_) -> None:
    """``Autograde.pre_convert_hook``: only the course pipeline may autograde (nbgrader ignores a
    hook's ordinary exceptions, so this raises a SystemExit, which stops the run and reaches
    formgrader's error log)."""
    if not os.environ.get(VERDICTS_ENV):
        raise NotThroughThePipeline(
            f"dlmath: autograde {assignment or 'a chapter'} with `python -m grading autograde {assignment or '<chapter>'}` "
            "(from the repository). It checks each submission, runs the students' code in a sandbox and then "
            "runs this nbgrader step itself; nbgrader's own autograde would execute student notebooks unconfined.")


def verdict_path(folder: Path, student: str) -> Path:
    return Path(folder) / f"{student}.json"


def notes_cell(notes: list[str]) -> nbformat.NotebookNode:
    lines = "\n".join(f"- {note}" for note in notes)
    return nbformat.v4.new_markdown_cell(f"**Grading notes**\n\n{lines}")


def code_cell(chapter: chapters.Chapter, folder: Path) -> nbformat.NotebookNode:
    """A markdown cell showing the graded modules as submitted (read as intake reads them)."""
    parts = ["## The graded code, as submitted\n\nWhat the hidden tests above ran: the chapter's graded "
             "modules from the submission."]
    for module, (source, problem) in read_modules(chapter, folder).items():
        if source is None:
            parts.append(f"### `dlmath/{module}.py`\n\n{problem}")
            continue
        fence = "`" * max(3, 1 + max((len(run) for run in re.findall(r"`+", source)), default=0))
        parts.append(f"### `dlmath/{module}.py`\n\n{fence}python\n{source.rstrip()}\n{fence}")
    return nbformat.v4.new_markdown_cell("\n\n".join(parts))


def verdict_outputs(report: str, score: float) -> list[nbformat.NotebookNode]:
    """A hidden test cell's outputs: the judge's report, printed, and the score as the cell's result
    (what nbgrader's SaveAutoGrades reads). Built as ``nbformat.v4.new_output`` builds them, without
    its validation of each output: the whole notebook is validated once the preprocessors are done."""
    return [nbformat.from_dict({"output_type": "stream", "name": "stdout", "text": report + "\n"}),
            nbformat.from_dict({"output_type": "execute_result", "metadata": {},
                                "data": {"text/plain": repr(float(score))}, "execution_count": 1})]


def _with_id(cell: nbformat.NotebookNode, name: str, nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The cell with a fixed id (nbformat's is random: the autograded notebook would differ on every
    run), made unique within ``nb`` should a submission already use it."""
    taken, candidate, n = {c.get("id") for c in nb.cells}, name, 1
    while candidate in taken:
        n += 1
        candidate = f"{name}-{n}"
    cell["id"] = candidate
    return cell


class WriteVerdicts(NbGraderPreprocessor):
    """Write the judge's verdict into each hidden test cell (in place of executing the notebook)."""

    def preprocess(self, nb, resources):
        assignment, student = resources["nbgrader"]["assignment"], resources["nbgrader"]["student"]
        folder = os.environ.get(VERDICTS_ENV)
        path = verdict_path(folder, student) if folder else None
        if path is None or not path.is_file():
            raise RuntimeError(f"no verdict for {student} in {assignment}: autograde with "
                               f"`python -m grading autograde {assignment}`")
        record = json.loads(path.read_text(encoding="utf-8"))
        verdicts = from_json(path.read_text(encoding="utf-8"))
        chapter = chapters.get(assignment)
        by_cell = {chapter.function(name).grade_id: verdict for name, verdict in verdicts.items()}
        for cell in nb.cells:
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            if cell.cell_type == "code":
                cell.outputs, cell.execution_count = [], None
            if cell.cell_type == "code" and grade_id in by_cell:
                verdict = by_cell[grade_id]
                cell.execution_count = 1
                cell.outputs = verdict_outputs(verdict.report(), verdict.score)
        if record.get("notes"):
            nb.cells.insert(0, _with_id(notes_cell(record["notes"]), "dlmath-grading-notes", nb))
        folder = resources.get("metadata", {}).get("path")
        if folder:  # the work itself, for formgrader and the feedback page (nbgrader shows only notebooks)
            nb.cells.append(_with_id(code_cell(chapter, Path(folder)), "dlmath-graded-code", nb))
        return nb, resources


class AutogradeInOnePass(Autograde):
    """nbgrader's ``Autograde``, each notebook read once and written once.

    The stock converter sanitizes a submitted notebook (``sanitize_preprocessors``), writes it to
    ``autograded/``, reads it back and runs ``autograde_preprocessors`` on it (where it would
    execute the notebook), then writes it again. Here both lists run in one export of the submitted
    notebook, at about half the reading, copying, validating and writing; everything else (the
    gradebook's records, the files copied) is ``Autograde``'s own. The notebook written and the
    grades stored are the stock converter's (tests/test_feedback.py compares them).
    """

    def _init_preprocessors(self) -> None:
        """Both lists in order; a preprocessor in both (the metadata check) runs once, at its later place:
        the earlier run only checked the notebook nbgrader wrote between its two passes."""
        both = [*self.sanitize_preprocessors, *self.autograde_preprocessors]
        self.exporter._preprocessors = []
        for i, preprocessor in enumerate(both):
            if preprocessor not in both[i + 1:]:
                self.exporter.register_preprocessor(preprocessor)

    def convert_single_notebook(self, notebook_filename: str) -> None:
        self._sanitizing = True  # (read from the submitted directory, written to autograded/)
        self._init_preprocessors()
        with setenv(NBGRADER_EXECUTION="autograde"):
            BaseConverter.convert_single_notebook(self, notebook_filename)


def autograde_in_one_pass(api, assignment_id: str, student_id: str) -> dict:
    """``api.autograde(assignment_id, student_id, force=True, create=True)`` (nbgrader's ``NbGraderAPI``,
    whose method always uses the stock converter), with :class:`AutogradeInOnePass`."""
    with temp_attrs(api.coursedir, assignment_id=assignment_id, student_id=student_id):
        converter = AutogradeInOnePass(coursedir=api.coursedir, parent=api)
        converter.force, converter.create_student = True, True
        return capture_log(converter)


class NotebookLookups:
    """An nbgrader ``Gradebook`` whose per-cell lookups of one notebook (``find_grade``,
    ``find_source_cell``, ``find_graded_cell``) are answered from one query per notebook, made at
    the first lookup: nbgrader's preprocessors look cells up one by one, a third of the bookkeeping
    of a submission, and all of it while the other bookkeepers wait for the gradebook. The objects
    are the gradebook's own, in its session; a name not found is looked up the gradebook's way (and
    raises its ``MissingEntry``). Lives for one ``with`` block, as nbgrader's gradebooks do.

    ``commit_at_exit``: the preprocessor's own commits do nothing (its session still flushes before
    each query), and the block commits once at its end — nothing at all if it fails."""

    def __init__(self, gradebook, commit_at_exit: bool = False):
        self._gradebook, self._found, self._commit_at_exit = gradebook, {}, commit_at_exit
        if commit_at_exit:
            self.db = _CommitLater(gradebook.db)

    def __getattr__(self, name):
        return getattr(self._gradebook, name)

    def __enter__(self):
        self._gradebook.__enter__()
        return self

    def __exit__(self, kind, value, traceback):
        try:
            if self._commit_at_exit and kind is None:
                self._gradebook.db.commit()
        finally:
            return self._gradebook.__exit__(kind, value, traceback)

    def _by_name(self, what: str, key: tuple, query) -> dict:
        if (what, key) not in self._found:
            self._found[(what, key)] = {name: row for row, name in query()}
        return self._found[(what, key)]

    def find_grade(self, grade_cell: str, notebook: str, assignment: str, student: str):
        def query():
            submitted = self._gradebook.find_submission_notebook(notebook, assignment, student)
            return self._gradebook.db.query(Grade, BaseCell.name).join(BaseCell, BaseCell.id == Grade.cell_id) \
                .filter(Grade.notebook_id == submitted.id).options(undefer(Grade.max_score))  # (else one query each)
        found = self._by_name("grade", (notebook, assignment, student), query).get(grade_cell)
        return found if found is not None else self._gradebook.find_grade(grade_cell, notebook, assignment, student)

    def find_source_cell(self, name: str, notebook: str, assignment: str):
        def query():
            return ((cell, cell.name) for cell in self._gradebook.find_notebook(notebook, assignment).source_cells)
        found = self._by_name("source", (notebook, assignment), query).get(name)
        return found if found is not None else self._gradebook.find_source_cell(name, notebook, assignment)

    def find_graded_cell(self, name: str, notebook: str, assignment: str):
        def query():
            found = self._gradebook.find_notebook(notebook, assignment)
            graded = {cell.name for cell in found.grade_cells}  # nbgrader looks for a grade cell first
            return [(cell, cell.name) for cell in found.grade_cells] + [
                (cell, cell.name) for cell in found.task_cells if cell.name not in graded]
        found = self._by_name("graded", (notebook, assignment), query).get(name)
        return found if found is not None else self._gradebook.find_graded_cell(name, notebook, assignment)


class _CommitLater:
    """A database session whose ``commit`` does nothing: its owner commits once, later (and the session
    flushes what changed before any query, as nbgrader's sessions do)."""

    def __init__(self, session):
        self._session = session

    def commit(self) -> None:
        pass

    def __getattr__(self, name):
        return getattr(self._session, name)


class _LooksUpOnce:
    """For nbgrader preprocessors that set ``self.gradebook = Gradebook(...)``: it becomes a
    :class:`NotebookLookups` of that gradebook."""

    _commit_at_exit = False

    @property
    def gradebook(self):
        return self._lookups

    @gradebook.setter
    def gradebook(self, gradebook) -> None:
        self._lookups = NotebookLookups(gradebook, self._commit_at_exit)


class OverwriteCellsLookingUpOnce(_LooksUpOnce, OverwriteCells):
    """nbgrader's ``OverwriteCells``, its source and graded cells read in one query each (:class:`NotebookLookups`)."""


class SaveAutoGradesAtOnce(_LooksUpOnce, SaveAutoGrades):
    """nbgrader's ``SaveAutoGrades``, reading a notebook's grades in one query and committing them in
    one transaction instead of one per cell (17 per submission of 03_activations, each a disk sync of
    the gradebook made while the other bookkeepers wait for their turn). What is stored is nbgrader's;
    a notebook that fails halfway stores nothing (the pipeline then writes the judge's grades itself)."""

    _commit_at_exit = True


class GetGradesLookingUpOnce(_LooksUpOnce, GetGrades):
    """nbgrader's ``GetGrades`` (feedback), a notebook's grades read in one query (:class:`NotebookLookups`)."""


class CheckCellMetadataOnce(CheckCellMetadata):
    """nbgrader's ``CheckCellMetadata``, without re-checking the JSON schema itself for every cell.

    nbgrader validates each graded cell's metadata with ``jsonschema.validate``, which first
    checks the schema (the same one every time): most of autograde's bookkeeping in a class. The
    checks only read a cell's type and nbgrader metadata, so a pair that passed once passes again;
    grade ids must still be unique within each notebook, and any failure is nbgrader's own error.
    """

    _passed: set = set()

    def preprocess(self, nb, resources):
        validator, ids = MetadataValidator(), set()
        for cell in nb.cells:
            meta = cell.metadata.get("nbgrader")
            if meta is None:
                continue
            key = json.dumps([cell.cell_type, meta], sort_keys=True, default=str)
            if key not in self._passed:
                try:
                    validator.validate_cell(cell)
                except ValidationError:
                    return super().preprocess(nb, resources)  # nbgrader's own message and log
                self._passed.add(key)
            if meta.get("grade") or meta.get("solution") or meta.get("locked"):
                if meta["grade_id"] in ids:
                    return super().preprocess(nb, resources)
                ids.add(meta["grade_id"])
        return nb, resources


class _ReadForOneExport(nbformat.NotebookNode):
    """A notebook an exporter has just read from its file, for that one export: nobody else holds it,
    so a deep copy of it (nbconvert makes two per export and a third to write it) is the notebook itself."""

    def __deepcopy__(self, memo=None):
        return self


class OwnsWhatItReads:
    """Mixin for an nbconvert exporter: a notebook it reads from a file (nbgrader's converters hand it
    only file names) is converted without nbconvert's defensive deep copies, a tenth of the bookkeeping
    of a class. A notebook passed in by a caller, who may use it again, is copied as usual."""

    def from_file(self, file_stream, resources=None, **kw):
        notebook = _ReadForOneExport(nbformat.read(file_stream, as_version=4))
        return self.from_notebook_node(notebook, resources=resources, **kw)


class AutogradeExporter(OwnsWhatItReads, NotebookExporter):
    """nbconvert's notebook export for nbgrader's ``autograde``, without the copies :class:`OwnsWhatItReads`
    skips; the notebook written is the stock exporter's, byte for byte (tests/test_feedback.py)."""


class FeedbackExporter(OwnsWhatItReads, HTMLExporter):
    """nbconvert's HTML export for ``generate_feedback``, made fast for a class of near-identical notebooks.

    What dominates the stock exporter on a chapter notebook, for every student again: compiling
    the Jinja templates, rendering the same markdown cells and highlighting the same code cells,
    and re-parsing the finished page (with BeautifulSoup) only to add ``tabindex`` to cells and
    ``alt`` text to images. Here compiled templates, rendered markdown and highlighted code are
    remembered across notebooks (in this process), and the two attributes are added to the page
    text directly; the notebook read from its file is not copied (:class:`OwnsWhatItReads`). The
    page is the stock exporter's, byte for byte once :func:`readable` has made its two changes
    (tests/test_feedback.py compares them).
    """

    _rendered: dict = {}

    def _create_environment(self):
        environment = super()._create_environment()
        environment.bytecode_cache = _TEMPLATES
        return environment

    @contextfilter
    def markdown2html(self, context, source):
        if context.get("cell", {}).get("attachments"):
            return super().markdown2html(context, source)
        # the notebook's folder matters only to images embedded from files
        path = context.get("resources", {}).get("metadata", {}).get("path", "") if self.embed_images else ""
        key = (source, path, self.embed_images, self.anchor_link_text, self.exclude_anchor_links)
        if key not in self._rendered:
            if len(self._rendered) > 4096:
                self._rendered.clear()
            self._rendered[key] = super().markdown2html(context, source)
        return self._rendered[key]

    def from_notebook_node(self, nb, resources=None, **kw):
        language = nb.metadata.get("language_info", {})
        lexer = language.get("pygments_lexer", language.get("name", None))
        self.register_filter("highlight_code", self.filters.get(
            "highlight_code", _RememberedHighlight(Highlight2HTML(pygments_lexer=lexer, parent=self))))
        resources = self._init_resources(resources)
        self.register_filter("filter_data_type", WidgetsDataTypeFilter(
            notebook_metadata=self._nb_metadata, parent=self, resources=resources))
        page, resources = TemplateExporter.from_notebook_node(self, nb, resources, **kw)
        page = _FOCUSABLE.sub(r'\1 tabindex="0"\2', page)
        page = _IMAGE_WITHOUT_ALT.sub('<img alt="No description has been provided for this image"', page)
        return readable(page), resources


class _InMemoryBytecode(BytecodeCache):
    """Jinja's compiled templates, kept for every exporter of this process (the templates never change in a run)."""

    def __init__(self):
        self.compiled: dict[str, bytes] = {}

    def load_bytecode(self, bucket):
        if bucket.key in self.compiled:
            bucket.bytecode_from_string(self.compiled[bucket.key])

    def dump_bytecode(self, bucket):
        self.compiled[bucket.key] = bucket.bytecode_to_string()


_TEMPLATES = _InMemoryBytecode()


class _RememberedHighlight:
    """nbconvert's code highlighting, remembered per (source, language): most cells are the same for every student."""

    _highlighted: dict = {}

    def __init__(self, highlight: Highlight2HTML):
        self.highlight = highlight

    def __call__(self, source, language=None, metadata=None):
        magics = (metadata or {}).get("magics_language")
        key = (source, language or self.highlight.pygments_lexer, magics,
               json.dumps(self.highlight.extra_formatter_options, sort_keys=True, default=str))
        if key not in self._highlighted:
            if len(self._highlighted) > 8192:
                self._highlighted.clear()
            self._highlighted[key] = self.highlight(source, language, metadata)
        return self._highlighted[key]


def readable(page: str) -> str:
    """Two changes to nbgrader's feedback page: the index names each hidden test cell's function
    ("Hidden tests of sigmoid" instead of "Test cell"), and long lines of code and of the judge's
    reports wrap instead of running off the side of the page."""
    page = _TEST_CELL_LINK.sub(lambda m: f'<a href="#{m[1]}">Hidden tests of <code>{m[2].replace("-", ".")}</code></a>', page)
    return page.replace("</head>", f"{WRAP_STYLE}\n</head>", 1)


_TEST_CELL_LINK = re.compile(r'<a href="#(test_([^"]+))">Test cell</a>')
WRAP_STYLE = ("<style>/* dlmath: wrap long lines of hints, reports and code */ div.output_area pre, div.output_subarea pre, "
              "div.input_area pre, .highlight pre { white-space: pre-wrap; overflow-wrap: anywhere; }</style>")


# the stock exporter's accessibility pass: cell inputs and outputs focusable, every image an alt text
_FOCUSABLE = re.compile(r'(<div(?=[^>]*\bclass="[^"]*\b(?:jp-Cell-inputWrapper|jp-OutputArea-output)\b)[^>]*?)(\s*/?>)')
_IMAGE_WITHOUT_ALT = re.compile(r"<img(?![^>]*\balt=)")
