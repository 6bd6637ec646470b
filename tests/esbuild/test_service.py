"""The esbuild service client against the real binary."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import typing as t
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from flask_vite.errors import EsbuildError, EsbuildServiceError
from flask_vite.esbuild.flags import build_flags, transform_flags
from flask_vite.esbuild.service import (
    BuildResult,
    EsbuildService,
    OnLoadArgs,
    OnResolveArgs,
    OnResolveResult,
    Plugin,
    PluginBuild,
)

TSX = """\
import { useState } from "react"
interface Props { label: string; start?: number }
export function Counter({ label, start = 0 }: Props) {
  const [n, setN] = useState<number>(start)
  return <button onClick={() => setN(n + 1)}>{label}: {n}</button>
}
"""


def _gone(pid: int, within: float = 5.0) -> bool:
    """Whether ``pid`` is reaped (a zombie still accepts signal 0)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.01)
    return False


def _check_map(source_map: str, source: str) -> dict[str, t.Any]:
    data = json.loads(source_map)
    assert data["version"] == 3
    assert data["sources"] == [source]
    assert data["mappings"]
    return t.cast("dict[str, t.Any]", data)


# -- options to flags (pure) ------------------------------------------------

LOG_T = ["--log-level=silent", "--log-limit=0"]
LOG_B = ["--log-level=warning", "--log-limit=0"]


@pytest.mark.parametrize(
    ("options", "flags"),
    [
        ({}, LOG_T),
        ({"loader": "tsx", "sourcefile": "a.tsx", "sourcemap": True},
         LOG_T + ["--sourcemap=external", "--sourcefile=a.tsx", "--loader=tsx"]),
        ({"sourcemap": "inline", "sourcemap_unused": None}, None),
        ({"target": ["es2020", "chrome90"], "format": "esm", "platform": "browser"},
         LOG_T + ["--target=es2020,chrome90", "--format=esm", "--platform=browser"]),
        ({"define": {"DEV": "true"}, "drop": ["console"], "supported": {"bigint": False}},
         LOG_T + ["--drop:console", "--define:DEV=true", "--supported:bigint=false"]),
        ({"tsconfig_raw": {"compilerOptions": {"jsx": "react-jsx"}}},
         LOG_T + ['--tsconfig-raw={"compilerOptions": {"jsx": "react-jsx"}}']),
        ({"jsx": "automatic", "jsx_import_source": "preact", "jsx_dev": True, "minify": True,
          "keep_names": True, "tree_shaking": False, "log_level": "error"},
         ["--log-level=error", "--log-limit=0", "--minify", "--tree-shaking=false",
          "--jsx=automatic", "--jsx-import-source=preact", "--jsx-dev", "--keep-names"]),
        ({"banner": "/* b */", "charset": "utf8", "sources_content": False},
         LOG_T + ["--sources-content=false", "--charset=utf8", "--banner=/* b */"]),
    ],
)
def test_transform_flags(options: dict[str, t.Any], flags: list[str] | None) -> None:
    if flags is None:
        with pytest.raises(TypeError, match="'sourcemap_unused'"):
            transform_flags(options)
    else:
        assert transform_flags(options) == (flags, None)


