"""Writing the files of a run: atomically, with the umask's permissions, and one session per path.

Every report, card, plot and page goes through :func:`write_atomic`. A reader sees the old
file or the new one, never half of one. The temporary file carries the writer's process id, so a
temporary file left behind by a process that was killed is removed by the next write of the same
path. :func:`claim` and :func:`release` mark a path as being written by one session, so that a
second session writing the same path can say so instead of silently overwriting it.
"""

from __future__ import annotations

import os
import re
import stat
import tempfile
from pathlib import Path

__all__ = ["claim", "release", "write_atomic"]


def _umask() -> int:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def file_mode(target: Path) -> int:
    """The permissions of a file written to ``target``: those it has, or what the umask gives a new file.

    >>> import tempfile, pathlib
    >>> file_mode(pathlib.Path(tempfile.gettempdir()) / "no-such-file") == 0o666 & ~_umask()
    True
    """
    try:
        return stat.S_IMODE(target.stat().st_mode)
    except OSError:
        return 0o666 & ~_umask()


def _alive(pid: int) -> bool:
    if os.name == "nt" or pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def _temporary_prefix(target: Path) -> str:
    return f".{target.name}.{os.getpid()}."


def sweep(target: Path) -> list[Path]:
    """Remove the temporary files a killed writer left beside ``target``; return them.

    Only files named like this module's temporary files of ``target`` whose process no longer
    runs are removed.
    """
    pattern = re.compile(rf"\.{re.escape(target.name)}\.(\d+)\.[^.]+\.tmp")
    removed: list[Path] = []
    try:
        entries = list(target.parent.iterdir())
    except OSError:
        return removed
    for entry in entries:
        match = pattern.fullmatch(entry.name)
        if match and not _alive(int(match.group(1))):
            try:
                entry.unlink()
            except OSError:
                continue
            removed.append(entry)
    return removed


def write_atomic(path: str | os.PathLike[str], data: str | bytes) -> Path:
    """Write ``data`` (text as UTF-8, or bytes) to ``path`` through a temporary file, fsync and rename.

    A reader sees the old file or the new one, never a half-written file; if anything fails
    (an interrupt too), the temporary file is removed and the old file is left untouched. A new
    file gets the permissions the umask gives, a replaced one keeps its own.

    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> write_atomic(folder / "out.txt", "hello").read_text()
    'hello'
    >>> sorted(p.name for p in folder.iterdir())
    ['out.txt']
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    sweep(target)
    mode = file_mode(target)
    payload = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    fd, tmp = tempfile.mkstemp(prefix=_temporary_prefix(target), suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def _lock(target: Path) -> Path:
    return target.with_name(f".{target.name}.lock")


def claim(path: str | os.PathLike[str]) -> int | None:
    """Mark ``path`` as written by this process; the id of another live process that holds it, or ``None``.

    A mark left by a process that no longer runs is taken over.

    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "report.json"
    >>> claim(target) is None, claim(target) is None
    (True, True)
    >>> release(target)
    """
    target = Path(path)
    lock = _lock(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    for _ in range(2):
        try:
            fd = os.open(lock, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:
            try:
                holder = int(lock.read_text().strip() or 0)
            except (OSError, ValueError):
                holder = 0
            if holder == os.getpid():
                return None
            if holder and _alive(holder):
                return holder
            lock.unlink(missing_ok=True)
            continue
        except OSError:
            return None
        with os.fdopen(fd, "w") as fh:
            fh.write(str(os.getpid()))
        return None
    return None


def release(path: str | os.PathLike[str]) -> None:
    """Remove this process's mark on ``path`` (see :func:`claim`); another process's mark stays."""
    lock = _lock(Path(path))
    try:
        if lock.read_text().strip() == str(os.getpid()):
            lock.unlink()
    except OSError:
        pass
