"""Front-end apps for benchmarks: a generated React + TypeScript app of many modules.

:func:`make_generated_app` writes a create-vite-like React app whose entry
imports ``folders`` folders of ``per_folder`` modules each (500 by default).
In each folder ``fNN/``:

* even modules ``mI.tsx`` are React components; odd ones ``mI.ts`` are plain
  TypeScript modules (interfaces, a class, functions, a computed constant);
* every module imports 2–3 siblings with a higher index (components:
  ``I+1``, ``I+2``, ``I+3``; TS modules: ``I+2``, ``I+4``), so the whole folder
  is reachable from ``m0.tsx`` and the import graph is a DAG;
* ``m4.tsx`` also imports ``styles.css`` (one CSS file per folder).

Each component renders a ``<section data-m="NN-I">`` with the value it
computed from its TS imports, and the next component of its folder inside.
``src/main.tsx`` renders all folders and a ``<p id="bench-ready">`` that says
how many sections are on the page, so "fully loaded" is checkable:
:data:`READY_SELECTOR` matches once every module has been fetched, evaluated
and rendered.
"""
from __future__ import annotations

import json
from pathlib import Path

#: Matches once the generated app has rendered (see :func:`expected_sections`).
READY_SELECTOR = "#bench-ready"

PACKAGE_JSON = {
    "name": "bench-generated-app",
    "private": True,
    "version": "0.0.0",
    "type": "module",
    "dependencies": {"react": "^19.0.0", "react-dom": "^19.0.0"},
    "devDependencies": {"@vitejs/plugin-react": "^6.0.0", "vite": "^8.0.0"},
}

VITE_CONFIG = """\
import react from '@vitejs/plugin-react'
import { defineConfig } from 'vite'

export default defineConfig({
  plugins: [react()],
})
"""

TSCONFIG = {
    "compilerOptions": {
        "target": "ES2022",
        "useDefineForClassFields": True,
        "lib": ["ES2022", "DOM", "DOM.Iterable"],
        "module": "ESNext",
        "moduleResolution": "bundler",
        "allowImportingTsExtensions": True,
        "verbatimModuleSyntax": True,
        "noEmit": True,
        "jsx": "react-jsx",
        "strict": True,
        "skipLibCheck": True,
    },
    "include": ["src"],
}

INDEX_HTML = """\
<!doctype html>
<html lang="en">
  <head>
    <meta charset="UTF-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1.0" />
    <title>Generated app</title>
  </head>
  <body>
    <div id="root"></div>
    <script type="module" src="/src/main.tsx"></script>
  </body>
</html>
"""


def _component(folder: int, i: int, n: int) -> str:
    name = f"C{folder:02d}_{i}"
    ts_deps = [j for j in (i + 1, i + 3) if j < n]
    child = i + 2 if i + 2 < n else None
    lines = ["import { useMemo, useState } from 'react'"]
    lines += [f"import {{ value{j}, describe{j} }} from './m{j}.ts'" for j in ts_deps]
    if child is not None:
        lines.append(f"import C{folder:02d}_{child} from './m{child}.tsx'")
    if i == 4:
        lines.append("import './styles.css'")
    total = " + ".join(f"value{j}" for j in ts_deps) or "0"
    label = " + ' / ' + ".join(f"describe{j}({i})" for j in ts_deps) or "''"
    lines += [
        "",
        f"export interface {name}Props {{ depth?: number }}",
        "",
        f"export default function {name}({{ depth = 0 }}: {name}Props) {{",
        "  const [open] = useState(true)",
        f"  const total = useMemo(() => {total} + depth, [depth])",
        "  return (",
        f'    <section data-m="{folder:02d}-{i}" className="m m{i}">',
        f"      <span className=\"label\">{{{label}}}: {{total.toFixed(2)}}</span>",
    ]
    if child is not None:
        lines.append(f"      {{open && <C{folder:02d}_{child} depth={{depth + 1}} />}}")
    lines += ["    </section>", "  )", "}", ""]
    return "\n".join(lines)