def test_build_flags() -> None:
    parts = build_flags({
        "entry_points": {"main": "src/main.ts"}, "bundle": True, "outdir": Path("dist"),
        "splitting": True, "format": "esm", "sourcemap": True, "external": ["react", "vue"],
        "loader": {".svg": "text"}, "banner": {"js": "// hi"}, "alias": {"a": "b"},
        "metafile": True, "write": False, "entry_names": "[dir]/[name]-[hash]",
        "stdin": {"contents": "x", "resolve_dir": Path("/r"), "loader": "ts"},
        "abs_working_dir": Path("/w"), "node_paths": [Path("/n")],
    })
    assert parts.entries == [["main", "src/main.ts"]]
    assert parts.flags == LOG_B + [
        "--format=esm", "--sourcemap", "--bundle", "--splitting", "--metafile",
        "--outdir=dist", "--entry-names=[dir]/[name]-[hash]", "--external:react",
        "--external:vue", "--alias:a=b", "--banner:js=// hi", "--loader:.svg=text",
        "--loader=ts"]
    assert (parts.write, parts.stdin_contents, parts.stdin_resolve_dir) == (False, b"x", "/r")
    assert (parts.abs_working_dir, parts.node_paths) == ("/w", ["/n"])
    assert build_flags({"entry_points": ["a.ts", {"in": "b.ts", "out": "B"}]}).entries == [
        ["", "a.ts"], ["B", "b.ts"]]
    assert build_flags({}).write is True  # esbuild's default; EsbuildService.build says False


@pytest.mark.parametrize(
    ("options", "error"),
    [
        ({"target": ["es2020,chrome90"]}, ValueError),
        ({"define": {"A=B": "1"}}, ValueError),
        ({"define": {"A": 1}}, TypeError),
        ({"minify": 1}, TypeError),
        ({"line_limit": True}, TypeError),
        ({"external": "react"}, TypeError),
        ({"entry_points": "main.ts"}, TypeError),
        ({"stdin": {"contents": "x", "typo": 1}}, TypeError),
        ({"outdir": 3}, TypeError),
    ],
)
def test_bad_build_options(options: dict[str, t.Any], error: type[Exception]) -> None:
    with pytest.raises(error):
        build_flags(options)


# -- transform --------------------------------------------------------------


def test_transform_ts(service: EsbuildService) -> None:
    r = service.transform("const n: number = 1 as number\nexport enum E { A }\n",
                          loader="ts", sourcefile="n.ts", sourcemap=True)
    assert "const n = 1;" in r.code
    assert ": number" not in r.code
    assert 'E2[E2["A"] = 0] = "A"' in r.code
    _check_map(r.map, "n.ts")
    assert r.warnings == []


def test_transform_tsx(service: EsbuildService) -> None:
    r = service.transform(TSX, sourcefile="/src/Counter.tsx", sourcemap=True)
    assert "React.createElement" in r.code
    assert "interface" not in r.code
    data = _check_map(r.map, "/src/Counter.tsx")
    assert data["sourcesContent"] == [TSX]


def test_transform_jsx_automatic(service: EsbuildService) -> None:
    r = service.transform("export const A = () => <><b>hi</b></>", loader="jsx",
                          jsx="automatic", jsx_import_source="preact",
                          sourcefile="a.jsx", sourcemap="external")
    assert 'from "preact/jsx-runtime"' in r.code
    _check_map(r.map, "a.jsx")


def test_transform_inline_sourcemap(service: EsbuildService) -> None:
    r = service.transform(b"let x: number = 1", loader="ts", sourcemap="inline")
    assert "sourceMappingURL=data:application/json;base64," in r.code
    assert r.map == ""


def test_transform_options(service: EsbuildService) -> None:
    r = service.transform(
        "if (DEBUG) console.log(process.env.MODE, a ?? b)",
        loader="js", define={"DEBUG": "false", "process.env.MODE": '"dev"'},
        minify=True, target=["es2019"], tsconfig_raw={"compilerOptions": {}},
    )
    assert "console" not in r.code  # DEBUG folded to false and removed
    r = service.transform("console.log(process.env.MODE, a ?? b)", loader="js",
                          define={"process.env.MODE": '"dev"'}, target="es2019")
    assert '"dev"' in r.code and "??" not in r.code


def test_transform_warnings(service: EsbuildService) -> None:
    r = service.transform("let a = 1; if (a == -0) {}", loader="js")
    assert r.warnings and "-0" in r.warnings[0].text
    assert r.warnings[0].line == 1


