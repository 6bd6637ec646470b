"""The client build on small apps: code splitting, CSS per chunk, preload
lists, assets, HTML rewriting, names that follow content, SRI, source maps."""
from __future__ import annotations

import base64
import hashlib
import json
import re
from pathlib import Path

import pytest

from flask_vite.manifest import load_manifest

from .conftest import Builder, write


def manifest_of(root: Path) -> dict[str, dict[str, object]]:
    return json.loads((root / "dist" / "client" / ".vite" / "manifest.json").read_text())


def read(root: Path, file: str) -> str:
    return (root / "dist" / "client" / file).read_text()


@pytest.fixture
def split_root(tmp_path: Path) -> Path:
    """Two entries sharing a module, a lazily imported page with its own CSS."""
    return write(tmp_path / "app", {
        "index.html": '<!doctype html>\n<html>\n  <head>\n    <title>split</title>\n  </head>\n'
                      '  <body>\n    <script type="module" src="/src/main.ts"></script>\n'
                      '  </body>\n</html>\n',
        "src/main.ts": "import './main.css'\nimport { shared } from './shared'\n"
                       "document.body.dataset.shared = shared()\n"
                       "document.body.onclick = () => import('./lazy').then(m => m.show())\n",
        "src/other.ts": "import { shared } from './shared'\nconsole.log(shared())\n",
        "src/shared.ts": "import './shared.css'\nexport const shared = (): string => 'shared'\n",
        "src/lazy.ts": "import './lazy.css'\nimport { shared } from './shared'\n"
                       "export function show(): void { document.body.className = 'lazy ' + shared() }\n",
        "src/main.css": ".main { color: red }\n",
        "src/shared.css": ".shared { color: green }\n",
        "src/lazy.css": ".lazy { color: blue }\n",
    })


def test_code_splitting_and_css_per_chunk(builder: Builder, split_root: Path) -> None:
    builder(split_root, config={"VITE_BUILD_INPUT": ["index.html", "src/other.ts"]})
    manifest = manifest_of(split_root)
    load_manifest(split_root / "dist" / "client" / ".vite" / "manifest.json")  # valid for the reader
    index, other, lazy = manifest["index.html"], manifest["src/other.ts"], manifest["src/lazy.ts"]
    shared_key = next(k for k in manifest if k.startswith("_"))
    shared = manifest[shared_key]
    assert re.fullmatch(r"_shared-[\w-]{8}\.js", shared_key)
    assert shared_key == "_" + str(shared["file"]).split("/")[-1]
    assert shared["name"] == "shared" and "src" not in shared and "isEntry" not in shared
    assert index["isEntry"] and other["isEntry"] and other["src"] == "src/other.ts"
    assert lazy["isDynamicEntry"] and lazy["src"] == "src/lazy.ts" and "isEntry" not in lazy
    assert index["imports"] == [shared_key] and other["imports"] == [shared_key]
    assert lazy["imports"] == [shared_key] and index["dynamicImports"] == ["src/lazy.ts"]
    # Each stylesheet is in the chunk its module ended up in, once.
    css = {key: [read(split_root, f) for f in record.get("css", [])]  # type: ignore[union-attr]
           for key, record in manifest.items()}
    assert css["index.html"] == [".main{color:red}\n"]
    assert css[shared_key] == [".shared{color:green}\n"]
    assert css["src/lazy.ts"] == [".lazy{color:#00f}\n"]
    assert css["src/other.ts"] == []
    # The lazy chunk's CSS is not loaded with the page, but before the chunk runs.
    main_js = read(split_root, str(index["file"]))
    preload = re.search(r'\(\(\)=>import\("\./(lazy-[\w-]{8}\.js)"\),(\[[^\]]*\])', main_js)
    assert preload is not None, main_js
    assert preload.group(1) == str(lazy["file"]).split("/")[-1]
    # As Vite lists them: the chunk, its imports each followed by their CSS, its
    # own CSS last (the helper skips what the page already has).
    assert json.loads(preload.group(2)) == [lazy["file"], shared["file"], *shared["css"],  # type: ignore[misc]
                                            *lazy["css"]]  # type: ignore[misc]
    html = read(split_root, "index.html")
    assert f'<link rel="modulepreload" crossorigin href="/{shared["file"]}">' in html
    links = re.findall(r'<link rel="stylesheet" crossorigin href="/([^"]+)">', html)
    assert links == [*shared["css"], *index["css"]]  # type: ignore[misc]
    assert "lazy" not in "".join(links)


