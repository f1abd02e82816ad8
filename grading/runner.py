"""The untrusted side of grading: run submissions' functions on hidden inputs, in a sandbox.

The judge starts this file inside the sandbox (``grading.sandbox``) as
``python -I -S runner.py CONFIG``. It imports only the standard library and NumPy: in the
sandbox there is nothing else — no dlmath of the grader's, no fixtures. It sees the chapter's
student edition of dlmath (``/edition``: this chapter's graded functions are stubs, earlier
chapters' are given) and nothing more. It never receives an expected result: it gets inputs,
returns raw outputs (and the inputs as the function left them), and the judge compares in its
own process.

**A pristine parent, one child per request.** The process the judge starts (the *parent*)
imports NumPy and the student edition and then never runs a line a student wrote, nor holds any
reference code. For each request it forks a *child*, which becomes a user of its own (when the
grader is root), limits itself, joins a keyring of its own, and only then executes the
submission's modules and, for a ``grade`` request, the reference code of exactly what the
graded function builds on (``given``). Code comes compiled (``marshal``), which spares each
child compiling it again: the given code as the judge compiled it, the learner's modules as the
``load`` child compiled them before running them (it sends the code back with its reply; the
judge only passes it on, never loads it). The learner's modules also come as text, which a
child compiles if it cannot use their code. The child writes its reply and exits;
the parent then kills every other process of the sandbox (whatever the child left running)
and deletes whatever it left behind — files in ``/tmp``, System V shared memory, semaphores
and message queues, keys — before it tells the judge it is ready again. So nothing passes
from one graded function to the next, or from one student to the next: a reference a child
received dies with it, and one sandbox can grade a whole share of a class at the cost of a
``fork`` per function.

Protocol (``pack``/``unpack``): requests come on the parent's stdin; the child writes its one
reply on stdout; the parent reports on stderr (``{"ready": ...}`` at start, then after each
request ``{"exit": code, "cpu": seconds, "timeout": bool, "clean": bool}``), a channel the
child closes before any student code runs. Whatever the student's code prints goes to
``/dev/null``.

This module must import nothing but the standard library and NumPy (the judge imports it
too, for ``pack``/``unpack``).
"""
from __future__ import annotations

import json
import marshal
import math
import os
import re
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


# arrays travel as raw bytes after the header, described in it: {key: [dtype, shape, offset]}
_DTYPE = re.compile(r"[<>|][biufc](1|2|4|8|16)")


def pack_arrays(arrays: dict) -> tuple[dict, list]:
    """(the index for the header, the arrays' bytes as a list of buffers — not joined, not copied)."""
    import numpy

    index, chunks, offset = {}, [], 0
    for key, array in arrays.items():
        data = numpy.ascontiguousarray(array).reshape(-1).view(numpy.uint8)
        index[key] = [array.dtype.str, list(array.shape), offset]
        chunks.append(data)
        offset += data.nbytes
    return index, chunks


def unpack_arrays(index, payload: bytes) -> dict:
    """The arrays ``pack_arrays`` described (read-only views of ``payload``); ValueError for anything
    malformed — the judge reads a child's reply with this, so nothing in it is trusted."""
    import numpy

    if not isinstance(index, dict):
        raise ValueError("no array index")
    arrays = {}
    for key, entry in index.items():
        if not (isinstance(entry, list) and len(entry) == 3 and isinstance(entry[0], str) and _DTYPE.fullmatch(entry[0])
                and isinstance(entry[1], list) and len(entry[1]) <= 32
                and all(isinstance(n, int) and not isinstance(n, bool) and 0 <= n for n in entry[1])
                and isinstance(entry[2], int) and not isinstance(entry[2], bool) and entry[2] >= 0):
            raise ValueError(f"malformed array entry {key!r}")
        dtype, shape, offset = numpy.dtype(entry[0]), tuple(entry[1]), entry[2]
        count = math.prod(shape)
        if offset + count * dtype.itemsize > len(payload):
            raise ValueError(f"array {key!r} runs past the payload")
        arrays[key] = numpy.frombuffer(payload, dtype=dtype, count=count, offset=offset).reshape(shape)
    return arrays


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


# ---- inside the sandbox: confinement of a child ---------------------------------------------------

def _become(uid: int) -> None:
    """Become an unprivileged user of its own if bwrap ran as root (every capability is dropped).

    The user is one no other child uses, here or in another sandbox: the process limit counts per
    user, and a user's keyrings are shared by its processes."""
    if os.geteuid() == 0 and uid:  # (uid 0: --no-sandbox, which confines nothing anyway)
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)