def test_unknown_option_is_a_type_error(service: EsbuildService) -> None:
    with pytest.raises(TypeError, match="'minfy'.*did you mean 'minify'"):
        service.transform("1", minfy=True)
    with pytest.raises(TypeError, match="'outdir'"):
        service.transform("1", outdir="dist")  # a build option
    with pytest.raises(TypeError, match="'minify' must be a bool"):
        service.transform("1", minify="yes")


def test_syntax_error(service: EsbuildService) -> None:
    with pytest.raises(EsbuildError) as info:
        service.transform("const ok = 1\nconst x: number = ;\n", loader="ts",
                          sourcefile="src/broken.ts")
    err = info.value
    assert len(err.errors) == 1
    msg = err.errors[0]
    assert (msg.file, msg.line, msg.column) == ("src/broken.ts", 2, 18)
    assert msg.line_text == "const x: number = ;"
    assert "src/broken.ts:2:18" in str(err)


def test_bad_flag_value_is_an_esbuild_error(service: EsbuildService) -> None:
    with pytest.raises(EsbuildError, match="loader"):
        service.transform("1", loader="nope")


# -- build ------------------------------------------------------------------


def test_build_with_code_splitting(service: EsbuildService, tmp_path: Path) -> None:
    (tmp_path / "shared.ts").write_text("export const shared = (s: string) => s + '!'\n")
    (tmp_path / "lazy.ts").write_text("export const lazy = 'LAZY'\n")
    (tmp_path / "a.ts").write_text(
        "import { shared } from './shared'\n"
        "console.log(shared('a'))\n"
        "export const load = () => import('./lazy')\n")
    (tmp_path / "b.ts").write_text("import { shared } from './shared'\nconsole.log(shared('b'))\n")
    out = tmp_path / "dist"
    r = service.build(entry_points=["a.ts", "b.ts"], outdir=str(out), splitting=True,
                      abs_working_dir=str(tmp_path), sourcemap=True)
    names = sorted(Path(f.path).name for f in r.output_files)
    assert "a.js" in names and "b.js" in names
    js = [Path(f.path).name for f in r.output_files if f.path.endswith(".js")]
    # The entries, a chunk for the shared module, one for the dynamic import.
    assert len(js) == 4
    assert any(n.startswith("chunk-") for n in js)
    lazy = next(f for f in r.output_files if Path(f.path).name.startswith("lazy-")
                and f.path.endswith(".js"))
    assert "LAZY" in lazy.text
    assert Path(lazy.path).name in next(f.text for f in r.output_files
                                        if f.path.endswith("a.js"))
    assert any(f.path.endswith(".js.map") for f in r.output_files)
    assert all(Path(f.path).parent == out for f in r.output_files)
    assert not out.exists()  # write=False: nothing on disk
    assert r.metafile is not None
    assert set(r.metafile["inputs"]) == {"a.ts", "b.ts", "shared.ts", "lazy.ts"}
    assert len(r.metafile["outputs"]) == len(r.output_files)


def test_build_error_has_location(service: EsbuildService, tmp_path: Path) -> None:
    (tmp_path / "main.ts").write_text("import './missing'\n")
    with pytest.raises(EsbuildError) as info:
        service.build(entry_points=["main.ts"], outdir="dist",
                      abs_working_dir=str(tmp_path), log_level="silent")
    msg = info.value.errors[0]
    assert "./missing" in msg.text
    assert (msg.file, msg.line, msg.column) == ("main.ts", 1, 7)


def test_build_stdin_and_write(service: EsbuildService, tmp_path: Path) -> None:
    r = service.build(stdin={"contents": "export default 1 as number", "loader": "ts",
                             "sourcefile": "in.ts"},
                      outfile=tmp_path / "out.js", write=True, metafile=False,
                      abs_working_dir=tmp_path)
    assert r.output_files == [] and r.metafile is None
    assert "export {" in (tmp_path / "out.js").read_text()


