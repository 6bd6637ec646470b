"""What the benchmarks print besides their tables: the versions of what ran
(the Node side's: :mod:`benchmarks._node`), and one-line summaries of timings."""
from __future__ import annotations

import contextlib
import os
import platform
import statistics
import subprocess
import typing as t
from importlib.metadata import version
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def python_and_cpus() -> list[str]:
    """``python 3.11.7``, ``8 cpus (load 0.5, 0.7, 0.6)``."""
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return [f"python {platform.python_version()}", f"{os.cpu_count()} cpus (load {load})"]


def flask_vite_version(snapshot: str | None) -> str | None:
    """The flask-vite under test: a ``--ref`` ``snapshot`` (its short hash) or
    the working tree (HEAD's short hash, and whether ``flask_vite/`` has
    uncommitted edits); ``None`` when git cannot say."""
    if snapshot:
        return f"flask-vite {snapshot} (committed snapshot)"
    with contextlib.suppress(Exception):
        rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, text=True,
                             capture_output=True, check=False).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "flask_vite"], cwd=REPO,
                               text=True, capture_output=True, check=False).stdout.strip()
        return f"flask-vite {rev}{' + uncommitted edits' if dirty else ''} (working tree)"
    return None


def dist_versions(names: t.Iterable[str]) -> list[str]:
    """``"<name> <version>"`` of each installed Python distribution of ``names``."""
    parts = []
    for name in names:
        with contextlib.suppress(Exception):
            parts.append(f"{name} {version(name)}")
    return parts


def summary(ms: t.Sequence[float], *, spec: str = "6.1f", p90: bool = False) -> str:
    """``median … ms  min …  [p90 …]  max …  (n=…)`` of ``ms`` (milliseconds),
    each number formatted with ``spec``."""
    ordered = sorted(ms)
    parts = [f"median {statistics.median(ms):{spec}} ms", f"min {ordered[0]:{spec}}"]
    if p90:
        parts.append(f"p90 {ordered[min(len(ordered) - 1, int(round(0.9 * (len(ordered) - 1))))]:{spec}}")
    parts += [f"max {ordered[-1]:{spec}}", f"(n={len(ms)})"]
    return "  ".join(parts)
