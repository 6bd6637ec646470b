"""What the module pipeline hands to the dev server for one URL."""
from __future__ import annotations

import dataclasses
import hashlib
import typing as t


@dataclasses.dataclass
class TransformResult:
    """A module after ``resolve_id`` → ``load`` → ``transform``.

    ``code`` is JavaScript for JS/TS/CSS-as-module/JSON/asset imports, or
    the raw CSS text for a ``<link>``-requested stylesheet.
    """

    code: str
    #: Source map (a dict as decoded from JSON), or ``None``.
    map: dict[str, t.Any] | None = None
    #: Weak ETag of ``code``, used for ``If-None-Match`` → 304.
    etag: str = ""
    #: ``text/javascript`` unless the module is served as something else.
    content_type: str = "text/javascript"
    #: What the dev server sent for this result, by content type: the code
    #: with its inline source map, encoded (made once, sent many times).
    served: dict[str, bytes] = dataclasses.field(
        default_factory=dict, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        if not self.etag:
            self.etag = make_etag(self.code)


def make_etag(code: str) -> str:
    """A weak ETag for served text, as Vite's ``etag({weak: true})``."""
    digest = hashlib.sha1(code.encode("utf-8", "surrogatepass")).hexdigest()[:27]
    return f'W/"{len(code):x}-{digest}"'