def test_stylesheets_keep_their_import_order(builder: Builder, small_root: Path) -> None:
    write(small_root, {
        "src/main.ts": "import './b.css'\nimport './a.ts'\nimport './c.css'\n",
        "src/a.ts": "import './a.css'\n",
        "src/a.css": ".a{order:2}", "src/b.css": ".b{order:1}", "src/c.css": ".c{order:3}",
    })
    builder(small_root)
    css = read(small_root, manifest_of(small_root)["index.html"]["css"][0])  # type: ignore[index]
    assert css == ".b{order:1}.a{order:2}.c{order:3}\n"


def test_names_change_with_what_a_chunk_loads(builder: Builder, split_root: Path) -> None:
    builder(split_root)
    first = manifest_of(split_root)
    # Only the lazy page's CSS changes: its CSS file, and the main chunk whose
    # preload list names it, get new names; the shared chunk keeps its name.
    (split_root / "src" / "lazy.css").write_text(".lazy { color: purple }\n")
    builder(split_root)
    second = manifest_of(split_root)
    assert second["src/lazy.ts"]["css"] != first["src/lazy.ts"]["css"]
    assert second["index.html"]["file"] != first["index.html"]["file"]
    assert second["index.html"]["imports"] == first["index.html"]["imports"]
    # Same input, same names.
    builder(split_root)
    assert manifest_of(split_root) == second


def test_assets_hashed_inlined_and_public(builder: Builder, small_root: Path) -> None:
    big = bytes(range(256)) * 20  # 5,120 bytes: over the 4 KiB inline limit
    (small_root / "src" / "big.png").write_bytes(big)
    (small_root / "src" / "small.png").write_bytes(b"\x89PNG tiny")
    (small_root / "public").mkdir()
    (small_root / "public" / "robots.txt").write_text("User-agent: *\n")
    (small_root / "public" / "logo.svg").write_text("<svg/>")
    write(small_root, {
        "src/main.ts": "import big from './big.png'\nimport small from './small.png'\n"
                       "import logo from '/logo.svg'\nimport raw from './note.txt?raw'\n"
                       "import './style.css'\nconsole.log(big, small, logo, raw)\n",
        "src/note.txt": "a note\n",
        "src/style.css": ".bg { background: url(./big.png) } .l { background: url(/logo.svg) }\n",
    })
    builder(small_root)
    manifest = manifest_of(small_root)
    digest = base64.urlsafe_b64encode(hashlib.sha256(big).digest()).decode()[:8]
    assert manifest["src/big.png"] == {"file": f"assets/big-{digest}.png", "src": "src/big.png"}
    assert (small_root / "dist" / "client" / "assets" / f"big-{digest}.png").read_bytes() == big
    assert "src/small.png" not in manifest  # inlined
    assert manifest["index.html"]["assets"] == [f"assets/big-{digest}.png"]
    js = read(small_root, manifest["index.html"]["file"])  # type: ignore[arg-type]
    assert f'"/assets/big-{digest}.png"' in js
    assert '"data:image/png;base64,iVBORyB0aW55"' in js
    assert '"/logo.svg"' in js and "a note" in js
    css = read(small_root, manifest["index.html"]["css"][0])  # type: ignore[index]
    assert f"url(/assets/big-{digest}.png)" in css and "url(/logo.svg)" in css
    assert read(small_root, "robots.txt") == "User-agent: *\n"  # the public dir, as it is


