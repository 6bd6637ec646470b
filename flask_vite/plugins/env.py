"""``vite:env``: ``.env`` files and ``import.meta.env``.

Vite's ``env.ts``: the files of a mode are read in this order, later ones
winning — ``.env``, ``.env.local``, ``.env.[mode]``, ``.env.[mode].local``
(``.local`` files are read in every mode, ``test`` included; only the mode
name ``local`` is refused). Values may use other variables (``$VAR``,
``${VAR}``, ``${VAR:-default}``, ``\\$`` for a literal dollar), as
dotenv-expand does with Vite's patch (variables from any of the files can be
used, not only earlier ones). Variables already in the process environment
win over the files. Only variables with a client prefix (``VITE_``) are
exposed, since everything in ``import.meta.env`` ends up in the browser.

The parser follows motdotla/dotenv (``KEY=value``, ``export KEY=value``,
``KEY: value``, ``#`` comments, single/double/back-quoted values, double-quoted
values spanning lines with ``\\n`` expanded), which Vite used until it moved
to Node's ``util.parseEnv``, itself written to be compatible with dotenv.

Import analysis prepends :func:`env_prelude` to modules that read
``import.meta.env``.
"""
from __future__ import annotations

import json
import os
import re
import stat
import threading
import typing as t
from pathlib import Path

from ..errors import ConfigError
from ..plugin import Plugin
from .asset import dev_base

if t.TYPE_CHECKING:
    from ..config import ViteConfig

__all__ = [
    "EnvPlugin", "env_prelude", "expand_env", "get_env_files_for_mode", "import_meta_env",
    "is_production", "load_env", "node_env", "parse_dotenv", "read_env_files",
    "serialize_define",
]

DEFAULT_ENV_PREFIXES = ("VITE_",)

# dotenv's LINE regex (lib/main.js), with \w spelled out as JavaScript's ASCII one.
_LINE_RE = re.compile(
    r"^\s*(?:export\s+)?([A-Za-z0-9_.-]+)(?:\s*=\s*?|:\s+?)"
    r"(\s*'(?:\\'|[^'])*'|\s*\"(?:\\\"|[^\"])*\"|\s*`(?:\\`|[^`])*`|[^#\r\n]+)?"
    r"\s*(?:#.*)?$",
    re.M,
)
_QUOTED_RE = re.compile(r"^(['\"`])([\s\S]*)\1$", re.M)
# dotenv-expand's pattern: ${EXPR} or $NAME, not after a backslash.
_EXPAND_RE = re.compile(r"(?<!\\)\$\{([^{}]+)\}|(?<!\\)\$([A-Za-z_][A-Za-z0-9_]*)")
_OPERATOR_RE = re.compile(r":\+|\+|:-|-")
# A value that expands into something that expands again… stop somewhere.
_MAX_EXPANSIONS = 1000


