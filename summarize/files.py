"""Writing output files so that nobody ever reads half of one.

Each text goes to a temporary file beside its target, is flushed to disk, and is renamed
over the target. Several files are renamed only once all of them are written, back to
back, so a run killed while writing leaves the previous set whole.

A written file gets the mode a plain ``open(path, "w")`` would give a new file: ``0666``
masked by the process umask (``0644`` under the usual ``022``), not the ``0600`` of
:func:`tempfile.mkstemp`, so a web server can read the pages. The mode of a file being
replaced is not kept (an earlier version wrote ``0600``).

Errors: :func:`summarize.errors.os_error` decides; a temporary errno (``EAGAIN``, ``EBUSY``,
...) is a :class:`~summarize.errors.StoreBusyError` (exit 75, retry), any other (read-only,
permission, disk full, quota) an :class:`~summarize.errors.OutputError`.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path

from summarize.errors import OutputError, SummarizeError, os_error


def _umask() -> int:
    """The process umask, read without changing it where Linux tells it (``/proc``)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)  # elsewhere: set and restore (not thread-safe, but brief)
    os.umask(mask)
    return mask


def write_atomic(path: Path | str, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file, flushed to disk, and a rename."""
    write_all_atomic({Path(path): text})


def write_all_atomic(files: Mapping[Path, str]) -> None:
    """Write every ``path -> text``; the renames come after the last file is on disk.

    Raises:
        OutputError: a folder is missing, or a file cannot be written (permissions, disk
            full); no temporary file is left behind and no target is changed.
        StoreBusyError: the system answered "try again" (``EAGAIN``, ``EBUSY``, ...).
    """
    mode = 0o666 & ~_umask()
    written: list[tuple[str, Path]] = []
    path = Path()
    try:
        for path, text in files.items():
            path = Path(path)
            directory = path.parent if str(path.parent) else Path(".")
            if not directory.is_dir():
                raise OutputError(f"{path}: the folder {directory} does not exist")
            fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
            written.append((tmp, path))
            os.fchmod(fd, mode)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
        for tmp, path in written:
            os.replace(tmp, path)
    except BaseException as exc:
        for tmp, _ in written:
            Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise os_error(exc, f"{path}: cannot write") from exc
        raise


def ensure_folder(folder: Path, what: str, error: type[SummarizeError] = OutputError) -> Path:
    """Create ``folder`` (and its parents) if needed; a failure is an ``error`` (a temporary
    errno a :class:`~summarize.errors.StoreBusyError`)."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise os_error(exc, f"{folder}: cannot create the {what} folder", error) from exc
    return folder


def remove_stale_temps(directory: Path, names: tuple[str, ...]) -> None:
    """Remove the temporary files of ``names`` that a killed writer left in ``directory``."""
    for name in names:
        for stale in directory.glob(f".{name}.*.tmp"):
            stale.unlink(missing_ok=True)


@contextlib.contextmanager
def exclusive(lock_path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``lock_path`` (created if missing) for the ``with`` block.

    For one-time work in a shared cache (a model conversion, an ONNX export): two processes
    doing it at once would both spend the time and memory, so one waits, then reuses the
    other's result. Where ``fcntl`` is missing (not POSIX) nothing is locked; callers still
    publish with an atomic rename, which keeps the cache consistent.
    """
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    try:
        import fcntl
    except ImportError:
        yield
        return
    with open(lock_path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def cache_root() -> Path:
    """The root of summarize's cache (converted models, ONNX exports).

    ``$SUMMARIZE_CACHE_DIR`` if set, else ``$XDG_CACHE_HOME/summarize``, else
    ``~/.cache/summarize``. Nothing is created here.
    """
    explicit = os.environ.get("SUMMARIZE_CACHE_DIR")
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "summarize"
