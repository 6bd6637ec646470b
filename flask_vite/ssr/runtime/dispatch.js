// The runner's side of `dispatch_fetch` (`host.fetch`, used by runner.js's
// "fetch" calls): which export is the fetch handler, a request from Python
// as a Request, a Response back as JSON-compatible data. Bodies cross
// base64-encoded: the frames between the processes carry text.
(function (global) {
  "use strict";
  const host = global.__flaskVite;

  // -- base64, for bodies crossing to and from Python --------------------------
  // V8 14 has Uint8Array.prototype.toBase64 / Uint8Array.fromBase64 (10 MB
  // in ~20 ms); the code below is the fallback for a V8 without them (about
  // 20 times slower; atob/btoa, one character at a time, are slower still).
  function encodeBase64(bytes) {
    return typeof bytes.toBase64 === "function" ? bytes.toBase64() : toBase64(bytes);
  }

  function decodeBase64(text) {
    return typeof Uint8Array.fromBase64 === "function" ? Uint8Array.fromBase64(text) : fromBase64(text);
  }

  const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const CODES = Uint8Array.from(ALPHABET, (ch) => ch.charCodeAt(0));
  const VALUES = new Uint8Array(128).fill(255);
  for (let i = 0; i < ALPHABET.length; i++) VALUES[ALPHABET.charCodeAt(i)] = i;

  function asciiString(codes) {
    const parts = [];
    for (let i = 0; i < codes.length; i += 8192) parts.push(String.fromCharCode.apply(null, codes.subarray(i, i + 8192)));
    return parts.join("");
  }

  function toBase64(bytes) {
    const n = bytes.length;
    const out = new Uint8Array(Math.ceil(n / 3) * 4);
    let o = 0;
    let i = 0;
    for (; i + 2 < n; i += 3) {
      const v = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
      out[o++] = CODES[v >> 18];
      out[o++] = CODES[(v >> 12) & 63];
      out[o++] = CODES[(v >> 6) & 63];
      out[o++] = CODES[v & 63];
    }
    if (i < n) {
      const v = (bytes[i] << 16) | (i + 1 < n ? bytes[i + 1] << 8 : 0);
      out[o++] = CODES[v >> 18];
      out[o++] = CODES[(v >> 12) & 63];
      out[o++] = i + 1 < n ? CODES[(v >> 6) & 63] : 61; // "="
      out[o++] = 61;
    }
    return asciiString(out);
  }

  function fromBase64(text) {
    let end = text.length;
    while (end > 0 && text.charCodeAt(end - 1) === 61) end--;
    const out = new Uint8Array(Math.floor((end * 3) / 4));
    let o = 0;
    let buffer = 0;
    let bits = 0;
    for (let i = 0; i < end; i++) {
      const c = text.charCodeAt(i);
      const v = c < 128 ? VALUES[c] : 255;
      if (v === 255) throw new TypeError("flask-vite: a request body from Python is not valid base64");
      buffer = ((buffer << 6) | v) & 0xffffff;
      bits += 6;
      if (bits >= 8) {
        bits -= 8;
        out[o++] = (buffer >> bits) & 0xff;
      }
    }
    return out.subarray(0, o);
  }

  function describe(value) {
    if (value === null) return "null";
    if (value === undefined) return "undefined";
    if (typeof value !== "object" && typeof value !== "function") {
      return `${typeof value} ${host.formatValue ? host.formatValue(value) : String(value)}`.slice(0, 200);
    }
    const name = value.constructor && value.constructor.name;
    const text = host.formatValue ? host.formatValue(value) : Object.prototype.toString.call(value);
    return `${name && name !== "Object" ? `a ${name}` : "an object"} ${text}`.slice(0, 200);
  }

  host.fetch = {
    describe,
    isResponse: (value) => value instanceof Response,

    // The forms of a fetch handler an entry may export, in the order they
    // are looked for: [description, function, this].
    handlerOf(exports) {
      const main = exports && exports.default;
      if (main !== null && (typeof main === "object" || typeof main === "function") && typeof main.fetch === "function") {
        return ["the default export's fetch()", main.fetch, main];
      }
      if (exports && typeof exports.fetch === "function") return ["the export fetch()", exports.fetch, undefined];
      if (exports && typeof exports.handler === "function") return ["the export handler()", exports.handler, undefined];
      return null;
    },

    // {method, url, headers: [[name, value]], body: base64 | null} -> Request
    request(payload) {
      const body = payload.body === null || payload.body === undefined ? null : decodeBase64(payload.body);
      return new Request(payload.url, { method: payload.method, headers: payload.headers, body });
    },

    // Response -> {status, statusText, headers: [[name, value]], body: base64}
    async response(response, limit, what) {
      const bytes = await host.readBody(response, what, limit);
      return {
        status: response.status,
        statusText: response.statusText,
        headers: host.headers.list(response.headers),
        body: encodeBase64(bytes),
      };
    },
  };
})(globalThis);