def test_incremental_rebuild(service: EsbuildService, tmp_path: Path) -> None:
    src = tmp_path / "main.ts"
    src.write_text("export const msg: string = 'first'\n")
    with service.context(entry_points=[str(src)], outdir=str(tmp_path / "out"),
                         abs_working_dir=str(tmp_path)) as ctx:
        first = ctx.rebuild()
        assert "first" in first.output_files[0].text
        src.write_text("export const msg: string = 'second'\n")
        second = ctx.rebuild()
        assert "second" in second.output_files[0].text
        assert "first" not in second.output_files[0].text
        src.write_text("export const msg: string = ;\n")
        with pytest.raises(EsbuildError) as info:
            ctx.rebuild()
        assert info.value.errors[0].line == 1
    with pytest.raises(EsbuildServiceError, match="disposed"):
        ctx.rebuild()


# -- plugins ----------------------------------------------------------------


def test_on_resolve_marks_external_and_rewrites(service: EsbuildService,
                                                tmp_path: Path) -> None:
    (tmp_path / "main.js").write_text(
        "import { h } from 'cdn:preact'\nimport local from './local'\nh(local)\n")
    (tmp_path / "local.js").write_text("export default 'local'\n")
    seen: list[OnResolveArgs] = []

    def setup(build: PluginBuild) -> None:
        @build.on_resolve(filter=r"^cdn:")
        def to_cdn(args: OnResolveArgs) -> dict[str, t.Any]:
            seen.append(args)
            name = args.path[len("cdn:"):]
            return {"path": f"https://esm.sh/{name}@10", "external": True}

    r = service.build(entry_points=["main.js"], outdir="out", abs_working_dir=str(tmp_path),
                      plugins=[Plugin(name="cdn", setup=setup)])
    code = r.output_files[0].text
    assert 'from "https://esm.sh/preact@10"' in code
    assert '"local"' in code  # other imports still resolve normally
    assert [(a.path, a.kind, a.importer) for a in seen] == [
        ("cdn:preact", "import-statement", str(tmp_path / "main.js"))]
    assert seen[0].resolve_dir == str(tmp_path)


class Marker:
    """Not serialisable: plugin data must stay on the Python side."""


def test_on_load_virtual_module(service: EsbuildService, tmp_path: Path) -> None:
    (tmp_path / "main.ts").write_text(
        "import answer, { kind } from 'virtual:answer'\nconsole.log(answer, kind)\n")
    marker = Marker()
    loaded: list[OnLoadArgs] = []
    events: list[str] = []

    def setup(build: PluginBuild) -> None:
        build.on_start(lambda: events.append("start"))

        def end(result: BuildResult) -> None:
            events.append(f"end:{len(result.errors)}")

        build.on_end(end)
        build.on_resolve(r"^virtual:", callback=lambda args: OnResolveResult(
            path=args.path, namespace="virtual", plugin_data=marker))

        @build.on_load(filter=r".*", namespace="virtual")
        def load(args: OnLoadArgs) -> dict[str, t.Any]:
            loaded.append(args)
            return {"contents": "export default 42 as number; export const kind = 'virtual'",
                    "loader": "ts", "resolve_dir": str(tmp_path)}

    r = service.build(entry_points=["main.ts"], outdir="out", abs_working_dir=str(tmp_path),
                      plugins=[Plugin("virtual", setup)])
    code = r.output_files[0].text
    assert "42" in code and '"virtual"' in code
    assert [(a.path, a.namespace) for a in loaded] == [("virtual:answer", "virtual")]
    assert loaded[0].plugin_data is marker  # the very object, round-tripped by handle
    assert events == ["start", "end:0"]
    assert "virtual:virtual:answer" in r.metafile["inputs"]  # type: ignore[index]


