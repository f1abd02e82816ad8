"""The untrusted side of grading: run a submission's functions on hidden inputs.

Started by the judge as ``python -I -m grading.runner SUBMISSION REQUEST_DIR``
(isolated mode: no current directory, no PYTHONPATH, no user site on sys.path).
It imports NumPy first, then loads only the submission's ``dlmath`` package
from its path, so a stray ``numpy.py`` or ``grading/`` in a submission shadows
nothing. It never sees the expected results: it receives inputs, writes raw
outputs, and the judge compares them in its own process.

Protocol: the judge writes one function name per line on stdin; the runner
runs that function's cases, saves ``<name>.npz`` (return values) and
``<name>.json`` (status, error, warnings per case) in REQUEST_DIR, and answers
``done <name>`` on its protocol channel (the original stdout; the learner's
prints go to stderr).

Its few lines of "call and capture" mirror ``dlmath.checking.calling`` on
purpose: in this process the name ``dlmath`` is the submission's package, so
the grader's own copy of that module can't be imported here.
"""
from __future__ import annotations

import importlib
import importlib.util
import json
import os
import resource
import sys
import warnings
from pathlib import Path

import numpy as np

MEMORY_LIMIT = 4 * 1024**3  # address space: a runaway allocation raises MemoryError here, not an OOM kill


def _load_package(name: str, directory: Path):
    init = directory / "__init__.py"
    spec = importlib.util.spec_from_file_location(name, init, submodule_search_locations=[str(directory)])
    package = importlib.util.module_from_spec(spec)
    sys.modules[name] = package
    spec.loader.exec_module(package)
    return package


def _load_reference(directory: Path, module: str):
    """The grader's own (instructor) version of a module, under a private name."""
    spec = importlib.util.spec_from_file_location(f"_dlmath_reference_{module}", directory / f"{module}.py")
    loaded = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(loaded)
    return loaded


def _argument(value, inputs):
    return inputs[value["npz"]] if isinstance(value, dict) and "npz" in value else value


def _run_one(function, args, kwargs) -> tuple[dict, object]:
    copies = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            value = function(*copies, **kwargs)
        except NotImplementedError as error:
            return {"status": "not_implemented", "error": str(error)}, None
        except BaseException as error:  # MemoryError, RecursionError, SystemExit ... all cost only this case
            return {"status": "raised", "error": f"{type(error).__name__}: {error}"[:500]}, None
    if any(isinstance(a, np.ndarray) and not np.array_equal(a, b, equal_nan=True) for a, b in zip(copies, args)):
        return {"status": "mutated"}, None
    report = {"status": "ok", "warnings": [f"{w.category.__name__}: {w.message}"[:300] for w in caught]}
    if value is None:
        return report, None  # the judge reads "no value" as "returned None"
    try:
        array = np.asarray(value)
    except Exception:
        array = None
    if array is None or array.dtype.kind not in "fiub":
        return {**report, "status": "bad_return", "error": type(value).__name__}, None
    return report, array


def main(submission: str, request_dir: str) -> None:
    protocol = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)  # everything the learner prints goes to stderr
    sys.stdout = sys.stderr
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))

    request_dir = Path(request_dir)
    request = json.loads((request_dir / "request.json").read_text())
    inputs = dict(np.load(request_dir / "inputs.npz", allow_pickle=False))
    _load_package("dlmath", Path(submission) / "dlmath")
    reference = {module: _load_reference(Path(request["reference"]), module) for module in request["modules"]}

    originals: dict[str, dict] = {}  # module → the learner's own functions, before any patching
    for line in sys.stdin:
        name = line.strip()
        task = request["functions"][name]
        results, values = [], {}
        try:
            module = importlib.import_module(f"dlmath.{task['module']}")
            learner = originals.setdefault(task["module"], {s: getattr(module, s) for s in task["siblings"]})
            function = learner[name]
            # while one function is graded, every other graded function of its module is the
            # reference one, so a mistake in (say) softmax costs softmax only, not softmax_backward
            for sibling in task["siblings"]:
                setattr(module, sibling, learner[sibling] if sibling == name else getattr(reference[task["module"]], sibling))
        except BaseException as error:
            failure = {"status": "raised", "error": f"could not load dlmath.{task['module']}.{name}: "
                                                    f"{type(error).__name__}: {error}"[:500]}
            results = [failure for _ in task["cases"]]
        else:
            for index, case in enumerate(task["cases"]):
                args = [_argument(a, inputs) for a in case["args"]]
                kwargs = {k: _argument(v, inputs) for k, v in case["kwargs"].items()}
                report, value = _run_one(function, args, kwargs)
                results.append(report)
                if value is not None:
                    values[f"c{index}"] = value
        np.savez(request_dir / f"{name}.npz", **values)
        (request_dir / f"{name}.json").write_text(json.dumps(results))
        protocol.write(f"done {name}\n")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
