"""Module resolution for the dev server, the SSR environment and the build.

- :mod:`.exports`: ``package.json`` ``exports``/``imports`` (pure);
- :mod:`.packages`: reading and finding ``package.json`` files, Node built-ins;
- :mod:`.node`: files, folders, ``node_modules`` packages and their fields;
- :mod:`.tsconfig`: the ``tsconfig.json`` governing a file, for ``paths`` and esbuild.

The ``vite:resolve`` plugin that puts them together is
:mod:`flask_vite.plugins.resolve`.
"""
from __future__ import annotations

from .errors import PackagePathNotExported as PackagePathNotExported
from .errors import ResolveError as ResolveError
from .exports import resolve_exports as resolve_exports
from .exports import resolve_imports as resolve_imports
from .node import NodeResolveOptions as NodeResolveOptions
from .node import NodeResolver as NodeResolver
from .node import Resolution as Resolution
from .packages import PackageCache as PackageCache
from .packages import PackageData as PackageData
from .tsconfig import TsconfigCache as TsconfigCache
from .tsconfig import esbuild_tsconfig_raw as esbuild_tsconfig_raw
