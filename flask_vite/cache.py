"""Where flask-vite keeps files shared between projects of one user.

The esbuild binary and the npm tarball cache live here, so a second project
(or a second test run) needs no network.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path


def user_cache_dir() -> Path:
    """The per-user cache folder, created on first use.

    ``FLASK_VITE_CACHE_DIR`` wins; otherwise the platform's usual place:
    ``$XDG_CACHE_HOME/flask-vite`` (``~/.cache/flask-vite``) on Linux,
    ``~/Library/Caches/flask-vite`` on macOS, ``%LOCALAPPDATA%\\flask-vite``
    on Windows.
    """
    env = os.environ.get("FLASK_VITE_CACHE_DIR")
    if env:
        path = Path(env)
    elif sys.platform == "darwin":
        path = Path.home() / "Library" / "Caches" / "flask-vite"
    elif sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or str(Path.home() / "AppData" / "Local")
        path = Path(base) / "flask-vite"
    else:
        base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
        path = Path(base) / "flask-vite"
    path.mkdir(parents=True, exist_ok=True)
    return path
