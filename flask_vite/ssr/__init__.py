"""Server-side rendering in V8, without Node.js.

:class:`~flask_vite.ssr.process.SsrProcess` runs modules transformed for
Vite's module runner in a child process with one V8 isolate
(:mod:`flask_vite.ssr.child`, :file:`runner.js`, the web-platform shims of
:file:`runtime/`). Errors are in :mod:`flask_vite.ssr.errors`.
"""
from __future__ import annotations

from .errors import SsrCrashed as SsrCrashed
from .errors import SsrError as SsrError
from .errors import SsrFetchTypeError as SsrFetchTypeError
from .errors import SsrModuleNotFound as SsrModuleNotFound
from .errors import SsrNodeBuiltinError as SsrNodeBuiltinError
from .errors import SsrOutOfMemory as SsrOutOfMemory
from .errors import SsrTimeout as SsrTimeout
from .errors import StackFrame as StackFrame
from .fetch import FetchRequest as FetchRequest
from .fetch import FetchResponse as FetchResponse
from .process import MODULE_FORMATS as MODULE_FORMATS
from .process import ModuleSource as ModuleSource
from .process import SsrModule as SsrModule
from .process import SsrProcess as SsrProcess
