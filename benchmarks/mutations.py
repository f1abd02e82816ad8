"""Mutation benchmark for chapters 01–05 (issue 13): does grading catch realistic mistakes, do the public checks
catch them before submission, and do they say what is wrong?

    .venv/bin/python benchmarks/mutations.py [chapter ...]

For every mistake of ``tests/mutation_catalogue.py`` plus the demo class's (``CLASS`` in the chapter's references) it
prints, per chapter:

* mutation score — the share of mistakes that lose points in hidden grading (the sandboxed judge);
* public-catch rate — the share that fail at least one public check (what ``dlmath.check`` runs);
* hint rate — the share whose failing public checks give a specific hint: a catalogued mistake's hint or an
  error-shape hint, not the function's generic "wrong values" advice and not nothing;
* collateral — mistakes that cost another function (must be 0);
* false failures — alternative-but-correct implementations that lose points or fail a public check (must be 0).

Mistakes of different functions share one submission (grading isolates functions: F is graded with the
reference code of what it builds on and stubs elsewhere), so a chapter costs a few sandbox runs; collateral is
counted on the functions a bundle leaves correct. Runs in any checkout (it puts its own repository first on ``sys.path``), so the same script
measures a tree before and after a change.
"""
from __future__ import annotations

import argparse
import functools
import sys
import tempfile
import time
import types
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from dlmath.checking import callables, calling, compare  # noqa: E402
from dlmath.checking.cases import load_chapter_file  # noqa: E402
from grading import chapters, demo, editions  # noqa: E402
from grading.fixtures import reference_module  # noqa: E402
from grading.judge import judge_submission  # noqa: E402
from mutation_catalogue import ALTERNATIVES, MISTAKES  # noqa: E402

CHAPTERS = ["01_math_toolkit", "02_forward", "03_activations", "04_losses", "05_backprop"]


def catalogue(chapter_id: str) -> list[tuple[str, str, str, str]]:
    """(source, label, function, body): this file's mistakes, then the demo class's."""
    own = [("held-out", label, fn, body) for label, fn, body in MISTAKES.get(chapter_id, [])]
    demo_class = getattr(reference_module(chapters.get(chapter_id)), "CLASS", {})
    return own + [("demo", student, fn, body) for student, bodies in demo_class.items() for fn, body in bodies.items()]


def _module(module: str, bodies: dict[str, str]):
    found = types.ModuleType(f"dlmath.{module}")
    found.__file__ = f"<learner {module}>"
    exec(compile(demo.solved_module(module, bodies), found.__file__, "exec"), found.__dict__)
    return found


def public_results(chapter_id: str, function: str, body: str | None):
    """The learner's public checks of ``function`` with ``body`` in place (every other solution correct)."""
    chapter = chapters.get(chapter_id)
    spec = load_chapter_file(chapter.public_cases)[function]
    module = _module(chapter.function(function).module, {function: body} if body else {})
    owner = getattr(module, function.split(".")[0])
    target = functools.partial(callables.DRIVERS[spec.driver], owner) if spec.driver else owner
    return spec, [compare.judge(case, calling.run_case(target, case), spec.hints) for case in spec.cases]


def specific(spec, result) -> bool:
    hint = result.hint or ""
    return bool(hint) and hint != spec.hints.get("values", "") and "constant output" not in hint


def _bundles(items):
    """Group (key, function, body) so no group holds two bodies for one function."""
    groups: list[dict] = []
    for item in items:
        for group in groups:
            if item[1] not in group:
                group[item[1]] = item
                break
        else:
            groups.append({item[1]: item})
    return groups


