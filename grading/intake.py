"""Intake: read a submission without trusting anything in it.

A submission folder may hold anything: symbolic links (to a classmate's work, to
``/etc/shadow``), named pipes that block whoever opens them, a 120 MB "module", a notebook of
gigabytes of output, thousands of files, a ``numpy.py``. Only three kinds of thing count:

* the chapter's graded modules, ``dlmath/<module>.py`` — what the judge grades;
* the chapter notebook — what nbgrader keeps in the gradebook (the learner's work is in the
  modules; a missing, corrupt or oversized notebook is replaced by the released one, with a note);
* nbgrader's ``timestamp.txt`` and the exchange's ``submission_secret.txt``.

Every file is read with :func:`read_file`: never through a symbolic link (at any level), only
a regular file, never more than a size limit. :func:`take` builds the copy that nbgrader
autogrades (``course/intake/<student>/<chapter>/``) from those files alone (nbgrader adds the
rest of the package from ``source/``, as for any submission), and lists everything it left
out. ``submitted/`` itself is never modified.
"""
from __future__ import annotations

import errno
import functools
import os
import shutil
import stat
from pathlib import Path

import nbformat

from grading import chapters

MODULE_LIMIT = 1024**2          # a graded module: plenty for source code
NOTEBOOK_LIMIT = 20 * 1024**2   # a notebook (outputs included)
SMALL_LIMIT = 4096              # timestamp.txt, submission_secret.txt
LISTED_AT_MOST = 50             # ignored files named in the notes; the rest are counted
WALKED_AT_MOST = 10_000         # entries looked at when listing what was ignored
EXTRA_FILES = ("timestamp.txt", "submission_secret.txt")
SILENT = {"__pycache__", ".ipynb_checkpoints", ".DS_Store"}


class Unreadable(Exception):
    """A file the grader will not read; the message says why, for the learner's feedback."""


def _open_dir(fd: int | None, name: str) -> int:
    return os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=fd)


def read_file(folder: Path, relative: str, limit: int) -> bytes:
    """The bytes of ``folder/relative``: a regular file reached without any symbolic link, at most ``limit`` bytes.

    Raises:
        Unreadable: missing, a symbolic link (at any level), not a regular file (a pipe, a device,
            a folder) or larger than ``limit``.
    """
    parts = Path(relative).parts
    opened = []
    try:
        try:
            opened.append(_open_dir(None, str(folder)))
            for part in parts[:-1]:
                opened.append(_open_dir(opened[-1], part))
            # O_NONBLOCK: opening a named pipe must not wait for a writer
            fd = os.open(parts[-1], os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC,
                         dir_fd=opened[-1])
        except FileNotFoundError:
            raise Unreadable(f"{relative} is missing") from None
        except OSError as error:
            if error.errno in (errno.ELOOP, errno.ENOTDIR, errno.EMLINK):
                raise Unreadable(f"{relative} is (or lies behind) a symbolic link, which is not followed") from None
            raise Unreadable(f"{relative} could not be opened ({error.strerror})") from None
        opened.append(fd)
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise Unreadable(f"{relative} is not a regular file")
        if info.st_size > limit:
            raise Unreadable(f"{relative} is {info.st_size / 1024**2:.1f} MB, more than the {limit / 1024**2:g} MB allowed")
        chunks, size = [], 0
        while chunk := os.read(fd, 1 << 20):
            chunks.append(chunk)
            size += len(chunk)
            if size > limit:
                raise Unreadable(f"{relative} is more than the {limit / 1024**2:g} MB allowed")
        return b"".join(chunks)
    finally:
        for fd in reversed(opened):
            os.close(fd)


def learner_files(chapter: chapters.Chapter) -> set[str]:
    """Relative paths a submission contributes to grading."""
    return {f"{chapter.id}.ipynb", *EXTRA_FILES} | {f"dlmath/{m}.py" for m in chapter.modules}


def read_modules(chapter: chapters.Chapter, folder: Path) -> dict[str, tuple[str | None, str]]:
    """``{module: (source, "")}`` for each graded module, or ``(None, why it can't be graded)``."""
    found = {}
    for module in chapter.modules:
        relative = f"dlmath/{module}.py"
        try:
            found[module] = (read_file(folder, relative, MODULE_LIMIT).decode("utf-8"), "")
        except Unreadable as error:
            found[module] = (None, str(error))
        except UnicodeDecodeError:
            found[module] = (None, f"{relative} is not UTF-8 text")
    return found