def test_index_html_rewrites(builder: Builder, small_root: Path) -> None:
    (small_root / "public").mkdir()
    (small_root / "public" / "favicon.svg").write_text("<svg/>")
    (small_root / "src" / "photo.png").write_bytes(b"x" * 5000)
    write(small_root, {
        "index.html": "<!doctype html>\n<html>\n\t<head>\n"
                      '\t\t<link rel="icon" href="/favicon.svg">\n'
                      '\t\t<link rel="stylesheet" href="/src/page.css">\n'
                      "\t\t<title>%VITE_TITLE%</title>\n"
                      "\t</head>\n\t<body>\n"
                      '\t\t<img src="./src/photo.png" alt="">\n'
                      "\t\t<!-- <script type=\"module\" src=\"/src/nope.ts\"></script> -->\n"
                      '\t\t<script type="module">import { answer } from "/src/main.ts"\n'
                      "document.title += answer</script>\n"
                      "\t</body>\n</html>\n",
        "src/main.ts": "export const answer: number = 42\n",
        "src/page.css": "body { margin: 0 }\n",
        ".env": "VITE_TITLE=Built\n",
    })
    builder(small_root, config={"VITE_BASE": "/static/"})
    manifest = manifest_of(small_root)
    index = manifest["index.html"]
    html = read(small_root, "index.html")
    photo = manifest["src/photo.png"]["file"]
    assert html == (
        "<!doctype html>\n<html>\n\t<head>\n"
        '\t\t<link rel="icon" href="/static/favicon.svg">\n'
        "\t\t<title>Built</title>\n"
        f'\t\t<script type="module" crossorigin src="/static/{index["file"]}"></script>\n'
        f'\t\t<link rel="stylesheet" crossorigin href="/static/{index["css"][0]}">\n'  # type: ignore[index]
        "\t</head>\n\t<body>\n"
        f'\t\t<img src="/static/{photo}" alt="">\n'
        "\t\t<!-- <script type=\"module\" src=\"/src/nope.ts\"></script> -->\n"
        "\t</body>\n</html>\n")
    js = read(small_root, index["file"])  # type: ignore[arg-type]
    assert "42" in js and "document.title" in js  # the inline script, bundled


def test_sri_and_source_maps(builder: Builder, split_root: Path) -> None:
    builder(split_root, sri=True, sourcemap=True)
    manifest = manifest_of(split_root)
    client = split_root / "dist" / "client"
    for record in manifest.values():
        file = str(record["file"])
        if not file.endswith(".js"):
            continue
        data = (client / file).read_bytes()
        digest = base64.b64encode(hashlib.sha384(data).digest()).decode()
        assert record["integrity"] == f"sha384-{digest}"
        assert data.decode().endswith(f"\n//# sourceMappingURL={file.split('/')[-1]}.map\n")
        source_map = json.loads((client / (file + ".map")).read_text())
        assert source_map["file"] == file.split("/")[-1]
    index = manifest["index.html"]
    html = read(split_root, "index.html")
    assert f'src="/{index["file"]}" integrity="{index["integrity"]}"' in html
    # Positions map back to the TypeScript source, through our edits of the chunk.
    from flask_vite.sourcemap import original_position

    lazy = manifest["src/lazy.ts"]
    code = read(split_root, str(lazy["file"]))
    source_map = json.loads((client / (str(lazy["file"]) + ".map")).read_text())
    found = original_position(source_map, 1, code.index("lazy "))
    assert found is not None and found[0].endswith("src/lazy.ts") and found[1] == 3


def test_a_module_entry_and_relative_base(builder: Builder, small_root: Path) -> None:
    (small_root / "src" / "photo.png").write_bytes(b"x" * 5000)
    write(small_root, {
        "src/main.ts": "import photo from './photo.png'\nexport const url = photo\n"
                       "export const load = () => import('./later')\n",
        "src/later.ts": "import './later.css'\nexport const later = 1\n",
        "src/later.css": ".later { color: red }\n",
    })
    builder(small_root, config={"VITE_BUILD_INPUT": "src/main.ts", "VITE_BASE": "./"})
    manifest = manifest_of(small_root)
    main = manifest["src/main.ts"]
    assert main["isEntry"] and main["name"] == "main"
    assert not (small_root / "dist" / "client" / "index.html").exists()
    js = read(small_root, str(main["file"]))
    photo = str(manifest["src/photo.png"]["file"]).split("/")[-1]
    assert f'new URL("{photo}",import.meta.url).href' in js
    later = manifest["src/later.ts"]
    deps = [f"./{f.split('/')[-1]}" for f in [later["file"], *later["css"]]]  # type: ignore[misc]
    assert f"{json.dumps(deps, separators=(',', ':'))},import.meta.url)" in js.replace(", ", ",")


