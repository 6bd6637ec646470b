"""React Fast Refresh's code transform, on esbuild's output.

What ``react-refresh/babel`` (and the SWC/oxc ports Vite uses) add to a
module, done on the JavaScript esbuild printed for it -- so without Babel and
without Node:

* **registrations** -- every top-level component gets a handle and a
  persistent id, ``$RefreshReg$(_c, "App")`` at the end of the module, so
  the runtime knows a new ``App`` replaces the old one. Components are what
  Babel's plugin takes for them: capitalised function declarations
  (``function App``, ``export function App``, ``export default function
  App``), capitalised ``const``/``let``/``var`` bound to an arrow or function
  expression, higher-order calls whose first argument is one (``const Button
  = memo(forwardRef((props, ref) => …))`` registers ``Button$memo$forwardRef``,
  ``Button$memo`` and ``Button``), ``export default memo(…)`` as
  ``%default%``, and a capitalised binding used as a JSX type. Beyond Babel:
  an anonymous ``export default function () {}`` or ``export default () =>``
  that renders JSX or calls hooks is registered as ``%default%`` too, through
  the module's own namespace (its name stays ``default``).
* **hook signatures** -- each function that calls hooks gets
  ``_s = $RefreshSig$()``, a ``_s()`` call on entry and ``_s(App, "key")``
  after it. The key lists the hook calls in order with what they are bound
  to (``useState{[count, setCount](0)}``), hashed as Babel does: adding,
  removing or reordering hooks, or changing ``useState``'s initial value,
  changes the key and React remounts the component; editing its JSX does not,
  and state survives. Custom hooks are passed lazily
  (``function () { return [useCounter] }``) so their own signatures count; one
  not bound at the top level forces a remount, as ``// @refresh reset`` does.

Then the footer @vitejs/plugin-react writes: the runtime import, the
module's own exports registered and ``import.meta.hot.accept`` checking the
next version is still a refresh boundary (every export a component), else
``import.meta.hot.invalidate(message)`` -- the update then goes on to the
importers and, without a boundary there, reloads the page. ``$RefreshReg$``
and ``$RefreshSig$`` are the module's own hoisted functions there (as in
Vite 5+), not globals swapped around the module body: nothing leaks between
modules whose evaluation interleaves (top-level ``await``).

The reading relies on esbuild's printing: each top-level statement starts a
line at column 0 (anything else at column 0 is the closing bracket of a
statement already open). Code that did not come out of esbuild is put
through it first (see :mod:`flask_vite.plugins.react`).

Pure: text in, text (and a source map) out.
"""
from __future__ import annotations

import base64
import bisect
import dataclasses
import hashlib
import json
import re
import typing as t

from .js_scan import NAME, PUNCT, STRING, TEMPLATE, Token, tokenize
from .sourcemap import _decode_vlq, _encode_vlq
from .string_edit import StringEdit

if t.TYPE_CHECKING:
    from .sourcemap import SourceMap

__all__ = ["BUILTIN_HOOKS", "RefreshTransform", "react_refresh_transform"]

#: Where the runtime helpers are served (and imported from by transformed modules).
RUNTIME_PUBLIC_PATH = "/@react-refresh"

#: Hooks whose own implementation never changes: not passed to the runtime
#: as custom hooks (Babel's ``isBuiltinHook``; React's newer hooks are not in
#: its list, so neither are they here).
BUILTIN_HOOKS = frozenset((
    "useState", "useReducer", "useEffect", "useLayoutEffect", "useMemo", "useCallback",
    "useRef", "useContext", "useImperativeHandle", "useDebugValue",
))

#: The name the footer gives the module's own namespace (anonymous defaults use it).
SELF_NAMESPACE = "__vite_react_currentExports"
_RUNTIME_NAMESPACE = "__vite_react_refresh"

_HOOK_NAME_RE = re.compile(r"^use[A-Z]")
_CLASS_COMPONENT_RE = re.compile(r"extends\s+(?:React\.)?(?:Pure)?Component\b")
_REFRESH_RESET_RE = re.compile(r"@refresh reset")
_JSX_CALLEES = frozenset(("jsx", "jsxs", "jsxDEV", "createElement"))
# `(` before these opens a condition or loop head, so the `{` after its `)` is a block.
_BLOCK_HEADS = frozenset(("if", "for", "while", "switch", "catch", "with", "await"))
_DECLARATIONS = frozenset(("const", "let", "var"))
_CLOSERS = frozenset((")", "]", "}"))


def _last_hook_name(code: str, start: int, end: int) -> int:
    """The offset of the last ``use[A-Z]`` in ``code[start:end]``, or -1."""
    at = code.rfind("use", start, end)
    while at >= 0 and not ("A" <= code[at + 3:at + 4] <= "Z" and at + 4 <= end):
        at = code.rfind("use", start, at)
    return at


