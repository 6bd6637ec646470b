"""Resolve a subpath against a ``package.json`` ``exports`` or ``imports`` field.

Pure: no file is read. The caller passes the field's value (as parsed from
JSON, key order kept) and the active conditions, and gets back the target
string the package maps the request to:

>>> resolve_exports({".": {"import": "./esm/index.js", "default": "./cjs/index.js"}},
...                 ".", {"import", "default"})
'./esm/index.js'
>>> resolve_imports({"#dep": {"browser": "dep-browser", "default": "./src/dep.js"}},
...                 "#dep", {"browser"})
'dep-browser'

The algorithm is Node's ``PACKAGE_EXPORTS_RESOLVE`` /
``PACKAGE_IMPORTS_RESOLVE`` (https://nodejs.org/api/esm.html#resolution-algorithm-specification),
which is what Vite gets from the ``resolve.exports`` package, with these points
worth knowing:

- condition objects are read in *key order*; the first key that is
  ``"default"`` or an active condition wins, whatever order the conditions
  were given in. A branch that resolves to nothing falls through to the next
  key;
- arrays are fallbacks: the first entry that is a valid target wins;
- ``null`` means "not exported": the request fails even if a broader pattern
  would match;
- ``*`` patterns are tried most specific first (Node's ``PATTERN_KEY_COMPARE``:
  the longer prefix before ``*`` wins, then the longer key);
- keys ending in ``/`` are the legacy folder mappings Node dropped in v17 but
  ``resolve.exports`` (and therefore Vite) still honours; they sort with the
  patterns by the same rule.

Targets are returned as written with the pattern match substituted:
``"./dist/x.js"`` (relative to the package folder). For ``imports`` a target
may also be a bare specifier (``"dep-browser"``) that the caller resolves from
the package's folder like any bare import.
"""
from __future__ import annotations

import functools
import re
import typing as t

from .errors import (
    InvalidModuleSpecifier,
    InvalidPackageConfig,
    InvalidPackageTarget,
    PackageImportNotDefined,
    PackagePathNotExported,
)

__all__ = [
    "pattern_key_compare",
    "resolve_exports",
    "resolve_imports",
]

# Path segments Node refuses in a target or a pattern match, percent-encoded
# forms included, so that a package cannot reach outside itself or into a
# nested node_modules. Empty segments ("a//b") are only deprecated in Node.
_INVALID_SEGMENT = re.compile(
    r"(?:^|[\\/])(?:(?:\.|%2e)(?:\.|%2e)?|node_modules|%6eode_modules)(?:[\\/]|$)", re.I
)
# A URL scheme ("https:", "node:", "data:") is never a valid package target.
_URL_RE = re.compile(r"^[a-z][a-z0-9+.-]*:", re.I)
_INDEX_KEY = re.compile(r"^\d+$")


def resolve_exports(
    exports: t.Any,
    subpath: str,
    conditions: t.Collection[str],
    *,
    package_json: str = "package.json",
    importer: str | None = None,
) -> str:
    """Map ``subpath`` (``"."`` or ``"./x"``) through an ``exports`` field.

    :param exports: the field's value: a string, an array, a condition
        object or a subpath object (``{".": …, "./x": …}``).
    :param conditions: the active conditions; ``"default"`` always matches.
    :param package_json: the ``package.json`` path, for messages.
    :param importer: the importing file, for messages.
    :return: the target, ``./``-relative to the package folder.
    :raises PackagePathNotExported: nothing (or ``null``) matches.
    :raises InvalidPackageConfig: subpath keys mixed with condition keys.
    :raises InvalidPackageTarget: the matching target is not a ``./`` path.
    :raises InvalidModuleSpecifier: a pattern match holds ``..`` or similar.
    """
    if subpath != "." and not subpath.startswith("./"):
        subpath = "./" + subpath
    where = _where(package_json, importer)
    walker = _Walker(frozenset(conditions), package_json, where, is_imports=False)
    resolved: str | None = None
    if isinstance(exports, dict):
        dotted = [k.startswith(".") for k in exports]
        if any(dotted) and not all(dotted):
            raise InvalidPackageConfig(
                f'Invalid package config {package_json}: "exports" cannot mix subpath keys'
                f' (starting with ".") with condition keys ({", ".join(map(repr, exports))}).'
            )
        if not any(dotted):
            # Sugar: a condition object at the top stands for {".": {...}}.
            exports = {".": exports}
    elif exports is not None:
        # Sugar: a string or an array at the top is the "." main export.
        exports = {".": exports}
    if isinstance(exports, dict):
        if subpath == "." and "." in exports:
            resolved = walker.target(exports["."], None, subpath)
        elif subpath != ".":
            resolved = walker.match(subpath, exports)
    if resolved is None:
        if subpath == ".":
            raise PackagePathNotExported(
                f'No "exports" main defined in {package_json}{where}{walker.hint()}'
            )
        raise PackagePathNotExported(
            f"Package subpath '{subpath}' is not defined by \"exports\" in"
            f" {package_json}{where}{walker.hint()}"
        )
    return resolved