def test_plugin_exception_becomes_error(service: EsbuildService, tmp_path: Path) -> None:
    (tmp_path / "main.js").write_text("import 'boom:x'\n")

    def setup(build: PluginBuild) -> None:
        @build.on_resolve(filter="^boom:")
        def explode(args: OnResolveArgs) -> None:
            raise ValueError(f"cannot resolve {args.path}")

    with pytest.raises(EsbuildError) as info:
        service.build(entry_points=["main.js"], outdir="out", abs_working_dir=str(tmp_path),
                      plugins=[Plugin("exploder", setup)], log_level="silent")
    msg = info.value.errors[0]
    assert msg.plugin_name == "exploder"
    assert msg.text == "ValueError: cannot resolve boom:x"
    # esbuild shows the file relative to the working directory.
    assert os.path.normpath(tmp_path / str(msg.file)) == __file__
    assert msg.line_text == 'raise ValueError(f"cannot resolve {args.path}")'
    assert isinstance(info.value.__cause__, ValueError)


def test_plugin_bad_return_and_setup_errors(service: EsbuildService, tmp_path: Path) -> None:
    (tmp_path / "main.js").write_text("import 'x'\n")

    def bad_return(build: PluginBuild) -> None:
        build.on_resolve(".*", callback=lambda args: {"path": "/x", "externall": True})

    with pytest.raises(EsbuildError, match="externall"):
        service.build(entry_points=["main.js"], outdir="out", abs_working_dir=str(tmp_path),
                      plugins=[Plugin("typo", bad_return)], log_level="silent")

    def bad_setup(build: PluginBuild) -> None:
        raise RuntimeError("no setup for you")

    with pytest.raises(EsbuildError, match="no setup for you") as info:
        service.build(entry_points=["main.js"], plugins=[Plugin("broken", bad_setup)])
    assert info.value.errors[0].plugin_name == "broken"

    def bad_filter(build: PluginBuild) -> None:
        build.on_load("(", callback=lambda args: None)

    with pytest.raises(EsbuildError, match="filter"):
        service.build(entry_points=["main.js"], outdir="out", abs_working_dir=str(tmp_path),
                      plugins=[Plugin("regexp", bad_filter)])


def test_plugin_resolve_and_on_end_errors(service: EsbuildService, tmp_path: Path) -> None:
    (tmp_path / "dep.js").write_text("export default 'dep'\n")
    (tmp_path / "main.js").write_text("import d from 'alias:dep'\nconsole.log(d)\n")

    def setup(build: PluginBuild) -> None:
        @build.on_resolve(filter="^alias:")
        def alias(args: OnResolveArgs) -> t.Any:
            # Nested request to esbuild from inside a callback.
            found = build.resolve("./" + args.path[6:] + ".js", kind="import-statement",
                                  resolve_dir=args.resolve_dir)
            return {"path": found.path}

        build.on_end(lambda result: {"warnings": ["checked by on_end"]})

    r = service.build(entry_points=["main.js"], outdir="out", abs_working_dir=str(tmp_path),
                      plugins=[Plugin("alias", setup)])
    assert '"dep"' in r.output_files[0].text
    assert [w.text for w in r.warnings] == ["checked by on_end"]
    assert r.warnings[0].plugin_name == "alias"

    def failing_end(build: PluginBuild) -> None:
        build.on_end(lambda result: {"errors": [{"text": "bad output", "file": "x.js",
                                                 "line": 3}]})

    with pytest.raises(EsbuildError, match="bad output") as info:
        service.build(entry_points=["dep.js"], outdir="out", abs_working_dir=str(tmp_path),
                      plugins=[Plugin("end", failing_end)])
    assert (info.value.errors[0].file, info.value.errors[0].line) == ("x.js", 3)


