"""The untrusted side of grading: run a submission's functions on hidden inputs.

Started by the judge as ``python -I -m grading.runner SUBMISSION REQUEST_DIR``
(isolated mode: no current directory, no PYTHONPATH, no user site on sys.path).
It imports NumPy first, then loads only the submission's ``dlmath`` package
from its path, so a stray ``numpy.py`` or ``grading/`` in a submission shadows
nothing. It never sees the expected results: it receives inputs, writes raw
outputs, and the judge compares them in its own process.

Protocol: the judge writes one function name per line on stdin; the runner
runs that function's cases, saves ``<name>.npz`` (the arrays returned) and
``<name>.json`` (status, error, warnings and the result's structure per case)
in REQUEST_DIR, and answers
``done <name>`` on its protocol channel (the original stdout; the learner's
prints go to stderr).

Its few lines of "call and capture" mirror ``dlmath.checking.calling`` on
purpose: in this process the name ``dlmath`` is the submission's package, so
the grader's own modules (reference dlmath, ``checking/arrays.py``,
``checking/callables.py``) are loaded by path under private names.
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


def _load_file(name: str, path: Path):
    """A module of the grader's own installation, under a private name (never the submission's)."""
    spec = importlib.util.spec_from_file_location(name, path)
    loaded = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(loaded)
    return loaded


class _Reference(dict):
    """The grader's (instructor) dlmath modules, loaded on first use: ``reference["layers"]``."""

    def __init__(self, directory: Path):
        super().__init__()
        self.directory = directory
        self.classes: dict[tuple[str, str], type] = {}  # the reference classes, before any mixing

    def __missing__(self, module: str):
        self[module] = _load_file(f"_dlmath_reference_{module}", self.directory / f"{module}.py")
        return self[module]

    def __contains__(self, module):
        return (self.directory / f"{module}.py").is_file()


def _argument(value, inputs, resolve):
    """Rebuild one case input from the request: arrays from inputs.npz, functions by name."""
    if isinstance(value, list):
        return [_argument(v, inputs, resolve) for v in value]
    if isinstance(value, dict):
        if set(value) == {"npz"}:
            return inputs[value["npz"]]
        if set(value) == {"callable"}:
            return resolve(value["callable"])
        if set(value) == {"rng"}:
            return np.random.default_rng(value["rng"])
        if set(value) == {"tuple"}:
            return tuple(_argument(v, inputs, resolve) for v in value["tuple"])
        if set(value) == {"dict"}:
            return {k: _argument(v, inputs, resolve) for k, v in value["dict"].items()}
    return value


def _skeleton(value, key: str, values: dict):
    """The result's structure for the judge, with every array stored in ``values`` under a key."""
    if value is None:
        return {"none": True}
    if isinstance(value, (tuple, list)):
        parts = [_skeleton(v, f"{key}.{i}", values) for i, v in enumerate(value)]
        return {"tuple": parts} if isinstance(value, tuple) else {"list": parts}
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        return {"dict": {k: _skeleton(v, f"{key}.{k}", values) for k, v in value.items()}}
    try:
        array = np.asarray(value)
    except Exception:
        array = None
    if array is None or array.dtype.kind not in "fiub":
        return {"bad": type(value).__name__}
    values[key] = array
    return {"npz": key}


def _run_one(function, args, kwargs, own_arrays, key: str, values: dict) -> dict:
    copies = own_arrays.map_leaves(lambda v: v.copy() if isinstance(v, np.ndarray) else v, args)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            value = function(*copies, **kwargs)
        except NotImplementedError as error:
            return {"status": "not_implemented", "error": str(error)}
        except BaseException as error:  # MemoryError, RecursionError, SystemExit ... all cost only this case
            return {"status": "raised", "error": f"{type(error).__name__}: {error}"[:500]}
    if not own_arrays.same(copies, args):
        return {"status": "mutated"}
    return {"status": "ok", "warnings": [f"{w.category.__name__}: {w.message}"[:300] for w in caught],
            "value": _skeleton(value, key, values)}


def _graded_callable(module, name: str, task: dict, learner: dict, reference, drivers):
    """The callable for one graded function, every other graded function of its module set to the reference.

    While one function is graded, its siblings are the reference ones, so a mistake in (say)
    softmax costs softmax only, not softmax_backward. A graded method (``Value.tanh``) is graded
    on a class made of the reference class with only that method taken from the learner, run
    through its driver.
    """
    reference_module = reference[task["module"]]
    if task.get("driver") and "." not in name:  # a plain function exercised through a driver
        for sibling in task["siblings"]:
            setattr(module, sibling, learner[sibling] if sibling == name else getattr(reference_module, sibling))
        return lambda *args, **kwargs: drivers[task["driver"]](learner[name], *args, **kwargs)
    if task.get("driver"):
        class_name = name.split(".")[0]
        learner_class = learner[class_name]
        reference_class = reference.classes.setdefault((task["module"], class_name), getattr(reference_module, class_name))
        members = {k: v for k, v in vars(reference_class).items() if k not in ("__dict__", "__weakref__")}
        method = name.split(".")[1]
        members[method] = vars(learner_class)[method]
        mixed = type(class_name, (), members)
        setattr(module, class_name, mixed)  # the learner's method builds new nodes with this class...
        setattr(reference_module, class_name, mixed)  # ...and so do the reference methods
        return lambda *args, **kwargs: drivers[task["driver"]](mixed, *args, **kwargs)
    for sibling in task["siblings"]:
        setattr(module, sibling, learner[sibling] if sibling == name else getattr(reference_module, sibling))
    return learner[name]


def main(submission: str, request_dir: str) -> None:
    protocol = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)  # everything the learner prints goes to stderr
    sys.stdout = sys.stderr
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))

    request_dir = Path(request_dir)
    request = json.loads((request_dir / "request.json").read_text())
    inputs = dict(np.load(request_dir / "inputs.npz", allow_pickle=False))
    grader = Path(request["reference"])
    own_arrays = _load_file("_dlmath_reference_arrays", grader / "checking" / "arrays.py")
    own_callables = _load_file("_dlmath_reference_callables", grader / "checking" / "callables.py")
    reference = _Reference(grader)
    _load_package("dlmath", Path(submission) / "dlmath")

    def resolve(name):
        return own_callables.resolve(name, modules=reference)

    originals: dict[str, dict] = {}  # module → the learner's own graded functions (or classes), before any patching
    for line in sys.stdin:
        name = line.strip()
        task = request["functions"][name]
        results, values = [], {}
        try:
            module = importlib.import_module(f"dlmath.{task['module']}")
            learner = originals.setdefault(task["module"], {s.split(".")[0]: getattr(module, s.split(".")[0])
                                                            for s in task["siblings"]})
            function = _graded_callable(module, name, task, learner, reference, own_callables.DRIVERS)
        except BaseException as error:
            failure = {"status": "raised", "error": f"could not load dlmath.{task['module']}.{name}: "
                                                    f"{type(error).__name__}: {error}"[:500]}
            results = [failure for _ in task["cases"]]
        else:
            for index, case in enumerate(task["cases"]):
                args = [_argument(a, inputs, resolve) for a in case["args"]]
                kwargs = {k: _argument(v, inputs, resolve) for k, v in case["kwargs"].items()}
                results.append(_run_one(function, args, kwargs, own_arrays, f"c{index}", values))
        np.savez(request_dir / f"{name}.npz", **values)
        (request_dir / f"{name}.json").write_text(json.dumps(results))
        protocol.write(f"done {name}\n")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
