"""The npm registry client: packuments and verified tarballs.

>>> client = RegistryClient()                       # https://registry.npmjs.org/
>>> doc = client.packument("react")                 # abbreviated packument
>>> dist = doc["versions"]["19.0.0"]["dist"]
>>> data = client.fetch_tarball("react", "19.0.0", dist)   # verified .tgz bytes

Registry and credentials come from arguments or ``.npmrc``
(:meth:`RegistryClient.from_npmrc`). Packuments are kept on disk with their
``ETag`` and tarballs by content hash (:mod:`.cache`), so a repeat run needs no
network, and a registry outage falls back to what is cached.
"""
from __future__ import annotations

import http.client
import json
import logging
import os
import re
import threading
import time
import typing as t
from urllib.parse import quote, urlsplit, urlunsplit

from ..errors import IntegrityError, RegistryError
from . import integrity
from .cache import CachedPackument, NpmCache
from .http import HttpClient, Response
from .npmrc import DEFAULT_REGISTRY, Credentials, NpmConfig, nerf_dart, normalize_registry

logger = logging.getLogger("flask_vite.npm")

#: Abbreviated ("corgi") packuments: only what an installer needs, much smaller.
ACCEPT_ABBREVIATED = "application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*"
#: Full packuments carry ``time`` (publish dates), needed for a ``before`` cutoff.
ACCEPT_FULL = "application/json"

USER_AGENT = "flask-vite (npm-compatible installer; no node)"

# Names npm could publish, loosely: enough to keep a name from changing the
# meaning of the URL it is put in (no '?', '#', '%', '..', spaces).
_NAME_RE = re.compile(r"^(?:@[A-Za-z0-9_~.-]+/)?[A-Za-z0-9_~.-]+$")


def validate_name(name: str) -> None:
    """Raise :class:`RegistryError` if ``name`` cannot be a package name."""
    if not _NAME_RE.match(name) or name.startswith(".") or "/.." in name or ".." == name:
        raise RegistryError(f"{name!r} is not a valid npm package name; check package.json.",
                            code="REGISTRY_BAD_NAME")


