"""Generate the reference results: public check cases and hidden grading fixtures.

``python -m grading fixtures`` imports TensorFlow once, computes every case of
every chapter and writes

* ``dlmath/checking/public/<chapter>.json`` — the learner's checks (ship with the package);
* ``grading/fixtures/<chapter>.json`` — hidden inputs for grading (never released).

``python -m grading fixtures --check`` recomputes them and reports drift instead
of writing: the test suite runs it so a TensorFlow change can't silently move
the references.
"""
from __future__ import annotations

import importlib
import inspect
import json
import re
import zlib

import numpy as np

from dlmath.checking import arrays, callables
from dlmath.checking.cases import as_json_case
from grading import chapters
from grading.tensorflow_reference import load as load_tensorflow

AUDIENCES = ("public", "hidden")


def _graded_object(module: str, function: str):
    """``dlmath.<module>.<function>``; a dotted name (``Value.tanh``) is a method of a class."""
    found = importlib.import_module(f"dlmath.{module}")
    for part in function.split("."):
        found = getattr(found, part)
    return found


def _params(module: str, function: str, driver: str) -> list[str]:
    """The parameter names, so feedback can say `z = 1000` rather than 'the first input'."""
    target = callables.DRIVERS[driver] if driver else _graded_object(module, function)
    names = list(inspect.signature(target).parameters)
    return names[1:] if driver else names  # a driver's first parameter is the class


def _section(module: str, function: str) -> str:
    """The 'Derived in:' line of the instructor docstring — where the notebook derives it."""
    doc = _graded_object(module, function).__doc__ or ""
    match = re.search(r"Derived in:\s*(.+)", doc)
    if not match:
        raise ValueError(f"dlmath.{module}.{function}'s docstring has no 'Derived in:' line")
    return match.group(1).strip()


def reference_module(chapter: chapters.Chapter):
    return importlib.import_module(f"grading.references.{chapter.id.split('_', 1)[1]}")


def build(tf, chapter: chapters.Chapter, audience: str) -> dict:
    """The JSON document for one chapter and audience."""
    references = reference_module(chapter)
    rng = np.random.default_rng(zlib.crc32(f"{chapter.id}:{audience}".encode()))
    cases = references.cases(tf, rng, audience)
    functions = {}
    drivers = getattr(references, "DRIVERS", {})
    for graded in chapter.graded:
        driver = drivers.get(graded.name, "")
        functions[graded.name] = {
            "module": graded.module,
            "section": _section(graded.module, graded.name),
            "params": _params(graded.module, graded.name, driver),
            "hints": references.HINTS.get(graded.name, {}),
            # what its checks may run: the learner's report names one of these when it is the culprit
            **({"builds_on": list(graded.builds_on)} if graded.builds_on else {}),
            **({"driver": driver} if driver else {}),
            "cases": [as_json_case(c) for c in cases[graded.name]],
        }
    return {
        "chapter": chapter.id,
        "audience": audience,
        "reference": f"TensorFlow {tf.__version__} (float64; float32 for float32 cases)",
        "functions": functions,
    }


def _path(chapter, audience):
    return chapter.public_cases if audience == "public" else chapter.hidden_fixture


# Drift tolerance by dtype, relative to each value and to the array's scale: BLAS kernels (and so
# TensorFlow's results) differ across CPUs in the last bits, ~1e-7 relative in float32 and ~1e-16 in
# float64 — amplified to ~1e-10 by a finite difference. Both stay far inside the grading tolerances.
DRIFT_TOLERANCE = {"float32": 1e-5, "float64": 1e-9}


def _close(a: np.ndarray, b: np.ndarray) -> bool:
    if a.dtype.kind != "f":
        return np.array_equal(a, b)
    tolerance = DRIFT_TOLERANCE.get(a.dtype.name, 1e-3)
    finite = np.abs(a[np.isfinite(a)])
    scale = max(1.0, float(finite.max())) if finite.size else 1.0
    return bool(np.allclose(a, b, rtol=tolerance, atol=tolerance * scale, equal_nan=True))


def _drift(stored, fresh, where="") -> list[str]:
    """Differences between two fixture documents, arrays within the tolerance of their dtype."""
    if arrays.is_encoded(stored) and arrays.is_encoded(fresh):
        a, b = arrays.decode(stored), arrays.decode(fresh)
        if a.dtype != b.dtype or a.shape != b.shape:
            return [f"{where}: {a.dtype}{a.shape} != {b.dtype}{b.shape}"]
        if not _close(a, b):
            return [f"{where}: values drifted (max abs diff {np.nanmax(np.abs(a - b)):.3g})"]
        return []
    if isinstance(stored, dict) and isinstance(fresh, dict):
        if stored.keys() != fresh.keys():
            return [f"{where}: keys {sorted(stored)} != {sorted(fresh)}"]
        return [d for k in stored if k != "reference" for d in _drift(stored[k], fresh[k], f"{where}/{k}")]
    if isinstance(stored, list) and isinstance(fresh, list):
        if len(stored) != len(fresh):
            return [f"{where}: {len(stored)} items != {len(fresh)}"]
        return [d for i, (s, f) in enumerate(zip(stored, fresh)) for d in _drift(s, f, f"{where}[{i}]")]
    if stored == fresh or _both_nan(stored, fresh):
        return []
    return [f"{where}: {stored!r} != {fresh!r}"]


def _both_nan(a, b) -> bool:
    """A NaN stored as a plain value (sklearn's zero_division=np.nan) equals a fresh NaN."""
    return isinstance(a, float) and isinstance(b, float) and np.isnan(a) and np.isnan(b)


def _json(document: dict) -> str:
    return json.dumps(document, indent=1, ensure_ascii=False) + "\n"


def generate(chapter_ids=None, check=False) -> list[str]:
    """Write (or, with ``check``, compare) every fixture file; return the drift found."""
    tf = load_tensorflow()
    problems = []
    selected = [chapters.get(c) for c in chapter_ids] if chapter_ids else chapters.CHAPTERS.values()
    for chapter in [c for c in selected if c.graded]:  # an ungraded chapter (00) has no references
        for audience in AUDIENCES:
            path = _path(chapter, audience)
            fresh = json.loads(_json(build(tf, chapter, audience)))
            if not check:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(_json(fresh), encoding="utf-8")
                print(f"wrote {path.relative_to(chapters.REPO)}")
            elif not path.exists():
                problems.append(f"{path.relative_to(chapters.REPO)}: missing")
            else:
                stored = json.loads(path.read_text(encoding="utf-8"))
                problems += [f"{path.relative_to(chapters.REPO)}{d}" for d in _drift(stored, fresh)]
    return problems
