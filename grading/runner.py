"""The untrusted side of grading: run one submission's functions on hidden inputs, in a sandbox.

The judge starts this file inside the sandbox (``grading.sandbox``) as
``python -I -S runner.py CONFIG``. It imports only the standard library and NumPy: in the
sandbox there is nothing else — no dlmath of the grader's, no fixtures. It sees the
chapter's student edition of dlmath (``/dlmath``: this chapter's graded functions are stubs,
earlier chapters' are given), the submission's graded modules (``/submission``) and nothing
more. It never receives an expected result: it gets inputs, returns raw outputs (and the
inputs as the function left them), and the judge compares in its own process.

Protocol (``pack``/``unpack``, on the process's original stdin and stdout; everything the
learner prints goes to ``/dev/null``): the runner says ``{"ready": ...}``; the judge asks
``{"op": "load"}`` (import the learner's modules) and then ``{"op": "grade", ...}`` once per
function. A grade request carries the source of the reference code the function may build
on (``given``): only what the chapter registry declares, sent when that function is graded,
so no reference for a function that hasn't been graded yet is ever in the sandbox.

This module must import nothing but the standard library and NumPy (the judge imports it
too, for ``pack``/``unpack``).
"""
from __future__ import annotations

import io
import json
import os
import resource
import struct
import sys
import traceback
import types
import warnings

_HEAD = struct.Struct(">IQ")  # header length, payload length


# ---- framing (shared with the judge) ---------------------------------------------------------------

def pack(header: dict, payload: bytes = b"") -> bytes:
    encoded = json.dumps(header).encode()
    return _HEAD.pack(len(encoded), len(payload)) + encoded + payload


def unpack_lengths(prefix: bytes) -> tuple[int, int]:
    return _HEAD.unpack(prefix)


HEAD_SIZE = _HEAD.size


def _read_exactly(fd: int, size: int) -> bytes:
    chunks, left = [], size
    while left:
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            raise EOFError
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _read_message(fd: int) -> tuple[dict, bytes]:
    header_size, payload_size = unpack_lengths(_read_exactly(fd, HEAD_SIZE))
    return json.loads(_read_exactly(fd, header_size)), _read_exactly(fd, payload_size)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


# ---- inside the sandbox --------------------------------------------------------------------------

def _confine(limits: dict) -> None:
    """Become an unprivileged user of its own if bwrap ran as root, then limit this process and its children.

    The user is one no other sandbox uses at the same time: the process limit counts per user.
    """
    if os.geteuid() == 0 and limits["uid"]:  # (uid 0: --no-sandbox, which confines nothing anyway)
        os.setgroups([])
        os.setgid(limits["uid"])
        os.setuid(limits["uid"])  # drops every capability
    for name, value in [("RLIMIT_NPROC", limits["processes"]), ("RLIMIT_NOFILE", limits["open_files"]),
                        ("RLIMIT_FSIZE", limits["file_bytes"]), ("RLIMIT_AS", limits["memory_bytes"]),
                        ("RLIMIT_CORE", 0)]:
        resource.setrlimit(getattr(resource, name), (value, value))
    resource.setrlimit(resource.RLIMIT_CPU, (limits["cpu_seconds"], limits["cpu_seconds"] + 1))


def _exec_module(name: str, source: str, filename: str):
    """A fresh module ``name`` made from ``source`` (registered in sys.modules while it runs)."""
    module = types.ModuleType(name)
    module.__file__ = filename
    module.__package__ = name.rpartition(".")[0]
    previous = sys.modules.get(name)
    sys.modules[name] = module
    try:
        exec(compile(source, filename, "exec"), module.__dict__)
    finally:
        if previous is not None:
            sys.modules[name] = previous
        else:
            sys.modules.pop(name, None)
    return module


