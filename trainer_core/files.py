"""Atomic file writes: a temp file in the target's folder, fsync, then rename over it.

A crash or a full disk mid-write leaves the old file (or none), never half a file. The temp
file goes too: on an error, on Ctrl-C and on SIGTERM (the signal is delivered again once
the temp file is gone, so the process still ends as it would have). Only SIGKILL can leave
one behind; its name carries the writer's process id, and the next write to the same file
removes temp files whose writer is no longer running.
"""

from __future__ import annotations

import contextlib
import glob
import os
import signal
import stat
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO


class _Terminated(BaseException):
    """SIGTERM arrived while a temp file was open."""


def _temp_prefix(target: Path) -> str:
    return f".{target.name}."


def _writer_running(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: running
        return True
    return True


def remove_stale_temps(target: Path) -> list[Path]:
    """Delete temp files of ``target`` left by writers that were killed; returns them."""
    if os.name != "posix":  # os.kill(pid, 0) means something else elsewhere
        return []
    prefix = _temp_prefix(target)
    removed = []
    for candidate in target.parent.glob(f"{glob.escape(prefix)}*.tmp"):
        pid = candidate.name[len(prefix):].split(".", 1)[0]
        if pid.isdigit() and not _writer_running(int(pid)):
            with contextlib.suppress(OSError):
                candidate.unlink()
                removed.append(candidate)
    return removed


@contextlib.contextmanager
def _terminate_as_exception() -> Iterator[None]:
    """Turn SIGTERM into an exception while the body runs (main thread only: Python runs
    signal handlers there), so the caller's cleanup runs; then deliver it again."""
    previous = (signal.getsignal(signal.SIGTERM)
                if threading.current_thread() is threading.main_thread() else None)
    if previous is None:  # not the main thread, or a handler Python did not install
        yield
        return

    def raise_terminated(signum: int, frame: object) -> None:
        raise _Terminated()

    signal.signal(signal.SIGTERM, raise_terminated)
    try:
        yield
    except _Terminated:
        signal.signal(signal.SIGTERM, previous)
        signal.raise_signal(signal.SIGTERM)  # as if it came now, the temp file gone
        # the process's own handler ran and returned: the write did not happen
        raise InterruptedError("the write was interrupted by SIGTERM") from None
    finally:
        signal.signal(signal.SIGTERM, previous)


def _file_mode(target: Path) -> int:
    """The permissions ``target`` should end with: its own when it exists, else what
    ``open()`` would give a new file (0666 less the umask; 0644 under the usual 022).
    mkstemp makes its file 0600, which a plain rename would hand on to the user's file."""
    try:
        return stat.S_IMODE(target.stat().st_mode)
    except OSError:
        return 0o666 & ~_umask()


def _umask() -> int:
    try:  # Linux says it without changing it (os.umask can only set, racing other threads)
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def atomic_write(path: str | os.PathLike[str], write: Callable[[BinaryIO], None]) -> Path:
    """Call ``write(handle)`` on a temp file beside ``path``, then rename it to ``path``
    (keeping the permissions the file had, or giving a new one the usual ones)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temps(target)
    mode = _file_mode(target)
    with _terminate_as_exception():
        fd, tmp = tempfile.mkstemp(prefix=f"{_temp_prefix(target)}{os.getpid()}.",
                                   suffix=".tmp", dir=target.parent)
        try:
            with os.fdopen(fd, "wb") as handle:
                write(handle)
                handle.flush()
                os.fchmod(handle.fileno(), mode)
                os.fsync(handle.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    return target


def atomic_write_text(path: str | os.PathLike[str], text: str) -> Path:
    """Write UTF-8 text atomically."""
    return atomic_write(path, lambda handle: handle.write(text.encode("utf-8")))
