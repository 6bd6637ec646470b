"""Reading ``.npmrc`` files: registry URLs, scoped registries and credentials.

Only the keys an installer needs are interpreted::

    registry=https://registry.example.com/
    @myco:registry=https://npm.myco.dev/
    //npm.myco.dev/:_authToken=${NPM_TOKEN}
    //npm.myco.dev/:_auth=base64(user:pass)
    //npm.myco.dev/:username=me
    //npm.myco.dev/:_password=base64(pass)
    https-proxy=http://proxy:3128

Credentials are keyed by a "nerf dart" -- the URL without its scheme -- and
apply to every request under that prefix, exactly as npm scopes them, so a
token never leaks to another host.
"""
from __future__ import annotations

import base64
import os
import re
import typing as t
from pathlib import Path
from urllib.parse import urlsplit

DEFAULT_REGISTRY = "https://registry.npmjs.org/"

_ENV_RE = re.compile(r"(\\*)\$\{([^}?]+)(\?)?\}")


def _expand_env(value: str) -> str:
    # npm expands ${VAR} (and ${VAR?} which tolerates a missing var); an
    # escaped \${VAR} stays literal.
    def repl(m: re.Match[str]) -> str:
        slashes, name, _ = m.group(1), m.group(2), m.group(3)
        if len(slashes) % 2:
            return slashes[1:] + "${" + name + "}"
        return slashes + os.environ.get(name, "")

    return _ENV_RE.sub(repl, value)


def parse_npmrc(text: str) -> dict[str, str]:
    """Parse ``.npmrc`` text into a flat ``key -> value`` mapping.

    INI sections are ignored (npm ignores them too); quotes around values are
    removed; ``${VAR}`` is expanded from the environment.
    """
    out: dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line[0] in "#;" or (line.startswith("[") and line.endswith("]")):
            continue
        key, sep, value = line.partition("=")
        if not sep:
            continue
        key, value = key.strip(), value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        out[_expand_env(key)] = _expand_env(value)
    return out


def normalize_registry(url: str) -> str:
    """A registry URL with exactly one trailing slash."""
    return url.rstrip("/") + "/"


def nerf_dart(url: str) -> str:
    """``https://host:port/path/x`` -> ``//host:port/path/`` (npm's credential key)."""
    parts = urlsplit(url)
    path = parts.path
    if not path.endswith("/"):
        path = path.rsplit("/", 1)[0] + "/"
    return f"//{parts.netloc}{path}"


class Credentials(t.NamedTuple):
    """The ``Authorization`` header value for one nerf dart."""

    authorization: str


class NpmConfig:
    """Registry settings gathered from ``.npmrc`` files and explicit arguments.

    :param registry: the default registry.
    :param scopes: ``{"@scope": registry_url}``.
    :param credentials: ``{"//host/path/": Credentials}``.
    :param https_proxy: an ``http://host:port`` proxy for HTTPS requests.
    """

    def __init__(
        self,
        registry: str = DEFAULT_REGISTRY,
        *,
        scopes: t.Mapping[str, str] | None = None,
        credentials: t.Mapping[str, Credentials] | None = None,
        https_proxy: str | None = None,
        proxy: str | None = None,
    ) -> None:
        self.registry = normalize_registry(registry)
        self.scopes = {k: normalize_registry(v) for k, v in (scopes or {}).items()}
        self.credentials = dict(credentials or {})
        self.https_proxy = https_proxy
        self.proxy = proxy

    @classmethod
    def from_mapping(cls, values: t.Mapping[str, str]) -> NpmConfig:
        """Build a config from parsed ``.npmrc`` keys (later files already merged)."""
        scopes: dict[str, str] = {}
        raw_auth: dict[str, dict[str, str]] = {}
        for key, value in values.items():
            if key.startswith("@") and key.endswith(":registry"):
                scopes[key[: -len(":registry")]] = value
            elif key.startswith("//") and ":" in key:
                dart, _, field = key.rpartition(":")
                raw_auth.setdefault(dart if dart.endswith("/") else dart + "/", {})[field] = value
        credentials: dict[str, Credentials] = {}
        for dart, fields in raw_auth.items():
            if fields.get("_authToken"):
                credentials[dart] = Credentials(f"Bearer {fields['_authToken']}")
            elif fields.get("_auth"):
                credentials[dart] = Credentials(f"Basic {fields['_auth']}")
            elif fields.get("username") and fields.get("_password"):
                try:
                    password = base64.b64decode(fields["_password"]).decode("utf-8")
                except ValueError:
                    password = fields["_password"]
                pair = f"{fields['username']}:{password}".encode("utf-8")
                credentials[dart] = Credentials(f"Basic {base64.b64encode(pair).decode('ascii')}")
        return cls(
            values.get("registry", DEFAULT_REGISTRY),
            scopes=scopes,
            credentials=credentials,
            https_proxy=values.get("https-proxy") or None,
            proxy=values.get("proxy") or None,
        )

    @classmethod
    def load(cls, root: str | os.PathLike[str] | None = None) -> NpmConfig:
        """Read ``~/.npmrc`` then ``<root>/.npmrc`` (the project wins), then the
        ``npm_config_registry`` environment variable, as npm orders them.
        """
        merged: dict[str, str] = {}
        files = [Path(os.environ.get("NPM_CONFIG_USERCONFIG") or Path.home() / ".npmrc")]
        if root is not None:
            files.append(Path(root) / ".npmrc")
        for path in files:
            try:
                merged.update(parse_npmrc(path.read_text(encoding="utf-8")))
            except OSError:
                continue
        for env_key in ("npm_config_registry", "NPM_CONFIG_REGISTRY"):
            if os.environ.get(env_key):
                merged["registry"] = os.environ[env_key]
        return cls.from_mapping(merged)

    def registry_for(self, name: str) -> str:
        """The registry serving package ``name`` (scoped registries honoured)."""
        if name.startswith("@") and "/" in name:
            scope = name.split("/", 1)[0]
            if scope in self.scopes:
                return self.scopes[scope]
        return self.registry

    def authorization_for(self, url: str) -> str | None:
        """The ``Authorization`` header for ``url``: the longest matching nerf dart."""
        parts = urlsplit(url)
        target = f"//{parts.netloc}{parts.path}"
        best: tuple[int, str] | None = None
        for dart, cred in self.credentials.items():
            if target.startswith(dart) and (best is None or len(dart) > best[0]):
                best = (len(dart), cred.authorization)
        return best[1] if best else None