class Runner:
    def __init__(self, config: dict):
        import numpy

        self.np = numpy
        import dlmath.checking.callables as callables  # the chapter's student edition: given code and stubs

        self.callables = callables
        self.submission = config["submission"]
        self.base = {}      # module → the student edition module (this chapter's functions are stubs)
        self.base_classes = {}  # (module, class) → the student edition's class, never modified
        self.learner = {}   # module → the learner's module
        self.originals = {}  # module → {graded name: the learner's own object, as loaded}
        self.given = {}     # module → reference code the function being graded may build on

    # -- load --
    def load(self, request: dict) -> dict:
        import importlib

        errors = {}
        for module, graded in request["modules"].items():
            name = f"dlmath.{module}"
            self.base[module] = importlib.import_module(name)
            for cls_name in {g.split(".")[0] for g in graded if "." in g}:
                self.base_classes[(module, cls_name)] = getattr(self.base[module], cls_name)
            path = os.path.join(self.submission, f"{module}.py")
            try:
                with open(path, encoding="utf-8") as handle:
                    source = handle.read()
                loaded = _exec_module(name, source, f"dlmath/{module}.py")
            except BaseException as error:
                where = f" (line {error.lineno})" if isinstance(error, SyntaxError) else ""
                errors[module] = f"{type(error).__name__}: {error}{where}"[:500]
                continue
            self.learner[module] = loaded
            sys.modules[name] = loaded
            setattr(sys.modules["dlmath"], module, loaded)
            self.originals[module] = {top: getattr(loaded, top, None) for top in {g.split(".")[0] for g in graded}}
        return {"errors": errors}

    # -- grade --
    def _wire(self, request: dict):
        """Point every graded name of the chapter at: the learner's (the function graded), the
        reference (what it builds on) or the stub (everything else); return the callable."""
        target, module_of = request["function"], request["module_of"]
        self.given = {}  # the judge sends all the reference code this function may use, every time
        for module, source in request["given"].items():
            self.given[module] = _exec_module(f"dlmath.{module}", source, f"<given dlmath/{module}.py>")
        wired = None
        for module, learner in self.learner.items():
            graded = [g for g in request["graded"] if module_of[g] == module]
            given = self.given.get(module)
            for cls_name in sorted({g.split(".")[0] for g in graded if "." in g}):
                members = {k: v for k, v in vars(self.base_classes[(module, cls_name)]).items()
                           if k not in ("__dict__", "__weakref__")}
                for g in graded:
                    owner, _, method = g.partition(".")
                    if owner != cls_name:
                        continue
                    if g == target:
                        members[method] = vars(self.originals[module][cls_name])[method]
                    elif g in request["builds_on"] and given is not None:
                        members[method] = vars(getattr(given, cls_name))[method]
                mixed = type(cls_name, (), members)
                for holder in [learner, self.base[module], given]:  # the class's own methods find it here
                    if holder is not None:
                        setattr(holder, cls_name, mixed)  # new nodes are built with this class
                if target.split(".")[0] == cls_name and module_of[target] == module:
                    wired = self._driven(request, mixed)
            for g in (g for g in graded if "." not in g):
                if g == target:
                    setattr(learner, g, self.originals[module][g])
                    wired = self._driven(request, self.originals[module][g]) if request["driver"] else self.originals[module][g]
                elif g in request["builds_on"] and given is not None:
                    setattr(learner, g, getattr(given, g))
                else:
                    setattr(learner, g, getattr(self.base[module], g))
        return wired

    def _driven(self, request: dict, subject):
        driver = self.callables.DRIVERS[request["driver"]]
        return lambda *args, **kwargs: driver(subject, *args, **kwargs)

    def _resolve(self, name: str):
        module, _, function = name.partition(".")
        if name in self.callables.FUNCTIONS or not function:
            return self.callables.resolve(name)
        import importlib

        holder = self.given.get(module) or self.learner.get(module) or importlib.import_module(f"dlmath.{module}")
        return getattr(holder, function)

    def _argument(self, value, inputs):
        np = self.np
        if isinstance(value, list):
            return [self._argument(v, inputs) for v in value]
        if isinstance(value, dict):
            if set(value) == {"npz"}:
                return inputs[value["npz"]].copy()
            if set(value) == {"callable"}:
                return self._resolve(value["callable"])
            if set(value) == {"rng"}:
                return np.random.default_rng(value["rng"])
            if set(value) == {"tuple"}:
                return tuple(self._argument(v, inputs) for v in value["tuple"])
            if set(value) == {"dict"}:
                return {k: self._argument(v, inputs) for k, v in value["dict"].items()}
        return value

    def _skeleton(self, value, key: str, values: dict, depth: int = 0):
        """The result's structure for the judge, every array stored in ``values``; never trusted there."""
        np = self.np
        if depth > 20:
            return {"bad": "a structure nested more than 20 levels deep"}
        if value is None:
            return {"none": True}
        if isinstance(value, (tuple, list)):
            parts = [self._skeleton(v, f"{key}.{i}", values, depth + 1) for i, v in enumerate(value[:1000])]
            return {"tuple": parts} if isinstance(value, tuple) else {"list": parts}
        if isinstance(value, dict) and all(isinstance(k, str) for k in value):
            return {"dict": {k: self._skeleton(v, f"{key}.{k}", values, depth + 1) for k, v in list(value.items())[:1000]}}
        try:
            array = np.array(value, copy=True, subok=False)
        except BaseException:
            return {"bad": type(value).__name__}
        if array.dtype.kind not in "biufc":  # text, objects, records: name what it was
            return {"bad": type(value).__name__ if not isinstance(value, np.ndarray) else f"{array.dtype} array"}
        values[key] = array
        return {"npz": key}

    def grade(self, request: dict, payload: bytes) -> tuple[dict, bytes]:
        np = self.np
        with np.load(io.BytesIO(payload), allow_pickle=False) as stored:
            inputs = {k: stored[k] for k in stored.files}
        try:
            function = self._wire(request)
        except BaseException as error:
            failure = {"status": "raised", "error": f"could not load {request['function']}: {type(error).__name__}: {error}"[:500]}
            return {"results": [failure] * len(request["cases"])}, b""
        results, values = [], {}
        for index, case in enumerate(request["cases"]):
            try:
                args = [self._argument(a, inputs) for a in case["args"]]
                kwargs = {k: self._argument(v, inputs) for k, v in case["kwargs"].items()}
            except BaseException as error:  # e.g. a function passed by name that the learner's module lacks
                results.append({"status": "raised", "error": f"preparing the inputs: {type(error).__name__}: {error}"[:500]})
                continue
            results.append(self._call(function, args, kwargs, f"c{index}", values))
            # the inputs as the function left them: the judge checks for in-place changes itself
            results[-1]["inputs"] = self._skeleton((args, kwargs), f"c{index}.in", values)
        buffer = io.BytesIO()
        np.savez(buffer, **values)
        return {"results": results}, buffer.getvalue()

    def _call(self, function, args, kwargs, key: str, values: dict) -> dict:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                value = function(*args, **kwargs)
            except NotImplementedError as error:
                _only_the_runner()
                return {"status": "not_implemented", "error": str(error)[:500]}
            except BaseException as error:  # MemoryError, RecursionError, SystemExit... cost only this case
                _only_the_runner()
                return {"status": "raised", "error": f"{type(error).__name__}: {error}"[:500]}
            _only_the_runner()
            skeleton = self._skeleton(value, key, values)
        return {"status": "ok", "value": skeleton,
                "warnings": [f"{w.category.__name__}: {w.message}"[:300] for w in caught[:20]]}


_RUNNER_PID = os.getpid()


def _only_the_runner() -> None:
    """A process the learner's code forked and that came back here is not the runner: it must not
    go on to read requests or write replies (the channel is the runner's alone)."""
    if os.getpid() != _RUNNER_PID:
        os._exit(0)


def main(config_text: str) -> None:
    global _RUNNER_PID
    _RUNNER_PID = os.getpid()
    config = json.loads(config_text)
    to_judge, from_judge = os.dup(1), os.dup(0)
    quiet = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):  # whatever the learner's code prints goes nowhere
        os.dup2(quiet, fd)
    try:
        _confine(config["limits"])
        sys.path[:0] = config["path"]
        runner = Runner(config)
    except BaseException:
        _write_all(to_judge, pack({"fatal": traceback.format_exc()[-2000:]}))
        return
    _write_all(to_judge, pack({"ready": True}))
    while True:
        try:
            request, payload = _read_message(from_judge)
        except EOFError:
            return
        if request["op"] == "load":
            reply, data = runner.load(request), b""
        else:
            reply, data = runner.grade(request, payload)
        _write_all(to_judge, pack(reply, data))


if __name__ == "__main__":
    main(sys.argv[1])
