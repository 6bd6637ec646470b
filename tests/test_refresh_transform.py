"""React Fast Refresh's transform (:mod:`flask_vite.refresh_transform`) on a
table of component shapes.

Each source is compiled by esbuild exactly as ``vite:esbuild`` does in dev
(TSX, automatic runtime, ``jsxDEV``), then transformed. The table says which
persistent ids are registered and which hook signatures are emitted -- the
ids and keys ``react-refresh/babel`` gives the same code. The output is then
checked to be valid JavaScript and, in V8, to register the right objects.
"""
from __future__ import annotations

import base64
import hashlib
import json
import typing as t

import pytest

from flask_vite.esbuild.service import EsbuildService
from flask_vite.refresh_transform import RefreshTransform, react_refresh_transform

URL = "/src/Shapes.tsx"

#: A signature as the table writes it: (target, full key, force reset, custom hooks).
#: ``target`` None: a function wrapped in place (``memo(_s(() => …))``).
Sig = t.Tuple[t.Optional[str], str, bool, t.Tuple[str, ...]]

IMPORTS = (
    "import React, { memo, forwardRef, lazy, useState, useEffect, useReducer } from 'react'\n"
    "import { useCounter } from './hooks'\n"
    "import * as store from './store'\n"
    "import styled from 'styled-components'\n"
)