def _token_start(token: Token) -> int:
    return token.start


def is_componentish_name(name: str) -> bool:
    """Babel's test for a component's name: a capital first letter."""
    return "A" <= name[:1] <= "Z"


@dataclasses.dataclass(frozen=True)
class HookCall:
    """One hook call in a function body, as the signature sees it."""

    #: ``useState`` (for ``React.useState`` too).
    name: str
    #: The callee as written: ``useCounter``, ``Store.useThing``.
    callee: str
    #: What it is bound to and the initial value that matters: ``[count, setCount](0)``.
    key: str


@dataclasses.dataclass(frozen=True)
class Signature:
    """A ``_s(target, key, force_reset, () => custom_hooks)`` call."""

    handle: str
    #: The expression the signature is attached to (``App``; a wrapped call in HOCs).
    target: str
    #: The hook calls, unhashed, one per line.
    full_key: str
    force_reset: bool
    custom_hooks: tuple[str, ...]


@dataclasses.dataclass
class RefreshTransform:
    """What :func:`react_refresh_transform` did to a module."""

    #: The code transformed.
    source: str
    #: ``(offset, text)`` in offset order: what is inserted where. Only the
    #: last one (at the end) holds line breaks, so :meth:`shift_map` need
    #: only move columns on the lines that got text.
    insertions: list[tuple[int, str]]
    #: ``(handle, persistent id)`` in the order ``$RefreshReg$`` is called.
    registrations: list[tuple[str, str]]
    signatures: list[Signature]
    #: A class component was seen (registered from the exports only).
    has_class_component: bool

    @property
    def code(self) -> str:
        """The new code."""
        parts: list[str] = []
        pos = 0
        for offset, text in self.insertions:
            parts += (self.source[pos:offset], text)
            pos = offset
        parts.append(self.source[pos:])
        return "".join(parts)

    def shift_map(self, previous: SourceMap | None, source: str) -> SourceMap:
        """The map of :attr:`code`, through ``previous`` (the map of :attr:`source`).

        Text put in the middle of a line moves the mappings after it on that
        line: only those lines are decoded, which keeps a hot update of a
        large component fast (``StringEdit.shift_map`` re-encodes them all).
        """
        if previous is None:
            edit = StringEdit(self.source)
            for offset, text in self.insertions:
                edit.overwrite(offset, offset, text)
            return edit.shift_map(None, source)
        return shift_columns(previous, self.source, self.insertions)


def shift_columns(previous: SourceMap, code: str, insertions: t.Sequence[tuple[int, str]]) -> SourceMap:
    """``previous`` (a map of ``code``) after ``insertions`` without line breaks.

    A mapping at an insertion's offset moves after the inserted text (the
    code that was there still starts it). An insertion at the very end may
    hold line breaks: nothing after it is mapped.
    """
    line_starts = [0]
    index = code.find("\n")
    while index != -1:
        line_starts.append(index + 1)
        index = code.find("\n", index + 1)
    # line -> [(column, length)]
    by_line: dict[int, list[tuple[int, int]]] = {}
    for offset, text in insertions:
        if offset >= len(code):
            continue
        if "\n" in text or "\r" in text:
            raise ValueError("only the insertion at the end may break lines")
        line = bisect.bisect_right(line_starts, offset) - 1
        by_line.setdefault(line, []).append((offset - line_starts[line], len(text)))
    lines = previous.get("mappings", "").split(";")
    for line, shifts in by_line.items():
        if line >= len(lines) or not lines[line]:
            continue
        segments = [_decode_vlq(seg) for seg in lines[line].split(",") if seg]
        column = moved_before = 0
        out: list[str] = []
        for values in segments:
            column += values[0]
            moved = column + sum(length for at, length in shifts if at <= column)
            values[0] = moved - moved_before
            moved_before = moved
            out.append("".join(_encode_vlq(v) for v in values))
        lines[line] = ",".join(out)
    result = dict(previous)
    result["mappings"] = ";".join(lines)
    return result


@dataclasses.dataclass(frozen=True)
class _Fn:
    """A function in the token list: ``start``/``end`` token indexes, both inclusive."""

    start: int
    end: int
    name: str | None
    arrow: bool
    #: First and last token of the body; for a block body the braces themselves.
    body_start: int
    body_end: int
    expression_body: bool


@dataclasses.dataclass(frozen=True)
class _Call:
    start: int
    end: int
    callee: str
    open: int  # the "(" token


@dataclasses.dataclass(frozen=True)
class _Other:
    start: int
    end: int
    kind: str  # "identifier", "tagged-template", "other"
    text: str = ""


_Expr = t.Union[_Fn, _Call, _Other]


