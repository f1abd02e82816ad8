"""Executing chapter notebooks in tests (nbclient, the venv's python3 kernel)."""
from __future__ import annotations

import time
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


def errors(notebook) -> list[tuple[int, dict]]:
    return [(i, out) for i, cell in enumerate(notebook.cells) if cell.cell_type == "code"
            for out in cell.get("outputs", []) if out.output_type == "error"]


def text_of(cell) -> str:
    return "".join(out.get("text", "") for out in cell.get("outputs", []) if out.output_type == "stream")