#: (name, source after IMPORTS, registered ids, signatures).
SHAPES: list[tuple[str, str, list[str], list[Sig]]] = [
    ("function declaration", "export function Hello() { return <p>hi</p> }", ["Hello"], []),
    ("function with hooks",
     "function Counter() {\n  const [n, setN] = useState(0)\n  useEffect(() => {})\n"
     "  return <b>{n}</b>\n}\nexport default Counter",
     ["Counter"], [("Counter", "useState{[n, setN](0)}\nuseEffect{}", False, ())]),
    ("arrow", "export const Arrow = () => <div />", ["Arrow"], []),
    ("function expression", "const Fn = function () { return <i /> }\nexport { Fn }", ["Fn"], []),
    ("export default function", "export default function App() { return <div /> }", ["App"], []),
    ("anonymous export default function",
     "export default function () { const [a] = useState(1); return <div>{a}</div> }",
     ["%default%"], [("__vite_react_currentExports.default", "useState{[a](1)}", False, ())]),
    ("anonymous export default arrow", "export default () => <p />", ["%default%"], []),
    ("anonymous default that is no component", "export default function () { return 1 }", [], []),
    ("memo(arrow)",
     "export const M = memo(() => { const [v] = useState(0); return <s>{v}</s> })",
     ["M$memo", "M"], [(None, "useState{[v](0)}", False, ())]),
    ("React.forwardRef", "export const F = React.forwardRef<HTMLDivElement>((props, ref) => <div ref={ref} />)",
     ["F$React.forwardRef", "F"], []),
    ("memo(forwardRef(function))",
     "export const B = memo(forwardRef(function Inner(props, ref) { return <div /> }))",
     ["B$memo$forwardRef", "B$memo", "B"], []),
    ("export default memo(Component)",
     "function Card() { return <div /> }\nexport default memo(Card)", ["Card", "%default%"], []),
    ("export default memo(arrow)", "export default memo(() => <div />)", ["%default%$memo", "%default%"], []),
    ("lowercase is no component", "const helper = () => <div />\nexport const value = 1", [], []),
    ("curried arrow", "export const Curried = () => () => <div />", [], []),
    ("a custom hook alone", "export function useCount() { const [c] = useState(0); return c }", [], []),
    ("custom hook of the module",
     "function useCount() { return useState(0)[0] }\n"
     "export function Show() { const c = useCount(); return <p>{c}</p> }",
     ["Show"], [("useCount", "useState{(0)}", False, ()),
                ("Show", "useCount{c}", False, ("useCount",))]),
    ("imported custom hook", "export function Clicks() { const { count } = useCounter(); return <p>{count}</p> }",
     ["Clicks"], [("Clicks", "useCounter{{ count }}", False, ("useCounter",))]),
    ("hook bound nowhere forces a remount",
     "export function G() { const v = useGlobalThing(); return <p>{v}</p> }",
     ["G"], [("G", "useGlobalThing{v}", True, ())]),
    ("namespaced custom hook", "export function H() { const v = store.useValue(); return <p>{v}</p> }",
     ["H"], [("H", "useValue{v}", False, ("store.useValue",))]),
    ("React.useState is built in",
     "export function R() { const [a, b] = React.useState(1); return <p>{a}</p> }",
     ["R"], [("R", "useState{[a, b](1)}", False, ())]),
    ("useReducer keys its initial state",
     "const reducer = (s: number) => s\n"
     "export function Red() { const [s, d] = useReducer(reducer, 0); return <p onClick={d}>{s}</p> }",
     ["Red"], [("Red", "useReducer{[s, d](0)}", False, ())]),
    ("hooks of inner functions are theirs",
     "export function Inner() {\n  useEffect(() => { const x = useFake(); function f() { useOther() } })\n"
     "  const api = { useNot() { return useState(1) } }\n  return <p>{String(api)}</p>\n}",
     ["Inner"], [("Inner", "useEffect{}", False, ())]),
    ("hooks after JSX, hook names in strings",
     "export function Late() {\n  const a = <p title=\"useFake()\">{useMemo(() => 1, [])}</p>\n"
     "  const [n] = useState(\"useState(0)\")\n  return <b title=\"useNot\">{a}{n}</b>\n}",
     ["Late"], [("Late", "useMemo{}\nuseState{[n](\"useState(0)\")}", False, ())]),
    ("styled component used as JSX",
     "const Title = styled.h1`color: red;`\nexport function Page() { return <Title>x</Title> }",
     ["Title", "Page"], []),
    ("styled component not used as JSX", "export const Unused = styled.h1`color: red;`", [], []),
    ("styled(Component) used as JSX",
     "function Base() { return <p /> }\nconst Fancy = styled(Base)`color: ${(p: any) => p.c};`\n"
     "export function Page2() { return <Fancy /> }",
     ["Base", "Fancy", "Page2"], []),
    ("a template that is no tagged template", "const Label = 'a' + `b`\nexport function L() { return <Label /> }",
     ["L"], []),
    ("HOC factory call", "function View() { return <p /> }\nexport const Connected = connect(mapState)(View)",
     ["View"], []),
    ("lazy", "export const Lazy = lazy(() => import('./Lazy'))", ["Lazy$lazy", "Lazy"], []),
    ("import()-like callee", "export const Thing = importThing(() => <div />)", [], []),
    ("several declarators", "export const A = () => <a />, B = () => <b />", [], []),
    ("expression-bodied arrow with a hook", "export const Short = () => useCounter()",
     ["Short"], [("Short", "useCounter{}", False, ("useCounter",))]),
    ("destructured props with defaults",
     "export const P2 = ({ a = 1 }: { a?: number }) => { const [x, setX] = useState(a); return <p>{x}</p> }",
     ["P2"], [("P2", "useState{[x, setX](a)}", False, ())]),
    ("braces in strings, templates and regexes",
     "export function T() {\n  const s = `function X() { ${'}'} }`\n  const re = /[}{]/g\n"
     "  const [v] = useState('}')\n  return <p>{s.replace(re, '')}{v}</p>\n}",
     # esbuild prints strings with double quotes: the key is made of its text.
     ["T"], [("T", 'useState{[v]("}")}', False, ())]),
    ("async and generator functions",
     "export async function Loader() { return null }\nexport function* Steps() { yield 1 }",
     ["Loader", "Steps"], []),
]


@pytest.fixture(scope="module")
def esbuild() -> t.Iterator[EsbuildService]:
    from flask_vite.esbuild.binary import find_esbuild

    service = EsbuildService(find_esbuild())
    yield service
    service.close()