class RegistryClient:
    """Talks to one default registry plus any scoped registries.

    :param registry: the default registry URL.
    :param token: a bearer token for the default registry.
    :param config: full settings (scopes, credentials, proxy); ``registry`` and
        ``token`` override its default registry and its token.
    :param cache: where packuments and tarballs are kept; ``False`` disables.
    :param offline: never use the network; fail when something is not cached.
    :param prefer_offline: use a cached packument however old it is.
    :param max_age: seconds a cached packument is used without revalidation.
    :param retries: extra attempts after a network failure or a 5xx/429.
    :param timeout: socket timeout in seconds.
    """

    def __init__(
        self,
        registry: str | None = None,
        token: str | None = None,
        *,
        config: NpmConfig | None = None,
        cache: NpmCache | t.Literal[False] | None = None,
        offline: bool = False,
        prefer_offline: bool = False,
        max_age: float = 300.0,
        retries: int = 2,
        timeout: float = 30.0,
        backoff: float = 0.5,
    ) -> None:
        self.config = config if config is not None else NpmConfig()
        if registry is not None:
            self.config.registry = normalize_registry(registry)
        if token is not None:
            self.config.credentials[nerf_dart(self.config.registry)] = Credentials(f"Bearer {token}")
        self.cache: NpmCache | None = (
            None if cache is False else (cache if cache is not None else NpmCache()))
        self.offline = offline
        self.prefer_offline = prefer_offline
        self.max_age = max_age
        self.retries = retries
        self.backoff = backoff
        self.http = HttpClient(timeout=timeout, https_proxy=self.config.https_proxy,
                               proxy=self.config.proxy)
        self._memory: dict[str, dict[str, t.Any]] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._locks_guard = threading.Lock()

    @classmethod
    def from_npmrc(cls, root: str | os.PathLike[str] | None = None, **kwargs: t.Any) -> RegistryClient:
        """A client configured from ``~/.npmrc`` and ``<root>/.npmrc`` (project wins)."""
        return cls(config=NpmConfig.load(root), **kwargs)

    def close(self) -> None:
        """Close kept-alive connections (also done when the client is collected)."""
        self.http.close()

    def __enter__(self) -> RegistryClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def registry(self) -> str:
        return self.config.registry

    # -- URLs ------------------------------------------------------------

    def packument_url(self, name: str) -> str:
        validate_name(name)
        # Scoped names keep '@' and escape the slash, as the registry expects.
        return self.config.registry_for(name) + quote(name, safe="@/").replace("/", "%2f")

    def tarball_url(self, name: str, url: str) -> str:
        """``url`` with the public registry host replaced by the configured one.

        Packuments from mirrors often still point tarballs at
        registry.npmjs.org; like npm's ``replace-registry-host`` default, fetch
        them from the registry that served the packument instead.
        """
        registry = self.config.registry_for(name)
        if registry == DEFAULT_REGISTRY:
            return url
        parts = urlsplit(url)
        if parts.netloc != "registry.npmjs.org":
            return url
        reg = urlsplit(registry)
        path = reg.path.rstrip("/") + parts.path
        return urlunsplit((reg.scheme, reg.netloc, path, parts.query, ""))

    # -- HTTP with retries ----------------------------------------------

    def _headers(self, url: str, accept: str) -> dict[str, str]:
        headers = {"Accept": accept, "User-Agent": USER_AGENT}
        auth = self.config.authorization_for(url)
        if auth:
            headers["Authorization"] = auth
        return headers

    def _get(self, url: str, headers: dict[str, str], what: str) -> Response:
        """GET with retries on network errors, 429 and 5xx; follows redirects."""
        last_error = ""
        for attempt in range(self.retries + 1):
            if attempt:
                delay = self.backoff * (2 ** (attempt - 1))
                logger.warning("%s: %s; retrying in %.1fs (%d/%d)", what, last_error, delay,
                               attempt, self.retries)
                time.sleep(delay)
            target = url
            try:
                for _ in range(6):
                    resp = self.http.get(target, headers)
                    if resp.status in (301, 302, 303, 307, 308) and "location" in resp.headers:
                        new = resp.headers["location"]
                        if new.startswith("/"):
                            p = urlsplit(target)
                            new = f"{p.scheme}://{p.netloc}{new}"
                        # Credentials are only for the host they were configured for.
                        if urlsplit(new).netloc != urlsplit(target).netloc:
                            headers = {k: v for k, v in headers.items() if k != "Authorization"}
                        target = new
                        continue
                    break
            except (OSError, http.client.HTTPException) as e:
                last_error = f"network error fetching {target}: {e}"
                continue
            if resp.status == 429 or resp.status >= 500:
                last_error = f"{target} answered HTTP {resp.status}"
                continue
            return resp
        raise RegistryError(
            f"{what}: {last_error} (gave up after {self.retries + 1} attempts). "
            "Check your network or the registry in .npmrc; cached packages install "
            "with offline=True.",
            code="REGISTRY_NETWORK",
        )

    def _status_error(self, what: str, url: str, resp: Response) -> RegistryError:
        if resp.status == 404:
            return RegistryError(
                f"{what}: not found in the registry ({url} answered 404). Check the name in "
                "package.json, or set the scope's registry in .npmrc.", code="REGISTRY_NOT_FOUND")
        if resp.status in (401, 403):
            return RegistryError(
                f"{what}: the registry refused access ({url} answered {resp.status}). Add a token "
                f"to .npmrc: {nerf_dart(url)}:_authToken=${{NPM_TOKEN}}", code="REGISTRY_AUTH")
        return RegistryError(f"{what}: {url} answered HTTP {resp.status}", code="REGISTRY_HTTP")

    # -- packuments -------------------------------------------------------

    def _lock_for(self, key: str) -> threading.Lock:
        with self._locks_guard:
            lock = self._locks.get(key)
            if lock is None:
                lock = self._locks[key] = threading.Lock()
            return lock

    def packument(self, name: str, *, full: bool = False) -> dict[str, t.Any]:
        """The packument of ``name`` (treat it as read-only: it is shared).

        :param full: the full document (with ``time`` publish dates) instead of
            the abbreviated one, which has ``name``, ``dist-tags``, ``modified``
            and per-version ``dependencies``, ``peerDependencies``,
            ``optionalDependencies``, ``bin``, ``engines``, ``os``, ``cpu``,
            ``dist`` and ``hasInstallScript``.
        :raises RegistryError: unknown package, authentication, network failure
            after retries with nothing cached.
        """
        url = self.packument_url(name)
        kinds = ("full",) if full else ("abbreviated", "full")
        for kind in kinds:  # a full document serves an abbreviated request too
            doc = self._memory.get(f"{kind} {url}")
            if doc is not None:
                return doc
        key = f"{'full' if full else 'abbreviated'} {url}"
        with self._lock_for(key):
            doc = self._memory.get(key)
            if doc is None:
                doc = self._load_packument(name, url, key, full)
                self._memory[key] = doc
            return doc

    def _load_packument(self, name: str, url: str, key: str, full: bool) -> dict[str, t.Any]:
        cached: CachedPackument | None = None
        if self.cache is not None:
            cached = self.cache.get_packument(key)
            if cached is None and not full:
                cached = self.cache.get_packument(f"full {url}")
        if cached is not None and (self.offline or self.prefer_offline
                                   or time.time() - cached.fetched_at < self.max_age):
            return self._parse(name, cached.body)
        if self.offline:
            raise RegistryError(
                f"package {name!r}: the packument is not in the offline cache. Install once with the "
                "network on, or drop offline mode.", code="REGISTRY_OFFLINE")
        headers = self._headers(url, ACCEPT_FULL if full else ACCEPT_ABBREVIATED)
        if cached is not None and cached.etag:
            headers["If-None-Match"] = cached.etag
        try:
            resp = self._get(url, headers, f"package {name!r}")
        except RegistryError:
            if cached is None:
                raise
            logger.warning("%s: registry unreachable, using the cached packument", name)
            return self._parse(name, cached.body)
        if resp.status == 304 and cached is not None:
            if self.cache is not None:
                self.cache.touch_packument(key, cached)
            return self._parse(name, cached.body)
        if resp.status != 200:
            raise self._status_error(f"package {name!r}", url, resp)
        doc = self._parse(name, resp.body)
        if self.cache is not None:
            self.cache.put_packument(key, resp.body, resp.headers.get("etag"))
        return doc

    @staticmethod
    def _parse(name: str, body: bytes) -> dict[str, t.Any]:
        try:
            doc = json.loads(body)
        except ValueError as e:
            raise RegistryError(f"package {name!r}: the registry sent invalid JSON ({e})",
                                code="REGISTRY_HTTP") from e
        if not isinstance(doc, dict) or not isinstance(doc.get("versions", {}), dict):
            raise RegistryError(f"package {name!r}: the registry sent a malformed packument",
                                code="REGISTRY_HTTP")
        doc.setdefault("versions", {})
        doc.setdefault("dist-tags", {})
        return doc

    # -- tarballs ---------------------------------------------------------

    def fetch_tarball(self, name: str, version: str, dist: t.Mapping[str, t.Any]) -> bytes:
        """The ``.tgz`` bytes of ``name@version``, verified against ``dist``.

        ``dist["integrity"]`` is checked (strongest algorithm); ``dist["shasum"]``
        only when there is no integrity. Verified bytes go to the content cache;
        a cache hit needs no network.

        :raises IntegrityError: the download does not match (it is discarded),
            or the registry publishes no hash at all.
        :raises RegistryError: not cached and cannot be downloaded.
        """
        what = f"{name}@{version}"
        hashes = integrity.expected_hashes(dist)
        if not hashes:
            raise IntegrityError(
                f"{what}: the registry publishes neither dist.integrity nor dist.shasum, so the "
                "tarball cannot be verified; refusing to install it.")
        if self.cache is not None:
            data = self.cache.get_tarball(hashes)
            if data is not None:
                return data
        tarball = dist.get("tarball")
        if not isinstance(tarball, str) or not tarball:
            raise RegistryError(f"{what}: the packument has no dist.tarball URL",
                                code="REGISTRY_HTTP")
        if self.offline:
            raise RegistryError(
                f"{what}: the tarball is not in the offline cache. Install once with the "
                "network on, or drop offline mode.", code="REGISTRY_OFFLINE")
        url = self.tarball_url(name, tarball)
        resp = self._get(url, self._headers(url, "*/*"), what)
        if resp.status != 200:
            raise self._status_error(what, url, resp)
        if not integrity.matches(resp.body, hashes):
            got = integrity.compute(resp.body, hashes[0].algorithm).to_sri()
            raise IntegrityError(
                f"{what}: the tarball from {url} does not match its integrity "
                f"(expected {integrity.to_sri(hashes)}, got {got}). It was discarded; retry, "
                "and if it persists a proxy or mirror is serving a corrupted or tampered file.")
        if self.cache is not None:
            self.cache.put_tarball(resp.body, hashes)
        return resp.body
