"""The one small error hierarchy of `summarize`.

Every error the library raises on purpose is a :class:`SummarizeError`; its message says
what went wrong and how to fix it. The CLI turns any of them into one line and a non-zero
exit code.

Every code says whether trying again can help: 75 (:class:`StoreBusyError`) is the only
temporary one, so a scheduler retries on it and alerts a person on any other.
"""

from __future__ import annotations

import errno


class SummarizeError(Exception):
    """Base class of every error raised on purpose by `summarize`."""

    exit_code = 1


class InputError(SummarizeError):
    """The input articles cannot be used as given (empty, binary, malformed, ...)."""

    exit_code = 2


class ResourceMissingError(SummarizeError):
    """A model or data resource is not installed; the message names what to install."""

    exit_code = 3


class ModelError(SummarizeError):
    """A model was found but could not be loaded or run (bad checksum, wrong format, ...)."""

    exit_code = 4


class OutputError(SummarizeError):
    """A result could not be written or read back (bad path, invalid saved JSON, ...)."""

    exit_code = 5


class StoreError(OutputError):
    """The digest store cannot be used, and trying again will not help until a person acts:
    its file or folder is read-only or not permitted, the disk (or quota) is full, the file
    is damaged, or an I/O error. A subclass of :class:`OutputError` with a code of its own."""

    exit_code = 6


class StoreBusyError(SummarizeError):
    """A temporary failure, try again later: another run holds the digest store, SQLite
    reported the store busy or locked, or the system answered "try again" (``EAGAIN``,
    ``EBUSY``, ...)."""

    exit_code = 75  # EX_TEMPFAIL from sysexits.h: schedulers retry on it


# Errnos that mean "not now": the same call may well succeed later. Every other errno
# (EROFS, EACCES, EPERM, ENOSPC, EDQUOT, EIO, ...) is permanent until a person acts.
TEMPORARY_ERRNOS = frozenset({errno.EAGAIN, errno.EWOULDBLOCK, errno.EBUSY, errno.EINTR,
                              errno.ETXTBSY, errno.ENOLCK})


def os_error(exc: OSError, what: str, permanent: type[SummarizeError] = OutputError) -> SummarizeError:
    """The error to raise for ``exc`` met while doing ``what`` (``"<path>: cannot ..."``):
    :class:`StoreBusyError` for a temporary errno, else ``permanent``."""
    reason = exc.strerror or str(exc)
    if exc.errno in TEMPORARY_ERRNOS:
        return StoreBusyError(f"{what}: {reason}; try again later")
    return permanent(f"{what}: {reason}")
