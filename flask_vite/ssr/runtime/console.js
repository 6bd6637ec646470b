// console: every method formats its arguments as Node's console does
// (util.format-style %s/%d/%i/%f/%j/%o/%O/%c, objects inspected) and hands the
// text to the host, which logs it on Python's `flask_vite.ssr` logger with a
// level chosen by the method.
(function (global) {
  "use strict";
  const host = global.__flaskVite;
  const { debug: DEBUG, info: INFO, warning: WARNING, error: ERROR } = host.LEVELS;

  const MAX_DEPTH = 2;
  const MAX_ITEMS = 100;
  const MAX_STRING = 10000;

  function isIdentifier(key) {
    return /^[A-Za-z_$][\w$]*$/.test(key);
  }

  function quote(string) {
    const s = string.length > MAX_STRING ? string.slice(0, MAX_STRING) + "..." : string;
    return "'" + s.replace(/\\/g, "\\\\").replace(/'/g, "\\'").replace(/\n/g, "\\n") + "'";
  }

  function functionName(fn) {
    const kind = /^class\b/.test(Function.prototype.toString.call(fn)) ? "class" : "Function";
    return fn.name ? `[${kind}: ${fn.name}]` : `[${kind} (anonymous)]`;
  }

  // A compact version of Node's util.inspect: enough to read a value in a log.
  function inspect(value, depth, seen) {
    switch (typeof value) {
      case "string": return quote(value);
      case "number": return Object.is(value, -0) ? "-0" : String(value);
      case "bigint": return `${value}n`;
      case "boolean": case "undefined": return String(value);
      case "symbol": return value.toString();
      case "function": return functionName(value);
    }
    if (value === null) return "null";
    if (seen.includes(value)) return "[Circular]";
    if (value instanceof Error) return value.stack ? String(value.stack) : String(value);
    if (value instanceof Date) return isNaN(value) ? "Invalid Date" : value.toISOString();
    if (value instanceof RegExp) return String(value);
    if (value instanceof Promise) return "Promise { <pending> }";
    if (depth > MAX_DEPTH) return Array.isArray(value) ? "[Array]" : "[Object]";
    const inner = [...seen, value];
    const show = (v) => inspect(v, depth + 1, inner);
    let items;
    let open = "{";
    let close = "}";
    let prefix = "";
    if (Array.isArray(value) || ArrayBuffer.isView(value)) {
      items = Array.from(value.length > MAX_ITEMS ? Array.prototype.slice.call(value, 0, MAX_ITEMS) : value, show);
      if (value.length > MAX_ITEMS) items.push(`... ${value.length - MAX_ITEMS} more items`);
      open = "[";
      close = "]";
      if (!Array.isArray(value)) prefix = `${value.constructor.name}(${value.length}) `;
    } else if (value instanceof Map) {
      items = Array.from(value, ([k, v]) => `${show(k)} => ${show(v)}`);
      prefix = `Map(${value.size}) `;
    } else if (value instanceof Set) {
      items = Array.from(value, show);
      prefix = `Set(${value.size}) `;
    } else {
      items = Object.keys(value).slice(0, MAX_ITEMS).map(
        (key) => `${isIdentifier(key) ? key : quote(key)}: ${show(value[key])}`);
      const proto = Object.getPrototypeOf(value);
      const name = proto && proto.constructor && proto.constructor.name;
      if (proto === null) prefix = "[Object: null prototype] ";
      else if (name && name !== "Object") prefix = `${name} `;
    }
    if (!items.length) return `${prefix}${open}${close}`;
    return `${prefix}${open} ${items.join(", ")} ${close}`;
  }

  // Node's util.format: a leading string may hold %-directives.
  function format(args) {
    let first = "";
    let rest = args;
    if (typeof args[0] === "string") {
      let i = 1;
      first = args[0].replace(/%([sdifjoOc%])/g, (match, directive) => {
        if (directive === "%") return "%";
        if (i >= args.length) return match;
        const arg = args[i++];
        switch (directive) {
          case "s":
            return typeof arg === "string" ? arg
              : typeof arg === "object" && arg !== null ? inspect(arg, MAX_DEPTH, []) : String(arg);
          case "d": case "i": {
            if (typeof arg === "bigint") return `${arg}n`;
            if (typeof arg === "symbol") return "NaN";
            const n = Number(arg);
            return String(directive === "i" ? Math.trunc(n) : n);
          }
          case "f": return typeof arg === "symbol" ? "NaN" : String(parseFloat(arg));
          case "j":
            try { return JSON.stringify(arg); } catch (e) { return "[Circular]"; }
          case "o": case "O": return inspect(arg, 0, []);
          case "c": return "";
        }
        return match;
      });
      rest = args.slice(i);
    }
    const parts = rest.map((arg) => (typeof arg === "string" ? arg : inspect(arg, 0, [])));
    return typeof args[0] === "string" ? [first, ...parts].join(" ") : parts.join(" ");
  }
  host.formatValue = (value) => inspect(value, 0, []);
  host.format = format;

  let indent = "";
  const counts = new Map();
  const timers = new Map();

  function emit(level, method, args) {
    const text = format(args);
    host.log(level, method, indent ? text.replace(/^/gm, indent) : text);
  }

  const console = {
    log: (...args) => emit(INFO, "log", args),
    info: (...args) => emit(INFO, "info", args),
    debug: (...args) => emit(DEBUG, "debug", args),
    warn: (...args) => emit(WARNING, "warn", args),
    error: (...args) => emit(ERROR, "error", args),
    dir: (value) => emit(INFO, "dir", [inspect(value, 0, [])]),
    dirxml: (...args) => emit(INFO, "dirxml", args),
    table: (data) => emit(INFO, "table", [data]),
    trace: (...args) => {
      const stack = String(new Error().stack).split("\n").slice(2).join("\n");
      emit(DEBUG, "trace", [`Trace: ${format(args)}\n${stack}`]);
    },
    assert: (condition, ...args) => {
      if (!condition) emit(ERROR, "assert", ["Assertion failed" + (args.length ? ": " + format(args) : "")]);
    },
    count: (label = "default") => {
      const n = (counts.get(label) || 0) + 1;
      counts.set(label, n);
      emit(INFO, "count", [`${label}: ${n}`]);
    },
    countReset: (label = "default") => counts.delete(label),
    time: (label = "default") => timers.set(label, host.now()),
    timeLog: (label = "default", ...args) => {
      if (timers.has(label)) emit(INFO, "timeLog", [`${label}: ${host.now() - timers.get(label)}ms`, ...args]);
    },
    timeEnd: (label = "default") => {
      if (!timers.has(label)) return;
      emit(INFO, "timeEnd", [`${label}: ${host.now() - timers.get(label)}ms`]);
      timers.delete(label);
    },
    group: (...args) => {
      if (args.length) emit(INFO, "group", args);
      indent += "  ";
    },
    groupEnd: () => {
      indent = indent.slice(2);
    },
  };
  console.groupCollapsed = console.group;

  host.defineGlobal("console", console);
})(globalThis);
