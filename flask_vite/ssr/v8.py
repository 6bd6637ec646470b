"""The V8 binding, behind the small interface the renderer child needs.

Only this module knows the binding: ``mini-racer`` (import name
``py_mini_racer``), chosen by measurement (``benchmarks/v8_bindings.py``):
V8 14 with Intl and ICU data, maintained, and wheels for macOS arm64/x86_64,
Linux x86_64/arm64 (glibc and musl) and Windows -- ``py-mini-racer`` 0.6.0
(V8 8.9, 2021) has no Intl at all and no arm64 wheels.

It runs only in the renderer child (:mod:`flask_vite.ssr.child`), never in the
web process: mini-racer hangs in ``MiniRacer()`` under ``gevent.monkey``, and
a runaway render must be killable without touching the server.
"""
from __future__ import annotations

import asyncio
import re
import typing as t


def v8_heap_cap_mb(heap_limit_mb: int) -> int:
    """V8's own heap cap (``--max-old-space-size``) for a hard limit.

    The binding's hard memory limit stops JavaScript cleanly when a GC finds
    the heap above it; V8's cap is the backstop, and V8 aborts the process
    when an allocation cannot fit under it. The headroom lets a script that
    grows one huge array reach a GC (and the clean stop) first; only a single
    allocation larger than the headroom still aborts the child.
    """
    return heap_limit_mb * 4 + 512


class V8Error(Exception):
    """JavaScript the host evaluated threw (the runtime catches user errors
    itself, so this means a bug in the runtime or a terminated isolate)."""


class V8OutOfMemory(V8Error):
    """The isolate reached its heap limit; it cannot be used any more."""


class V8Isolate:
    """One isolate, used from one thread, inside a running asyncio loop.

    mini-racer sends every call through an asyncio loop of its own, on a
    thread it starts, unless the isolate was created while a loop was
    running in the calling thread: then ``eval`` is a direct call (about
    70 µs instead of 230 µs). The child therefore runs its whole serve loop
    inside ``asyncio.run`` (see :func:`run_in_loop`), synchronously.

    :param heap_limit_mb: Heap size at which JavaScript is stopped.
    """

    def __init__(self, heap_limit_mb: int) -> None:
        from py_mini_racer import MiniRacer, init_mini_racer

        flags = ("--single-threaded", f"--max-old-space-size={v8_heap_cap_mb(heap_limit_mb)}")
        init_mini_racer(flags=flags, ignore_duplicate_init=True)
        self._racer = MiniRacer()
        self._racer.set_hard_memory_limit(heap_limit_mb * 1024 * 1024)

    @property
    def version(self) -> str:
        return str(self._racer.v8_version)

    def eval(self, code: str) -> t.Any:
        """Evaluate ``code`` as a script; return its completion value
        (strings, numbers, booleans and ``None`` come back as such).

        :raises V8OutOfMemory: The heap limit was reached.
        :raises V8Error: The script threw or could not be compiled.
        """
        from py_mini_racer import JSEvalException, JSOOMException

        try:
            value = self._racer.eval(code)
        except JSOOMException as e:
            raise V8OutOfMemory(str(e)) from None
        except JSEvalException as e:
            if self._racer.was_hard_memory_limit_reached():
                raise V8OutOfMemory(str(e)) from None
            raise V8Error(str(e)) from None
        # The limit may stop the microtasks that run after the script
        # returned (an async render): the script's value looks fine then.
        if self._racer.was_hard_memory_limit_reached():
            raise V8OutOfMemory("the heap limit was reached while microtasks ran")
        if isinstance(value, (str, int, float, bool)) or value is None:
            return value
        return None  # objects are not needed across the boundary

    def syntax_error_at(self, source: str) -> tuple[int, int, str] | None:
        """Compile ``source`` -- an expression that evaluates to a function,
        so nothing in it runs -- to find where its SyntaxError is: V8 tells
        JavaScript no position, but it tells the embedder.

        :return: ``(line, column, message)`` in ``source``, 1-based line,
            0-based column; ``None`` if it compiles or the position cannot
            be read.
        """
        from py_mini_racer import JSParseException

        try:
            self._racer.eval(source)
        except JSParseException as e:
            return _parse_position(str(e))
        except Exception:  # noqa: BLE001 - best effort: the caller has the message
            return None
        return None

    def close(self) -> None:
        self._racer.close()


# mini-racer's text for a compile error: "<anonymous>:3: SyntaxError: ...",
# the source line, then a caret line under the offending token.
_POSITION = re.compile(r"^[^\n]*?:(\d+): ([^\n]*)\n([^\n]*)\n( *)\^", re.DOTALL)


def _parse_position(text: str) -> tuple[int, int, str] | None:
    match = _POSITION.match(text)
    if match is None:
        return None
    return int(match.group(1)), len(match.group(4)), match.group(2)


def run_in_loop(main: t.Callable[[], None]) -> None:
    """Run ``main`` (synchronous code that creates a :class:`V8Isolate`)
    inside a running asyncio loop; see :class:`V8Isolate`."""

    async def runner() -> None:
        main()

    asyncio.run(runner())