def _limit(limits: dict) -> None:
    """Limit this process and its children (processes, open files, file size, memory, CPU seconds)."""
    for name, value in [("RLIMIT_NPROC", limits["processes"]), ("RLIMIT_NOFILE", limits["open_files"]),
                        ("RLIMIT_FSIZE", limits["file_bytes"]), ("RLIMIT_AS", limits["memory_bytes"]),
                        ("RLIMIT_CORE", 0), ("RLIMIT_MSGQUEUE", 0)]:
        resource.setrlimit(getattr(resource, name), (value, value))
    resource.setrlimit(resource.RLIMIT_CPU, (limits["cpu_seconds"], limits["cpu_seconds"] + 1))


def _confine(limits: dict) -> None:
    """What a child does before any student code runs (tests/test_sandbox.py runs programs this way)."""
    _become(limits["uid"])
    _join_own_keyring()
    _limit(limits)


_SYS_KEYCTL = {"x86_64": 250, "aarch64": 219}
_KEYCTL_JOIN_SESSION_KEYRING, _KEYCTL_CLEAR = 1, 7
_KEY_SPEC_USER_KEYRING, _KEY_SPEC_USER_SESSION_KEYRING = -4, -5


def _keyctl(*args) -> None:
    """keyctl(2), where the kernel has it (keys are a channel between processes of one user)."""
    number = _SYS_KEYCTL.get(os.uname().machine)
    if number is None:
        return
    import ctypes

    ctypes.CDLL(None, use_errno=True).syscall(number, *[ctypes.c_long(a) for a in args])


def _join_own_keyring() -> None:
    """A new, empty session keyring: keys the child adds are not in the parent's, which the next child inherits."""
    _keyctl(_KEYCTL_JOIN_SESSION_KEYRING, 0)


# ---- inside the sandbox: leaving nothing behind -------------------------------------------------------

_IPC = {"shm": ("shmctl", 3), "sem": ("semctl", 4), "msg": ("msgctl", 3)}  # IPC_RMID = 0


def _ipc_objects() -> dict[str, list[int]]:
    """The System V IPC objects of this sandbox (its own IPC namespace): kind → ids."""
    found = {}
    for kind in _IPC:
        try:
            with open(f"/proc/sysvipc/{kind}") as table:
                lines = table.read().splitlines()
        except OSError:
            continue
        column = lines[0].split().index(f"{kind}id" if kind != "msg" else "msqid") if lines else 0
        found[kind] = [int(line.split()[column]) for line in lines[1:] if line.split()]
    return found


def _purge(scratch: str) -> None:
    """Delete what this user left: files under ``scratch``, System V IPC objects, keys."""
    import ctypes
    import shutil

    def writable(function, path, _):
        os.chmod(os.path.dirname(path), 0o700)
        os.chmod(path, 0o700) if os.path.isdir(path) and not os.path.islink(path) else None
        function(path)

    for entry in os.listdir(scratch):
        path = os.path.join(scratch, entry)
        try:
            if os.path.isdir(path) and not os.path.islink(path):
                os.chmod(path, 0o700)
                shutil.rmtree(path, onerror=writable)
            else:
                os.unlink(path)
        except OSError:
            pass  # the parent checks that nothing is left
    libc = ctypes.CDLL(None, use_errno=True)
    for kind, ids in _ipc_objects().items():
        call, argc = _IPC[kind]
        for ipc_id in ids:
            getattr(libc, call)(*([ipc_id, 0, None] if argc == 3 else [ipc_id, 0, 0, None]))
    _keyctl(_KEYCTL_CLEAR, _KEY_SPEC_USER_KEYRING)
    _keyctl(_KEYCTL_CLEAR, _KEY_SPEC_USER_SESSION_KEYRING)


def _others() -> list[int]:
    """Living processes of this sandbox other than its init (1) and this parent."""
    me, found = os.getpid(), []
    for name in os.listdir("/proc"):
        if name.isdigit() and int(name) not in (1, me):
            try:
                with open(f"/proc/{name}/stat") as stat:
                    state = stat.read().rpartition(")")[2].split()[0]
            except (OSError, IndexError):
                continue
            if state not in ("Z", "X"):
                found.append(int(name))
    return found


def _compiled(entry, payload: bytes):
    """The code object stored at ``entry`` ([offset, size]) in ``payload``, or None if there is none usable."""
    try:
        offset, size = entry
        if not (type(offset) is int and type(size) is int and 0 <= offset and 0 <= size and offset + size <= len(payload)):
            return None
        code = marshal.loads(payload[offset:offset + size])
    except Exception:
        return None
    return code if isinstance(code, types.CodeType) else None


