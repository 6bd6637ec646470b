"""What a build prints: one line per step, then the table of files with their sizes.

Modelled on Vite's reporter::

    flask-vite building client environment for production...
    transforming...
    ✓ 20 modules transformed.
    rendering chunks...
    computing gzip size...
    dist/client/index.html                   0.50 kB │ gzip:  0.32 kB
    dist/client/assets/index-D64VDMd1.css    4.10 kB │ gzip:  1.47 kB
    dist/client/assets/index-Cev0nqI1.js   222.58 kB │ gzip: 69.33 kB
    ✓ built in 330ms

Files are grouped as Vite does (HTML and assets, then CSS, then JavaScript),
smallest first in each group; gzip sizes are shown for text files only.
"""
from __future__ import annotations

import dataclasses
import gzip
import sys
import typing as t

import click

#: Vite's ``build.chunkSizeWarningLimit``, in kB.
CHUNK_SIZE_WARNING_LIMIT = 500
_COMPRESSIBLE = (".js", ".mjs", ".cjs", ".css", ".html", ".json", ".svg", ".txt", ".xml",
                 ".map", ".webmanifest")


@dataclasses.dataclass(frozen=True)
class ReportedFile:
    #: The path shown (relative to the current folder when inside it).
    path: str
    size: int
    gzip_size: int | None


class Reporter:
    """Prints progress and the summary.

    :param echo: Where lines go (default: standard error's ``click.echo``
        when ``quiet`` is false).
    :param color: Use colors (default: when the output is a terminal).
    """

    def __init__(self, *, echo: t.Callable[[str], None] | None = None, quiet: bool = False,
                 color: bool | None = None) -> None:
        self.quiet = quiet
        self._echo = echo or (lambda line: click.echo(line))
        self.color = sys.stdout.isatty() if color is None else color

    def _style(self, text: str, **style: t.Any) -> str:
        return click.style(text, **style) if self.color else text

    def line(self, text: str) -> None:
        if not self.quiet:
            self._echo(text)

    def begin(self, text: str) -> None:
        """The first line of a step: ``flask-vite <text>``."""
        self.line(f"{self._style('flask-vite', fg='cyan')} {text}")

    def start(self, environment: str, mode: str) -> None:
        self.begin(f"building {environment} environment for {self._style(mode, fg='green')}...")

    def step(self, text: str) -> None:
        self.line(text)

    def done(self, text: str) -> None:
        self.line(f"{self._style('✓', fg='green')} {text}")

    def warn(self, text: str) -> None:
        if not self.quiet:
            click.echo(self._style(text, fg="yellow"), err=True)

    def files(self, files: t.Sequence[tuple[str, bytes]], *, gzip_sizes: bool = True,
              warn_large: bool = True) -> None:
        """The table of written files: ``(path shown, contents)``.

        :param warn_large: Warn about JavaScript over the chunk size limit
            (client builds: what browsers download).
        """
        if self.quiet or not files:
            return
        if gzip_sizes:
            self.step("computing gzip size...")
        rows = sorted((_report(path, data, gzip_sizes) for path, data in files),
                      key=lambda r: (_group(r.path), r.size))
        width = max(len(r.path) for r in rows)
        size_width = max(len(_kb(r.size)) for r in rows)
        gz_width = max((len(_kb(r.gzip_size)) for r in rows if r.gzip_size is not None),
                       default=0)
        for row in rows:
            folder, _, name = row.path.rpartition("/")
            shown = self._style(folder + "/", dim=True) + self._style(name, fg=_color(row.path)) \
                if folder else self._style(name, fg=_color(row.path))
            pad = " " * (width - len(row.path) + 2)
            text = f"{shown}{pad}{_kb(row.size).rjust(size_width)}"
            if row.gzip_size is not None:
                text += self._style(f" │ gzip: {_kb(row.gzip_size).rjust(gz_width)}", dim=True)
            self.line(text)
        big = [r.path for r in rows if warn_large and r.path.endswith(".js")
               and r.size / 1000 > CHUNK_SIZE_WARNING_LIMIT]
        if big:
            self.warn(f"(!) Some chunks are larger than {CHUNK_SIZE_WARNING_LIMIT} kB after"
                      " minification: " + ", ".join(big) + ". Consider splitting them with"
                      " dynamic import().")

    def built(self, seconds: float, what: str = "built") -> None:
        """``✓ built in 330ms`` (or ``✓ <what> in ...``)."""
        self.done(f"{what} in {_duration(seconds)}")


def _report(path: str, data: bytes, gzip_sizes: bool) -> ReportedFile:
    compressed = None
    if gzip_sizes and path.endswith(_COMPRESSIBLE):
        compressed = len(gzip.compress(data, compresslevel=6, mtime=0))  # zlib's default
    return ReportedFile(path, len(data), compressed)


def _group(path: str) -> int:
    if path.endswith((".js", ".mjs", ".cjs")):
        return 2
    if path.endswith(".css"):
        return 1
    return 0


def _color(path: str) -> str:
    if path.endswith((".js", ".mjs", ".cjs")):
        return "cyan"
    if path.endswith(".css"):
        return "magenta"
    return "green"


def _kb(size: int | None) -> str:
    return f"{(size or 0) / 1000:,.2f} kB"


def _duration(seconds: float) -> str:
    return f"{seconds * 1000:.0f}ms" if seconds < 1 else f"{seconds:.2f}s"