def resolve_imports(
    imports: t.Any,
    specifier: str,
    conditions: t.Collection[str],
    *,
    package_json: str = "package.json",
    importer: str | None = None,
) -> str:
    """Map a ``#specifier`` through an ``imports`` field.

    :return: a ``./``-relative target, or a bare specifier to resolve from the
        package folder (imports may point at dependencies).
    :raises InvalidModuleSpecifier: ``specifier`` is ``#`` or starts with ``#/``.
    :raises PackageImportNotDefined: nothing (or ``null``) matches.
    """
    where = _where(package_json, importer)
    if not specifier.startswith("#") or specifier == "#" or specifier.startswith("#/"):
        raise InvalidModuleSpecifier(
            f'Invalid module "{specifier}": "#" and "#/" are not valid imports specifiers'
            f" (see {package_json}){where}."
        )
    walker = _Walker(frozenset(conditions), package_json, where, is_imports=True)
    resolved = walker.match(specifier, imports) if isinstance(imports, dict) else None
    if resolved is None:
        raise PackageImportNotDefined(
            f'Package import specifier "{specifier}" is not defined in package'
            f" {package_json}{where}{walker.hint()}"
        )
    return resolved


def pattern_key_compare(a: str, b: str) -> int:
    """Node's ``PATTERN_KEY_COMPARE``: negative when ``a`` is more specific.

    Keys hold one ``*`` or end in ``/``. The longer part up to and including
    the ``*`` wins; a key without ``*`` beats a pattern of the same prefix
    length; then the longer key wins.
    """
    star_a, star_b = a.find("*"), b.find("*")
    base_a = star_a + 1 if star_a >= 0 else len(a)
    base_b = star_b + 1 if star_b >= 0 else len(b)
    if base_a != base_b:
        return -1 if base_a > base_b else 1
    if star_a < 0:
        return 1
    if star_b < 0:
        return -1
    if len(a) != len(b):
        return -1 if len(a) > len(b) else 1
    return 0


def _where(package_json: str, importer: str | None) -> str:
    return f" imported from {importer}" if importer else ""


@functools.lru_cache(maxsize=256)
def _expansion_keys(keys: tuple[str, ...]) -> tuple[str, ...]:
    # Pattern keys (exactly one "*") and legacy folder keys ("./dir/"), most
    # specific first; a key with several "*" is only ever matched literally.
    candidates = [k for k in keys if k.count("*") == 1 or (k.endswith("/") and "*" not in k)]
    return tuple(sorted(candidates, key=functools.cmp_to_key(pattern_key_compare)))


