"""Executing chapter notebooks in tests (nbclient, the venv's python3 kernel), and nbgrader's validation
of the very run a test inspects, so a notebook is executed once for all the checks made on it."""
from __future__ import annotations

import io
import os
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbclient import NotebookClient


def execute(path: Path, cwd: Path, allow_errors: bool = False):
    """Run a notebook top to bottom in ``cwd``; return (executed notebook, seconds)."""
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(notebook, timeout=120, kernel_name="python3", allow_errors=allow_errors,
                            resources={"metadata": {"path": str(cwd)}})
    start = time.perf_counter()
    client.execute()
    return notebook, time.perf_counter() - start


@dataclass
class Validation:
    printed: str        # what `nbgrader validate <notebook>` prints
    notebook: object    # the notebook as nbgrader's validation executed it
    validator: object   # nbgrader's Validator, to apply its other judgements to the same run (``passed``)
    seconds: float

    def passed(self) -> list:
        """The cells `nbgrader validate --invert` would list as passing (it executes the notebook exactly
        like a plain validate and only judges the result differently)."""
        return self.validator._get_passed_cells(self.notebook)


def validate(notebook: Path, course_root: Path, stop_on_error: bool = False, env: dict | None = None) -> Validation:
    """``nbgrader validate <notebook>`` run in this process as its command line runs it — the course's
    ``nbgrader_config.py``, nbgrader's ``Validator`` with its own preprocessors (``Execute`` included) —
    keeping the executed notebook, so the tests that inspect a run don't execute the notebook again.

    ``stop_on_error``: nbgrader's ``Execute`` with nbclient's default ``allow_errors=False``, i.e. what
    JupyterLab's Run All does: a cell that raises stops the run (``CellExecutionError``) unless it is
    tagged ``raises-exception``. For tagged cells nbclient proceeds exactly as with ``allow_errors=True``
    (nbgrader's setting), so a run that completes is the run ``nbgrader validate`` makes.

    ``env``: environment variables for the kernel (a value of None removes one).
    """
    from nbgrader.preprocessors import Execute
    from nbgrader.validator import Validator
    from traitlets import Bool
    from traitlets.config.loader import PyFileConfigLoader

    class StopOnError(Execute):
        allow_errors = Bool(False)

    class Recording(Validator):
        executed = None

        def _preprocess(self, nb):
            self.executed = super()._preprocess(nb)
            return self.executed

    config = PyFileConfigLoader("nbgrader_config.py", path=str(course_root)).load_config()
    validator = Recording(config=config)
    if stop_on_error:
        validator.preprocessors = [StopOnError if p is Execute else p for p in validator.preprocessors]
    validator.stream = io.StringIO()
    env = {"TF_CPP_MIN_LOG_LEVEL": "3", **(env or {})}  # TF's log level as grading.course.nbgrader runs it
    saved = {k: os.environ.get(k) for k in env}
    for key, value in env.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    start = time.perf_counter()
    try:
        validator.validate_and_print(str(notebook))
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    return Validation(validator.stream.getvalue(), validator.executed, validator, time.perf_counter() - start)


def errors(notebook) -> list[tuple[int, dict]]:
    return [(i, out) for i, cell in enumerate(notebook.cells) if cell.cell_type == "code"
            for out in cell.get("outputs", []) if out.output_type == "error"]


def text_of(cell) -> str:
    return "".join(out.get("text", "") for out in cell.get("outputs", []) if out.output_type == "stream")