def test_context_with_plugins_and_on_end(service: EsbuildService, tmp_path: Path) -> None:
    version = ["1"]
    ends: list[int] = []

    def setup(build: PluginBuild) -> None:
        build.on_resolve("^v$", callback=lambda a: {"path": "v", "namespace": "gen"})
        build.on_load(".*", "gen", lambda a: {"contents": f"export default {version[0]}"})
        build.on_end(lambda result: ends.append(len(result.output_files)))

    (tmp_path / "main.js").write_text("import v from 'v'\nconsole.log(v)\n")
    ctx = service.context(entry_points=["main.js"], outdir="out",
                          abs_working_dir=str(tmp_path), plugins=[Plugin("gen", setup)])
    try:
        assert "console.log(1)" in ctx.rebuild().output_files[0].text.replace("v_default", "1")
        version[0] = "2"
        assert "2" in ctx.rebuild().output_files[0].text
        assert ends == [1, 1]
    finally:
        ctx.dispose()
        ctx.dispose()  # twice is fine


# -- concurrency and robustness ---------------------------------------------


def test_many_threads(service: EsbuildService) -> None:
    barrier = threading.Barrier(50)

    def one(i: int) -> str:
        barrier.wait()
        return service.transform(f"export const v{i}: number = {i} as number", loader="ts").code

    with ThreadPoolExecutor(max_workers=50) as pool:
        results = list(pool.map(one, range(50)))
    for i, code in enumerate(results):
        assert code == f"export const v{i} = {i};\n"


GEVENT_SCRIPT = """\
from gevent import monkey
monkey.patch_all()

import sys
import gevent
from flask_vite.esbuild.service import EsbuildService, Plugin

svc = EsbuildService(sys.argv[1])

def one(i):
    return svc.transform(f"export const v{i}: number = {i} as number", loader="ts").code

jobs = [gevent.spawn(one, i) for i in range(50)]
gevent.joinall(jobs, timeout=60, raise_error=True)
wrong = [i for i, job in enumerate(jobs) if job.value != f"export const v{i} = {i};\\n"]
assert not wrong, wrong

# Plugin callbacks run on (patched) worker threads: a greenlet sleeping in
# one must not block the others.
def setup(build):
    def load(args):
        gevent.sleep(0.05)
        return {"contents": "export default 7", "loader": "js"}
    build.on_resolve("^v$", callback=lambda a: {"path": "v", "namespace": "v"})
    build.on_load(".*", "v", load)

builds = [gevent.spawn(svc.build, stdin={"contents": "import v from 'v'; console.log(v)"},
                       plugins=[Plugin("v", setup)]) for _ in range(5)]
gevent.joinall(builds, timeout=60, raise_error=True)
assert all("7" in b.value.output_files[0].text for b in builds)
svc.close()
print("ok", len(jobs))
"""


def test_many_greenlets_in_a_patched_process(esbuild_binary: Path, tmp_path: Path) -> None:
    script = tmp_path / "greenlets.py"
    script.write_text(GEVENT_SCRIPT)
    proc = subprocess.run([sys.executable, "-W", "error", str(script), str(esbuild_binary)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "ok 50"
    assert proc.stderr == ""


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="POSIX only")
def test_restarts_after_kill(own_service: EsbuildService) -> None:
    svc = own_service
    assert svc.transform("1", loader="js").code == "1;\n"
    old = svc.pid
    assert old is not None
    os.kill(old, signal.SIGKILL)
    assert svc.transform("2", loader="js").code == "2;\n"  # no wait in between
    assert svc.pid not in (None, old)
    assert _gone(old)  # reaped, not a zombie


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="POSIX only")
def test_pending_requests_fail_when_process_dies(own_service: EsbuildService) -> None:
    svc = own_service
    entered, release = threading.Event(), threading.Event()

    def setup(build: PluginBuild) -> None:
        def slow(args: OnLoadArgs) -> dict[str, str]:
            entered.set()
            release.wait(10)
            return {"contents": ""}

        build.on_resolve("^slow$", callback=lambda a: {"path": "slow", "namespace": "s"})
        build.on_load(".*", "s", slow)

    errors: list[BaseException] = []

    def run() -> None:
        try:
            svc.build(stdin={"contents": "import 'slow'"}, plugins=[Plugin("slow", setup)])
        except BaseException as e:
            errors.append(e)

    thread = threading.Thread(target=run)
    thread.start()
    assert entered.wait(10)
    pid = svc.pid
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    thread.join(10)
    release.set()
    assert not thread.is_alive()
    assert len(errors) == 1 and isinstance(errors[0], EsbuildServiceError)
    assert "stopped unexpectedly (killed by signal 9)" in str(errors[0])
    assert svc.transform("3", loader="js").code == "3;\n"
    assert _gone(pid)