def test_css_modules_json_glob_and_queries(builder: Builder, small_root: Path) -> None:
    write(small_root, {
        "src/main.ts": "import styles from './card.module.css'\n"
                       "import inline from './inline.css?inline'\n"
                       "import cssUrl from './linked.css?url'\n"
                       "import { version } from './data.json'\n"
                       "const pages = import.meta.glob('./pages/*.ts', { eager: true })\n"
                       "console.log(styles.title, inline, cssUrl, version, Object.keys(pages))\n",
        "src/entry-server.ts": "import styles from './card.module.css'\n"
                               "export const title: string = styles.title\n",
        "src/card.module.css": ".title { color: red }\n",
        "src/inline.css": ".inline {\n  color: blue;\n}\n",
        # Over the 4 KiB limit: ?url gives the file's URL (smaller files are inlined).
        "src/linked.css": ".linked { color: green }\n" + "/* padding */\n" * 400,
        "src/data.json": '{"version": "1.2.3", "unused": [1, 2, 3]}',
        "src/pages/a.ts": "export const a = 'page a'\n",
        "src/pages/b.ts": "export const b = 'page b'\n",
    })
    result = builder(small_root, ssr="src/entry-server.ts")
    manifest = manifest_of(small_root)
    js = read(small_root, str(manifest["index.html"]["file"]))
    css = read(small_root, manifest["index.html"]["css"][0])  # type: ignore[index]
    # The CSS module's class, the same in the page's CSS, the client and the server.
    title = re.search(r"\.(\w*title\w*)\{color:red\}", css)
    assert title is not None, css
    assert f'"{title.group(1)}"' in js
    assert result.ssr is not None and f'"{title.group(1)}"' in result.ssr.file.read_text()
    assert '".inline{color:#00f}"' in js and ".inline" not in css
    linked = manifest["src/linked.css"]["file"]
    assert f'"/{linked}"' in js and read(small_root, str(linked)).startswith(".linked { color")
    assert '"1.2.3"' in js and "unused" not in js  # JSON named exports, tree-shaken
    assert "page a" in js and "page b" in js and '"./pages/a.ts"' in js


def test_pages_with_and_without_scripts(builder: Builder, small_root: Path) -> None:
    write(small_root, {
        "about/index.html": "<html><head>\n  </head><body>\n"
                            '    <script type="module" src="./about.ts"></script>\n</body></html>\n',
        "about/about.ts": "import '../src/main.ts'\nconsole.log('about')\n",
        "static.html": "<html><head></head><body>no scripts</body></html>\n",
    })
    builder(small_root, config={"VITE_BUILD_INPUT": ["index.html", "about/index.html",
                                                    "static.html"]})
    manifest = manifest_of(small_root)
    shared = manifest["index.html"]["imports"]
    assert shared == manifest["about/index.html"]["imports"]
    assert sorted(manifest) == [*shared, "about/index.html", "index.html"]  # type: ignore[misc]
    assert str(shared[0]).startswith("_main-")  # type: ignore[index]
    about = read(small_root, "about/index.html")
    assert f'src="/{manifest["about/index.html"]["file"]}"' in about
    assert "modulepreload" in about  # the shared chunk with main.ts
    assert read(small_root, "static.html") == "<html><head></head><body>no scripts</body></html>\n"


def test_jinja_tags_from_the_built_manifest(builder: Builder, split_root: Path) -> None:
    builder(split_root, config={"VITE_BUILD_INPUT": ["src/main.ts", "src/other.ts"]},
            sri=True)
    app = builder.app(split_root)  # VITE_DEV off: tags come from the manifest
    manifest = manifest_of(split_root)
    main, shared = manifest["src/main.ts"], manifest[manifest["src/main.ts"]["imports"][0]]  # type: ignore[index]
    with app.test_request_context():
        from flask import render_template_string

        html = render_template_string('{{ vite_tags("src/main.ts", integrity=True) }}')
    assert html.splitlines() == [
        f'<script type="module" crossorigin src="/{main["file"]}" integrity="{main["integrity"]}"></script>',
        f'<link rel="modulepreload" crossorigin href="/{shared["file"]}" integrity="{shared["integrity"]}">',
        *[f'<link rel="stylesheet" crossorigin href="/{css}">'
          for css in [*shared["css"], *main["css"]]],  # type: ignore[misc]
    ]
