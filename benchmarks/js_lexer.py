"""Lexing speed of flask_vite.js_lexer on real library code, in MB/s.

Run from the repository root::

    python benchmarks/js_lexer.py [--repeat 5] [FILE ...]

Without files it lexes large files from npm packages (fetched once through
flask-vite's own registry client and content cache): Vue's ESM builds,
react-dom's client build, three.js, plus all of them concatenated. Offline,
it falls back to a generated module. Each file is lexed ``--repeat`` times;
the best time counts. The target is at least 5 MB/s for pre-bundled code.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask_vite.errors import ViteError  # noqa: E402
from flask_vite.js_lexer import parse  # noqa: E402

# (package, version, files inside the package)
PACKAGES = [
    ("vue", "3.5.13", ["dist/vue.esm-browser.js", "dist/vue.esm-browser.prod.js"]),
    ("react-dom", "19.0.0", ["cjs/react-dom-client.development.js", "cjs/react-dom-client.production.js"]),
    ("three", "0.172.0", ["build/three.module.js", "build/three.module.min.js"]),
]


def fetch_inputs() -> list[tuple[str, str]]:
    from flask_vite.npm.registry import RegistryClient
    from flask_vite.npm.tarball import extract_tarball

    inputs = []
    client = RegistryClient()
    with tempfile.TemporaryDirectory() as tmp:
        for name, version, files in PACKAGES:
            dist = client.packument(name)["versions"][version]["dist"]
            dest = Path(tmp) / name
            extract_tarball(client.fetch_tarball(name, version, dist), dest, what=f"{name}@{version}")
            for file in files:
                inputs.append((f"{name}@{version}/{file}", (dest / file).read_text(encoding="utf-8")))
    inputs.append(("all of the above, concatenated", "\n;\n".join(source for _, source in inputs)))
    return inputs


def generated_input() -> list[tuple[str, str]]:
    chunk = (
        "import { a as b } from './dep.js'\n"
        "export function f(x, y) {\n"
        "  const re = /[/'\"]+/g, s = `v${x / 2}px`;\n"
        "  if (x) /ab+c/.test(y) && g({ key: 'v', n: [1, 2, 3] }) // comment\n"
        "  return import(`./pages/${y}.js`).then((m) => m.default / 2)\n"
        "}\n"
    )
    return [("generated module", chunk * 8000)]


def bench(label: str, source: str, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        imports, exports = parse(source, label)
        best = min(best, time.perf_counter() - start)
    mb = len(source.encode("utf-8")) / 1e6
    print(f"{label:58} {mb:6.2f} MB {best * 1000:8.1f} ms {mb / best:7.1f} MB/s"
          f"   ({len(imports)} imports, {len(exports)} exports)")
    return mb / best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("files", nargs="*", type=Path, help="JavaScript files to lex instead")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    if args.files:
        inputs = [(str(path), path.read_text(encoding="utf-8")) for path in args.files]
    else:
        try:
            inputs = fetch_inputs()
        except (ViteError, OSError) as e:  # offline, registry down...
            print(f"could not fetch packages ({e}); lexing a generated module instead\n")
            inputs = generated_input()
    speeds = [bench(label, source, args.repeat) for label, source in inputs]
    print(f"\nslowest: {min(speeds):.1f} MB/s (target: 5 MB/s)")


if __name__ == "__main__":
    main()