class _Walker:
    """One resolution: the conditions plus what is needed for good messages."""

    def __init__(self, conditions: frozenset[str], package_json: str, where: str,
                 *, is_imports: bool) -> None:
        self.conditions = conditions
        self.package_json = package_json
        self.where = where
        self.is_imports = is_imports
        # Condition keys met along the way that were not active: named in the
        # error so the user sees, say, that the package only offers "require".
        self.unmatched: list[str] = []

    def hint(self) -> str:
        if not self.unmatched:
            return ""
        offered = ", ".join(f'"{c}"' for c in dict.fromkeys(self.unmatched))
        active = ", ".join(f'"{c}"' for c in sorted(self.conditions)) or "none"
        return f" (the package offers the conditions {offered}; active: {active})"

    def match(self, key: str, mapping: dict[str, t.Any]) -> str | None:
        """``PACKAGE_IMPORTS_EXPORTS_RESOLVE`` for one request key."""
        if key in mapping and "*" not in key:
            return self.target(mapping[key], None, key)
        for pattern in _expansion_keys(tuple(mapping)):
            star = pattern.find("*")
            if star < 0:
                # Legacy folder mapping: "./dir/" maps "./dir/x" to target + "x".
                if key.startswith(pattern) and key != pattern:
                    return self.target(mapping[pattern], key[len(pattern):], key, folder=True)
                continue
            base, trailer = pattern[:star], pattern[star + 1:]
            if key.startswith(base) and key != base and (
                not trailer or (key.endswith(trailer) and len(key) >= len(pattern))
            ):
                match = key[len(base):len(key) - len(trailer)]
                return self.target(mapping[pattern], match, key)
        return None

    def target(self, target: t.Any, match: str | None, key: str, *,
               folder: bool = False) -> str | None:
        """``PACKAGE_TARGET_RESOLVE``: ``None`` stands for both null and undefined.

        Returns the target string; raises for an invalid one.
        """
        if isinstance(target, str):
            return self._string_target(target, match, key, folder)
        if isinstance(target, list):
            last_error: InvalidPackageTarget | None = None
            for item in target:
                try:
                    resolved = self.target(item, match, key, folder=folder)
                except InvalidPackageTarget as e:
                    # Node: an invalid fallback entry is skipped, as in
                    # ["node:fs", "./fs-shim.js"].
                    last_error = e
                    continue
                if resolved is not None:
                    return resolved
            if last_error is not None:
                raise last_error
            return None
        if isinstance(target, dict):
            for cond in target:
                if _INDEX_KEY.match(cond):
                    raise InvalidPackageConfig(
                        f'Invalid package config {self.package_json}: "{key}" uses the numeric'
                        f' key "{cond}"; condition keys must be names such as "import".'
                    )
            for cond, value in target.items():
                if cond == "default" or cond in self.conditions:
                    resolved = self.target(value, match, key, folder=folder)
                    if resolved is not None:
                        return resolved
                else:
                    self.unmatched.append(cond)
            return None
        if target is None:
            return None
        raise self._invalid_target(target, key)

    def _string_target(self, target: str, match: str | None, key: str, folder: bool) -> str:
        if not target.startswith("./"):
            if (not self.is_imports or target.startswith(("../", "/"))
                    or _URL_RE.match(target) and not target.startswith("node:")):
                raise self._invalid_target(target, key)
            # imports may name a dependency ("#dep": "dep/browser") or a builtin.
            return self._substitute(target, match, folder)
        if _INVALID_SEGMENT.search(target[2:]):
            raise self._invalid_target(target, key)
        if folder and not target.endswith("/"):
            raise self._invalid_target(target, key)
        if match is not None and _INVALID_SEGMENT.search(match):
            raise InvalidModuleSpecifier(
                f"Invalid module '{key}': the part matched by the pattern ({match!r}) may not"
                f" contain '.', '..' or 'node_modules' segments ({self.package_json}){self.where}."
            )
        return self._substitute(target, match, folder)

    @staticmethod
    def _substitute(target: str, match: str | None, folder: bool) -> str:
        if match is None:
            return target
        if folder:
            return target + match
        return target.replace("*", match)

    def _invalid_target(self, target: t.Any, key: str) -> InvalidPackageTarget:
        field = "imports" if self.is_imports else "exports"
        return InvalidPackageTarget(
            f'Invalid "{field}" target {target!r} defined for \'{key}\' in {self.package_json}'
            f"{self.where}; targets must start with \"./\""
            + (" or name a package." if self.is_imports else ".")
        )