def test_pings_are_answered(own_service: EsbuildService) -> None:
    # esbuild pings every second; an unanswered ping would pile up in esbuild.
    svc = own_service
    svc.transform("1", loader="js")
    channel = svc._holder.channel
    assert channel is not None
    seen: list[object] = []
    answer = channel._answer

    def spy(session: t.Any, id: int, request: dict[str, t.Any]) -> None:
        seen.append(request.get("command"))
        answer(session, id, request)

    channel._answer = spy  # type: ignore[method-assign]
    deadline = time.monotonic() + 5
    while "ping" not in seen and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "ping" in seen
    assert svc.transform("2", loader="js").code == "2;\n"


def test_close_and_reopen(own_service: EsbuildService) -> None:
    svc = own_service
    assert svc.pid is None  # lazy: nothing started yet
    svc.transform("1", loader="js")
    pid = svc.pid
    assert pid is not None
    ctx = svc.context(stdin={"contents": "console.log(1)"})  # a live context must not delay exit
    started = time.monotonic()
    svc.close()
    assert time.monotonic() - started < 1.5
    assert svc.pid is None and _gone(pid)
    assert svc.transform("2", loader="js").code == "2;\n"  # starts again
    # The context is created again in the new process.
    assert "console.log(1)" in ctx.rebuild().output_files[0].text
    ctx.dispose()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="POSIX only")
def test_forked_child_starts_its_own_process(own_service: EsbuildService) -> None:
    # gunicorn --preload imports the app (and may start esbuild) before forking.
    svc = own_service
    svc.transform("1", loader="js")
    parent_pid = svc.pid
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # fork with threads, 3.12+
        child = os.fork()
    if child == 0:  # pragma: no cover - runs in the child
        code = 1
        try:
            ok = svc.transform("2", loader="js").code == "2;\n"
            code = 0 if ok and svc.pid not in (None, parent_pid) else 2
            svc.close()
        finally:
            os._exit(code)
    # Never hang the suite on a deadlocked child: fail and kill it.
    deadline = time.monotonic() + 20
    while not (done := os.waitpid(child, os.WNOHANG))[0]:
        if time.monotonic() > deadline:
            os.kill(child, signal.SIGKILL)
            os.waitpid(child, 0)
            pytest.fail("the forked child hung")
        time.sleep(0.02)
    assert os.waitstatus_to_exitcode(done[1]) == 0
    assert svc.pid == parent_pid  # the parent's process is untouched
    assert svc.transform("3", loader="js").code == "3;\n"


def test_version_mismatch(esbuild_binary: Path, capfd: pytest.CaptureFixture[str]) -> None:
    svc = EsbuildService(esbuild_binary, version="0.0.1")
    with pytest.raises(EsbuildServiceError, match="0.0.1"):
        svc.transform("1")
    svc.close()


def test_missing_binary(tmp_path: Path) -> None:
    with pytest.raises(EsbuildServiceError, match="Could not start esbuild"):
        EsbuildService(tmp_path / "nope").transform("1")


def test_unused_service_is_finalized(esbuild_binary: Path) -> None:
    svc = EsbuildService(esbuild_binary)
    svc.transform("1", loader="js")
    pid = svc.pid
    assert pid is not None
    del svc  # the finalizer stops the process without an explicit close()
    import gc

    gc.collect()
    assert _gone(pid)
