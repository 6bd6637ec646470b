"""The settings of one ``flask vite build`` and the ``define`` values of an environment."""
from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil
import typing as t
from pathlib import Path

from ..plugins.env import import_meta_env

if t.TYPE_CHECKING:
    from ..config import ViteConfig
    from .report import Reporter

_IDENTIFIER_RE = re.compile(r"^[A-Za-z_$][\w$]*$")


@dataclasses.dataclass(frozen=True)
class BuildOptions:
    """What the command line (or a caller) chose for a build.

    :param out_dir: The output folder; ``client/`` and ``server/`` go inside.
    :param minify: Minify the client's JavaScript and CSS (the server bundle
        is only rid of dead code, as Vite leaves SSR output readable).
    :param sourcemap: Write ``.map`` files.
    :param sri: Add ``integrity`` to the manifest and the built HTML.
    :param empty_out_dir: Empty ``client/`` (``server/``) before writing, when
        the folder is inside the root or the current folder.
    :param copy_public_dir: Copy the public dir into ``client/``.
    """

    out_dir: Path
    minify: bool = True
    sourcemap: bool = False
    sri: bool = False
    empty_out_dir: bool = True
    copy_public_dir: bool = True


def build_config(config: ViteConfig, *, mode: str | None = None) -> ViteConfig:
    """``config`` as a build sees it: never the dev server, ``production`` mode
    unless another is given."""
    return dataclasses.replace(config, dev=False, mode=mode or "production")


#: What ``import.meta.env`` as a whole becomes; modules that use it import the
#: object from :data:`~flask_vite.build.plugins.IMPORT_META_ENV_ID` under this name.
IMPORT_META_ENV_NAME = "__vite_import_meta_env__"


def build_import_meta_env(config: ViteConfig, ssr: bool) -> dict[str, t.Any]:
    """``import.meta.env`` in a build: the ``VITE_`` variables, ``BASE_URL`` (the
    base as configured), ``MODE``, ``DEV``, ``PROD``, ``SSR``."""
    env = import_meta_env(config, ssr)
    env["BASE_URL"] = config.base
    return env


def environment_define(config: ViteConfig, ssr: bool, plugin_define: t.Mapping[str, str]
                       ) -> dict[str, str]:
    """What esbuild replaces in one environment: ``import.meta.env`` member by member
    (so ``if (import.meta.env.SSR)`` folds away) and as a whole, ``import.meta.hot``,
    then the ``define`` plugins' values (``process.env.NODE_ENV`` …).

    The whole object is a name, not the object literal: esbuild would otherwise
    make the literal a module that every module of the bundle initializes.
    """
    env = build_import_meta_env(config, ssr)
    define: dict[str, str] = {"import.meta.env": IMPORT_META_ENV_NAME,
                              "import.meta.hot": "undefined"}
    for key, value in env.items():
        if _IDENTIFIER_RE.match(key):
            define[f"import.meta.env.{key}"] = json.dumps(value)
    define.update(plugin_define)
    if ssr:
        # Packages written for Node read `global`; V8 has globalThis.
        define.setdefault("global", "globalThis")
    return define


def prepare_out_dir(folder: Path, config: ViteConfig, options: BuildOptions,
                    reporter: Reporter) -> None:
    """Empty ``folder`` before a build (Vite's ``emptyOutDir``), but only where
    that cannot hurt: inside the root or the current folder."""
    if folder.exists() and options.empty_out_dir:
        resolved = folder.resolve()
        safe = any(_inside(resolved, parent) for parent in (config.root, Path(os.getcwd()).resolve()))
        if safe and resolved not in (config.root, Path("/")):
            for child in resolved.iterdir():
                if child.is_dir() and not child.is_symlink():
                    shutil.rmtree(child)
                else:
                    child.unlink()
        else:
            reporter.warn(f"{folder} is outside the root and the current folder: not emptied"
                          " (old files stay next to the new ones).")
    folder.mkdir(parents=True, exist_ok=True)


def _inside(path: Path, parent: Path) -> bool:
    try:
        path.relative_to(parent.resolve())
    except ValueError:
        return False
    return path != parent.resolve()
