"""The one small error hierarchy of `summarize`.

Every error the library raises on purpose is a :class:`SummarizeError`; its message says
what went wrong and how to fix it. The CLI turns any of them into one line and a non-zero
exit code.
"""

from __future__ import annotations


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


class StoreBusyError(SummarizeError):
    """Another run holds the digest store, or SQLite reported a temporary failure: try again
    later."""

    exit_code = 75  # EX_TEMPFAIL from sysexits.h: schedulers retry on it
