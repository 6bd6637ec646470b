"""Exceptions of the SSR runtime.

Every one is a :class:`~flask_vite.errors.ViteError` with a ``code``. A
JavaScript exception becomes :class:`SsrError` with V8's stack text and the
frames as ``(url, line, column)`` in the code that was shipped (the module
wrapper's line is already taken off), ready to map through source maps.
"""
from __future__ import annotations

import typing as t

from ..errors import ViteError


class StackFrame(t.NamedTuple):
    """One frame of a JavaScript stack, as V8 reports it."""

    #: The module URL (its ``//# sourceURL``), or a runtime file
    #: (``flask-vite:ssr/runtime/timers.js``).
    url: str
    #: 1-based line in the shipped (transformed) code.
    line: int
    #: 1-based column, as in V8's stack text (source maps count from 0).
    column: int


class SsrError(ViteError):
    """JavaScript threw while a module was evaluated or an export called.

    :param message: The JS error's message.
    :param stack: V8's stack text (``Error: message\\n    at ...``).
    :param frames: The frames of ``stack`` that have a location.
    :param name: The JS error's name (``TypeError`` …).
    """

    code = "SSR_ERROR"

    def __init__(self, message: str, stack: str = "", frames: t.Sequence[StackFrame] = (),
                 *, name: str = "Error") -> None:
        super().__init__(message)
        self.stack = stack
        self.frames: list[StackFrame] = list(frames)
        self.name = name

    def __str__(self) -> str:
        return self.stack or self.message


class SsrModuleNotFound(SsrError):
    """A module was imported that was neither shipped with
    :meth:`~flask_vite.ssr.process.SsrProcess.define_modules` nor returned by
    the ``fetch_module`` callback. Ship it and call again.

    :param url: The missing module.
    :param importer_chain: Who imported it, the entry first.
    """

    code = "SSR_MODULE_NOT_FOUND"

    def __init__(self, url: str, importer_chain: t.Sequence[str], message: str | None = None,
                 stack: str = "", frames: t.Sequence[StackFrame] = ()) -> None:
        self.url = url
        self.importer_chain = tuple(importer_chain)
        if message is None:
            message = f'Module "{url}" is not defined in the SSR runtime'
            if self.importer_chain:
                message += f" (import chain: {' -> '.join(self.chain)})"
        super().__init__(message, stack, frames)

    @property
    def chain(self) -> tuple[str, ...]:
        """The importers and the missing module: ``entry -> … -> url``."""
        return (*self.importer_chain, self.url)


class SsrNodeBuiltinError(SsrError):
    """A module imports a Node.js builtin (``node:fs`` …), which V8 without
    Node does not have. The message names the import chain.

    :param builtin: The builtin, with its ``node:`` prefix.
    :param importer_chain: Who imported it, the entry first.
    """

    code = "SSR_NODE_BUILTIN"

    def __init__(self, builtin: str, importer_chain: t.Sequence[str], message: str,
                 stack: str = "", frames: t.Sequence[StackFrame] = ()) -> None:
        self.builtin = builtin
        self.importer_chain = tuple(importer_chain)
        super().__init__(message, stack, frames)


class SsrFetchTypeError(SsrError, TypeError):
    """A fetch handler was dispatched to, and the entry has none, or it
    returned something that is not a ``Response`` (or ``Response.error()``).
    Vite's ``FetchableDevEnvironment.dispatchFetch`` throws a ``TypeError``
    then; so is this one. The message names the entry and what came back."""

    code = "SSR_FETCH_TYPE"


class SsrTimeout(SsrError):
    """A call did not finish within its timeout. If JavaScript was still
    running, the child was killed and a new one started; the modules were
    shipped to it again, so the next call works."""

    code = "SSR_TIMEOUT"


class SsrOutOfMemory(SsrError):
    """The isolate reached its heap limit. The child was replaced; the
    modules were shipped to the new one."""

    code = "SSR_OUT_OF_MEMORY"


class SsrCrashed(SsrError):
    """The renderer child died or failed (not a JavaScript exception): the
    message has its exit status and the end of its output. A new child is
    started for the next call."""

    code = "SSR_CRASHED"
