"""Time TSX transforms: the esbuild service vs one esbuild process per file.

Run from the repository root::

    python benchmarks/transform.py [--n 1000] [--cli-n 200] [--lines 300]

The service side sends ``--n`` transforms of a generated ~300-line TSX module
(and of a one-line module) to one long-lived process. The CLI side spawns
``esbuild --loader=tsx`` with the module on stdin, ``--cli-n`` times (spawning
is slow, so fewer runs; medians are per transform either way, and the total
for ``--n`` files is scaled from them).

With Node and npm on the machine (``--no-node`` to skip), the reference is
timed too: esbuild's own JavaScript API (``esbuild.transform``, which speaks
the same service protocol), installed into a scratch folder by this script.
That shows what the protocol client costs on top of esbuild's own work.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask_vite.esbuild.binary import find_esbuild  # noqa: E402
from flask_vite.esbuild.service import EsbuildService  # noqa: E402

SMALL = "export const answer: number = 42 as number\n"


def make_module(lines: int) -> str:
    """A React-flavoured TSX module of about ``lines`` lines (whole components)."""
    out = [
        'import { useMemo, useState } from "react"',
        'import type { ReactNode } from "react"',
        "",
    ]
    i = 0
    while len(out) < lines:
        out += [
            f"interface Props{i} {{ title: string; items: number[]; footer?: ReactNode }}",
            f"type Mode{i} = 'a' | 'b' | 'c'",
            f"export function Widget{i}({{ title, items, footer }}: Props{i}) {{",
            f"  const [mode, setMode] = useState<Mode{i}>('a')",
            "  const total = useMemo(() => items.reduce((s, n) => s + n, 0), [items])",
            "  return (",
            f'    <section className="widget-{i}" data-mode={{mode}}>',
            "      <h2 onClick={() => setMode(mode === 'a' ? 'b' : 'a')}>{title}</h2>",
            "      <ul>{items.map((n) => <li key={n}>{n * 2}</li>)}</ul>",
            "      <p>Total: {total as number}</p>",
            "      {footer ?? <small>none</small>}",
            "    </section>",
            "  )",
            "}",
            "",
        ]
        i += 1
    return "\n".join(out) + "\n"


def time_service(svc: EsbuildService, code: str, n: int) -> list[float]:
    svc.transform(code, loader="tsx", sourcefile="bench.tsx")  # warm up
    times = []
    for _ in range(n):
        start = time.perf_counter()
        svc.transform(code, loader="tsx", sourcefile="bench.tsx")
        times.append(time.perf_counter() - start)
    return times


def time_cli(binary: Path, code: str, n: int) -> list[float]:
    data = code.encode()
    times = []
    for _ in range(n):
        start = time.perf_counter()
        subprocess.run([os.fspath(binary), "--loader=tsx", "--sourcefile=bench.tsx"],
                       input=data, stdout=subprocess.DEVNULL, check=True)
        times.append(time.perf_counter() - start)
    return times


def ms(seconds: float) -> str:
    return f"{seconds * 1000:8.3f} ms"


_NODE_SCRIPT = r"""
import * as esbuild from 'esbuild'
import fs from 'fs'
const [file, n] = [process.argv[2], Number(process.argv[3])]
const code = fs.readFileSync(file, 'utf8')
for (let i = 0; i < 50; i++) await esbuild.transform(code, { loader: 'tsx' })
const times = []
for (let i = 0; i < n; i++) {
  const t = performance.now()
  await esbuild.transform(code, { loader: 'tsx' })
  times.push(performance.now() - t)
}
await esbuild.stop()
console.log(JSON.stringify(times))
"""


def node_reference(version: str) -> Path | None:
    """A scratch folder with esbuild's npm package installed, or ``None`` without Node."""
    if not (shutil.which("node") and shutil.which("npm")):
        return None
    folder = Path(tempfile.gettempdir()) / f"flask-vite-bench-esbuild-{version}"
    if not (folder / "node_modules" / "esbuild").is_dir():
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "package.json").write_text('{"private": true, "type": "module"}')
        subprocess.run(["npm", "install", "--no-audit", "--no-fund", f"esbuild@{version}"],
                       cwd=folder, check=True, capture_output=True)
    (folder / "bench.mjs").write_text(_NODE_SCRIPT)
    return folder


def time_node(folder: Path, code: str, n: int) -> list[float]:
    source = folder / "module.tsx"
    source.write_text(code)
    out = subprocess.run(["node", "bench.mjs", str(source), str(n)], cwd=folder, check=True,
                         capture_output=True, text=True)
    return [t / 1000 for t in json.loads(out.stdout)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=1000, help="service transforms per module")
    parser.add_argument("--cli-n", type=int, default=200, help="CLI spawns per module")
    parser.add_argument("--lines", type=int, default=300, help="lines in the big module")
    parser.add_argument("--no-node", action="store_true", help="skip esbuild's JS API reference")
    args = parser.parse_args()
    from flask_vite.esbuild.binary import ESBUILD_VERSION

    node = None if args.no_node else node_reference(ESBUILD_VERSION)

    binary = find_esbuild()
    big = make_module(args.lines)
    print(f"esbuild {binary}")
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
    with EsbuildService(binary) as svc:
        for label, code in ((f"{args.lines}-line TSX", big), ("1-line TS", SMALL)):
            service = time_service(svc, code, args.n)
            cli = time_cli(binary, code, args.cli_n)
            s_med, c_med = statistics.median(service), statistics.median(cli)
            print(f"\n{label} ({len(code):,} bytes)")
            s_p90 = sorted(service)[len(service) * 9 // 10]
            print(f"  service: median {ms(s_med)}  p90 {ms(s_p90)}"
                  f"  total for {args.n}: {sum(service):.2f} s")
            print(f"  CLI:     median {ms(c_med)}  p90 {ms(sorted(cli)[len(cli) * 9 // 10])}"
                  f"  ({args.cli_n} spawns timed; {args.n} would take"
                  f" ~{c_med * args.n:.2f} s)")
            print(f"  service is {c_med / s_med:.1f}x faster (median per transform)")
            if node is not None:
                ref = statistics.median(time_node(node, code, args.n))
                print(f"  esbuild's JS API in Node (reference): median {ms(ref)};"
                      f" flask-vite / Node = {s_med / ref:.2f}")


if __name__ == "__main__":
    main()