def compile_tsx(esbuild: EsbuildService, source: str) -> str:
    """What vite:esbuild gives the plugin for a .tsx module in dev."""
    return esbuild.transform(source, loader="tsx", sourcefile="/src/Shapes.tsx", jsx="automatic",
                             jsx_dev=True, target="esnext", charset="utf8").code


def transform(esbuild: EsbuildService, source: str, **options: t.Any) -> RefreshTransform | None:
    return react_refresh_transform(compile_tsx(esbuild, IMPORTS + source), URL,
                                   full_signatures=True, **options)


def signature_rows(result: RefreshTransform) -> list[Sig]:
    return [(None if "=>" in s.target or s.target.startswith("function") else s.target,
             s.full_key, s.force_reset, s.custom_hooks) for s in result.signatures]


@pytest.mark.parametrize(("source", "ids", "signatures"),
                         [pytest.param(*row[1:], id=row[0]) for row in SHAPES])
def test_shape(esbuild: EsbuildService, source: str, ids: list[str], signatures: list[Sig]) -> None:
    result = transform(esbuild, source)
    if not ids:
        assert result is None or not result.registrations
        return
    assert result is not None
    assert [id for _, id in result.registrations] == ids
    assert signature_rows(result) == signatures
    # The output is still JavaScript esbuild accepts.
    esbuild.transform(result.code, loader="js")


# --- running the output ---------------------------------------------------------------

# Stand-ins for what the transformed module imports. register/setSignature
# record what they are given; memo/forwardRef return objects tagged like React's.
HARNESS = """
var calls = { registered: [], signatures: [] };
function describe(type) {
  if (typeof type === 'function') return 'function ' + (type.name || '(anonymous)');
  if (type && typeof type === 'object') return (type.kind || 'object') + '(' + describe(type.inner) + ')';
  return String(type);
}
var modules = {
  '/@react-refresh': {
    register: function (type, id) { calls.registered.push([id, describe(type)]); },
    createSignatureFunctionForTransform: function () {
      return function (type, key, forceReset, getCustomHooks) {
        if (typeof key === 'string') {
          calls.signatures.push([describe(type), key, !!forceReset,
                                 getCustomHooks ? getCustomHooks().map(describe) : []]);
        }
        return type;
      };
    },
  },
  'react': {
    memo: function (inner) { return { kind: 'memo', inner: inner }; },
    forwardRef: function (inner) { return { kind: 'forwardRef', inner: inner }; },
    lazy: function (inner) { return { kind: 'lazy', inner: inner }; },
    useState: function (v) { return [v, function () {}]; },
    useEffect: function () {}, useReducer: function (r, v) { return [v, function () {}]; },
  },
  'react/jsx-dev-runtime': { jsxDEV: function () { return null; }, Fragment: 'Fragment' },
  './hooks': { useCounter: function useCounter() { return { count: 0 }; } },
  './store': { useValue: function useValue() { return 1; } },
  'styled-components': { h1: function () { return { kind: 'styled', inner: null }; } },
};
modules['react'].default = modules['react'];
modules['styled-components'].default = modules['styled-components'];
// The module's import of itself: its exports as they are by then (live getters).
var currentModule = { exports: {} };
function require(name) {
  if (name === '/src/Shapes.tsx') return currentModule.exports;
  if (!(name in modules)) throw new Error('unexpected import ' + name);
  return modules[name];
}
"""


def run_in_v8(esbuild: EsbuildService, code: str) -> dict[str, t.Any]:
    py_mini_racer = pytest.importorskip("py_mini_racer", reason="V8 (mini-racer) is not installed")
    cjs = esbuild.transform(code, loader="js", format="cjs", log_level="silent").code
    ctx = py_mini_racer.MiniRacer()
    ctx.eval(HARNESS)
    ctx.eval("(function (module, exports) {\n" + cjs + "\n})(currentModule, currentModule.exports)")
    return t.cast(t.Dict[str, t.Any], json.loads(t.cast(str, ctx.eval("JSON.stringify(calls)"))))


