"""Peak memory of a chapter's kernel, with and without TensorFlow's live framework view.

    .venv/bin/python benchmarks/memory.py [chapter ...]

Runs each chapter's instructor notebook top to bottom in a fresh kernel (the repository's solutions
in place, as a learner who finished the chapter has it) twice: as a learner gets it (framework view
off, DLMATH_TENSORFLOW unset) and with the live view (DLMATH_TENSORFLOW=1), and prints the kernel's
peak resident memory (VmHWM; not ru_maxrss, which Linux carries over from the process that started the
kernel). A figure, not pass/fail: Binder gives ~2 GB for every open tab; the last line adds up the three
largest chapters, as three tabs restored at once.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from grading import chapters  # noqa: E402

PEAK = "print('PEAK_KB', open('/proc/self/status').read().split('VmHWM:')[1].split()[0])"


def peak_mb(chapter: chapters.Chapter, live: bool) -> tuple[float, bool, list[int]]:
    """(peak MB of the kernel, whether TensorFlow was imported, the cells that raised)."""
    notebook = nbformat.read(chapter.notebook, as_version=4)
    notebook.cells.append(nbformat.v4.new_code_cell(PEAK + "\nimport sys; print('TF', 'tensorflow' in sys.modules)"))
    saved = os.environ.pop("DLMATH_TENSORFLOW", None)
    if live:
        os.environ["DLMATH_TENSORFLOW"] = "1"
    try:
        NotebookClient(notebook, timeout=300, kernel_name="python3", allow_errors=True,
                       resources={"metadata": {"path": str(chapters.REPO)}}).execute()
    finally:
        os.environ.pop("DLMATH_TENSORFLOW", None)
        if saved is not None:
            os.environ["DLMATH_TENSORFLOW"] = saved
    text = "".join(o.get("text", "") for o in notebook.cells[-1].outputs if o.output_type == "stream")
    kb = int(text.split("PEAK_KB")[1].split()[0])
    failed = [i for i, c in enumerate(notebook.cells) if c.cell_type == "code"
              for o in c.get("outputs", []) if o.output_type == "error"]
    return kb / 1024, "TF True" in text, failed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("chapters", nargs="*", help="default: every chapter with a notebook")
    args = parser.parse_args()
    ids = args.chapters or [c.id for c in chapters.CHAPTERS.values() if c.notebook.exists()]
    print(f"{'chapter':<18} {'view off':>10} {'live view':>10}")
    peaks = []
    for chapter_id in ids:
        chapter = chapters.get(chapter_id)
        off, loaded_off, failed_off = peak_mb(chapter, live=False)
        on, loaded_on, failed_on = peak_mb(chapter, live=True)
        note = "" if not loaded_off else "  (TensorFlow imported with the view off!)"
        note += "" if loaded_on else "  (the live view imported no TensorFlow)"
        note += f"  (cells that raised, view off: {failed_off})" if failed_off else ""
        note += f"  (cells that raised, live: {failed_on})" if failed_on else ""
        print(f"{chapter_id:<18} {off:>7.0f} MB {on:>7.0f} MB{note}", flush=True)
        peaks.append(off)
    largest = sorted(peaks)[-3:]
    print(f"the {len(largest)} largest chapters open at once, view off: {sum(largest):.0f} MB")


if __name__ == "__main__":
    main()
