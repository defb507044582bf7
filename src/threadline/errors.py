"""Threadline's exceptions: one root, a small tree, structured fields.

Every error Threadline raises on purpose derives from :class:`ThreadlineError`, so each entry point
(the CLI, the web application) converts errors in one place::

    ThreadlineError
     ├─ ConfigError          settings, mapping files or profiles are wrong
     ├─ NotFound             a case, exhibit or other object does not exist
     ├─ Conflict             the object already exists (duplicate exhibit reference, case reference)
     ├─ PermissionDenied     the user may not do this (missing justification, refused marking)
 │   ├─ NotSignedIn      the web request carries no live session
 │   └─ CsrfRefused      a state-changing web request lacks its session's CSRF token
     ├─ IntegrityError       an exhibit's bytes no longer match its registered hash
     ├─ AuditChainBroken     the audit log's hash chain does not verify
     ├─ StoreError           a store could not be read or written
     └─ IngestError          an exhibit could not be ingested
         ├─ NotThisFormat    a parser was handed a file it does not read
         ├─ NoMatchingProfile  no mapping profile fits a tabular exhibit
         ├─ HostileInput     the file is refused as unsafe (zip bomb, XML entities, path traversal)
         └─ ParseError       continuing would produce ambiguous evidence; names the place

Exceptions carry the place they concern (``path``, ``locator``) as fields, not only as text, so
callers can show them and tests can assert on them.
"""

from __future__ import annotations


class ThreadlineError(Exception):
    """Root of every error Threadline raises on purpose."""

    #: Process exit status the CLI uses for this error (mapped in one place, the CLI boundary).
    exit_code: int = 1


class ConfigError(ThreadlineError):
    """Raised when settings, a mapping file or a profile is invalid."""

    exit_code = 2


class NotFound(ThreadlineError):
    """Raised when a named case, exhibit, run or other object does not exist."""

    exit_code = 3


class Conflict(ThreadlineError):
    """Raised when an object with the same identity already exists."""

    exit_code = 4


class PermissionDenied(ThreadlineError):
    """Raised when the action is refused by policy (justification missing, marking refused)."""

    exit_code = 5


class NotSignedIn(PermissionDenied):
    """Raised when a web request needs a signed-in user and has none (or the session ended)."""


class CsrfRefused(PermissionDenied):
    """Raised when a state-changing web request does not carry its CSRF token."""


class IntegrityError(ThreadlineError):
    """Raised when an exhibit's bytes no longer match the SHA-256 recorded at registration."""

    exit_code = 6

    def __init__(self, message: str, *, path: str | None = None) -> None:
        super().__init__(message)
        self.path = path


class AuditChainBroken(ThreadlineError):
    """Raised when the audit log's hash chain fails verification."""

    exit_code = 7


class StoreError(ThreadlineError):
    """Raised when a store cannot be opened, read or written."""

    exit_code = 8


class IngestError(ThreadlineError):
    """Raised when an exhibit cannot be ingested.

    Args:
        message: what went wrong, for a person.
        path: the file concerned (relative to the exhibit root where there is one).
        locator: the place inside the file (``row=12``, ``byte=4096``, ``sheet=Calls!row=3``).
    """

    exit_code = 9

    def __init__(
        self, message: str, *, path: str | None = None, locator: str | None = None
    ) -> None:
        place = ", ".join(part for part in (path, locator) if part)
        super().__init__(f"{place}: {message}" if place else message)
        self.path = path
        self.locator = locator
        self.detail = message


class NotThisFormat(IngestError):
    """Raised by a parser handed a file it does not read; the registry tries the next one."""


class NoMatchingProfile(IngestError):
    """Raised when a tabular exhibit's layout matches no mapping profile."""


class HostileInput(IngestError):
    """Raised when input is refused as unsafe: zip bombs, XML entities, path traversal."""


class ParseError(IngestError):
    """Raised when continuing would produce ambiguous evidence."""