def test_registrations_and_signatures_reach_the_right_objects(esbuild: EsbuildService) -> None:
    source = "\n".join([
        "export function Hello() { const [a] = useState(1); return <p>{a}</p> }",
        "export const M = memo(() => { const [v] = useState(0); return <s>{v}</s> })",
        "export const B = memo(forwardRef(function Inner(props, ref) { useEffect(() => {}); return <div /> }))",
        "export const Short = () => useCounter()",
        "export default function () { const [x] = useState(2); return <i>{x}</i> }",
    ])
    result = transform(esbuild, source)
    assert result is not None
    calls = run_in_v8(esbuild, result.code)
    # $RefreshReg$ prefixes ids with the module URL; each handle holds the
    # object the id names (memo's arrow, wrapped in its signature call, stays
    # anonymous, as with Babel's memo(_c = _s(() => …))).
    assert calls["registered"] == [
        [f"{URL} Hello", "function Hello"],
        [f"{URL} M$memo", "function (anonymous)"],
        [f"{URL} M", "memo(function (anonymous))"],
        [f"{URL} B$memo$forwardRef", "function Inner"],
        [f"{URL} B$memo", "forwardRef(function Inner)"],
        [f"{URL} B", "memo(forwardRef(function Inner))"],
        [f"{URL} Short", "function Short"],
        # (esbuild's CommonJS output, which runs it here, names the anonymous
        # function; in the browser its name is "default".)
        [f"{URL} %default%", "function stdin_default"],
    ]
    assert calls["signatures"] == [
        ["function Hello", "useState{[a](1)}", False, []],
        ["function (anonymous)", "useState{[v](0)}", False, []],
        ["memo(function (anonymous))", "useState{[v](0)}", False, []],
        ["function Inner", "useEffect{}", False, []],
        ["forwardRef(function Inner)", "useEffect{}", False, []],
        ["memo(forwardRef(function Inner))", "useEffect{}", False, []],
        ["function Short", "useCounter{}", False, ["function useCounter"]],
        ["function stdin_default", "useState{[x](2)}", False, []],
    ]


def test_keys_are_hashed_as_babel_hashes_them(esbuild: EsbuildService) -> None:
    code = compile_tsx(esbuild, IMPORTS + "export function C() { const [n, setN] = useState(0); return <p>{n}</p> }")
    result = react_refresh_transform(code, URL)
    assert result is not None
    key = "useState{[n, setN](0)}"
    hashed = base64.b64encode(hashlib.sha1(key.encode()).digest()).decode()
    assert f'_s(C, "{hashed}");' in result.code
    assert key not in result.code


def test_refresh_reset_forces_every_remount(esbuild: EsbuildService) -> None:
    result = transform(esbuild, "export function C() { const [n] = useState(0); return <p>{n}</p> }",
                       force_reset=True)
    assert result is not None
    assert signature_rows(result) == [("C", "useState{[n](0)}", True, ())]
    assert '_s(C, "useState{[n](0)}", true);' in result.code


def test_handles_avoid_names_the_module_uses(esbuild: EsbuildService) -> None:
    result = transform(esbuild, "const _c = 1, _s = 2\nexport function A() { const [v] = useState(_c + _s); return <p>{v}</p> }")
    assert result is not None
    assert result.registrations == [("_c2", "A")]
    assert "_c2 = A;" in result.code and 'var _s2 = $RefreshSig$();' in result.code


def test_class_components_make_a_boundary_without_registrations(esbuild: EsbuildService) -> None:
    result = transform(esbuild, "export class Old extends React.Component { render() { return <div /> } }")
    assert result is not None
    assert result.registrations == [] and result.has_class_component
    assert "import.meta.hot.accept(" in result.code
    assert "function $RefreshReg$" not in result.code