def _exec_module(name: str, source, filename: str):
    """A fresh module ``name`` made from ``source``, its text or its code object (registered in
    sys.modules while it runs)."""
    module = types.ModuleType(name)
    module.__file__ = filename
    module.__package__ = name.rpartition(".")[0]
    previous = sys.modules.get(name)
    sys.modules[name] = module
    try:
        exec(source if isinstance(source, types.CodeType) else compile(source, filename, "exec"), module.__dict__)
    finally:
        if previous is not None:
            sys.modules[name] = previous
        else:
            sys.modules.pop(name, None)
    return module


class Runner:
    """What one child does: load the submission's modules (sent as text), then grade one function."""

    def __init__(self, callables):
        import numpy

        self.np = numpy
        self.callables = callables  # the chapter's student edition: given code and stubs
        self.base = {}      # module → the student edition module (this chapter's functions are stubs)
        self.base_classes = {}  # (module, class) → the student edition's class, never modified
        self.learner = {}   # module → the learner's module
        self.originals = {}  # module → {graded name: the learner's own object, as loaded}
        self.given = {}     # module → reference code the function being graded may build on

    # -- load --
    def load(self, request: dict, payload: bytes = b"") -> tuple[dict, list]:
        """Run the learner's modules (as compiled by the ``load`` child, when the request carries that);
        the reply names the modules that failed and, for a ``load`` request, holds their compiled code."""
        import importlib

        errors, compiled, chunks, offset = {}, {}, [], 0
        for module, graded in request["modules"].items():
            name, filename = f"dlmath.{module}", f"dlmath/{module}.py"
            self.base[module] = importlib.import_module(name)
            for cls_name in {g.split(".")[0] for g in graded if "." in g}:
                self.base_classes[(module, cls_name)] = getattr(self.base[module], cls_name)
            try:
                code = _compiled(request.get("compiled", {}).get(module), payload)
                if code is None:
                    code = compile(request["sources"][module], filename, "exec")
                    if request["op"] == "load":  # before any of it runs
                        blob = memoryview(marshal.dumps(code))
                        compiled[module], offset = [offset, blob.nbytes], offset + blob.nbytes
                        chunks.append(blob)
                loaded = _exec_module(name, code, filename)
            except BaseException as error:
                where = f" (line {error.lineno})" if isinstance(error, SyntaxError) else ""
                errors[module] = f"{type(error).__name__}: {error}{where}"[:500]
                continue
            self.learner[module] = loaded
            sys.modules[name] = loaded
            setattr(sys.modules["dlmath"], module, loaded)
            self.originals[module] = {top: getattr(loaded, top, None) for top in {g.split(".")[0] for g in graded}}
        return {"errors": errors, "compiled": compiled}, chunks

    # -- grade --
    def _wire(self, request: dict, payload: bytes):
        """Point every graded name of the chapter at: the learner's (the function graded), the
        reference (what it builds on) or the stub (everything else); return the callable."""
        target, module_of = request["function"], request["module_of"]
        self.given = {}  # the judge sends all the reference code this function may use, every time
        for module, entry in request["given"].items():  # module → [offset, size] of its code in the payload
            code = _compiled(entry, payload)
            if code is None:  # (the judge compiled it with this very interpreter: never the learner's doing)
                raise RuntimeError(f"the given code of dlmath/{module}.py could not be read")
            self.given[module] = _exec_module(f"dlmath.{module}", code, f"<given dlmath/{module}.py>")
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
        inputs = unpack_arrays(request["arrays"], payload)
        try:
            function = self._wire(request, payload)
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
        index, chunks = pack_arrays(values)
        return {"results": results, "arrays": index}, chunks

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
    """A process the learner's code forked and that came back here is not the child: it must not
    go on to write a reply (the channel is the child's alone)."""
    if os.getpid() != _RUNNER_PID:
        os._exit(0)


# ---- the parent: one child per request, and nothing left behind -------------------------------------

