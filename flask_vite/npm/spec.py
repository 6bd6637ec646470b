"""Dependency specs and version picking: the parts of ``npm-package-arg`` and
``npm-pick-manifest`` an installer from the registry needs.

Supported specs: ranges and exact versions (``^1.2.0``, ``1.2.3``, ``*``, ``""``),
dist-tags (``latest``, ``next``) and aliases (``npm:other@^2``). Git, file,
link, URL and workspace specs raise :class:`SpecError` naming the dependency.

Pure: no files, no sockets.
"""
from __future__ import annotations

import datetime as _dt
import re
import typing as t
from urllib.parse import quote

from . import semver

_UNSUPPORTED = re.compile(
    r"^(?:file:|link:|portal:|workspace:|git\+|git:|github:|gitlab:|bitbucket:|gist:|"
    r"https?:|ssh:|\.{0,2}/|~/|[A-Za-z]:[\\/])")


class SpecError(ValueError):
    """A dependency spec flask-vite cannot install from a registry."""


class Spec(t.NamedTuple):
    """One parsed dependency spec.

    :param name: the dependency's name (the ``node_modules`` folder).
    :param package_name: the registry package (differs for ``npm:`` aliases).
    :param kind: ``"version"``, ``"range"`` or ``"tag"``.
    :param fetch_spec: the version, range or tag text, alias prefix removed.
    """

    name: str
    raw: str
    package_name: str
    kind: str
    fetch_spec: str

    @property
    def is_alias(self) -> bool:
        return self.raw.startswith("npm:")


def parse_spec(name: str, raw: str) -> Spec:
    """Parse the value of a ``dependencies`` entry for ``name``."""
    raw = (raw or "").strip() if isinstance(raw, str) else ""
    spec = raw
    package_name = name
    if raw.startswith("npm:"):
        target = raw[4:]
        at = target.find("@", 1)
        package_name, spec = (target[:at], target[at + 1:]) if at > 0 else (target, "")
        if not package_name:
            raise SpecError(f"{name}: alias {raw!r} names no package")
    if _UNSUPPORTED.match(spec) or ("/" in spec and not spec.startswith("@")
                                    and semver.parse_range(spec) is None):
        raise SpecError(
            f"{name}@{raw}: only registry versions, ranges, tags and npm: aliases can be "
            "installed without Node; replace it with a version range in package.json")
    if spec == "":
        spec = "*"
    if semver.parse_version(spec) is not None and semver.parse_range(spec) is not None and (
            not any(c in spec for c in "<>=^~| ")):
        return Spec(name, raw, package_name, "version", semver.clean(spec) or spec)
    if semver.parse_range(spec) is not None:
        return Spec(name, raw, package_name, "range", spec)
    if quote(spec, safe="") == spec:
        return Spec(name, raw, package_name, "tag", spec)
    raise SpecError(f"{name}@{raw}: {spec!r} is neither a semver range nor a dist-tag")


def satisfied_by(spec: Spec, version: str, *, resolved: str | None = "registry",
                 package_name: str | None = None) -> bool:
    """Whether a package at ``version`` fulfils ``spec`` (arborist's ``depValid``).

    A tag is fulfilled by anything that came from a registry, as in npm:
    tags move, so the version alone cannot tell.
    """
    if spec.is_alias and package_name is not None and package_name != spec.package_name:
        return False
    if spec.kind == "tag":
        return bool(resolved)
    if spec.kind == "range" and spec.fetch_spec.strip() == "*":
        return True
    return semver.satisfies(version, spec.fetch_spec)


def _parse_time(text: t.Any) -> float | None:
    if not isinstance(text, str):
        return None
    try:
        return _dt.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def _engine_ok(manifest: t.Mapping[str, t.Any], node_version: str | None) -> bool:
    if node_version is None:
        return True
    engines = manifest.get("engines")
    wanted = engines.get("node") if isinstance(engines, dict) else None
    if not isinstance(wanted, str) or not wanted.strip():
        return True
    r = semver.parse_range(wanted)
    # Like npm-install-checks: an unparsable engines range does not disqualify.
    return r is None or r.test(node_version)


class NoMatchingVersion(LookupError):
    """No version of a package fits a spec (npm's ``ETARGET``)."""


def pick_manifest(
    packument: t.Mapping[str, t.Any],
    spec: Spec,
    *,
    before: _dt.datetime | None = None,
    node_version: str | None = None,
    default_tag: str = "latest",
) -> dict[str, t.Any]:
    """The version document npm would pick for ``spec`` (npm-pick-manifest).

    * a tag: that exact version (with ``before``, the highest version at or
      below it published before the cutoff);
    * a version: exactly it;
    * a range: the ``latest`` tag when it satisfies the range, otherwise the
      highest satisfying version, preferring non-deprecated versions whose
      ``engines.node`` accepts ``node_version``.

    :param before: ignore versions published after this moment (needs a full
        packument with ``time``; versions without a time are kept, as npm does).
    :raises NoMatchingVersion: with a message naming package and spec.
    """
    versions: dict[str, t.Any] = packument.get("versions") or {}
    times: dict[str, t.Any] | None = packument.get("time") if before is not None else None
    cutoff = before.timestamp() if before is not None else None
    dist_tags: dict[str, t.Any] = packument.get("dist-tags") or {}

    def is_before(ver: str) -> bool:
        if cutoff is None or not times:
            return True
        when = _parse_time(times.get(ver))
        return when is None or when <= cutoff

    def fail() -> t.NoReturn:
        when = f" published before {before.isoformat()}" if before is not None else ""
        raise NoMatchingVersion(
            f"no version of {spec.package_name} matches {spec.fetch_spec!r}{when} "
            f"(required as {spec.name}@{spec.raw or '*'}); latest is "
            f"{dist_tags.get('latest', 'unknown')}. Change the range in package.json.")

    if spec.kind == "tag":
        ver = dist_tags.get(spec.fetch_spec)
        if not isinstance(ver, str) or ver not in versions:
            fail()
        if is_before(ver):
            return t.cast("dict[str, t.Any]", versions[ver])
        spec = spec._replace(kind="range", fetch_spec=f"<={ver}")
    elif spec.kind == "version":
        mani = versions.get(spec.fetch_spec)
        if mani is None:
            # Loose equality: "1.2.3" also names "v1.2.3" or "1.2.3+build".
            for text, m in versions.items():
                if semver.clean(text) == spec.fetch_spec:
                    mani = m
                    break
        if mani is None or not is_before(str(mani.get("version", spec.fetch_spec))):
            fail()
        return t.cast("dict[str, t.Any]", mani)

    rng = semver.parse_range(spec.fetch_spec)
    if rng is None:
        fail()
    default = dist_tags.get(default_tag)
    if isinstance(default, str) and default in versions and (
            rng.is_any and spec.fetch_spec.strip() in ("*", "") or rng.test(default)):
        if is_before(default):
            return t.cast("dict[str, t.Any]", versions[default])

    best: tuple[tuple[int, int, int, semver.Version], dict[str, t.Any]] | None = None
    for text, mani in versions.items():
        v = semver.parse_version(text)
        if v is None or not rng.test(v) or not is_before(text):
            continue
        not_deprecated = int(not mani.get("deprecated"))
        engine = int(_engine_ok(mani, node_version))
        key = (not_deprecated & engine, engine, not_deprecated, v)
        if best is None or key > best[0]:
            best = (key, mani)
    if best is None:
        fail()
    return best[1]
