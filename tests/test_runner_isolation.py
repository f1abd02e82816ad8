"""Nothing passes from one graded function to the next, nor from one student to the next.

One sandboxed runner grades many submissions (the class-wide grader keeps one per job): its
parent forks a child per function and, when the child is done, kills and deletes whatever it
left. Attacked here as a pair of colluding students would: the *sender*'s ``softmax_backward``
legitimately receives the reference ``softmax`` (it builds on it) and hides its code in every
channel a process has — a file in the scratch folder, System V shared memory, a daemon serving
it on an abstract Unix socket, the kernel's keyrings, the interpreter's own memory; the
*receiver*, graded next by the same runner, looks for it there and returns the reference's
answer from its ``softmax`` (a stub otherwise).

Each channel is tried twice: with the runner as it grades (the receiver must earn nothing) and
with its cleaning switched off (``keep_leftovers``, tests only), which shows the channel is real
— where a channel can't carry anything across children even then (the interpreter's memory:
every child is a fresh fork of a parent that never ran student code), the control says so.
"""
from __future__ import annotations

import pytest

from conftest import CHAPTER, learner_folder
from grading import judge, sandbox

pytestmark = pytest.mark.skipif(sandbox.probe() is not None, reason=f"no sandbox here: {sandbox.probe()}")

HIDE = {
    "file": '''
with open("/tmp/stash", "wb") as handle:
    handle.write(code)
os.chmod("/tmp/stash", 0o666)
''',
    "sysv_shared_memory": '''
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
libc.shmat.restype = ctypes.c_void_p
segment = libc.shmget(0x5EED, 1 << 16, 0o1666)
address = libc.shmat(segment, None, 0)
ctypes.memmove(address, len(code).to_bytes(4, "little") + code, len(code) + 4)
''',
    "daemon_on_a_socket": '''
import socket, time
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        server.bind("\\0dlmath-stash")
        server.listen(4)
        while True:
            connection, _ = server.accept()
            connection.sendall(code)
            connection.close()
    os._exit(0)
time.sleep(0.3)
''',
    "keyring": '''
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
for ring in (-3, -4, -5):  # the session, user and user-session keyrings
    libc.syscall(248, b"user", b"dlmath-stash", code, len(code), ring)
''',
    "interpreter_memory": '''
import builtins
builtins.dlmath_stash = code
''',
}

FIND = {
    "file": '''
with open("/tmp/stash", "rb") as handle:
    code = handle.read()
''',
    "sysv_shared_memory": '''
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
libc.shmat.restype = ctypes.c_void_p
segment = libc.shmget(0x5EED, 0, 0)
if segment < 0:
    raise NotImplementedError("no segment")
address = libc.shmat(segment, None, 0o10000)
size = int.from_bytes(ctypes.string_at(address, 4), "little")
code = ctypes.string_at(address + 4, size)
''',
    "daemon_on_a_socket": '''
import socket
client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
client.connect("\\0dlmath-stash")
code = b"".join(iter(lambda: client.recv(1 << 16), b""))
''',
    "keyring": '''
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
key = -1
for ring in (-3, -4, -5):
    key = libc.syscall(250, 10, ring, b"user", b"dlmath-stash", 0)  # KEYCTL_SEARCH
    if key > 0:
        break
buffer = ctypes.create_string_buffer(1 << 16)
size = libc.syscall(250, 11, key, buffer, 1 << 16)  # KEYCTL_READ
if key <= 0 or size <= 0:
    raise NotImplementedError("no key")
code = buffer.raw[:size]
''',
    "interpreter_memory": '''
import builtins
code = builtins.dlmath_stash
''',
}

SENDER = '''
import marshal, os
code = marshal.dumps(softmax.__code__)  # softmax here is the reference: softmax_backward builds on it
{hide}
s = softmax(z, axis=axis)
return s * (dout - np.sum(dout * s, axis=axis, keepdims=True))
'''

RECEIVER = '''
import marshal, types
try:
{find}
except NotImplementedError:
    raise
except Exception as error:
    raise NotImplementedError(f"nothing found: {{error}}")
stolen = types.FunctionType(marshal.loads(code), globals())
return stolen(z, axis=axis)
'''


def _indent(code: str) -> str:
    return "\n".join("    " + line for line in code.strip().splitlines())


def _softmax_of_receiver_after_sender(tmp_path, channel: str, keep_leftovers: bool) -> tuple[float, float]:
    sender = learner_folder(tmp_path / "sender", {"softmax_backward": SENDER.format(hide=HIDE[channel])})
    receiver = learner_folder(tmp_path / "receiver", {"softmax": RECEIVER.format(find=_indent(FIND[channel]))})
    session = judge.Session(judge.plan(CHAPTER), sandboxed=True, keep_leftovers=keep_leftovers)
    try:
        sent = judge.judge_submission(CHAPTER, sender, session=session)
        received = judge.judge_submission(CHAPTER, receiver, session=session)
    finally:
        session.close()
    assert sent["softmax_backward"].score == sent["softmax_backward"].points  # the sender did its work honestly
    return received["softmax"].score, received["softmax"].points


@pytest.mark.parametrize("channel", sorted(HIDE))
def test_a_reference_hidden_by_one_graded_function_is_gone_before_the_next(tmp_path, channel):
    score, _ = _softmax_of_receiver_after_sender(tmp_path / "graded", channel, keep_leftovers=False)
    assert score == 0, f"the reference softmax passed from one child to the next through {channel}"
    control, points = _softmax_of_receiver_after_sender(tmp_path / "control", channel, keep_leftovers=True)
    if channel == "interpreter_memory":
        assert control == 0  # a fresh fork of a parent that never runs student code: nothing to find even uncleaned
    elif control == 0:
        pytest.skip(f"{channel} carries nothing between two users' processes on this machine even uncleaned")
    else:
        assert control == points  # the channel is real: only the cleaning stops it