def judge_bundles(chapter_id: str, items) -> dict:
    """key → {function: (score, points)} for every (key, function, body), a few sandbox runs in all."""
    chapter = chapters.get(chapter_id)
    verdicts = {}
    for group in _bundles(items):
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            editions.write_student_package(chapter_id, folder)
            for module in chapter.modules:
                bodies = {fn: body for fn, (_, _, body) in group.items() if chapter.function(fn).module == module}
                (folder / "dlmath" / f"{module}.py").write_text(demo.solved_module(module, bodies), encoding="utf-8")
            result = judge_submission(chapter_id, folder)
        for fn, (key, _, _) in group.items():  # the bundle's other functions are mutated too: they don't count
            verdicts[key] = {name: (v.score, v.points) for name, v in result.items() if name == fn or name not in group}
    return verdicts


def measure(chapter_id: str) -> dict:
    mistakes = catalogue(chapter_id)
    items = [(i, fn, body) for i, (_, _, fn, body) in enumerate(mistakes)]
    hidden = judge_bundles(chapter_id, items)
    rows = []
    for i, (source, label, fn, body) in enumerate(mistakes):
        spec, results = public_results(chapter_id, fn, body)
        failed = [r for r in results if not r.passed]
        scores = hidden[i]
        rows.append({
            "source": source, "label": label, "function": fn,
            "hidden": scores[fn][0] < scores[fn][1],
            "collateral": sorted(n for n, (s, p) in scores.items() if n != fn and s < p),
            "public": bool(failed),
            "hint": any(specific(spec, r) for r in failed),
            "hints": [r.hint for r in failed if r.hint][:1],
        })
    alternatives = [(f"alt{i}", fn, body) for i, (_, fn, body) in enumerate(ALTERNATIVES.get(chapter_id, []))]
    alt_hidden = judge_bundles(chapter_id, alternatives) if alternatives else {}
    false_failures = []
    for key, fn, body in alternatives:
        label = ALTERNATIVES[chapter_id][int(key[3:])][0]
        _, results = public_results(chapter_id, fn, body)
        lost = sorted(n for n, (s, p) in alt_hidden[key].items() if s < p)
        if lost or not all(r.passed for r in results):
            false_failures.append((label, lost, [r.problem for r in results if not r.passed][:1]))
    return {"rows": rows, "false_failures": false_failures, "alternatives": len(alternatives)}


def rates(rows, source=None) -> tuple[float, float, float, int]:
    chosen = [r for r in rows if source is None or r["source"] == source]
    n = len(chosen) or 1
    return (sum(r["hidden"] for r in chosen) / n, sum(r["public"] for r in chosen) / n,
            sum(r["hint"] for r in chosen) / n, len(chosen))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("chapters", nargs="*", default=CHAPTERS)
    parser.add_argument("-v", "--verbose", action="store_true", help="list every mistake that is missed or hintless")
    args = parser.parse_args(argv)
    print(f"{'chapter':<16} {'mistakes':>8} {'hidden':>7} {'public':>7} {'hint':>6} {'collateral':>10} {'false fail':>10}"
          f"   (held-out only: hidden/public/hint)")
    for chapter_id in args.chapters:
        start = time.time()
        found = measure(chapter_id)
        rows = found["rows"]
        hidden, public, hint, n = rates(rows)
        own = rates(rows, "held-out")
        collateral = sum(bool(r["collateral"]) for r in rows)
        print(f"{chapter_id:<16} {n:>8} {hidden:>7.0%} {public:>7.0%} {hint:>6.0%} {collateral:>10} "
              f"{len(found['false_failures']):>4}/{found['alternatives']:<5}   "
              f"({own[3]}: {own[0]:.0%}/{own[1]:.0%}/{own[2]:.0%}; {time.time() - start:.0f} s)", flush=True)
        if args.verbose:
            for r in rows:
                if not (r["hidden"] and r["public"] and r["hint"]) or r["collateral"]:
                    print(f"    {r['source']:>8} {r['function']:<28} {r['label']:<45} hidden={r['hidden']} "
                          f"public={r['public']} hint={r['hint']} collateral={r['collateral']} {r['hints']}")
            for label, lost, problem in found["false_failures"]:
                print(f"    FALSE FAILURE {label}: lost {lost} {problem}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
