"""Which optional packages fit this machine: npm's ``os`` / ``cpu`` / ``libc``
checks, with Python's names for the platform mapped to Node's."""
from __future__ import annotations

import platform as _platform
import sys
import typing as t

_CPU = {"x86_64": "x64", "amd64": "x64", "aarch64": "arm64", "arm64": "arm64",
        "armv7l": "arm", "armv6l": "arm", "arm": "arm", "i386": "ia32", "i686": "ia32",
        "x86": "ia32", "ppc64le": "ppc64", "ppc64": "ppc64", "s390x": "s390x",
        "riscv64": "riscv64", "loongarch64": "loong64", "mips64": "mips64el"}


class Platform(t.NamedTuple):
    """``process.platform``, ``process.arch`` and the libc family, as Node names them."""

    os: str
    cpu: str
    libc: str | None = None

    @classmethod
    def current(cls) -> Platform:
        plat = sys.platform
        for prefix in ("freebsd", "openbsd", "netbsd", "sunos", "aix"):
            if plat.startswith(prefix):
                plat = prefix
        if plat.startswith("linux"):
            plat = "linux"
        machine = _platform.machine().lower()
        libc = None
        if plat == "linux":
            libc = "glibc" if _platform.libc_ver()[0] == "glibc" else "musl"
        return cls(plat, _CPU.get(machine, machine), libc)


def _allowed(values: t.Any, current: str | None) -> bool:
    # npm-install-checks: "!x" excludes x; any plain entry makes it an allow-list.
    if not isinstance(values, list) or not values:
        return True
    if current is None:
        return True
    if f"!{current}" in values:
        return False
    plain = [v for v in values if isinstance(v, str) and not v.startswith("!")]
    return not plain or current in plain


def platform_ok(package: t.Mapping[str, t.Any], plat: Platform) -> bool:
    """Whether a package's ``os``, ``cpu`` and ``libc`` lists accept ``plat``."""
    if not _allowed(package.get("os"), plat.os):
        return False
    if not _allowed(package.get("cpu"), plat.cpu):
        return False
    return plat.os != "linux" or _allowed(package.get("libc"), plat.libc)
