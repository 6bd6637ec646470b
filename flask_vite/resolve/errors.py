"""Errors of module resolution.

The codes follow Node's (``ERR_PACKAGE_PATH_NOT_EXPORTED`` …) so that a user
who searches for one finds Node's documentation, which describes the same
rule. Every message names the package (its ``package.json`` path), the
subpath or specifier, and, when known, the importer.
"""
from __future__ import annotations

from ..errors import ViteError


class ResolveError(ViteError):
    """A specifier could not be resolved for a reason worth reporting.

    A plain miss (no such file, no such package) is not an error: resolvers
    return ``None`` so the next plugin can try. These are raised when a
    package *is* found but its ``package.json`` forbids or breaks the import.
    """

    code = "RESOLVE"


class PackagePathNotExported(ResolveError):
    """The subpath is not in the package's ``exports`` (or maps to ``null``)."""

    code = "ERR_PACKAGE_PATH_NOT_EXPORTED"


class PackageImportNotDefined(ResolveError):
    """A ``#specifier`` is not in the ``imports`` of the importer's package."""

    code = "ERR_PACKAGE_IMPORT_NOT_DEFINED"


class InvalidPackageTarget(ResolveError):
    """An ``exports``/``imports`` target is not a ``./`` path inside the package."""

    code = "ERR_INVALID_PACKAGE_TARGET"


class InvalidPackageConfig(ResolveError):
    """``exports`` mixes ``.`` subpath keys with condition keys, or uses numeric keys."""

    code = "ERR_INVALID_PACKAGE_CONFIG"


class InvalidModuleSpecifier(ResolveError):
    """A specifier that can never resolve (``#``, ``#/x``, ``..`` in a pattern match)."""

    code = "ERR_INVALID_MODULE_SPECIFIER"


class PackageEntryError(ResolveError):
    """A package was found but none of its entry fields points at a file."""

    code = "ERR_RESOLVE_PACKAGE_ENTRY_FAIL"


class TsconfigError(ResolveError):
    """A ``tsconfig.json`` cannot be read, or its ``extends`` cannot be found."""

    code = "TSCONFIG"
