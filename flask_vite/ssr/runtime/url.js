// URL and URLSearchParams after the WHATWG URL standard, for what server code
// does with them: parse absolute and relative URLs against a base, read and
// set the parts, resolve dot segments, percent-encode as browsers do, and
// read/modify the query.
//
// Not implemented: IDNA (a non-ASCII host is lowercased, not punycoded),
// IPv4 shorthands other than plain dotted decimal, IPv6 compression of
// non-canonical input, and blob: origins.
(function (global) {
  "use strict";
  const host = global.__flaskVite;

  const SPECIAL = { "ftp:": "21", "file:": "", "http:": "80", "https:": "443", "ws:": "80", "wss:": "443" };

  const C0 = (c) => c <= 0x1f || c > 0x7e;
  const FRAGMENT = (c) => C0(c) || c === 0x20 || c === 0x22 || c === 0x3c || c === 0x3e || c === 0x60;
  const QUERY = (c) => C0(c) || c === 0x20 || c === 0x22 || c === 0x23 || c === 0x3c || c === 0x3e;
  const SPECIAL_QUERY = (c) => QUERY(c) || c === 0x27;
  const PATH = (c) => QUERY(c) || c === 0x3f || c === 0x5e || c === 0x60 || c === 0x7b || c === 0x7d;
  const USERINFO = (c) => PATH(c) || c === 0x2f || c === 0x3a || c === 0x3b || c === 0x3d || c === 0x40 ||
    (c >= 0x5b && c <= 0x5d) || c === 0x7c;

  const encoder = new TextEncoder();
  const decoder = new TextDecoder();

  function percentEncode(string, inSet) {
    let out = "";
    for (const ch of string) {
      const c = ch.codePointAt(0);
      if (c < 0x80 && !inSet(c)) {
        out += ch;
      } else {
        for (const byte of encoder.encode(ch)) out += "%" + byte.toString(16).toUpperCase().padStart(2, "0");
      }
    }
    return out;
  }

  function percentDecodeBytes(string) {
    const bytes = encoder.encode(string);
    const out = new Uint8Array(bytes.length);
    let n = 0;
    for (let i = 0; i < bytes.length; i++) {
      const b = bytes[i];
      if (b === 0x25 && i + 2 < bytes.length && /^[0-9A-Fa-f]{2}$/.test(String.fromCharCode(bytes[i + 1], bytes[i + 2]))) {
        out[n++] = parseInt(String.fromCharCode(bytes[i + 1], bytes[i + 2]), 16);
        i += 2;
      } else {
        out[n++] = b;
      }
    }
    return out.subarray(0, n);
  }

  function percentDecode(string) {
    return decoder.decode(percentDecodeBytes(string));
  }

  function invalid(input, base) {
    return new TypeError(`Invalid URL: ${JSON.stringify(String(input))}` +
      (base !== undefined ? ` (base ${JSON.stringify(String(base))})` : ""));
  }

  function parseHost(input, special) {
    if (input.startsWith("[")) {
      if (!input.endsWith("]") || !/^[0-9A-Fa-f:.]+$/.test(input.slice(1, -1))) return null;
      return input.toLowerCase();
    }
    if (!special) {
      if (/[\x00\t\n\r #/:<>?@[\\\]^|]/.test(input)) return null;
      return percentEncode(input, C0);
    }
    const domain = percentDecode(input).toLowerCase();
    if (domain === "" || /[\x00-\x20#%/:<>?@[\\\]^|\x7f]/.test(domain)) return null;
    const labels = domain.split(".");
    if (labels[labels.length - 1] === "") labels.pop();
    if (labels.length && labels.every((label) => /^\d+$/.test(label))) {
      if (labels.length !== 4 || labels.some((label) => Number(label) > 255)) return null;
      return labels.map(Number).join(".");
    }
    return domain;
  }

  function isDotSegment(s, dots) {
    const lower = s.toLowerCase();
    return dots === 1 ? lower === "." || lower === "%2e" : ["..", ".%2e", "%2e.", "%2e%2e"].includes(lower);
  }

  // Resolve `input` (a path, without query or fragment) onto `segments`.
  function parsePath(input, segments, special) {
    const parts = input.split(special ? /[/\\]/ : "/");
    if (parts[0] === "") parts.shift(); // leading slash
    parts.forEach((part, index) => {
      const last = index === parts.length - 1;
      if (isDotSegment(part, 2)) {
        if (segments.length) segments.pop();
        if (last) segments.push("");
      } else if (isDotSegment(part, 1)) {
        if (last) segments.push("");
      } else {
        segments.push(percentEncode(part, PATH));
      }
    });
    return segments;
  }

  // The URL record: {scheme, username, password, host (null: no authority),
  // port, path (array of segments, or a string for an opaque path), query,
  // fragment}; query and fragment are null when absent.
  function parse(input, base) {
    let rest = String(input).replace(/^[\x00-\x20]+|[\x00-\x20]+$/g, "").replace(/[\t\n\r]/g, "");
    const record = { scheme: "", username: "", password: "", host: null, port: "", path: [], query: null, fragment: null };

    const hashAt = rest.indexOf("#");
    if (hashAt >= 0) {
      record.fragment = percentEncode(rest.slice(hashAt + 1), FRAGMENT);
      rest = rest.slice(0, hashAt);
    }
    const schemeMatch = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(rest);
    if (schemeMatch) {
      record.scheme = schemeMatch[1].toLowerCase() + ":";
      rest = rest.slice(schemeMatch[0].length);
    } else {
      if (!base) return null;
      record.scheme = base.scheme;
    }
    const special = record.scheme in SPECIAL;

    const queryAt = rest.indexOf("?");
    if (queryAt >= 0) {
      record.query = percentEncode(rest.slice(queryAt + 1), special ? SPECIAL_QUERY : QUERY);
      rest = rest.slice(0, queryAt);
    }

    const slashes = special ? /^[/\\]{2}/ : /^\/\//;
    let authority = null;
    if (schemeMatch && special && record.scheme !== "file:") {
      // "http:example.com", "http:/example.com" and "http://example.com" all
      // have an authority; "http:path" relative to an http base does not.
      if (base && base.scheme === record.scheme && !/^[/\\]/.test(rest)) {
        return relative(record, rest, base, special);
      }
      const m = /^[/\\]*([^/\\]*)(.*)$/s.exec(rest);
      authority = m[1];
      rest = m[2];
    } else if (slashes.test(rest)) {
      const m = (special ? /^[/\\]{2}([^/\\]*)(.*)$/s : /^\/\/([^/]*)(.*)$/s).exec(rest);
      authority = m[1];
      rest = m[2];
    } else if (!schemeMatch) {
      return relative(record, rest, base, special);
    }

    if (authority !== null) {
      const at = authority.lastIndexOf("@");
      if (at >= 0) {
        const info = authority.slice(0, at);
        const colon = info.indexOf(":");
        record.username = percentEncode(colon >= 0 ? info.slice(0, colon) : info, USERINFO);
        record.password = colon >= 0 ? percentEncode(info.slice(colon + 1), USERINFO) : "";
        authority = authority.slice(at + 1);
      }
      const portMatch = /:(\d*)$/.exec(authority);
      if (portMatch && !authority.endsWith("]")) {
        authority = authority.slice(0, portMatch.index);
        if (portMatch[1] !== "") {
          const port = Number(portMatch[1]);
          if (port > 65535) return null;
          record.port = String(port) === SPECIAL[record.scheme] ? "" : String(port);
        }
      } else if (/:[^\]]*$/.test(authority) && !authority.startsWith("[")) {
        return null;
      }
      if (authority === "" && special && record.scheme !== "file:") return null;
      const parsedHost = authority === "" ? "" : parseHost(authority, special);
      if (parsedHost === null) return null;
      record.host = record.scheme === "file:" && parsedHost === "localhost" ? "" : parsedHost;
      record.path = parsePath(rest, [], special);
      if (special && !record.path.length) record.path = [""];
      return record;
    }

    if (special) {
      // "file:/path" or "file:path".
      record.host = "";
      record.path = parsePath(rest, [], special);
      if (!record.path.length) record.path = [""];
      return record;
    }
    if (rest.startsWith("/")) {
      record.path = parsePath(rest, [], special);
      return record;
    }
    // An opaque path: mailto:, data:, javascript: ...
    record.path = percentEncode(rest, C0);
    return record;
  }

  function relative(record, rest, base, special) {
    if (typeof base.path === "string") {
      // A base with an opaque path only takes a fragment.
      if (rest !== "" || record.query !== null) return null;
      Object.assign(record, { ...base, path: base.path, query: base.query, fragment: record.fragment });
      return record;
    }
    record.username = base.username;
    record.password = base.password;
    record.host = base.host;
    record.port = base.port;
    if (rest === "") {
      record.path = base.path.slice();
      if (record.query === null) record.query = base.query;
      return record;
    }
    const absolute = special ? /^[/\\]/.test(rest) : rest.startsWith("/");
    record.path = parsePath(rest, absolute ? [] : base.path.slice(0, -1), special);
    if (!absolute && !record.path.length && special) record.path = [""];
    return record;
  }

  function serializePath(record) {
    if (typeof record.path === "string") return record.path;
    const path = "/" + record.path.join("/");
    // "web+demo:/.//not-a-host/": keep a path that starts with // from
    // reading back as an authority.
    return record.host === null && record.path.length > 1 && record.path[0] === "" ? "/." + path : path;
  }

  function serialize(record, excludeFragment = false) {
    let out = record.scheme;
    if (record.host !== null) {
      out += "//";
      if (record.username || record.password) {
        out += record.username + (record.password ? ":" + record.password : "") + "@";
      }
      out += record.host + (record.port ? ":" + record.port : "");
    }
    out += serializePath(record);
    if (record.query !== null) out += "?" + record.query;
    if (!excludeFragment && record.fragment !== null) out += "#" + record.fragment;
    return out;
  }

  const RECORD = new WeakMap(); // URL -> record
  const PARAMS_URL = new WeakMap(); // URLSearchParams -> URL it belongs to

  class URL {
    #params;

    constructor(url, base) {
      let baseRecord;
      if (base !== undefined) {
        baseRecord = parse(base instanceof URL ? base.href : base);
        if (baseRecord === null) throw invalid(url, base);
      }
      const record = parse(url instanceof URL ? url.href : url, baseRecord);
      if (record === null) throw invalid(url, base);
      RECORD.set(this, record);
      this.#params = new URLSearchParams(record.query || "");
      PARAMS_URL.set(this.#params, this);
    }

    static canParse(url, base) {
      try {
        new URL(url, base);
        return true;
      } catch (e) {
        return false;
      }
    }

    static parse(url, base) {
      try {
        return new URL(url, base);
      } catch (e) {
        return null;
      }
    }

    get href() { return serialize(RECORD.get(this)); }
    set href(value) {
      const record = parse(value);
      if (record === null) throw invalid(value);
      RECORD.set(this, record);
      this._syncParams();
    }

    get origin() {
      const r = RECORD.get(this);
      if (r.scheme === "blob:") return "null";
      if (!(r.scheme in SPECIAL) || r.scheme === "file:") return "null";
      return r.scheme + "//" + r.host + (r.port ? ":" + r.port : "");
    }

    get protocol() { return RECORD.get(this).scheme; }
    set protocol(value) {
      const r = RECORD.get(this);
      const scheme = String(value).replace(/:.*$/s, "").toLowerCase() + ":";
      if (!/^[a-z][a-z0-9+.-]*:$/.test(scheme)) return;
      // Switching between special and non-special schemes is not allowed.
      if ((scheme in SPECIAL) !== (r.scheme in SPECIAL)) return;
      if (scheme === "file:" && (r.username || r.password || r.port)) return;
      r.scheme = scheme;
      if (r.port === SPECIAL[scheme]) r.port = "";
    }

    get username() { return RECORD.get(this).username; }
    set username(value) {
      const r = RECORD.get(this);
      if (r.host === null || r.host === "" || r.scheme === "file:") return;
      r.username = percentEncode(String(value), USERINFO);
    }

    get password() { return RECORD.get(this).password; }
    set password(value) {
      const r = RECORD.get(this);
      if (r.host === null || r.host === "" || r.scheme === "file:") return;
      r.password = percentEncode(String(value), USERINFO);
    }

    get host() {
      const r = RECORD.get(this);
      return r.host === null ? "" : r.host + (r.port ? ":" + r.port : "");
    }
    set host(value) {
      const r = RECORD.get(this);
      if (typeof r.path === "string") return;
      const m = /^([^/\\?#]*?)(?::(\d*))?(?:[/\\?#].*)?$/s.exec(String(value));
      if (!m) return;
      const parsed = parseHost(m[1], r.scheme in SPECIAL);
      if (parsed === null || (parsed === "" && r.scheme in SPECIAL && r.scheme !== "file:")) return;
      r.host = parsed;
      if (m[2] !== undefined && m[2] !== "") this.port = m[2];
    }

    get hostname() {
      const r = RECORD.get(this);
      return r.host === null ? "" : r.host;
    }
    set hostname(value) {
      const r = RECORD.get(this);
      if (typeof r.path === "string") return;
      const parsed = parseHost(String(value).replace(/[:/\\?#].*$/s, ""), r.scheme in SPECIAL);
      if (parsed === null || (parsed === "" && r.scheme in SPECIAL && r.scheme !== "file:")) return;
      r.host = parsed;
    }

    get port() { return RECORD.get(this).port; }
    set port(value) {
      const r = RECORD.get(this);
      if (r.host === null || r.host === "" || r.scheme === "file:") return;
      const digits = /^\d*/.exec(String(value))[0];
      if (digits === "") {
        if (String(value) === "") r.port = "";
        return;
      }
      const port = Number(digits);
      if (port > 65535) return;
      r.port = String(port) === SPECIAL[r.scheme] ? "" : String(port);
    }

    get pathname() { return serializePath(RECORD.get(this)); }
    set pathname(value) {
      const r = RECORD.get(this);
      if (typeof r.path === "string") return;
      const special = r.scheme in SPECIAL;
      r.path = parsePath(String(value), [], special);
      if (special && !r.path.length) r.path = [""];
    }

    get search() {
      const q = RECORD.get(this).query;
      return q ? "?" + q : "";
    }
    set search(value) {
      const r = RECORD.get(this);
      const s = String(value);
      r.query = s === "" ? null : percentEncode(s.replace(/^\?/, ""), r.scheme in SPECIAL ? SPECIAL_QUERY : QUERY);
      this._syncParams();
    }

    get searchParams() { return this.#params; }

    get hash() {
      const f = RECORD.get(this).fragment;
      return f ? "#" + f : "";
    }
    set hash(value) {
      const s = String(value);
      RECORD.get(this).fragment = s === "" ? null : percentEncode(s.replace(/^#/, ""), FRAGMENT);
    }

    toString() { return this.href; }
    toJSON() { return this.href; }

    _syncParams() {
      URLSearchParams._replace(this.#params, RECORD.get(this).query || "");
    }

    _updateQuery(serialized) {
      RECORD.get(this).query = serialized === "" ? null : serialized;
    }
  }

  // application/x-www-form-urlencoded
  function formEncode(string) {
    let out = "";
    for (const byte of encoder.encode(string)) {
      if ((byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a) ||
          byte === 0x2a || byte === 0x2d || byte === 0x2e || byte === 0x5f) {
        out += String.fromCharCode(byte);
      } else if (byte === 0x20) {
        out += "+";
      } else {
        out += "%" + byte.toString(16).toUpperCase().padStart(2, "0");
      }
    }
    return out;
  }

  function formParse(string) {
    const list = [];
    for (const part of string.split("&")) {
      if (part === "") continue;
      const eq = part.indexOf("=");
      const name = eq >= 0 ? part.slice(0, eq) : part;
      const value = eq >= 0 ? part.slice(eq + 1) : "";
      list.push([percentDecode(name.replace(/\+/g, " ")), percentDecode(value.replace(/\+/g, " "))]);
    }
    return list;
  }

  // A lone surrogate in a USVString becomes U+FFFD.
  function usv(value) {
    return String(value).replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, "\ufffd");
  }

  class URLSearchParams {
    #list = [];

    constructor(init = "") {
      if (init instanceof URLSearchParams) {
        this.#list = init.#list.map(([k, v]) => [k, v]);
      } else if (typeof init === "object" && init !== null) {
        if (typeof init[Symbol.iterator] === "function") {
          for (const pair of init) {
            const entry = Array.from(pair);
            if (entry.length !== 2) throw new TypeError("URLSearchParams: each pair must have exactly two items");
            this.#list.push([usv(entry[0]), usv(entry[1])]);
          }
        } else {
          for (const key of Object.keys(init)) this.#list.push([usv(key), usv(init[key])]);
        }
      } else {
        this.#list = formParse(usv(init).replace(/^\?/, ""));
      }
    }

    static _replace(params, query) {
      params.#list = formParse(query);
    }

    #update() {
      const url = PARAMS_URL.get(this);
      if (url) url._updateQuery(this.toString());
    }

    get size() { return this.#list.length; }

    append(name, value) {
      this.#list.push([usv(name), usv(value)]);
      this.#update();
    }

    delete(name, value) {
      const n = usv(name);
      this.#list = this.#list.filter(([k, v]) => k !== n || (value !== undefined && v !== usv(value)));
      this.#update();
    }

    get(name) {
      const n = usv(name);
      const found = this.#list.find(([k]) => k === n);
      return found ? found[1] : null;
    }

    getAll(name) {
      const n = usv(name);
      return this.#list.filter(([k]) => k === n).map(([, v]) => v);
    }

    has(name, value) {
      const n = usv(name);
      return this.#list.some(([k, v]) => k === n && (value === undefined || v === usv(value)));
    }

    set(name, value) {
      const n = usv(name);
      const index = this.#list.findIndex(([k]) => k === n);
      if (index < 0) {
        this.#list.push([n, usv(value)]);
      } else {
        this.#list[index][1] = usv(value);
        this.#list = this.#list.filter(([k], i) => k !== n || i === index);
      }
      this.#update();
    }

    sort() {
      // Stable, by UTF-16 code units, as the standard says.
      this.#list = this.#list
        .map((entry, i) => [entry, i])
        .sort(([a, i], [b, j]) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : i - j))
        .map(([entry]) => entry);
      this.#update();
    }

    forEach(callback, thisArg) {
      for (const [k, v] of this.#list.slice()) callback.call(thisArg, v, k, this);
    }

    *entries() { for (const [k, v] of this.#list.slice()) yield [k, v]; }
    *keys() { for (const [k] of this.#list.slice()) yield k; }
    *values() { for (const [, v] of this.#list.slice()) yield v; }
    [Symbol.iterator]() { return this.entries(); }

    toString() {
      return this.#list.map(([k, v]) => formEncode(k) + "=" + formEncode(v)).join("&");
    }
  }

  host.defineGlobal("URL", URL);
  host.defineGlobal("URLSearchParams", URLSearchParams);
})(globalThis);
