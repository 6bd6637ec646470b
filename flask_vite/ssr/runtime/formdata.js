// FormData, and the two encodings a fetch body uses for it: what
// `new Request(url, {body: formData})` sends (multipart/form-data, as
// undici and browsers write it) and what `request.formData()` reads
// (multipart/form-data or application/x-www-form-urlencoded).
(function (global) {
  "use strict";
  const host = global.__flaskVite;
  const encoder = new TextEncoder();
  const decoder = new TextDecoder();

  // A Blob entry becomes a File; a File keeps its own name unless one is given.
  function entryValue(value, filename) {
    if (value instanceof Blob) {
      if (!(value instanceof File) || filename !== undefined) {
        const name = filename !== undefined ? String(filename) : value instanceof File ? value.name : "blob";
        const options = { type: value.type };
        if (value instanceof File) options.lastModified = value.lastModified;
        return new File([value], name, options);
      }
      return value;
    }
    return String(value);
  }

  class FormData {
    #entries = []; // [name, string | File]

    constructor(form) {
      if (form !== undefined) {
        throw new TypeError("FormData: there are no form elements in flask-vite's V8 runtime; call it without arguments");
      }
    }

    append(name, value, filename) {
      this.#entries.push([String(name), entryValue(value, filename)]);
    }

    delete(name) {
      const key = String(name);
      this.#entries = this.#entries.filter(([n]) => n !== key);
    }

    get(name) {
      const key = String(name);
      const entry = this.#entries.find(([n]) => n === key);
      return entry ? entry[1] : null;
    }

    getAll(name) {
      const key = String(name);
      return this.#entries.filter(([n]) => n === key).map(([, v]) => v);
    }

    has(name) {
      const key = String(name);
      return this.#entries.some(([n]) => n === key);
    }

    // The first entry of that name is replaced, the later ones removed.
    set(name, value, filename) {
      const key = String(name);
      const entry = [key, entryValue(value, filename)];
      const index = this.#entries.findIndex(([n]) => n === key);
      if (index < 0) {
        this.#entries.push(entry);
      } else {
        this.#entries = this.#entries.filter(([n], i) => n !== key || i === index);
        this.#entries[index] = entry;
      }
    }

    // Live iteration, as the standard's value iterators are.
    *entries() {
      for (let i = 0; i < this.#entries.length; i++) yield [this.#entries[i][0], this.#entries[i][1]];
    }

    *keys() {
      for (const [name] of this.entries()) yield name;
    }

    *values() {
      for (const [, value] of this.entries()) yield value;
    }

    forEach(callback, thisArg) {
      for (const [name, value] of this.entries()) callback.call(thisArg, value, name, this);
    }

    [Symbol.iterator]() {
      return this.entries();
    }

    get [Symbol.toStringTag]() {
      return "FormData";
    }
  }

  // -- multipart/form-data, written ------------------------------------------------
  // Names and filenames escape `"`, CR and LF as %22, %0D, %0A (the HTML
  // standard); string values get CRLF line endings, as undici writes them.
  function escapeName(name) {
    return name.replace(/\r/g, "%0D").replace(/\n/g, "%0A").replace(/"/g, "%22");
  }

  function encodeMultipart(formData) {
    let boundary = "----formdata-flaskvite-";
    for (let i = 0; i < 24; i++) boundary += Math.floor(Math.random() * 10);
    const chunks = [];
    for (const [name, value] of formData) {
      let head = `--${boundary}\r\nContent-Disposition: form-data; name="${escapeName(name)}"`;
      if (typeof value === "string") {
        chunks.push(encoder.encode(`${head}\r\n\r\n${value.replace(/\r(?!\n)|(?<!\r)\n/g, "\r\n")}\r\n`));
      } else {
        head += `; filename="${escapeName(value.name)}"\r\nContent-Type: ${value.type || "application/octet-stream"}\r\n\r\n`;
        chunks.push(encoder.encode(head), host.blobBytes(value), encoder.encode("\r\n"));
      }
    }
    chunks.push(encoder.encode(`--${boundary}--\r\n`));
    return { bytes: host.concatBytes(chunks), type: `multipart/form-data; boundary=${boundary}` };
  }

  // -- multipart/form-data and urlencoded, read --------------------------------------
  function parseError(why) {
    return new TypeError(`Failed to parse body as FormData: ${why}`);
  }

  function indexOf(bytes, pattern, from) {
    const first = pattern[0];
    for (let i = bytes.indexOf(first, from); i >= 0 && i + pattern.length <= bytes.length; i = bytes.indexOf(first, i + 1)) {
      let j = 1;
      while (j < pattern.length && bytes[i + j] === pattern[j]) j++;
      if (j === pattern.length) return i;
    }
    return -1;
  }

  // A MIME type parameter (boundary=...), quoted or not.
  function mimeParameter(type, wanted) {
    const re = /;\s*([^\s=;]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;]*)/g;
    for (let m = re.exec(type); m; m = re.exec(type)) {
      if (m[1].toLowerCase() !== wanted) continue;
      const value = m[2].trim();
      return value.startsWith('"') ? value.slice(1, -1).replace(/\\(.)/g, "$1") : value;
    }
    return null;
  }

  // Content-Disposition: form-data; name="a"; filename="b.txt"
  function dispositionParameters(value) {
    const params = {};
    const re = /;\s*([^\s=;]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;]*)/g;
    if (!/^\s*form-data\s*(;|$)/i.test(value)) return null;
    for (let m = re.exec(value); m; m = re.exec(value)) {
      let text = m[2].trim();
      if (text.startsWith('"')) text = text.slice(1, -1).replace(/\\(["\\])/g, "$1");
      // Browsers percent-encode these three in names (see escapeName).
      params[m[1].toLowerCase()] = text.replace(/%22/g, '"').replace(/%0D/gi, "\r").replace(/%0A/gi, "\n");
    }
    return params;
  }

  function parseMultipart(bytes, contentType) {
    const boundary = mimeParameter(contentType, "boundary");
    if (!boundary) throw parseError("the multipart/form-data Content-Type has no boundary");
    const delimiter = encoder.encode(`--${boundary}`);
    const next = encoder.encode(`\r\n--${boundary}`);
    const CRLFCRLF = encoder.encode("\r\n\r\n");
    const form = new FormData();
    let at = indexOf(bytes, delimiter, 0);
    if (at < 0) throw parseError("the boundary does not occur in the body");
    at += delimiter.length;
    for (;;) {
      if (bytes[at] === 0x2d && bytes[at + 1] === 0x2d) return form; // "--": the closing delimiter
      while (bytes[at] === 0x20 || bytes[at] === 0x09) at++; // transport padding
      if (bytes[at] !== 0x0d || bytes[at + 1] !== 0x0a) throw parseError("a delimiter is not followed by CRLF");
      at += 2;
      const headEnd = indexOf(bytes, CRLFCRLF, at);
      if (headEnd < 0) throw parseError("a part's headers do not end");
      let disposition = null;
      let type = null;
      for (const line of decoder.decode(bytes.subarray(at, headEnd)).split("\r\n")) {
        const colon = line.indexOf(":");
        if (colon < 0) continue;
        const name = line.slice(0, colon).trim().toLowerCase();
        if (name === "content-disposition") disposition = dispositionParameters(line.slice(colon + 1));
        else if (name === "content-type") type = line.slice(colon + 1).trim();
      }
      if (!disposition || disposition.name === undefined) {
        throw parseError("a part has no Content-Disposition: form-data with a name");
      }
      const bodyStart = headEnd + 4;
      const bodyEnd = indexOf(bytes, next, bodyStart);
      if (bodyEnd < 0) throw parseError("the body ends inside a part");
      const body = bytes.subarray(bodyStart, bodyEnd);
      if (disposition.filename !== undefined) {
        form.append(disposition.name, new File([body], disposition.filename, { type: type || "text/plain" }));
      } else {
        form.append(disposition.name, decoder.decode(body));
      }
      at = bodyEnd + next.length;
    }
  }

  function parseFormData(bytes, contentType) {
    const essence = (contentType || "").split(";")[0].trim().toLowerCase();
    if (essence === "multipart/form-data") return parseMultipart(bytes, contentType);
    if (essence === "application/x-www-form-urlencoded") {
      const form = new FormData();
      for (const [name, value] of new URLSearchParams(decoder.decode(bytes))) form.append(name, value);
      return form;
    }
    throw new TypeError(`Failed to parse body as FormData: the Content-Type is ${JSON.stringify(contentType || "")}, ` +
      "not multipart/form-data or application/x-www-form-urlencoded");
  }

  host.formData = { encode: encodeMultipart, parse: parseFormData };
  host.defineGlobal("FormData", FormData);
})(globalThis);
