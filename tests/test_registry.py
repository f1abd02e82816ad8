"""The chapter registry: every graded function declares the same-chapter functions it builds on."""
from __future__ import annotations

import pytest

from grading import chapters, editions

GRADED = [(c, g) for c in chapters.CHAPTERS.values() for g in c.graded]


@pytest.mark.parametrize("chapter, graded", GRADED, ids=lambda v: getattr(v, "id", None) or getattr(v, "name", ""))
def test_builds_on_names_graded_functions_of_the_same_chapter(chapter, graded):
    own = {g.name for g in chapter.graded}
    assert set(graded.builds_on) <= own - {graded.name}, graded.builds_on


@pytest.mark.parametrize("chapter, graded", GRADED, ids=lambda v: getattr(v, "id", None) or getattr(v, "name", ""))
def test_the_reference_solution_calls_no_undeclared_function_of_its_chapter(chapter, graded):
    siblings = {g.name for g in chapter.graded if g.module == graded.module and g.name != graded.name}
    used = editions.calls(graded.module, graded.name, siblings)
    assert used <= set(graded.builds_on), f"{graded.name} calls {sorted(used - set(graded.builds_on))}"


def test_every_solution_fence_belongs_to_a_registered_chapter():
    for path in sorted(chapters.PACKAGE_DIR.rglob("*.py")):
        module = path.relative_to(chapters.PACKAGE_DIR).with_suffix("").as_posix().replace("/", ".")
        for fence in editions.fences(path.read_text(encoding="utf-8"), str(path)):
            assert chapters.owner_of(module, fence.function), f"dlmath.{module}.{fence.function} is graded by no chapter"
