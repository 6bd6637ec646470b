"""Editing ``package.json`` for ``add`` and ``remove``, keeping its layout.

Indentation and the trailing newline are kept, and keys stay in their order,
so the diff a user commits shows only the dependency that changed.
"""
from __future__ import annotations

import json
import os
import re
import typing as t
from pathlib import Path

from ..errors import ViteError
from . import semver
from .lockfile import read_json
from .registry import RegistryClient, validate_name
from .spec import SpecError, parse_spec, pick_manifest

SECTIONS = ("dependencies", "devDependencies", "optionalDependencies", "peerDependencies")


class PackageJsonError(ViteError):
    """package.json is missing something asked for, or a request is malformed."""

    code = "PACKAGE_JSON"


def split_request(request: str) -> tuple[str, str | None]:
    """``"@scope/name@^1"`` -> ``("@scope/name", "^1")``; ``"react"`` -> ``("react", None)``."""
    at = request.find("@", 1)
    if at == -1:
        return request, None
    return request[:at], request[at + 1:] or None


def _layout(text: str) -> tuple[str | int, str]:
    m = re.search(r"^([ \t]+)\S", text, re.MULTILINE)
    indent: str | int = m.group(1) if m else 2
    if isinstance(indent, str) and set(indent) == {" "}:
        indent = len(indent)
    return indent, "\n" if text.endswith("\n") or not text else ""


def load(root: Path) -> tuple[dict[str, t.Any], str]:
    path = root / "package.json"
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    doc = read_json(path) if text else {}
    return doc or {}, text


def save(root: Path, doc: t.Mapping[str, t.Any], original: str) -> None:
    indent, newline = _layout(original)
    text = json.dumps(doc, indent=indent, ensure_ascii=False) + (newline or "\n")
    if "\r\n" in original:
        text = text.replace("\n", "\r\n")
    tmp = root / ".package.json.tmp"
    tmp.write_text(text, encoding="utf-8", newline="")
    os.replace(tmp, root / "package.json")


def add_to_package_json(root: str | os.PathLike[str], requests: t.Sequence[str], *,
                        client: RegistryClient, section: str = "dependencies",
                        exact: bool = False) -> list[str]:
    """Record ``NAME[@RANGE]`` requests in package.json; returns the names.

    Without a range, or with a dist-tag, the picked version is saved as
    ``^version`` (``version`` with ``exact``), as npm saves it. A name
    already in another section moves to ``section``.
    """
    root_path = Path(root)
    doc, original = load(root_path)
    names: list[str] = []
    for request in requests:
        name, wanted = split_request(request.strip())
        validate_name(name)
        try:
            spec = parse_spec(name, wanted or "latest")
        except SpecError as e:
            raise PackageJsonError(str(e)) from None
        if spec.kind == "version" or (spec.kind == "range" and not exact):
            saved = t.cast(str, wanted)  # a version or range is saved as typed
        else:
            try:
                manifest = pick_manifest(client.packument(spec.package_name), spec)
            except LookupError as e:
                raise PackageJsonError(str(e)) from None
            version = str(manifest["version"])
            saved = version if exact or semver.parse_version(version) is None else f"^{version}"
            if spec.is_alias:
                saved = f"npm:{spec.package_name}@{saved}"
        for other in SECTIONS:
            if other != section and name in (doc.get(other) or {}):
                del doc[other][name]
                if not doc[other]:
                    del doc[other]
        deps = doc.setdefault(section, {})
        deps[name] = saved
        doc[section] = dict(sorted(deps.items()))  # npm keeps sections sorted
        names.append(name)
    save(root_path, doc, original)
    return names


def remove_from_package_json(root: str | os.PathLike[str], names: t.Sequence[str]) -> None:
    """Delete ``names`` from every dependency section of package.json."""
    root_path = Path(root)
    doc, original = load(root_path)
    for name in names:
        found = False
        for section in SECTIONS:
            if name in (doc.get(section) or {}):
                del doc[section][name]
                found = True
                if not doc[section]:
                    del doc[section]
        if not found:
            raise PackageJsonError(f"{name} is not a dependency in {root_path / 'package.json'}; "
                                   "check the spelling.")
    save(root_path, doc, original)


def _restoring(root: Path, action: t.Callable[[], t.Any]) -> t.Any:
    # package.json changes only stick if the install works, as with npm.
    path = root / "package.json"
    before = path.read_bytes() if path.exists() else None
    try:
        return action()
    except BaseException:
        if before is None:
            path.unlink(missing_ok=True)
        else:
            path.write_bytes(before)
        raise


def add_packages(root: str | os.PathLike[str], requests: t.Sequence[str], *, dev: bool = False,
                 exact: bool = False, **options: t.Any) -> t.Any:
    """Add ``NAME[@RANGE]`` requests to package.json and install; package.json
    is left untouched if anything fails. ``options`` go to
    :class:`~flask_vite.npm.installer.Installer`. Returns its InstallResult."""
    from .installer import Installer

    root_path = Path(root)
    installer = Installer(root_path, **options)

    def run() -> t.Any:
        names = add_to_package_json(root_path, requests, client=installer.client,
                                    section="devDependencies" if dev else "dependencies",
                                    exact=exact)
        return installer.install(update_names=names)

    return _restoring(root_path, run)


def remove_packages(root: str | os.PathLike[str], names: t.Sequence[str],
                    **options: t.Any) -> t.Any:
    """Remove ``names`` from package.json and node_modules (see :func:`add_packages`)."""
    from .installer import Installer

    root_path = Path(root)
    installer = Installer(root_path, **options)

    def run() -> t.Any:
        remove_from_package_json(root_path, names)
        return installer.install()

    return _restoring(root_path, run)
