"""nbgrader settings for the course directory, applied by ``course/nbgrader_config.py``.

Every nbgrader command run in ``course/`` — ours or an instructor's by hand, formgrader's
buttons — gets these, so the traps listed in FACTS.md are closed for all of them.
"""
from __future__ import annotations

import functools
import os
from pathlib import Path

from nbconvert.preprocessors import ClearMetadataPreprocessor, CSSHTMLHeaderPreprocessor
from nbgrader.preprocessors import AssignLatePenalties, ClearOutput, DeduplicateIds, OverwriteKernelspec

from grading import chapters, editions
from grading.nbgrader_plugins import (AutogradeExporter, CheckCellMetadataOnce, FeedbackExporter, GetGradesLookingUpOnce,
                                      OverwriteCellsLookingUpOnce, SaveAutoGradesAtOnce, WriteVerdicts,
                                      refuse_unless_pipeline)


EXCHANGE_ENV = "DLMATH_EXCHANGE"
# `nbgrader zip_collect <chapter>` on an LMS's "download all submissions" zip, put in
# downloaded/<chapter>/archive/. The layout (Moodle's): one folder per student named
# "<full name>_<student id>_assignsubmission_file_", holding the chapter folder's files — or a zip of it,
# which zip_collect extracts in place. Only the notebook and dlmath/*.py are collected (the graded work);
# the student id is the LMS's number. Another LMS: set FileNameCollectorPlugin.named_regexp in
# course/nbgrader_config.py (groups student_id and file_id, file_id relative to the chapter folder).
LMS_NAMED_REGEXP = (r".*/extracted/(?:[^/]*/)*?[^/]*_(?P<student_id>[0-9A-Za-z.@-]+)_assignsubmission_file_/"
                    r"(?:[^/]*/)*?(?P<file_id>[0-9A-Za-z_.-]+\.ipynb|dlmath/[0-9A-Za-z_]+\.py)$")


def strip_release(root: Path, assignment: str, student: str, notebooks) -> None:
    """post_convert_hook of generate_assignment: nbgrader copies .py files verbatim, solutions included.

    nbgrader only logs a failing hook, so `grading.release` checks the result (no marker, no solution line).
    """
    release = root / "release" / assignment / "dlmath"
    if release.is_dir():
        editions.strip_package(release, assignment)


def configure(c, root: Path) -> None:
    c.CourseDirectory.root = str(root)
    c.CourseDirectory.course_id = "dlmath"
    # the exchange (release_assignment/collect/release_feedback): one folder every student can reach, e.g.
    # /srv/nbgrader/exchange (nbgrader's default) or any folder named by DLMATH_EXCHANGE (see README)
    if os.environ.get(EXCHANGE_ENV):
        c.Exchange.root = str(Path(os.environ[EXCHANGE_ENV]).expanduser().resolve())
    c.FileNameCollectorPlugin.named_regexp = LMS_NAMED_REGEXP
    c.FileNameCollectorPlugin.valid_ext = [".ipynb", ".py"]
    # the learner's graded modules must survive autograde (nbgrader would overwrite them with ours)
    c.Autograde.exclude_overwriting = {ch.id: [f"dlmath/{m}.py" for m in ch.modules] for ch in chapters.CHAPTERS.values()}
    # a deleted hidden-test cell is put back instead of scoring 0
    c.OverwriteCells.add_missing_cells = True  # (applies to OverwriteCellsLookingUpOnce)
    c.GenerateAssignment.post_convert_hook = functools.partial(strip_release, root)
    # no student notebook is executed: the sandboxed judge's verdicts are written into the hidden test
    # cells instead, and only `python -m grading autograde` (which computes them) may autograde
    c.Autograde.autograde_preprocessors = [WriteVerdicts, ClearMetadataPreprocessor, SaveAutoGradesAtOnce,
                                           AssignLatePenalties, CheckCellMetadataOnce]
    c.Autograde.sanitize_preprocessors = [ClearOutput, DeduplicateIds, OverwriteKernelspec, OverwriteCellsLookingUpOnce,
                                          CheckCellMetadataOnce]
    # the notebook is validated once after all of a step's preprocessors instead of after each of them
    c.Exporter.optimistic_validation = True
    c.Autograde.pre_convert_hook = refuse_unless_pipeline
    c.Autograde.exporter_class = AutogradeExporter
    c.GenerateFeedback.exporter_class = FeedbackExporter
    # nbgrader's own preprocessors, each reading the gradebook once per notebook instead of once per cell
    c.GenerateFeedback.preprocessors = [GetGradesLookingUpOnce, CSSHTMLHeaderPreprocessor]