# -- parsing -----------------------------------------------------------------------
def parse_dotenv(text: str) -> dict[str, str]:
    """The variables of one ``.env`` file, in order (a repeated key keeps its
    first position and its last value)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    out: dict[str, str] = {}
    for match in _LINE_RE.finditer(text):
        key = match.group(1)
        value = (match.group(2) or "").strip()
        quote = value[:1]
        value = _QUOTED_RE.sub(r"\2", value)
        if quote == '"':
            value = value.replace("\\n", "\n").replace("\\r", "\r")
        out[key] = value
    return out


# -- expansion -----------------------------------------------------------------------
def _expand_value(value: str, process_env: t.Mapping[str, str],
                  parsed: t.Mapping[str, str]) -> str:
    """dotenv-expand's ``expandValue``: substitute until nothing is left.

    Unlike dotenv-expand we substitute at the match itself; it replaces the
    first *equal text*, which can be an escaped ``\\$VAR`` earlier in the value.
    """
    env = {**parsed, **process_env}  # the process environment wins
    result = value
    seen: set[str] = set()
    for _ in range(_MAX_EXPANSIONS):
        match = _EXPAND_RE.search(result)
        if match is None:
            break
        seen.add(result)
        expression = match.group(1) or match.group(2)
        op = _OPERATOR_RE.search(expression)
        if op is not None:
            # split + join in dotenv-expand: the key, then everything after the first operator
            key, _, rest = expression.partition(op.group())
        else:
            key, rest = expression, ""
        if op is not None and op.group() in (":+", "+"):
            # ${VAR:+alt}: alt when VAR is set and not empty, else nothing.
            replacement = rest if env.get(key) else ""
        else:
            found = env.get(key)
            if found:
                # A value seen before would loop forever: use the default instead.
                replacement = rest if found in seen else found
            else:
                replacement = rest
        result = result[:match.start()] + replacement + result[match.end():]
        if result == parsed.get(key):
            break
    return result


def expand_env(parsed: dict[str, str], process_env: t.Mapping[str, str]) -> dict[str, str]:
    """Expand ``parsed`` in place (and return it), as Vite's patched dotenv-expand.

    A key set in ``process_env`` to another non-empty value takes that value
    unexpanded; escaped dollars (``\\$``) become ``$`` once expanded.
    """
    for key in list(parsed):
        value = parsed[key]
        from_process = process_env.get(key)
        if from_process and from_process != value:
            value = from_process
        else:
            value = _expand_value(value, process_env, parsed)
        parsed[key] = value.replace("\\$", "$")
    return parsed


# -- loading -------------------------------------------------------------------------
def get_env_files_for_mode(mode: str, env_dir: str | os.PathLike[str]) -> list[Path]:
    """``.env``, ``.env.local``, ``.env.[mode]``, ``.env.[mode].local`` in ``env_dir``."""
    folder = Path(env_dir)
    return [folder / ".env", folder / ".env.local", folder / f".env.{mode}",
            folder / f".env.{mode}.local"]


def _readable(path: Path) -> os.stat_result | None:
    try:
        st = path.stat()
    except OSError:
        return None
    # Named pipes too: secret managers (1Password) serve .env files that way.
    return st if stat.S_ISREG(st.st_mode) or stat.S_ISFIFO(st.st_mode) else None


def read_env_files(mode: str, env_dir: str | os.PathLike[str]) -> dict[str, str]:
    """The merged, unexpanded variables of a mode's files (later files win).

    :raises ConfigError: for the mode name ``local``.
    """
    if mode == "local":
        raise ConfigError("VITE_MODE", '"local" cannot be used as a mode name because it'
                          " conflicts with the .local postfix for .env files.")
    merged: dict[str, str] = {}
    for path in get_env_files_for_mode(mode, env_dir):
        if _readable(path) is not None:
            merged.update(parse_dotenv(path.read_text("utf-8", errors="replace")))
    return merged


def _check_prefixes(prefixes: str | t.Sequence[str]) -> tuple[str, ...]:
    items = (prefixes,) if isinstance(prefixes, str) else tuple(prefixes)
    if "" in items:
        raise ConfigError("EnvPlugin(prefixes=...)", "the prefix '' would expose every environment"
                          " variable, secrets included, to the browser;"
                          " use a prefix such as 'VITE_'.")
    return items


def load_env(mode: str, env_dir: str | os.PathLike[str],
             prefixes: str | t.Sequence[str] = DEFAULT_ENV_PREFIXES, *,
             process_env: t.Mapping[str, str] | None = None) -> dict[str, str]:
    """The client-visible variables of ``mode``: Vite's ``loadEnv``.

    :param mode: Picks ``.env.[mode]`` and ``.env.[mode].local``.
    :param env_dir: The folder holding the files (Vite's ``envDir``: the root).
    :param prefixes: Only variables starting with one of these are returned.
    :param process_env: The process environment (default ``os.environ``); its
        variables win over the files', and its prefixed ones are included.
    :raises ConfigError: for the mode ``local`` or an empty prefix.
    """
    wanted = _check_prefixes(prefixes)
    environ = dict(os.environ if process_env is None else process_env)
    parsed = expand_env(read_env_files(mode, env_dir), environ)
    env = {k: v for k, v in parsed.items() if k.startswith(wanted)}
    # Prefixed variables given inline (VITE_X=1 flask run) take precedence.
    env.update((k, v) for k, v in environ.items() if k.startswith(wanted))
    return env


def node_env(config: ViteConfig, *, env_dir: str | os.PathLike[str] | None = None,
             process_env: t.Mapping[str, str] | None = None) -> str:
    """``process.env.NODE_ENV`` as Vite sets it.

    The process's ``NODE_ENV`` if set; else ``NODE_ENV=development`` from the
    mode's ``.env`` files (Vite's ``VITE_USER_NODE_ENV``: a development build
    of a staging mode); else ``development`` in dev and ``production`` for a
    build — not the mode name: ``--mode staging`` still builds for production.
    """
    environ = os.environ if process_env is None else process_env
    if environ.get("NODE_ENV"):
        return environ["NODE_ENV"]
    from_files = read_env_files(config.mode, env_dir or config.root).get("NODE_ENV")
    if from_files == "development":
        return "development"
    return "development" if config.dev else "production"


def is_production(config: ViteConfig, **kwargs: t.Any) -> bool:
    """Vite's ``isProduction``: ``NODE_ENV`` is ``production``."""
    return node_env(config, **kwargs) == "production"


