"""Exceptions raised by flask-vite.

Every expected failure is a :class:`ViteError` subclass with a short
machine-readable ``code`` (handlers map codes to HTTP statuses) and a message
that says what to do about it.
"""
from __future__ import annotations

import typing as t


class ViteError(Exception):
    """Base class of every error flask-vite raises on purpose."""

    code: str = "VITE_ERROR"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else ""


class ConfigError(ViteError):
    """A ``VITE_*`` setting has a bad value. The message names the key."""

    code = "CONFIG"

    def __init__(self, key: str, message: str) -> None:
        super().__init__(f"{key}: {message}")
        self.key = key


class EsbuildBinaryError(ViteError):
    """The esbuild binary could not be found, fetched or verified."""

    code = "ESBUILD_BINARY"


class EsbuildServiceError(ViteError):
    """The esbuild service process failed or closed unexpectedly."""

    code = "ESBUILD_SERVICE"


class EsbuildMessage(t.NamedTuple):
    """One error or warning reported by esbuild."""

    text: str
    file: str | None = None
    line: int | None = None  # 1-based, as esbuild reports it
    column: int | None = None  # 0-based, as esbuild reports it
    line_text: str | None = None
    plugin_name: str = ""
    notes: tuple[str, ...] = ()
    #: esbuild's identifier of the kind of message (``"css-syntax-error"``), or ``""``.
    id: str = ""

    def format(self) -> str:
        where = ""
        if self.file:
            where = self.file
            if self.line is not None:
                where += f":{self.line}:{self.column or 0}"
            where += ": "
        text = f"{where}{'[plugin ' + self.plugin_name + '] ' if self.plugin_name else ''}{self.text}"
        if self.line_text is not None:
            text += f"\n    {self.line_text}"
            if self.column is not None:
                text += "\n    " + " " * self.column + "^"
        return text


class EsbuildError(ViteError):
    """esbuild reported errors for a transform or a build.

    :attr:`errors` and :attr:`warnings` hold every message with its file,
    line and column; the exception text summarises the first few.
    """

    code = "ESBUILD"

    def __init__(
        self,
        errors: t.Sequence[EsbuildMessage],
        warnings: t.Sequence[EsbuildMessage] = (),
        *,
        summary: str = "esbuild failed",
    ) -> None:
        self.errors = list(errors)
        self.warnings = list(warnings)
        shown = "\n".join(e.format() for e in self.errors[:5])
        more = len(self.errors) - 5
        if more > 0:
            shown += f"\n... and {more} more error{'s' if more > 1 else ''}"
        super().__init__(f"{summary} with {len(self.errors)} error"
                         f"{'s' if len(self.errors) != 1 else ''}:\n{shown}")


class RegistryError(ViteError):
    """The npm registry could not give what was asked for.

    The message names the package (and version or range) at fault.
    """

    code = "REGISTRY"


class IntegrityError(RegistryError):
    """A downloaded tarball does not match its ``dist.integrity``."""

    code = "INTEGRITY"


class TarballError(ViteError):
    """A package tarball is unsafe or malformed (path escapes, size limits)."""

    code = "TARBALL"
