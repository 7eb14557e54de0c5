"""One refresh at a time per working database: an OS file lock beside it.

`flock` is released by the kernel when the holding process ends, however it ends (a SIGKILLed
refresh never leaves a stale lock). The lock is re-entrant within the process that holds it: the
command line takes it, then runs the Dagster jobs in process, whose steps take it again.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

BUSY_EXIT_CODE = 75  # EX_TEMPFAIL: try again later


class RefreshBusy(RuntimeError):
    """Another process holds the refresh lock."""


_held: dict[Path, list[int]] = {}  # lock file -> [fd, depth] held by this process
_guard = threading.Lock()


def lock_path(work_db: Path) -> Path:
    return work_db.parent / f"{work_db.name}.refresh.lock"


def _holder(fd: int) -> str:
    """What the holder wrote into the lock file: `pid N since HH:MM:SS` (empty while it writes)."""
    try:
        info = json.loads(os.pread(fd, 4096, 0).decode("utf-8"))
        since = datetime.fromisoformat(info["since"]).strftime("%H:%M:%S")
        where = "" if info.get("host") == socket.gethostname() else f" on {info.get('host')}"
        return f" (pid {info['pid']}{where} since {since})"
    except (ValueError, KeyError, TypeError):
        return ""


def holder_pid(work_db: Path) -> int | None:
    """The pid written by the process that holds (or last held) the lock, if any."""
    try:
        return int(json.loads(lock_path(work_db).read_text(encoding="utf-8"))["pid"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def is_locked(work_db: Path) -> bool:
    """Whether some process (this one included) holds the lock."""
    path = lock_path(work_db).resolve()
    if path in _held:
        return True
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        return False
    except BlockingIOError:
        return True
    finally:
        os.close(fd)


@contextmanager
def refresh_lock(work_db: Path) -> Iterator[None]:
    """Hold the refresh lock of this working database; RefreshBusy at once when another process has it."""
    path = lock_path(work_db)
    path.parent.mkdir(parents=True, exist_ok=True)
    path = path.resolve()
    with _guard:
        entry = _held.get(path)
        if entry is not None:
            entry[1] += 1
        else:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = _holder(fd)
                os.close(fd)
                raise RefreshBusy(f"another refresh is running{holder}; try again when it ends") from None
            info = {"pid": os.getpid(), "host": socket.gethostname(), "since": datetime.now().isoformat()}
            os.ftruncate(fd, 0)
            os.pwrite(fd, json.dumps(info).encode("utf-8"), 0)
            _held[path] = [fd, 1]
    try:
        yield
    finally:
        with _guard:
            entry = _held[path]
            entry[1] -= 1
            if entry[1] == 0:
                del _held[path]
                fcntl.flock(entry[0], fcntl.LOCK_UN)
                os.close(entry[0])
