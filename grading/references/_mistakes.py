"""Typical mistakes as edits of the instructor's solution, shared by every chapter's reference.

A mistake is the solution of a graded function with a few text edits, so it stays in sync with the
solution (an edit that no longer applies is an error, not a silently correct "mistake"); its output
on a case comes from a private copy of the module with that one body replaced.
"""
from __future__ import annotations

import functools
import textwrap
import types

from grading import chapters, editions


def _fence(module: str, function: str):
    path = chapters.PACKAGE_DIR / f"{module}.py"
    source = path.read_text(encoding="utf-8")
    (fence,) = [f for f in editions.fences(source, str(path)) if f.function == function]
    return source, fence


def solution(module: str, function: str) -> str:
    """The instructor's body of ``dlmath.<module>.<function>``, dedented: the text every mistake edits."""
    source, fence = _fence(module, function)
    return textwrap.dedent("\n".join(source.splitlines()[fence.begin + 1:fence.end])) + "\n"


def variant(module: str, function: str, *edits: tuple[str, str]) -> str:
    """The solution with each (old, new) text edit applied: one typical mistake, in sync with the solution."""
    body = solution(module, function)
    for old, new in edits:
        if old not in body:
            raise ValueError(f"the solution of {function} no longer contains {old!r}: update this mistake")
        body = body.replace(old, new)
    return body


@functools.cache
def wrong_function(module: str, function: str, body: str):
    """``dlmath.<module>.<function>`` with its solution replaced by ``body``, in a private copy of the module."""
    source, fence = _fence(module, function)
    lines = source.splitlines()
    body_lines = [fence.indent + ln if ln.strip() else "" for ln in body.strip("\n").splitlines()]
    patched = "\n".join(lines[:fence.begin] + body_lines + lines[fence.end + 1:]) + "\n"
    private = types.ModuleType(f"_wrong_{module}_{function}")
    exec(compile(patched, f"<{function} mistake>", "exec"), private.__dict__)
    return getattr(private, function)