@dataclasses.dataclass
class _Wrap:
    """Text put around code: ``prefix`` at ``start``, ``suffix`` at ``end`` (offsets).

    Wraps are nested by their extent, so ``_c = _s(memo(_s(…)))`` comes out
    balanced whatever order they were made in; equal extents nest in order
    of creation (the first made is outermost).
    """

    start: int
    end: int
    prefix: str
    suffix: str
    order: int


def react_refresh_transform(
    code: str,
    url: str,
    *,
    runtime_url: str = RUNTIME_PUBLIC_PATH,
    full_signatures: bool = False,
    force_reset: bool = False,
    tokens: list[Token] | None = None,
) -> RefreshTransform | None:
    """Add Fast Refresh registrations, signatures, header and footer to a module.

    :param code: esbuild's output for the module.
    :param url: The module's URL without ``?t=`` (``/src/App.tsx``): the
        prefix of every persistent id and the self-import of the footer.
    :param runtime_url: Where the runtime helpers are imported from.
    :param full_signatures: Keep hook keys readable instead of hashing them
        (Babel's ``emitFullSignatures``; for tests and debugging).
    :param force_reset: Remount every component on each edit (the source
        has ``// @refresh reset``, which esbuild does not keep).
    :returns: ``None`` when the module defines no component: it is left as it
        is (not a refresh boundary; an edit goes on to its importers).
    :raises ~flask_vite.js_scan.ScanError: if the code cannot be tokenized.
    """
    program = _Program(code, tokenize(code) if tokens is None else tokens,
                       full_signatures=full_signatures,
                       force_reset=force_reset or bool(_REFRESH_RESET_RE.search(code)))
    program.run()
    has_class = bool(_CLASS_COMPONENT_RE.search(code))
    if not program.registrations and not has_class:
        return None
    insertions = dict(program.insertions())
    if program.signature_handles:
        # After the directives ("use client"), on their line, not a line of
        # its own: lines keep their numbers.
        declare = "var " + ", ".join(f"{h} = $RefreshSig$()" for h in program.signature_handles) + ";"
        at = program.after_directives()
        insertions[at] = (" " + declare if at else declare + " ") + insertions.get(at, "")
    end = len(code)
    insertions[end] = insertions.get(end, "") + _epilogue(program.registrations, url, runtime_url)
    return RefreshTransform(code, sorted(insertions.items()), program.registrations, program.signatures,
                            has_class)


def _epilogue(registrations: list[tuple[str, str]], url: str, runtime_url: str) -> str:
    """The registrations, then @vitejs/plugin-react's footer for ``url``."""
    lines = [""]
    if registrations:
        lines.append("var " + ", ".join(handle for handle, _ in registrations) + ";")
        lines += [f"$RefreshReg$({handle}, {json.dumps(id)});" for handle, id in registrations]
    url_js = json.dumps(url)
    lines += [
        "",
        f"import * as {_RUNTIME_NAMESPACE} from {json.dumps(runtime_url)};",
        # The module's own exports, to compare with the next version's.
        f"import * as {SELF_NAMESPACE} from {url_js};",
        "if (import.meta.hot && !(typeof WorkerGlobalScope !== 'undefined'"
        " && self instanceof WorkerGlobalScope)) {",
        "  if (!window.$RefreshReg$) {",
        "    throw new Error(\"React Fast Refresh can't find its preamble: in a Jinja page,"
        " put {{ vite_react_refresh() }} before {{ vite_tags(...) }} in <head>"
        " (flask_vite.plugins.react).\");",
        "  }",
        f"  const currentExports = {SELF_NAMESPACE};",
        # After the module body and its importers' bindings are settled.
        "  queueMicrotask(() => {",
        f"    {_RUNTIME_NAMESPACE}.registerExportsForReactRefresh({url_js}, currentExports);",
        "    import.meta.hot.accept((nextExports) => {",
        "      if (!nextExports) return;",
        f"      const invalidateMessage = {_RUNTIME_NAMESPACE}.validateRefreshBoundaryAndEnqueueUpdate("
        f"{url_js}, currentExports, nextExports);",
        "      if (invalidateMessage) import.meta.hot.invalidate(invalidateMessage);",
        "    });",
        "  });",
        "}",
    ]
    if registrations:
        # Module-scoped and hoisted: `var _s = $RefreshSig$()` at the top of
        # the module runs before any statement, and two modules evaluated at
        # once (top-level await) never see each other's ids.
        lines += [
            f"function $RefreshReg$(type, id) {{ {_RUNTIME_NAMESPACE}.register(type, {url_js}"
            ' + " " + id); }',
            f"function $RefreshSig$() {{ return {_RUNTIME_NAMESPACE}"
            ".createSignatureFunctionForTransform(); }",
        ]
    return "\n".join(lines) + "\n"