@functools.lru_cache(maxsize=4)
def _graded_ids(path: Path, modified: int) -> frozenset:
    """The released notebook's graded cells' ids, read once per class (``modified`` keys a new release)."""
    released = nbformat.read(path, as_version=4)
    return frozenset(c.metadata.nbgrader.grade_id for c in released.cells if "nbgrader" in c.metadata)


def _notebook(chapter: chapters.Chapter, folder: Path, release: Path) -> tuple[str, str]:
    """The submitted notebook's text (normalised if a cell had to change) — or the released one's and why
    it was used instead."""
    name = f"{chapter.id}.ipynb"
    released = release / name
    graded_ids = _graded_ids(released, released.stat().st_mtime_ns)
    try:
        text, invalid = read_file(folder, name, NOTEBOOK_LIMIT).decode("utf-8"), {}
        notebook = nbformat.reads(text, as_version=4, capture_validation_error=invalid)
        if invalid:
            raise invalid["ValidationError"]
    except Unreadable as error:
        return released.read_text(encoding="utf-8"), f"{error}: the released notebook was graded instead (your work is in dlmath/)"
    except Exception as error:
        return released.read_text(encoding="utf-8"), (f"{name} is not a valid notebook ({type(error).__name__}); the "
                                                      "released notebook was graded instead (your work is in dlmath/)")
    # nbgrader metadata on a cell the release doesn't have (a forged test cell) is dropped;
    # nbgrader itself restores edited, re-typed or deleted test cells from the gradebook
    forged = [cell for cell in notebook.cells if "nbgrader" in cell.get("metadata", {})
              and cell.metadata["nbgrader"].get("grade_id") not in graded_ids]
    for cell in forged:
        del cell.metadata["nbgrader"]
    return (nbformat.writes(notebook) if forged else text), ""


def _ignored(chapter: chapters.Chapter, folder: Path, release: Path, taken: set[str]) -> list[str]:
    """What the submission holds beyond its learner files, as notes (symbolic links are not followed)."""
    notes, seen = [], 0
    for directory, subdirectories, files in os.walk(folder):  # followlinks=False: links are listed, not entered
        subdirectories[:] = [d for d in subdirectories if d not in SILENT]
        for name in sorted(subdirectories + files):
            seen += 1
            path = Path(directory) / name
            relative = path.relative_to(folder).as_posix()
            if relative in taken or name in SILENT or (path.is_dir() and not path.is_symlink()):
                continue
            if path.is_symlink():
                notes.append(f"ignored {relative} (a symbolic link)")
            elif not path.is_file():
                notes.append(f"ignored {relative} (not a regular file)")
            elif not (release / relative).is_file():
                notes.append(f"ignored {relative} (not part of the assignment)")
        if seen > WALKED_AT_MOST:
            notes.append(f"stopped listing after {WALKED_AT_MOST} entries")
            break
    if len(notes) > LISTED_AT_MOST:
        notes = notes[:LISTED_AT_MOST] + [f"... and {len(notes) - LISTED_AT_MOST} more ignored"]
    return notes


def take(chapter: chapters.Chapter, submitted: Path, release: Path, destination: Path) -> list[str]:
    """Build ``destination`` from the submission's learner files (the released notebook in place of a missing
    or broken one); return notes for the learner. A graded module that can't be read is left out: its
    functions score nothing, and nbgrader does not fill it in (the graded modules are never overwritten)."""
    if destination.exists():
        shutil.rmtree(destination)
    (destination / "dlmath").mkdir(parents=True)
    notes, taken = [], set()
    notebook, problem = _notebook(chapter, submitted, release)
    (destination / f"{chapter.id}.ipynb").write_text(notebook, encoding="utf-8")
    if problem:
        notes.append(problem)
    else:
        taken.add(f"{chapter.id}.ipynb")
    for module, (source, problem) in read_modules(chapter, submitted).items():
        relative = f"dlmath/{module}.py"
        if source is None:
            notes.append(f"{problem}: its functions could not be graded")
        else:
            (destination / relative).write_text(source, encoding="utf-8")
            taken.add(relative)
    for name in EXTRA_FILES:
        try:
            text = read_file(submitted, name, SMALL_LIMIT).decode("utf-8")
        except (Unreadable, UnicodeDecodeError) as error:
            if not isinstance(error, Unreadable) or "missing" not in str(error):
                notes.append(f"ignored {name} ({error})")
            continue
        (destination / name).write_text(text, encoding="utf-8")
        taken.add(name)
    return notes + _ignored(chapter, submitted, release, taken)