class Parent:
    def __init__(self, config: dict, requests: int, replies: int, control: int):
        self.config, self.requests, self.replies, self.control = config, requests, replies, control
        self.sandboxed = bool(config["sandboxed"])
        self.scratch = config["scratch"]
        if self.sandboxed and os.getpid() != 2:  # bwrap's init is 1: `kill(-1)` below must stay inside
            raise RuntimeError(f"the runner expected its own PID namespace (pid 2), it is pid {os.getpid()}")
        import importlib

        import numpy  # noqa: F401  (imported once here, inherited by every child)

        self.callables = importlib.import_module("dlmath.checking.callables")
        for module in config["modules"]:
            importlib.import_module(f"dlmath.{module}")
        _set_not_dumpable()  # a child of the same user (no root) can't read or write this process's memory

    def serve(self) -> None:
        _write_all(self.control, pack({"ready": True}))
        while True:
            try:
                request, payload = _read_message(self.requests)
            except EOFError:
                return
            child = os.fork()
            if child == 0:
                self._child(request, payload)  # never returns
            code, cpu, timed_out = self._wait(child, float(request["seconds"]))
            clean = self._clean(child, int(request.get("uid", 0)))
            _write_all(self.control, pack({"exit": code, "cpu": round(cpu, 4), "timeout": timed_out, "clean": clean}))

    def _child(self, request: dict, payload: bytes) -> None:
        global _RUNNER_PID
        try:
            _RUNNER_PID = os.getpid()
            os.close(self.requests)
            os.close(self.control)
            os.setsid()
            _confine({**self.config["limits"], "uid": int(request.get("uid", 0))})
            os.chdir(self.scratch)
            runner = Runner(self.callables)
            reply, chunks = runner.load(request, payload)
            if request["op"] == "grade":
                reply, chunks = runner.grade(request, payload)
            _only_the_runner()
            header = json.dumps(reply).encode()
            _write_all(self.replies, _HEAD.pack(len(header), sum(c.nbytes for c in chunks)) + header)
            for chunk in chunks:
                _write_all(self.replies, chunk)
        except BaseException:
            _only_the_runner()
            try:
                _write_all(self.replies, pack({"fatal": traceback.format_exc()[-1500:]}))
            except BaseException:
                pass
        finally:
            os._exit(0)

    def _wait(self, child: int, seconds: float) -> tuple[int, float, bool]:
        import select

        timed_out = False
        try:
            handle = os.pidfd_open(child)
        except (AttributeError, OSError):
            handle = None
        if handle is not None:
            ready, _, _ = select.select([handle], [], [], seconds)
            os.close(handle)
            timed_out = not ready
        else:  # no pidfd: poll
            import time

            deadline = time.monotonic() + seconds
            while os.waitid(os.P_PID, child, os.WEXITED | os.WNOHANG | os.WNOWAIT) is None:
                if time.monotonic() > deadline:
                    timed_out = True
                    break
                time.sleep(0.002)
        if timed_out:
            os.kill(child, 9)
        _, status, usage = os.wait4(child, 0)
        return os.waitstatus_to_exitcode(status), usage.ru_utime + usage.ru_stime, timed_out

    def _clean(self, child: int, uid: int) -> bool:
        """Kill whatever the child left running, delete what it left; True if nothing is left."""
        import time

        if self.config.get("keep_leftovers"):  # only for the tests that show what cleaning prevents
            _reap()
            return True
        if not self.sandboxed:  # --no-sandbox: only the child's own session can be found and killed
            try:
                os.killpg(child, 9)
            except OSError:
                pass
            _reap()
            return True
        for _ in range(2000):
            try:
                os.kill(-1, 9)  # every process of the sandbox but its init and this one
            except ProcessLookupError:
                pass
            _reap()
            if not _others():
                break
            time.sleep(0.001)
        if not (uid and os.geteuid() == 0):  # one user for every child: its files, IPC objects and keys
            _purge(self.scratch)
        elif os.listdir(self.scratch) or any(_ipc_objects().values()):  # the child's user's: purge as that user
            helper = os.fork()
            if helper == 0:
                try:
                    _become(uid)
                    _purge(self.scratch)
                finally:
                    os._exit(0)
            os.waitpid(helper, 0)
        return not _others() and not os.listdir(self.scratch) and not any(_ipc_objects().values())


def _reap() -> None:
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def _set_not_dumpable() -> None:
    import ctypes

    ctypes.CDLL(None, use_errno=True).prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE = 4


def main(config_text: str) -> None:
    config = json.loads(config_text)
    requests, replies, control = os.dup(0), os.dup(1), os.dup(2)
    quiet = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):  # whatever the learner's code prints goes nowhere
        os.dup2(quiet, fd)
    try:
        sys.path[:0] = config["path"]
        parent = Parent(config, requests, replies, control)
    except BaseException:
        _write_all(control, pack({"fatal": traceback.format_exc()[-2000:]}))
        return
    parent.serve()


if __name__ == "__main__":
    main(sys.argv[1])