class _Program:
    """The walk over one module's tokens; collects wraps, registrations and signatures."""

    def __init__(self, code: str, tokens: list[Token], *, full_signatures: bool,
                 force_reset: bool) -> None:
        self.code = code
        self.tokens = tokens
        self.full_signatures = full_signatures
        self.force_reset = force_reset
        self.registrations: list[tuple[str, str]] = []
        self.signatures: list[Signature] = []
        self.signature_handles: list[str] = []
        self.wraps: list[_Wrap] = []
        self.used_names = {tok.text for tok in tokens if tok.kind == NAME}
        self.bindings: set[str] = set()
        self._uids: dict[str, int] = {}

    # -- output ----------------------------------------------------------------
    def wrap(self, start: int, end: int, prefix: str, suffix: str = "") -> None:
        self.wraps.append(_Wrap(start, end, prefix, suffix, len(self.wraps)))

    def insert(self, position: int, text: str) -> None:
        self.wrap(position, position, text)

    def insertions(self) -> list[tuple[int, str]]:
        """Every wrap as text per offset: closing suffixes, then opening prefixes."""
        at: dict[int, tuple[list[_Wrap], list[_Wrap]]] = {}
        for w in self.wraps:
            if w.prefix:
                at.setdefault(w.start, ([], []))[1].append(w)
            if w.suffix:
                at.setdefault(w.end, ([], []))[0].append(w)
        out = []
        for position in sorted(at):
            closing, opening = at[position]
            # Inner wraps close first; outer ones open first.
            closing.sort(key=lambda w: (-w.start, -w.order))
            opening.sort(key=lambda w: (-w.end, w.order))
            out.append((position, "".join(w.suffix for w in closing) + "".join(w.prefix for w in opening)))
        return out

    def uid(self, base: str) -> str:
        """``_c``, ``_c2`` … as Babel names them, skipping names the module uses."""
        n = self._uids.get(base, 0)
        while True:
            n += 1
            name = f"_{base}" if n == 1 else f"_{base}{n}"
            if name not in self.used_names:
                self._uids[base] = n
                self.used_names.add(name)
                return name

    def register(self, persistent_id: str) -> str:
        handle = self.uid("c")
        self.registrations.append((handle, persistent_id))
        return handle

    # -- tokens ----------------------------------------------------------------
    def tok(self, i: int) -> Token | None:
        return self.tokens[i] if 0 <= i < len(self.tokens) else None

    def is_(self, i: int, text: str) -> bool:
        tok = self.tok(i)
        return tok is not None and tok.is_(text)

    def source(self, start: int, end: int) -> str:
        """The code of tokens ``start``..``end`` (inclusive)."""
        return self.code[self.tokens[start].start:self.tokens[end].end]

    def statements(self) -> list[tuple[int, int]]:
        """Token ranges of the top-level statements (see the module docstring)."""
        code = self.code
        starts = [
            i for i, tok in enumerate(self.tokens)
            if tok.depth == 0 and (tok.start == 0 or code[tok.start - 1] == "\n")
            and not (tok.kind == PUNCT and tok.text in _CLOSERS)
            and not (tok.kind == TEMPLATE and tok.text.startswith("}"))
        ]
        if self.tokens and (not starts or starts[0] != 0):
            starts.insert(0, 0)
        ends = [s - 1 for s in starts[1:]] + [len(self.tokens) - 1]
        return list(zip(starts, ends))

    def after_directives(self) -> int:
        """The offset after the module's directives (``"use client";``), or 0."""
        tokens = self.tokens
        k = offset = 0
        while k + 1 < len(tokens) and tokens[k].kind == STRING and tokens[k + 1].is_(";"):
            offset = tokens[k + 1].end
            k += 2
        return offset

    # -- the walk --------------------------------------------------------------
    def run(self) -> None:
        statements = self.statements()
        for lo, hi in statements:
            self.collect_bindings(lo, hi)
        for lo, hi in statements:
            self.statement(lo, hi)

    def collect_bindings(self, lo: int, hi: int) -> None:
        """Top-level names: where a custom hook may be referenced from a signature."""
        i = lo + 1 if self.is_(lo, "export") else lo
        if self.is_(i, "default"):
            i += 1
        tok = self.tok(i)
        if tok is None:
            return
        if tok.is_("import") and not self.is_(i + 1, "(") and not self.is_(i + 1, "."):
            # import a, { b, c as d }, * as e from "…": the name before "," "}" "from".
            for k in range(i + 1, hi):
                cur, nxt = self.tokens[k], self.tokens[k + 1]
                if cur.is_("from") and nxt.kind != PUNCT:
                    break
                if cur.kind == NAME and (nxt.is_(",") or nxt.is_("}") or nxt.is_("from")):
                    self.bindings.add(cur.text)
        elif tok.is_("function") or tok.is_("async") or tok.is_("class"):
            fn = self.function_at(i)
            name = fn.name if fn is not None else None
            if tok.is_("class") and self.tok(i + 1) is not None and self.tokens[i + 1].kind == NAME:
                name = self.tokens[i + 1].text
            if name and name != "extends":
                self.bindings.add(name)
        elif tok.kind == NAME and tok.text in _DECLARATIONS:
            # const a = …, [b, c] = …, { d, e: f } = …
            targets = [i + 1] + [k + 1 for k in range(i + 1, hi) if self.tokens[k].is_(",")
                                 and self.tokens[k].depth == tok.depth]
            for k in targets:
                target = self.tok(k)
                if target is None:
                    continue
                if target.kind == NAME:
                    self.bindings.add(target.text)
                elif target.text in ("[", "{") and target.match > k:
                    for j in range(k + 1, target.match):
                        cur, nxt = self.tokens[j], self.tokens[j + 1]
                        if cur.kind == NAME and not self.tokens[j - 1].is_(".") and (
                                nxt.is_(",") or nxt.is_("}") or nxt.is_("]") or nxt.is_("=")):
                            self.bindings.add(cur.text)

    def statement(self, lo: int, hi: int) -> None:
        i = lo
        if self.is_(i, "export"):
            i += 1
        default = self.is_(i, "default") and i > lo
        if default:
            i += 1
        tok = self.tok(i)
        if tok is None or i > hi:
            return
        last = hi - 1 if self.is_(hi, ";") else hi
        if tok.is_("function") or (tok.is_("async") and self.is_(i + 1, "function")):
            fn = self.function_at(i)
            if fn is not None and fn.end == last:
                self.function_declaration(fn, hi, default)
            return
        if tok.is_("class"):
            return
        if not default:
            if tok.kind == NAME and tok.text in _DECLARATIONS:
                self.variable_declaration(i + 1, last, hi)
            return
        self.export_default_expression(i, last, hi)

    def function_declaration(self, fn: _Fn, hi: int, default: bool) -> None:
        after = self.tokens[hi].end
        if fn.name is None:
            # export default function () {} -- not Babel's: see the module docstring.
            if default and self.looks_like_component(fn):
                target = f"{SELF_NAMESPACE}.default"
                handle = self.register("%default%")
                self.signature_after(fn, target, after)
                self.insert(after, f" {handle} = {target};")
            return
        registered = self.register(fn.name) if is_componentish_name(fn.name) else None
        self.signature_after(fn, fn.name, after)
        if registered is not None:
            self.insert(after, f" {registered} = {fn.name};")

    def variable_declaration(self, lo: int, last: int, hi: int) -> None:
        """``const X = init;`` (a single declarator, as Babel requires)."""
        name_tok = self.tok(lo)
        if name_tok is None or name_tok.kind != NAME or not self.is_(lo + 1, "="):
            return
        init_lo = lo + 2
        if init_lo > last:
            return
        depth = name_tok.depth
        if any(self.tokens[k].is_(",") and self.tokens[k].depth == depth for k in range(init_lo, last + 1)):
            return  # several declarators
        name = name_tok.text
        after = self.tokens[hi].end
        init = self.classify(init_lo, last)
        # Babel looks at arrows, functions, calls that are not import()/require()
        # and tagged templates (styled.div`…`); at nothing else.
        if is_componentish_name(name) and (
                isinstance(init, _Fn)
                or isinstance(init, _Call) and not init.callee.startswith(("require", "import"))
                or isinstance(init, _Other) and init.kind == "tagged-template"):
            found = not isinstance(init, _Other) and self.find_inner_components(
                name, init, (name, after, init))
            # Last resort: const X = … is a component if some JSX element has type X.
            if not found and self.used_as_jsx_type(name):
                handle = self.register(name)
                self.insert(after, f" {handle} = {name};")
        if isinstance(init, _Fn):
            # let useThing = () => {} gets a signature whatever its name.
            self.signature_after(init, name, after)
        elif isinstance(init, _Call):
            self.call_signatures(init, [init])

    def export_default_expression(self, lo: int, last: int, hi: int) -> None:
        expr = self.classify(lo, last)
        if isinstance(expr, _Call):
            self.find_inner_components("%default%", expr, None)
            self.call_signatures(expr, [expr])
        elif isinstance(expr, _Fn) and expr.arrow and self.looks_like_component(expr):
            # export default () => … -- not Babel's: see the module docstring.
            after = self.tokens[hi].end
            target = f"{SELF_NAMESPACE}.default"
            handle = self.register("%default%")
            self.signature_after(expr, target, after)
            self.insert(after, f" {handle} = {target};")

    def find_inner_components(self, inferred: str, expr: _Expr,
                              declarator: tuple[str, int, _Expr] | None) -> bool:
        """Babel's ``findInnerComponents``: register ``expr`` and what it wraps.

        ``declarator`` is ``(name, offset, init)`` for ``const name = init``:
        the init itself is registered at ``offset`` (the next line, so the
        function keeps its inferred name); what it wraps, in place
        (``memo(_c = () => …)``).
        """
        if isinstance(expr, _Other):
            # export default hoc(Foo): Foo is registered where it is defined.
            return expr.kind == "identifier" and is_componentish_name(expr.text)
        if isinstance(expr, _Fn):
            if expr.arrow and expr.expression_body and self.is_curried(expr):
                return False
            self.register_expression(inferred, expr, declarator)
            return True
        arguments = self.arguments(expr)
        if not arguments:
            return False  # hoc() with no argument
        inner = self.classify(*arguments[0])
        if not self.find_inner_components(f"{inferred}${expr.callee}", inner, None):
            return False
        self.register_expression(inferred, expr, declarator)
        return True

    def register_expression(self, persistent_id: str, expr: _Expr,
                            declarator: tuple[str, int, _Expr] | None) -> None:
        handle = self.register(persistent_id)
        if declarator is not None and declarator[2] is expr:
            name, after, _ = declarator
            self.insert(after, f" {handle} = {name};")
        else:
            self.wrap(self.tokens[expr.start].start, self.tokens[expr.end].end, f"{handle} = ")

    def call_signatures(self, call: _Call, chain: list[_Call]) -> None:
        """Signatures of the functions given (directly or through calls) to ``call``.

        Babel wraps such a function and every call above it:
        ``_s(memo(_s(() => {…}, "key")), "key")``.
        """
        for lo, hi in self.arguments(call):
            arg = self.classify(lo, hi)
            if isinstance(arg, _Call):
                self.call_signatures(arg, [*chain, arg])
            elif isinstance(arg, _Fn):
                signature = self.signature_of(arg, None)
                if signature is None:
                    continue
                handle, args = signature
                wrapped: list[_Fn | _Call] = [arg, *reversed(chain)]
                for node in wrapped:
                    self.wrap(self.tokens[node.start].start, self.tokens[node.end].end,
                              f"{handle}(", f", {args})")

    # -- signatures ------------------------------------------------------------
    def signature_after(self, fn: _Fn, target: str, after: int) -> None:
        signature = self.signature_of(fn, target)
        if signature is not None:
            handle, args = signature
            self.insert(after, f" {handle}({target}, {args});")

    def signature_of(self, fn: _Fn, target: str | None) -> tuple[str, str] | None:
        """Set up ``fn``'s signature: ``(handle, "key"[, force, hooks])``, or ``None``."""
        calls = self.hook_calls(fn)
        if not calls:
            return None
        handle = self.uid("s")
        self.signature_handles.append(handle)
        body_open, body_close = self.tokens[fn.body_start], self.tokens[fn.body_end]
        if fn.expression_body:
            self.wrap(body_open.start, body_close.end, f"{{ {handle}(); return ", "; }")
        else:
            self.insert(body_open.end, f" {handle}();")
        full_key = "\n".join(f"{c.name}{{{c.key}}}" for c in calls)
        force = self.force_reset
        custom: list[str] = []
        for call in calls:
            if call.name in BUILTIN_HOOKS:
                continue
            parts = call.callee.split(".")
            # A hook not bound at the top level cannot be referenced from the
            # signature call; it might have changed, so remount.
            if len(parts) <= 2 and parts[0] in self.bindings:
                custom.append(call.callee)
            else:
                force = True
        key = full_key if self.full_signatures else base64.b64encode(
            hashlib.sha1(full_key.encode("utf-8")).digest()).decode("ascii")
        args = json.dumps(key)
        if force or custom:
            args += ", " + ("true" if force else "false")
        if custom:
            args += ", function () { return [" + ", ".join(custom) + "]; }"
        self.signatures.append(Signature(handle, target or self.source(fn.start, fn.end), full_key,
                                         force, tuple(custom)))
        return handle, args

    def hook_calls(self, fn: _Fn) -> list[HookCall]:
        """The hooks ``fn`` calls itself (not those of functions inside it), in order."""
        lo, hi = fn.body_start, fn.body_end
        if not fn.expression_body:
            lo, hi = lo + 1, hi - 1
        calls: list[HookCall] = []
        tokens = self.tokens
        if lo > hi:
            return calls
        # A component's body is most of its module, and most of that is JSX
        # after the hooks: the walk ends at the last text that may be a hook's
        # name (in a string or a nested function too: it only walks further).
        last_hook = _last_hook_name(self.code, tokens[lo].start, tokens[hi].end)
        if last_hook < 0:
            return calls
        hi = bisect.bisect_right(tokens, last_hook, lo, hi + 1, key=_token_start) - 1
        k = lo
        # Names are tested cheapest first.
        while k <= hi:
            tok = tokens[k]
            if tok.kind == NAME:
                text = tok.text
                if text == "function" or text == "class":
                    prev = tokens[k - 1] if k > 0 else None
                    if prev is None or not (prev.is_(".") or prev.is_("?.")):
                        if text == "class":
                            k = self.skip_class(k, hi)
                            continue
                        inner = self.function_at(k)
                        if inner is not None:
                            k = inner.end + 1
                            continue
                elif text.startswith("use") and _HOOK_NAME_RE.match(text) and self.is_(k + 1, "("):
                    call = self.hook_call(k)
                    if call is not None:
                        calls.append(call)
            elif tok.kind == PUNCT:
                if tok.text == "=>":
                    if self.is_(k + 1, "{"):
                        k = tokens[k + 1].match + 1
                    else:
                        k = self.expression_end(k + 1, hi) + 1
                    continue
                if tok.text == "{" and k > 0 and tokens[k - 1].is_(")"):
                    head = self.tok(tokens[k - 1].match - 1)
                    if head is None or not (head.kind == NAME and head.text in _BLOCK_HEADS):
                        k = tok.match + 1  # a method's body
                        continue
            k += 1
        return calls

    def hook_call(self, k: int) -> HookCall | None:
        """The hook call whose name is token ``k`` (``useX`` or ``obj.useX``)."""
        tokens = self.tokens
        open_paren = tokens[k + 1]
        if self.is_(open_paren.match + 1, "{"):
            return None  # useThing() { … }: a method definition
        start = k
        while start >= 2 and tokens[start - 1].is_(".") and tokens[start - 2].kind == NAME:
            start -= 2
        if start > 0 and tokens[start - 1].is_("?."):
            return None  # optional calls are not hook calls to Babel either
        callee = self.source(start, k)
        name = tokens[k].text
        key = ""
        after = self.tok(open_paren.match + 1)
        if start >= 2 and tokens[start - 1].is_("=") and (
                after is None or after.is_(";") or after.is_(",")):
            lhs_end = start - 2
            lhs_start = tokens[lhs_end].match if tokens[lhs_end].text in ("]", "}") else lhs_end
            if tokens[lhs_end].kind == NAME or tokens[lhs_end].text in ("]", "}"):
                if self.declares(lhs_start):
                    key = self.source(lhs_start, lhs_end)
        args = self.arguments(_Call(start, open_paren.match, callee, k + 1))
        if name == "useState" and args:
            key += "(" + self.source(*args[0]) + ")"
        elif name == "useReducer" and len(args) > 1:
            key += "(" + self.source(*args[1]) + ")"
        return HookCall(name, callee, key)

    def declares(self, lhs_start: int) -> bool:
        """Whether the binding starting at ``lhs_start`` is a declarator's (``const x =``)."""
        prev = self.tok(lhs_start - 1)
        if prev is None:
            return False
        if prev.kind == NAME and prev.text in _DECLARATIONS:
            return True
        if not prev.is_(","):
            return False
        # const a = f(), [b, c] = useThing(): back to the start of the statement.
        depth = prev.depth
        k = lhs_start - 1
        while k > 0:
            before = self.tokens[k - 1]
            if before.depth < depth or (before.depth == depth and before.is_(";")):
                break
            k = before.match if before.kind == PUNCT and -1 < before.match < k - 1 else k - 1
        first = self.tokens[k]
        return first.kind == NAME and first.text in _DECLARATIONS

    # -- expressions -----------------------------------------------------------
    def classify(self, lo: int, hi: int) -> _Expr:
        """What the complete expression in tokens ``lo``..``hi`` is."""
        fn = self.function_at(lo) or self.arrow_at(lo, hi)
        if fn is not None and fn.end == hi:
            return fn
        first = self.tokens[lo]
        if first.kind != NAME:
            return _Other(lo, hi, "other")
        if lo == hi:
            return _Other(lo, hi, "identifier", first.text)
        k = lo + 1
        while k + 1 <= hi and self.tokens[k].is_(".") and self.tokens[k + 1].kind == NAME:
            k += 2
        tok = self.tokens[k]
        if tok.is_("(") and tok.match == hi:
            return _Call(lo, hi, self.source(lo, k - 1), k)
        if self.is_tagged_template(lo, hi):
            return _Other(lo, hi, "tagged-template")
        return _Other(lo, hi, "other")

    def is_tagged_template(self, lo: int, hi: int) -> bool:
        """``tag`…``` in tokens ``lo``..``hi``: styled.div`…`, styled(Base)`…`."""
        last = self.tokens[hi]
        if last.kind != TEMPLATE or not last.text.endswith("`"):
            return False
        start = hi
        while start > lo:
            tok = self.tokens[start]
            if tok.kind == TEMPLATE and tok.depth == last.depth and tok.text.startswith("`"):
                break
            start -= 1
        if start <= lo:
            return False
        tag_end = self.tokens[start - 1]
        # The tag ends with a name, a call or a member access (not an operator).
        return tag_end.kind == NAME or tag_end.is_(")") or tag_end.is_("]")

    def function_at(self, i: int) -> _Fn | None:
        """``[async] function [*] [name] (…) {…}`` starting at token ``i``."""
        k = i
        if self.is_(k, "async"):
            k += 1
        if not self.is_(k, "function"):
            return None
        k += 1
        if self.is_(k, "*"):
            k += 1
        name = None
        tok = self.tok(k)
        if tok is not None and tok.kind == NAME:
            name = tok.text
            k += 1
        if not self.is_(k, "("):
            return None
        body = self.tokens[k].match + 1
        if not self.is_(body, "{"):
            return None
        close = self.tokens[body].match
        return _Fn(i, close, name, False, body, close, False)

    def arrow_at(self, i: int, hi: int) -> _Fn | None:
        """``[async] (…) => body`` or ``x => body`` starting at token ``i`` (ending by ``hi``)."""
        k = i
        if self.is_(k, "async") and not self.is_(k + 1, "=>"):
            k += 1
        tok = self.tok(k)
        if tok is None:
            return None
        if tok.is_("("):
            arrow = tok.match + 1
        elif tok.kind == NAME:
            arrow = k + 1
        else:
            return None
        if arrow > hi or not self.is_(arrow, "=>"):
            return None
        body = arrow + 1
        if self.is_(body, "{"):
            close = self.tokens[body].match
            return _Fn(i, close, None, True, body, close, False)
        end = self.expression_end(body, hi)
        return _Fn(i, end, None, True, body, end, True)

    def is_curried(self, fn: _Fn) -> bool:
        inner = self.arrow_at(fn.body_start, fn.body_end)
        return inner is not None and inner.end == fn.body_end

    def expression_end(self, lo: int, hi: int) -> int:
        """The last token of the expression starting at ``lo`` (an arrow's body)."""
        tokens = self.tokens
        depth = tokens[lo].depth
        pending_colons = 0
        k = lo
        while k <= hi:
            tok = tokens[k]
            if tok.depth < depth:
                return k - 1
            if tok.kind == PUNCT and tok.depth == depth:
                if tok.text in (",", ";"):
                    return k - 1
                if tok.text == "?":
                    pending_colons += 1
                elif tok.text == ":":
                    if not pending_colons:
                        return k - 1
                    pending_colons -= 1
                elif tok.match > k:
                    k = tok.match + 1
                    continue
            k += 1
        return hi

    def arguments(self, call: _Call) -> list[tuple[int, int]]:
        """Token ranges of a call's arguments."""
        open_tok = self.tokens[call.open]
        close = open_tok.match
        out: list[tuple[int, int]] = []
        start = call.open + 1
        k = start
        while k < close:
            tok = self.tokens[k]
            if tok.is_(",") and tok.depth == open_tok.depth + 1:
                if k > start:
                    out.append((start, k - 1))
                start = k + 1
            elif tok.kind == PUNCT and tok.match > k:
                k = tok.match
            k += 1
        if close > start:
            out.append((start, close - 1))
        return out

    def skip_class(self, k: int, hi: int) -> int:
        """The token after a class body that starts at ``class`` token ``k``."""
        depth = self.tokens[k].depth
        for j in range(k + 1, hi + 1):
            tok = self.tokens[j]
            if tok.is_("{") and tok.depth == depth:
                return tok.match + 1
        return hi + 1

    # -- heuristics --------------------------------------------------------------
    def used_as_jsx_type(self, name: str) -> bool:
        """Babel's last resort: ``name`` is the type of some JSX element (a ``jsx(name,``)."""
        tokens = self.tokens
        for k, tok in enumerate(tokens):
            if tok.kind == NAME and tok.text == name and k >= 2 and tokens[k - 1].is_("("):
                callee = tokens[k - 2]
                nxt = self.tok(k + 1)
                if (callee.kind == NAME and callee.text.rstrip("0123456789") in _JSX_CALLEES
                        and nxt is not None and (nxt.is_(",") or nxt.is_(")"))):
                    return True
        return False

    def looks_like_component(self, fn: _Fn) -> bool:
        """An anonymous default export that renders JSX or calls hooks."""
        for k in range(fn.body_start, fn.body_end + 1):
            tok = self.tokens[k]
            if tok.kind == NAME and self.is_(k + 1, "(") and (
                    tok.text.rstrip("0123456789") in _JSX_CALLEES or _HOOK_NAME_RE.match(tok.text)):
                return True
        return False