def test_footer_as_vite_writes_it(esbuild: EsbuildService) -> None:
    result = transform(esbuild, "export function A() { return <p /> }")
    assert result is not None
    code = result.code
    body, footer = code.split("\nvar _c;\n", 1)
    assert body.endswith("_c = A;\nexport {\n  A\n};\n") or "_c = A;" in body
    assert footer.startswith('$RefreshReg$(_c, "A");\n')
    assert 'import * as __vite_react_refresh from "/@react-refresh";' in footer
    assert f'import * as __vite_react_currentExports from "{URL}";' in footer
    # Import analysis sees a self-accepting module.
    assert "import.meta.hot.accept((nextExports) => {" in footer
    assert "validateRefreshBoundaryAndEnqueueUpdate" in footer
    assert "import.meta.hot.invalidate(invalidateMessage)" in footer
    assert f'register(type, "{URL}" + " " + id)' in footer


def test_create_vite_app_tsx(esbuild: EsbuildService) -> None:
    from tests.apps import CREATE_VITE, CREATE_VITE_EXTRA, template_source

    for package, template in ((CREATE_VITE, "template-react-ts"), (CREATE_VITE_EXTRA, "template-ssr-react-ts")):
        source = (template_source(package, template) / "src" / "App.tsx").read_text()
        code = esbuild.transform(source, loader="tsx", sourcefile="/src/App.tsx", jsx="automatic",
                                 jsx_dev=True).code
        result = react_refresh_transform(code, "/src/App.tsx", full_signatures=True)
        assert result is not None
        assert result.registrations == [("_c", "App")]
        assert signature_rows(result) == [("App", "useState{[count, setCount](0)}", False, ())]
        # main.tsx / entry-client.tsx define no component: left alone.
        for entry in ("main.tsx", "entry-client.tsx", "entry-server.tsx"):
            path = template_source(package, template) / "src" / entry
            if path.exists():
                compiled = esbuild.transform(path.read_text(), loader="tsx", jsx="automatic").code
                assert react_refresh_transform(compiled, f"/src/{entry}") is None


def test_map_shift_equals_a_full_re_encoding(esbuild: EsbuildService) -> None:
    """The fast column shift gives StringEdit.shift_map's mappings, line for line."""
    from flask_vite.sourcemap import decode_mappings
    from flask_vite.string_edit import StringEdit
    from tests.apps import CREATE_VITE, template_source

    source = (template_source(CREATE_VITE, "template-react-ts") / "src" / "App.tsx").read_text()
    source += "\n" + IMPORTS + "\n".join(row[1] for row in SHAPES[:12] if "export default" not in row[1])
    compiled = esbuild.transform(source, loader="tsx", sourcefile="/src/App.tsx", jsx="automatic",
                                 jsx_dev=True, sourcemap="external")
    previous = json.loads(compiled.map)
    result = react_refresh_transform(compiled.code, "/src/App.tsx")
    assert result is not None and len(result.insertions) > 15
    fast = decode_mappings(result.shift_map(previous, "/src/App.tsx")["mappings"])
    edit = StringEdit(compiled.code)
    for offset, text in result.insertions:
        edit.overwrite(offset, offset, text)
    assert edit.apply() == result.code
    full = decode_mappings(edit.shift_map(previous, "/src/App.tsx")["mappings"])
    mapped_lines = len(decode_mappings(previous["mappings"]))
    assert fast[:mapped_lines] == full[:mapped_lines]
    assert not any(full[mapped_lines:])


def test_signature_handles_come_after_directives(esbuild: EsbuildService) -> None:
    code = compile_tsx(esbuild, '"use client"\n' + IMPORTS +
                       "export function C() { const [n] = useState(0); return <p>{n}</p> }")
    result = react_refresh_transform(code, URL)
    assert result is not None
    assert result.code.startswith('"use client"; var _s = $RefreshSig$();\n')