def _ts_module(folder: int, i: int, n: int) -> str:
    deps = [j for j in (i + 2, i + 4) if j < n]
    lines = [f"import {{ value{j}, Counter{j} }} from './m{j}.ts'" for j in deps]
    base = " + ".join(f"value{j}" for j in deps) or "1"
    lines += [
        "",
        f"export interface Shape{i} {{ id: number; name: string; weight: number }}",
        f"export type Kind{i} = 'small' | 'large'",
        "",
        f"export class Counter{i} {{",
        "  private count = 0",
        "  constructor(readonly name: string) {}",
        "  add(n: number): number {",
        "    this.count += n",
        "    return this.count",
        "  }",
        "}",
        "",
        f"const shapes: Shape{i}[] = Array.from({{ length: 8 }}, (_, k) => ({{",
        f"  id: k, name: 'shape-{folder}-{i}-' + k, weight: (k * {i + 1}) % 7,",
        "}))",
        "",
        f"export function describe{i}(n: number, kind: Kind{i} = 'small'): string {{",
        f"  return `{folder:02d}.{i}:${{kind}}:${{n}}`",
        "}",
        "",
        f"const counter = new Counter{i}('{folder}-{i}')",
    ]
    for j in deps:
        lines.append(f"counter.add(new Counter{j}('dep').add({j}))")
    lines += [
        (f"export const value{i}: number = {base} + shapes.reduce((s, x) => s + x.weight, 0) / 100"
         " + counter.add(0) / 1000"),
        "",
    ]
    return "\n".join(lines)


def _css(folder: int) -> str:
    hue = (folder * 37) % 360
    return (
        f'[data-m^="{folder:02d}-"] {{ border-left: 2px solid hsl({hue} 60% 50%); }}\n'
        f'[data-m="{folder:02d}-0"] {{ margin: 2px 0; padding-left: 4px; }}\n'
        f'[data-m^="{folder:02d}-"] .label {{ font: 11px/1.2 monospace; color: hsl({hue} 40% 30%); }}\n'
    )


def _main(folders: int) -> str:
    lines = [
        "import { StrictMode } from 'react'",
        "import { createRoot } from 'react-dom/client'",
        "import './index.css'",
    ]
    lines += [f"import F{k:02d} from './f{k:02d}/m0.tsx'" for k in range(folders)]
    names = ", ".join(f"F{k:02d}" for k in range(folders))
    lines += [
        "",
        f"const folders = [{names}]",
        "",
        "function Ready() {",
        "  // Rendered in the same commit as every section; the count is read",
        "  // from the DOM so a missing module or section shows.",
        "  return <p id=\"bench-ready\" ref={(el) => {",
        "    if (el) el.dataset.sections = String(document.querySelectorAll('section[data-m]').length)",
        "  }}>ready</p>",
        "}",
        "",
        "function App() {",
        "  return (",
        "    <main>",
        "      {folders.map((F, k) => <F key={k} />)}",
        "      <Ready />",
        "    </main>",
        "  )",
        "}",
        "",
        "createRoot(document.getElementById('root')!).render(",
        "  <StrictMode>",
        "    <App />",
        "  </StrictMode>,",
        ")",
        "",
    ]
    return "\n".join(lines)


def expected_sections(folders: int = 50, per_folder: int = 10) -> int:
    """How many ``section[data-m]`` the page renders (one per component)."""
    return folders * len(range(0, per_folder, 2))


def make_generated_app(dest: Path, folders: int = 50, per_folder: int = 10) -> Path:
    """Write the generated app to ``dest`` (which must not exist); return ``dest``.

    ``folders * per_folder`` TS/TSX modules, plus ``src/main.tsx``, one CSS
    file per folder (when ``per_folder > 4``) and ``src/index.css``.
    """
    dest.mkdir(parents=True)
    (dest / "package.json").write_text(json.dumps(PACKAGE_JSON, indent=2) + "\n")
    (dest / "vite.config.ts").write_text(VITE_CONFIG)
    (dest / "tsconfig.json").write_text(json.dumps(TSCONFIG, indent=2) + "\n")
    (dest / "index.html").write_text(INDEX_HTML)
    src = dest / "src"
    src.mkdir()
    (src / "main.tsx").write_text(_main(folders))
    (src / "index.css").write_text("body { margin: 0; font-family: system-ui, sans-serif; }\n")
    for k in range(folders):
        folder = src / f"f{k:02d}"
        folder.mkdir()
        for i in range(per_folder):
            if i % 2 == 0:
                (folder / f"m{i}.tsx").write_text(_component(k, i, per_folder))
            else:
                (folder / f"m{i}.ts").write_text(_ts_module(k, i, per_folder))
        if per_folder > 4:
            (folder / "styles.css").write_text(_css(k))
    return dest
