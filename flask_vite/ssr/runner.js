// The SSR module runner: evaluates modules transformed the way Vite's
// ssrTransform does (imports become `await __vite_ssr_import__(url)`,
// exports go through `__vite_ssr_exportName__` / `__vite_ssr_exports__`),
// with the semantics of Vite's ModuleRunner (packages/vite/src/module-runner):
// one instance per URL, an exports object created before the module runs,
// circular imports answered with the partly filled exports object, and
// invalidation that drops an instance so the next import runs it again.
//
// Modules may also be CommonJS (format "cjs": `require(url)`, `module`,
// `exports`, as esbuild's format=cjs writes them). `require` is synchronous,
// so what a CommonJS module requires must have been shipped beforehand; a
// circular require gets the partly filled `module.exports`, as in Node.
//
// It also owns the "current call" and the protocol with the Python host
// (flask_vite/ssr/child.py), which calls these entry points and reads a
// status string back:
//
//   "R" + ms + "\n" + JSON
//                the call finished: {ok, value | error, logs}; ms says when
//                the next task is due (-1: none), for the host's idle loop
//   "S" + ms + "\n" + shape + "\n" + texts
//                the call finished with a value made of strings, arrays and
//                plain objects, and logged nothing: the value's shape as
//                JSON (each string replaced by its UTF-16 length), then the
//                strings back to back, not escaped; ms as for "R"
//   "P"          microtasks may have run: poll() again (in a new host call,
//                because V8 runs microtasks when a host call returns)
//   "F" + JSON   modules are missing: {modules: [{url, chain}], logs};
//                answer with provide() -- only with fetchModules on
//   "T" + ms     waiting for a timer due in `ms` milliseconds
(function (global) {
  "use strict";
  const host = global.__flaskVite;

  // The parameter names are Vite's (module-runner/constants.ts), so modules
  // transformed for Vite's runner run here unchanged.
  const PARAMS = [
    "__vite_ssr_exports__", "__vite_ssr_import_meta__", "__vite_ssr_import__",
    "__vite_ssr_dynamic_import__", "__vite_ssr_exportAll__", "__vite_ssr_exportName__",
  ];
  // Kept on one line, so a module's line N is line N + 1 of the evaluated
  // script: stack frames are shifted back by WRAPPER_LINES.
  const WRAPPER_HEAD = `(async function (${PARAMS.join(", ")}) {"use strict";\n`;
  // Node's CommonJS wrapper; no "use strict": CommonJS code may be sloppy.
  const CJS_WRAPPER_HEAD = "(function (exports, require, module, __filename, __dirname) {\n";
  const WRAPPER_LINES = 1;

  function wrapperSource(definition) {
    return (definition.format === "cjs" ? CJS_WRAPPER_HEAD : WRAPPER_HEAD) + definition.code + "\n})";
  }

  // What `import ... from "fs"` can name without the node: prefix
  // (Node's module.builtinModules).
  const NODE_BUILTINS = new Set([
    "assert", "assert/strict", "async_hooks", "buffer", "child_process", "cluster", "console",
    "constants", "crypto", "dgram", "diagnostics_channel", "dns", "dns/promises", "domain",
    "events", "fs", "fs/promises", "http", "http2", "https", "inspector", "inspector/promises",
    "module", "net", "os", "path", "path/posix", "path/win32", "perf_hooks", "process",
    "punycode", "querystring", "readline", "readline/promises", "repl", "stream",
    "stream/consumers", "stream/promises", "stream/web", "string_decoder", "sys", "timers",
    "timers/promises", "tls", "trace_events", "tty", "url", "util", "util/types", "v8", "vm",
    "wasi", "worker_threads", "zlib",
  ]);

  const definitions = new Map(); // url -> {code, file, format: "vite" | "cjs"}
  const compiled = new Map(); // url -> the module function, compiled on first run
  // URLs whose code ran inside the wrapper: their frames are shifted. Never
  // cleared, since an instance of old code may still throw after a redefine.
  const wrapped = new Set();
  const records = new Map(); // url -> ModuleRecord
  const ssrInfo = new WeakMap(); // Error -> {code, url, chain, builtin} for errors we raise

  class ModuleRecord {
    constructor(url) {
      this.url = url;
      this.importers = new Set();
      this.imports = new Set();
      this.promise = undefined; // evaluation in progress or done
      this.evaluated = false;
      this.exports = undefined; // exists as soon as evaluation starts
      this.ready = false; // evaluation finished without error
      this.cjsModule = undefined; // a CommonJS module's `module` object
    }
  }

  // -- stack traces -----------------------------------------------------------
  // V8 calls this when an error's `stack` is first read. It keeps V8's text,
  // shifts module frames back to the module's own lines, and records the
  // frames as [url, line, column] for Python.
  const framesOf = new WeakMap();

  function errorHeader(error) {
    try {
      return Error.prototype.toString.call(error);
    } catch (e) {
      return "Error";
    }
  }

  Error.prepareStackTrace = function (error, callsites) {
    const frames = [];
    const lines = [];
    for (const site of callsites) {
      let text = String(site);
      const file = site.getFileName() || site.getScriptNameOrSourceURL();
      let line = site.getLineNumber();
      const column = site.getColumnNumber();
      if (file && line != null && wrapped.has(file)) {
        const shifted = line - WRAPPER_LINES;
        const at = text.lastIndexOf(`${file}:${line}:${column}`);
        if (at >= 0) text = text.slice(0, at) + `${file}:${shifted}:${column}` + text.slice(at + `${file}:${line}:${column}`.length);
        line = shifted;
      }
      if (file && line != null) frames.push([file, line, column == null ? 0 : column]);
      lines.push("    at " + text);
    }
    if (error !== null && typeof error === "object") framesOf.set(error, frames);
    const header = errorHeader(error);
    return lines.length ? header + "\n" + lines.join("\n") : header;
  };

  function ssrError(message, info) {
    const error = new Error(message);
    ssrInfo.set(error, info);
    return error;
  }

  function chainText(chain) {
    return chain.join(" -> ");
  }

  function builtinError(url, chain) {
    const name = url.startsWith("node:") ? url : `node:${url}`;
    return ssrError(
      `Cannot import "${url}": it is a Node.js builtin (${name}), and flask-vite renders in V8 ` +
      `without Node.js (import chain: ${chainText(chain)}). Keep server-only code out of the SSR ` +
      "module graph: load the data in the Flask view and pass it to the render function.",
      { code: "ERR_SSR_NODE_BUILTIN", url, chain, builtin: name });
  }

  function notFoundError(url, chain) {
    const importers = chain.slice(0, -1);
    return ssrError(
      `Module "${url}" is not defined in the SSR runtime` +
      (importers.length ? ` (import chain: ${chainText(chain)})` : "") +
      ". Ship it with SsrProcess.define_modules(), or pass fetch_module= to load modules on demand.",
      { code: "ERR_SSR_MODULE_NOT_FOUND", url, chain });
  }

  function isBuiltin(url) {
    return url.startsWith("node:") || NODE_BUILTINS.has(url);
  }

  // -- modules from the host ----------------------------------------------------
  const fetchQueue = []; // [{url, chain}] not yet sent to the host
  const fetching = new Map(); // url -> {promise, resolve, reject, chain}

  function define(defs) {
    for (const url of Object.keys(defs)) {
      const [code, file, format] = defs[url];
      definitions.set(url, {
        code: String(code), file: file == null ? null : String(file), format: format === "cjs" ? "cjs" : "vite",
      });
      compiled.delete(url);
    }
  }

  function provide(answers) {
    for (const { url, code, file, format, error } of answers) {
      const pending = fetching.get(url);
      if (!pending) continue;
      fetching.delete(url);
      if (typeof code === "string") {
        define({ [url]: [code, file, format] });
        pending.resolve(definitions.get(url));
      } else if (error) {
        pending.reject(ssrError(`fetch_module(${JSON.stringify(url)}) raised ${error} ` +
          `(import chain: ${chainText(pending.chain)})`, { code: "ERR_SSR_FETCH_FAILED", url, chain: pending.chain }));
      } else {
        pending.reject(notFoundError(url, pending.chain));
      }
    }
  }

  function loadDefinition(url, chain) {
    const found = definitions.get(url);
    if (found) return found;
    if (isBuiltin(url)) throw builtinError(url, chain);
    if (!host.config.fetchModules) throw notFoundError(url, chain);
    let pending = fetching.get(url);
    if (!pending) {
      pending = { chain };
      pending.promise = new Promise((resolve, reject) => {
        pending.resolve = resolve;
        pending.reject = reject;
      });
      fetching.set(url, pending);
      fetchQueue.push({ url, chain });
    }
    return pending.promise;
  }

  // -- evaluation (Vite's ModuleRunner.cachedRequest / directRequest) ----------
  function record(url) {
    let mod = records.get(url);
    if (!mod) {
      mod = new ModuleRecord(url);
      records.set(url, mod);
    }
    return mod;
  }

  // Is `mod` waiting, directly or not, on a module of `callstack`? Then
  // awaiting it would deadlock: the importer gets the partial exports.
  function isCircularRequest(mod, callstack, visited = new Set()) {
    if (visited.has(mod.url)) return false;
    visited.add(mod.url);
    for (const url of mod.imports) {
      const imported = records.get(url);
      if (!imported || !imported.promise || imported.evaluated) continue;
      if (callstack.includes(url)) return true;
      if (isCircularRequest(imported, callstack, visited)) return true;
    }
    return false;
  }

  async function cachedRequest(url, callstack) {
    const mod = record(url);
    const importer = callstack[callstack.length - 1];
    if (importer) mod.importers.add(importer);
    if (mod.evaluated && mod.promise) return mod.promise;
    if (mod.promise) {
      if (mod.exports && (callstack.includes(url) || isCircularRequest(mod, callstack))) return mod.exports;
      return mod.promise;
    }
    const promise = directRequest(url, mod, callstack);
    mod.promise = promise;
    mod.evaluated = false;
    try {
      const exports = await promise;
      if (mod.promise === promise) mod.ready = true;
      return exports;
    } catch (error) {
      // A failed module is forgotten, unlike in Node: the next import runs it
      // again -- after the missing module was shipped, the file fixed...
      if (records.get(url) === mod && mod.promise === promise) records.delete(url);
      throw error;
    } finally {
      mod.evaluated = true;
    }
  }

  function compile(url, definition) {
    let fn = compiled.get(url);
    if (fn === undefined) {
      const source = wrapperSource(definition) + "\n//# sourceURL=" + url.replace(/[\r\n]/g, "");
      try {
        fn = (0, eval)(source);
      } catch (error) {
        // V8 gives a SyntaxError no position; the Python side finds it by
        // compiling the same source as a script of its own.
        if (error instanceof SyntaxError) ssrInfo.set(error, { code: "ERR_SSR_SYNTAX", url });
        throw error;
      }
      compiled.set(url, fn);
      wrapped.add(url);
    }
    return fn;
  }

  function posixResolve(from, to) {
    const segments = from.split("/").slice(0, -1);
    for (const part of to.split("/")) {
      if (part === "..") {
        if (segments.length > 1) segments.pop();
      } else if (part !== ".") {
        segments.push(part);
      }
    }
    return segments.join("/");
  }

  function createImportMeta(url, definition) {
    const file = definition.file;
    const filename = file || undefined;
    return {
      url: file ? "file://" + encodeURI(file.startsWith("/") ? file : "/" + file).replace(/[?#]/g, encodeURIComponent) : url,
      filename,
      dirname: filename ? filename.replace(/[/\\][^/\\]*$/, "") || "/" : undefined,
      env: host.config.importMetaEnv,
      resolve() {
        throw new Error('[module runner] "import.meta.resolve" is not supported.');
      },
      glob() {
        throw new Error('[module runner] "import.meta.glob" is statically replaced during ' +
          "file transformation. Make sure to reference it by the full name.");
      },
    };
  }

  function exportAll(exports, sourceModule) {
    // A module re-exporting itself would loop; primitives have nothing.
    if (exports === sourceModule) return;
    if (sourceModule === null || (typeof sourceModule !== "object" && typeof sourceModule !== "function") ||
        Array.isArray(sourceModule) || sourceModule instanceof Promise) return;
    for (const key in sourceModule) {
      if (key !== "default" && key !== "__esModule" && !(key in exports)) {
        try {
          Object.defineProperty(exports, key, { enumerable: true, configurable: true, get: () => sourceModule[key] });
        } catch (e) {
          // A sealed exports object (a finished module) takes no new names.
        }
      }
    }
  }

  async function directRequest(url, mod, callstack) {
    const stack = [...callstack, url];
    // Yield once before the module runs, so cachedRequest has stored
    // mod.promise: a circular import that comes back here must find it.
    // (Vite's runner always awaits the module fetch at this point.)
    await undefined;
    let definition = definitions.get(url);
    if (!definition) definition = await loadDefinition(url, stack);
    if (definition.format === "cjs") return runCommonJs(url, mod, stack, definition);
    const fn = compile(url, definition);

    const exports = Object.create(null);
    Object.defineProperty(exports, Symbol.toStringTag, { value: "Module", enumerable: false, configurable: false });
    mod.exports = exports;
    mod.imports.clear();

    const ssrImport = (dep) => {
      mod.imports.add(dep);
      return cachedRequest(dep, stack);
    };
    const ssrDynamicImport = (dep) => {
      // An object with toString() is allowed in import().
      let specifier = String(dep);
      if (specifier[0] === ".") specifier = posixResolve(url, specifier);
      return ssrImport(specifier);
    };
    const ssrExportName = (name, getter) =>
      Object.defineProperty(exports, name, { enumerable: true, configurable: true, get: getter });

    await fn.call(undefined, exports, createImportMeta(url, definition), ssrImport, ssrDynamicImport,
      (source) => exportAll(exports, source), ssrExportName);
    Object.seal(exports);
    return exports;
  }

  // -- CommonJS ------------------------------------------------------------------
  function runCommonJs(url, mod, stack, definition) {
    const fn = compile(url, definition);
    const filename = definition.file || url;
    const module = { id: url, filename, loaded: false, exports: {} };
    mod.cjsModule = module;
    mod.exports = module.exports;
    mod.imports.clear();
    const require = (dep) => requireSync(String(dep), stack, mod);
    fn.call(module.exports, module.exports, require, module, filename, filename.replace(/[/\\][^/\\]*$/, "") || "/");
    module.loaded = true;
    mod.exports = module.exports; // it may have been replaced
    return module.exports;
  }

  function requireSync(url, callstack, importer) {
    importer.imports.add(url);
    const mod = record(url);
    mod.importers.add(importer.url);
    if (mod.ready) return mod.exports;
    // Required again while it runs (a cycle): the partial exports, as Node.
    if (mod.cjsModule && !mod.evaluated) return mod.cjsModule.exports;
    const stack = [...callstack, url];
    if (mod.promise) {
      throw new Error(`require("${url}") from ${importer.url}: it is an ES module still being ` +
        `evaluated (import chain: ${chainText(stack)}); an ES module cannot be required while it runs.`);
    }
    const definition = definitions.get(url);
    if (!definition) {
      if (isBuiltin(url)) throw builtinError(url, stack);
      throw notFoundError(url, stack);
    }
    if (definition.format !== "cjs") {
      throw new Error(`require("${url}") from ${importer.url}: it was shipped as an ES module (Vite's ` +
        "SSR format runs asynchronously); ship it as CommonJS, or import it with __vite_ssr_import__.");
    }
    mod.evaluated = false;
    try {
      const exports = runCommonJs(url, mod, stack, definition);
      mod.ready = true;
      mod.promise = Promise.resolve(exports);
      return exports;
    } catch (error) {
      if (records.get(url) === mod) records.delete(url);
      throw error;
    } finally {
      mod.evaluated = true;
    }
  }

  function invalidate(urls, withImporters) {
    const queue = Array.from(urls);
    const seen = new Set();
    while (queue.length) {
      const url = queue.pop();
      if (seen.has(url)) continue;
      seen.add(url);
      const mod = records.get(url);
      if (!mod) continue;
      if (withImporters) queue.push(...mod.importers);
      // Vite's EvaluatedModules.invalidateModule: the importers are kept, so
      // a later invalidation still reaches them.
      mod.promise = undefined;
      mod.evaluated = false;
      mod.exports = undefined;
      mod.ready = false;
      mod.cjsModule = undefined;
      mod.imports.clear();
    }
    return Array.from(seen);
  }

  // -- the current call -------------------------------------------------------
  // Calls are serialized by the host; `current` is the one in progress.
  let current = null;
  // Tasks already due when a call settles (a setTimeout(0) the render
  // scheduled) run before the result goes back, up to this many.
  const MAX_TASKS_AFTER_SETTLE = 1000;

  function describeExports(exports) {
    const out = {};
    // A CommonJS module may export a primitive: it has no names.
    if (exports === null || (typeof exports !== "object" && typeof exports !== "function")) return out;
    for (const key of Object.keys(exports)) {
      let kind;
      try {
        kind = typeof exports[key];
      } catch (e) {
        kind = "uninitialized"; // a `let` export read before its declaration ran
      }
      out[key] = kind;
    }
    return out;
  }

  function act(exports, mode, url, name, args) {
    if (mode === "import") return describeExports(exports);
    if (mode === "fetch") return dispatchFetch(exports, url, args[0]);
    const value = exports[name];
    if (mode === "get") return value;
    if (typeof value !== "function") {
      const names = Object.keys(exports);
      throw new TypeError(`The export "${name}" of ${url} is ${value === undefined && !(name in exports) ? "missing" : `not a function (${typeof value})`}; ` +
        `its exports are: ${names.length ? names.join(", ") : "(none)"}`);
    }
    return value.apply(undefined, args);
  }

  // -- fetch-style handlers (Vite's FetchableDevEnvironment.dispatchFetch) ------
  // `payload` is a request from Python (see host.fetch.request in
  // runtime/fetch.js); the Response is returned as {status, statusText,
  // headers, body: base64}. What is not a Response is a TypeError, as in
  // Vite, with the code the Python side turns into SsrFetchTypeError.
  function fetchTypeError(message) {
    const error = new TypeError(message);
    // The stack would show only the runtime's frames: the message says it all.
    Object.defineProperty(error, "stack", { value: `TypeError: ${message}`, configurable: true, writable: true });
    ssrInfo.set(error, { code: "ERR_SSR_FETCH_TYPE" });
    return error;
  }

  async function dispatchFetch(exports, url, payload) {
    const found = host.fetch.handlerOf(exports);
    if (found === null) {
      const names = exports !== null && typeof exports === "object" ? Object.keys(exports) : [];
      throw fetchTypeError(`${url} has no fetch handler: export one as \`export default { fetch(request) {...} }\`, ` +
        `\`export function fetch(request)\` or \`export function handler(request)\`, returning a Response ` +
        `(its exports are: ${names.length ? names.join(", ") : "(none)"})`);
    }
    const [what, handler, self] = found;
    const response = await handler.call(self, host.fetch.request(payload));
    if (!host.fetch.isResponse(response)) {
      throw fetchTypeError(`The fetch handler of ${url} (${what}) must return a Response or a promise of one, ` +
        `but it returned ${host.fetch.describe(response)}`);
    }
    if (response.type === "error") {
      throw fetchTypeError(`The fetch handler of ${url} (${what}) returned a network error (Response.error()), ` +
        "which cannot be sent as an HTTP response");
    }
    return host.fetch.response(response, payload.maxBodySize, `the Response of ${url}`);
  }

  function settle(ok, valueOrError) {
    if (current === null || current.settled) return;
    current.settled = true;
    current.ok = ok;
    current.value = valueOrError;
  }

  function serializeError(error) {
    if (error !== null && typeof error === "object" && "stack" in error) {
      let stack;
      try {
        stack = String(error.stack);
      } catch (e) {
        stack = "";
      }
      const info = ssrInfo.get(error) || {};
      return {
        name: String(error.name || "Error"),
        message: String(error.message),
        stack,
        frames: framesOf.get(error) || [],
        ...info,
      };
    }
    return { name: "Error", message: `Uncaught ${host.formatValue(error)}`, stack: "", frames: [] };
  }

  // The shape of a value made only of strings, arrays and plain objects:
  // each string replaced by its length (UTF-16 code units), its text pushed
  // on `texts` in the order JSON.stringify(shape) lists them. undefined for
  // anything else (numbers, null, a lone surrogate, which cannot cross as
  // UTF-8), which then goes as JSON.
  function textShape(value, texts, depth) {
    if (typeof value === "string") {
      if (!value.isWellFormed()) return undefined;
      texts.push(value);
      return value.length;
    }
    if (value === null || typeof value !== "object" || depth > 8) return undefined;
    if (Array.isArray(value)) {
      const shape = new Array(value.length);
      for (let i = 0; i < value.length; i++) {
        if ((shape[i] = textShape(value[i], texts, depth + 1)) === undefined) return undefined;
      }
      return shape;
    }
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) return undefined;
    const shape = Object.create(null);
    for (const key of Object.keys(value)) {
      if ((shape[key] = textShape(value[key], texts, depth + 1)) === undefined) return undefined;
    }
    return shape;
  }

  function finish() {
    const call = current;
    current = null;
    const logs = host.takeLogs();
    const due = host.nextTaskIn() + "\n";
    // A page is a string or an object of strings ({ html, head }), and most
    // renders log nothing: the strings go to Python as they are, without
    // JSON around them (issue 7: escaping here and parsing in the web
    // process cost more than the copy).
    if (call.ok && logs.length === 0) {
      const texts = [];
      const shape = textShape(call.value, texts, 0);
      if (shape !== undefined) return "S" + due + JSON.stringify(shape) + "\n" + texts.join("");
    }
    const head = "R" + due;
    if (!call.ok) return head + JSON.stringify({ ok: false, error: serializeError(call.value), logs });
    try {
      return head + JSON.stringify({ ok: true, value: call.value, logs });
    } catch (error) {
      const unsendable = new TypeError(`The value returned by ${call.what} cannot be sent to Python: ` +
        `${error && error.message}. Return JSON-compatible data (strings, numbers, booleans, null, ` +
        "arrays and plain objects).");
      return head + JSON.stringify({ ok: false, error: serializeError(unsendable), logs });
    }
  }

  function start(mode, url, name, argsJson) {
    const args = argsJson ? JSON.parse(argsJson) : [];
    current = {
      settled: false, ok: false, value: undefined, afterTasks: 0,
      what: mode === "call" ? `${name}() of ${url}` : mode === "fetch" ? `the fetch handler of ${url}` : url,
    };
    const mod = records.get(url);
    // Fast path: a module that finished evaluating, a function that returns
    // a plain value -- a synchronous render is one host call.
    if (mod && mod.ready && mod.promise) {
      try {
        const value = act(mod.exports, mode, url, name, args);
        if (value !== null && (typeof value === "object" || typeof value === "function") && typeof value.then === "function") {
          Promise.resolve(value).then((v) => settle(true, v), (e) => settle(false, e));
          return "P";
        }
        settle(true, value);
      } catch (error) {
        settle(false, error);
      }
      return host.nextTaskIn() === 0 ? "P" : finish();
    }
    cachedRequest(url, [])
      .then((exports) => act(exports, mode, url, name, args))
      .then((v) => settle(true, v), (e) => settle(false, e));
    return "P";
  }

  function poll() {
    if (current === null) throw new Error("flask-vite: poll() without a call in progress");
    if (current.settled) {
      if (current.afterTasks < MAX_TASKS_AFTER_SETTLE && host.nextTaskIn() === 0) {
        current.afterTasks++;
        host.runDueTask();
        return "P";
      }
      return finish();
    }
    if (fetchQueue.length) {
      return "F" + JSON.stringify({ modules: fetchQueue.splice(0), logs: host.takeLogs() });
    }
    const wait = host.nextTaskIn();
    if (wait === 0) {
      host.runDueTask();
      return "P";
    }
    if (wait > 0) return "T" + wait;
    settle(false, ssrError(`${current.what} never finished: it awaits a promise that nothing can ` +
      "resolve any more (no timer, message or module load is pending).", { code: "ERR_SSR_STALLED" }));
    return finish();
  }

  // The host gives up on the call (its deadline passed while waiting for a
  // timer): the call fails with `message`, the isolate stays usable.
  function fail(code, message) {
    if (current === null) throw new Error("flask-vite: fail() without a call in progress");
    // A call that already has its result only had due tasks left to run.
    if (!current.settled) settle(false, ssrError(message, { code }));
    return finish();
  }

  // Between calls: run one due task; say when the next one is due (-1: none).
  function idle() {
    host.runDueTask();
    return host.nextTaskIn();
  }

  function source(url) {
    const definition = definitions.get(url);
    return definition ? wrapperSource(definition) : null;
  }

  host.runner = {
    WRAPPER_LINES, define, invalidate, provide, start, poll, fail, idle, source,
    has: (url) => definitions.has(url),
  };
})(globalThis);