def import_meta_env(config: ViteConfig, ssr: bool, *, env: t.Mapping[str, str] | None = None,
                    env_dir: str | os.PathLike[str] | None = None,
                    prefixes: str | t.Sequence[str] = DEFAULT_ENV_PREFIXES) -> dict[str, t.Any]:
    """``import.meta.env`` of a module: the prefixed variables, then
    ``BASE_URL``, ``MODE``, ``DEV``, ``PROD`` and ``SSR``.

    :param env: The variables, if already loaded (default: :func:`load_env`
        for the config's mode and root).
    """
    if env is None:
        env = load_env(config.mode, env_dir or config.root, prefixes)
    production = is_production(config, env_dir=env_dir)
    return {**env, "BASE_URL": dev_base(config), "MODE": config.mode,
            "DEV": not production, "PROD": production, "SSR": ssr}


def serialize_define(values: t.Mapping[str, t.Any]) -> str:
    """Vite's ``serializeDefine``: sorted keys; ``str`` values are raw
    JavaScript expressions, anything else is JSON."""
    parts = [f"{json.dumps(key)}: {handle_define_value(values[key])}" for key in sorted(values)]
    return "{" + ", ".join(parts) + "}"


def handle_define_value(value: t.Any) -> str:
    """A define value as JavaScript: strings as they are, the rest as JSON."""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def env_prelude(config: ViteConfig, ssr: bool, *, env: t.Mapping[str, t.Any] | None = None,
                define: t.Mapping[str, t.Any] | None = None,
                env_dir: str | os.PathLike[str] | None = None,
                prefixes: str | t.Sequence[str] = DEFAULT_ENV_PREFIXES) -> str:
    """The ``import.meta.env = {...};`` statement import analysis prepends.

    :param env: ``import.meta.env`` values (default: :func:`import_meta_env`,
        cached while the ``.env`` files and the process environment stay the same).
    :param define: User defines; ``import.meta.env.X`` keys become members
        (their values are JavaScript expressions when strings, as in Vite).
    """
    if env is None:
        env = _cached_import_meta_env(config, ssr, env_dir, prefixes)
    values: dict[str, t.Any] = {key: json.dumps(value, ensure_ascii=False)
                                for key, value in env.items()}
    for key, value in (define or {}).items():
        if key.startswith("import.meta.env."):
            values[key[len("import.meta.env."):]] = value
    return f"import.meta.env = {serialize_define(values)};"


_cache_lock = threading.Lock()
_cache: dict[tuple[t.Any, ...], dict[str, t.Any]] = {}


def _cached_import_meta_env(config: ViteConfig, ssr: bool,
                            env_dir: str | os.PathLike[str] | None,
                            prefixes: str | t.Sequence[str]) -> dict[str, t.Any]:
    folder = Path(env_dir or config.root)
    stats: list[tuple[int, int] | None] = []
    for path in get_env_files_for_mode(config.mode, folder):
        st = _readable(path)
        if st is not None and stat.S_ISFIFO(st.st_mode):
            # A named pipe can give new values at every read: never cache it.
            return import_meta_env(config, ssr, env_dir=folder, prefixes=prefixes)
        stats.append(None if st is None else (st.st_mtime_ns, st.st_size))
    key = (config, ssr, folder, tuple(_check_prefixes(prefixes)), tuple(stats),
           tuple(sorted(os.environ.items())))
    with _cache_lock:
        found = _cache.get(key)
    if found is None:
        found = import_meta_env(config, ssr, env_dir=folder, prefixes=prefixes)
        with _cache_lock:
            if len(_cache) > 32:
                _cache.clear()
            _cache[key] = found
    return dict(found)


class EnvPlugin(Plugin):
    """``vite:env``: holds the ``.env`` settings for :func:`env_prelude`.

    It has no hooks of its own: import analysis asks it (or the module
    functions) for the ``import.meta.env`` statement.

    :param env_dir: Folder with the ``.env`` files (default: the root).
    :param prefixes: Vite's ``envPrefix``.
    """

    name = "vite:env"

    def __init__(self, *, env_dir: str | os.PathLike[str] | None = None,
                 prefixes: str | t.Sequence[str] = DEFAULT_ENV_PREFIXES) -> None:
        self.env_dir = env_dir
        self.prefixes = _check_prefixes(prefixes)

    def prelude(self, config: ViteConfig, ssr: bool,
                define: t.Mapping[str, t.Any] | None = None) -> str:
        """:func:`env_prelude` with this plugin's settings."""
        folder = None if self.env_dir is None else Path(config.root, self.env_dir)
        return env_prelude(config, ssr, define=define, env_dir=folder, prefixes=self.prefixes)
