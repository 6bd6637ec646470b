// TextEncoder / TextDecoder (UTF-8 only, as the Encoding standard's encoder
// is; the decoder also accepts UTF-8's other labels), atob / btoa.
(function (global) {
  "use strict";
  const host = global.__flaskVite;

  // UTF-8 of a JS string; a lone surrogate becomes U+FFFD (EF BF BD), which
  // is what USVString conversion does in a browser.
  function encodeInto(string, bytes) {
    let read = 0;
    let written = 0;
    const length = string.length;
    const capacity = bytes.length;
    while (read < length) {
      let c = string.charCodeAt(read);
      let units = 1;
      if (c >= 0xd800 && c <= 0xdfff) {
        const next = read + 1 < length ? string.charCodeAt(read + 1) : 0;
        if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
          c = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00);
          units = 2;
        } else {
          c = 0xfffd;
        }
      }
      const size = c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
      if (written + size > capacity) break;
      if (size === 1) {
        bytes[written++] = c;
      } else if (size === 2) {
        bytes[written++] = 0xc0 | (c >> 6);
        bytes[written++] = 0x80 | (c & 0x3f);
      } else if (size === 3) {
        bytes[written++] = 0xe0 | (c >> 12);
        bytes[written++] = 0x80 | ((c >> 6) & 0x3f);
        bytes[written++] = 0x80 | (c & 0x3f);
      } else {
        bytes[written++] = 0xf0 | (c >> 18);
        bytes[written++] = 0x80 | ((c >> 12) & 0x3f);
        bytes[written++] = 0x80 | ((c >> 6) & 0x3f);
        bytes[written++] = 0x80 | (c & 0x3f);
      }
      read += units;
    }
    return { read, written };
  }

  function utf8Length(string) {
    let n = 0;
    for (let i = 0; i < string.length; i++) {
      const c = string.charCodeAt(i);
      if (c < 0x80) n += 1;
      else if (c < 0x800) n += 2;
      else if (c >= 0xd800 && c <= 0xdbff && i + 1 < string.length) {
        const next = string.charCodeAt(i + 1);
        if (next >= 0xdc00 && next <= 0xdfff) {
          n += 4;
          i++;
        } else n += 3;
      } else n += 3;
    }
    return n;
  }

  class TextEncoder {
    get encoding() {
      return "utf-8";
    }

    encode(input = "") {
      const string = String(input);
      // ASCII is the common case in HTML: one pass, no size computation.
      if (/^[\x00-\x7f]*$/.test(string)) {
        const bytes = new Uint8Array(string.length);
        for (let i = 0; i < string.length; i++) bytes[i] = string.charCodeAt(i);
        return bytes;
      }
      const bytes = new Uint8Array(utf8Length(string));
      encodeInto(string, bytes);
      return bytes;
    }

    encodeInto(input, destination) {
      if (!(destination instanceof Uint8Array)) {
        throw new TypeError("TextEncoder.encodeInto: the destination must be a Uint8Array");
      }
      return encodeInto(String(input), destination);
    }
  }

  const UTF8_LABELS = new Set(["utf-8", "utf8", "unicode-1-1-utf-8", "unicode11utf8",
    "unicode20utf8", "x-unicode20utf8"]);

  function toBytes(input) {
    if (input === undefined) return new Uint8Array(0);
    if (input instanceof Uint8Array) return input;
    if (input instanceof ArrayBuffer || (typeof SharedArrayBuffer !== "undefined" && input instanceof SharedArrayBuffer)) {
      return new Uint8Array(input);
    }
    if (ArrayBuffer.isView(input)) return new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
    throw new TypeError("TextDecoder.decode: the input must be an ArrayBuffer or an ArrayBufferView");
  }

  class TextDecoder {
    #fatal;
    #ignoreBOM;
    #pending = []; // bytes of an incomplete sequence kept across stream chunks
    #bomSeen = false;

    constructor(label = "utf-8", options = {}) {
      const name = String(label).trim().toLowerCase();
      if (!UTF8_LABELS.has(name)) {
        throw new RangeError(`TextDecoder: the encoding "${label}" is not supported ` +
          "(flask-vite's V8 runtime decodes UTF-8 only)");
      }
      this.#fatal = Boolean(options && options.fatal);
      this.#ignoreBOM = Boolean(options && options.ignoreBOM);
    }

    get encoding() {
      return "utf-8";
    }

    get fatal() {
      return this.#fatal;
    }

    get ignoreBOM() {
      return this.#ignoreBOM;
    }

    decode(input, options = {}) {
      const stream = Boolean(options && options.stream);
      let bytes = toBytes(input);
      if (this.#pending.length) {
        const joined = new Uint8Array(this.#pending.length + bytes.length);
        joined.set(this.#pending);
        joined.set(bytes, this.#pending.length);
        bytes = joined;
        this.#pending = [];
      }
      let i = 0;
      if (!this.#bomSeen && !this.#ignoreBOM) {
        if (bytes.length < 3 && stream && bytes.length && [0xef, 0xbb, 0xbf].slice(0, bytes.length).every((b, k) => bytes[k] === b)) {
          this.#pending = Array.from(bytes);
          return "";
        }
        if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) i = 3;
      }
      if (bytes.length) this.#bomSeen = true;
      const parts = [];
      let units = [];
      const flush = () => {
        parts.push(String.fromCharCode.apply(null, units));
        units = [];
      };
      const bad = () => {
        if (this.#fatal) {
          this.#bomSeen = false;
          throw new TypeError("TextDecoder.decode: the input is not valid UTF-8");
        }
        units.push(0xfffd);
      };
      const n = bytes.length;
      while (i < n) {
        const b = bytes[i];
        if (b < 0x80) {
          units.push(b);
          i++;
        } else {
          // Expected length and the valid range of the second byte (which
          // rules out overlong forms and surrogates, per the standard).
          let need; let lo = 0x80; let hi = 0xbf; let cp;
          if (b >= 0xc2 && b <= 0xdf) { need = 1; cp = b & 0x1f; }
          else if (b >= 0xe0 && b <= 0xef) {
            need = 2; cp = b & 0x0f;
            if (b === 0xe0) lo = 0xa0;
            if (b === 0xed) hi = 0x9f;
          } else if (b >= 0xf0 && b <= 0xf4) {
            need = 3; cp = b & 0x07;
            if (b === 0xf0) lo = 0x90;
            if (b === 0xf4) hi = 0x8f;
          } else {
            bad();
            i++;
            continue;
          }
          let j = 1;
          for (; j <= need; j++) {
            if (i + j >= n) break;
            const c = bytes[i + j];
            if (c < (j === 1 ? lo : 0x80) || c > (j === 1 ? hi : 0xbf)) break;
            cp = (cp << 6) | (c & 0x3f);
          }
          if (j <= need) {
            if (i + j >= n && stream) {
              // Truncated at the end of a chunk: wait for the rest.
              this.#pending = Array.from(bytes.subarray(i));
              break;
            }
            bad();
            i += j; // the maximal subpart is replaced by one U+FFFD
            continue;
          }
          if (cp >= 0x10000) {
            cp -= 0x10000;
            units.push(0xd800 + (cp >> 10), 0xdc00 + (cp & 0x3ff));
          } else {
            units.push(cp);
          }
          i += need + 1;
        }
        if (units.length >= 8192) flush();
      }
      flush();
      if (!stream) this.#bomSeen = false;
      return parts.join("");
    }
  }

  // -- base64 ---------------------------------------------------------------
  const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const INDEX = new Map(Array.from(ALPHABET, (ch, i) => [ch, i]));

  function btoa(data) {
    const s = String(data);
    let out = "";
    for (let i = 0; i < s.length; i += 3) {
      const a = s.charCodeAt(i);
      const b = s.charCodeAt(i + 1);
      const c = s.charCodeAt(i + 2);
      for (const code of [a, b, c]) {
        if (code > 0xff) throw invalidCharacter("btoa: the string contains characters outside Latin-1");
      }
      const triple = (a << 16) | ((b || 0) << 8) | (c || 0);
      out += ALPHABET[triple >> 18] + ALPHABET[(triple >> 12) & 63] +
        (i + 1 < s.length ? ALPHABET[(triple >> 6) & 63] : "=") +
        (i + 2 < s.length ? ALPHABET[triple & 63] : "=");
    }
    return out;
  }

  function atob(data) {
    // The forgiving-base64 decode of the HTML standard.
    let s = String(data).replace(/[\t\n\f\r ]/g, "");
    if (s.length % 4 === 0) s = s.replace(/==?$/, "");
    if (s.length % 4 === 1 || /[^A-Za-z0-9+/]/.test(s)) {
      throw invalidCharacter("atob: the string is not correctly base64-encoded");
    }
    let out = "";
    let buffer = 0;
    let bits = 0;
    for (const ch of s) {
      buffer = (buffer << 6) | INDEX.get(ch);
      bits += 6;
      if (bits >= 8) {
        bits -= 8;
        out += String.fromCharCode((buffer >> bits) & 0xff);
      }
    }
    return out;
  }

  function invalidCharacter(message) {
    return typeof DOMException === "function"
      ? new DOMException(message, "InvalidCharacterError")
      : new Error(message);
  }

  host.defineGlobal("TextEncoder", TextEncoder);
  host.defineGlobal("TextDecoder", TextDecoder);
  host.defineGlobal("btoa", btoa, true);
  host.defineGlobal("atob", atob, true);
})(globalThis);
