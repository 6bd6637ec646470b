"""Build fixture trees for resolution tests."""
from __future__ import annotations

import json
import os
import typing as t
from pathlib import Path


def write_tree(root: Path, files: t.Mapping[str, t.Any]) -> Path:
    """Create ``files`` under ``root``: dict values become JSON, ``str`` values text.

    A value ``Symlink("target")`` makes a symbolic link (target relative to
    the link's folder, as ``ln -s`` takes it).
    """
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, Symlink):
            os.symlink(content.target, path, target_is_directory=content.is_dir)
        elif isinstance(content, (dict, list)):
            path.write_text(json.dumps(content, indent=2))
        else:
            path.write_text(content)
    return root


class Symlink(t.NamedTuple):
    target: str
    is_dir: bool = True


def posix(path: Path | str) -> str:
    return str(path).replace(os.sep, "/")
