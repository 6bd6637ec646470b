// Blob and File after the File API standard: immutable bytes with a MIME
// type, built from strings (UTF-8), ArrayBuffers, views and other Blobs.
// Request/Response bodies (fetch.js) and FormData (formdata.js) use them.
//
// The bytes live in memory (a Uint8Array per Blob); slice() shares them.
// Not implemented: URL.createObjectURL (no browsing context here).
(function (global) {
  "use strict";
  const host = global.__flaskVite;
  const encoder = new TextEncoder();
  const decoder = new TextDecoder();

  // Blob -> its bytes; read by the other runtime files through
  // host.blobBytes, so a body made of a Blob is not copied.
  const BYTES = new WeakMap();

  function toBytes(part, endings) {
    if (part instanceof Blob) return BYTES.get(part);
    if (part instanceof ArrayBuffer) return new Uint8Array(part.slice(0));
    if (ArrayBuffer.isView(part)) {
      return new Uint8Array(part.buffer.slice(part.byteOffset, part.byteOffset + part.byteLength));
    }
    let text = String(part);
    // "native" line endings are "\n" on the POSIX systems the renderer runs on.
    if (endings === "native") text = text.replace(/\r\n?/g, "\n");
    return encoder.encode(text);
  }

  // The standard keeps a type only if it is printable ASCII, lowercased.
  function normaliseType(type) {
    const text = type === undefined ? "" : String(type);
    return /^[\x20-\x7e]*$/.test(text) ? text.toLowerCase() : "";
  }

  function concat(chunks) {
    let size = 0;
    for (const chunk of chunks) size += chunk.byteLength;
    const out = new Uint8Array(size);
    let offset = 0;
    for (const chunk of chunks) {
      out.set(chunk, offset);
      offset += chunk.byteLength;
    }
    return out;
  }

  function relativeIndex(value, size, fallback) {
    if (value === undefined) return fallback;
    const n = Math.trunc(Number(value)) || 0;
    return n < 0 ? Math.max(size + n, 0) : Math.min(n, size);
  }

  class Blob {
    #type;

    constructor(parts = [], options = {}) {
      if (parts === null || typeof parts !== "object" || typeof parts[Symbol.iterator] !== "function") {
        if (parts !== undefined) {
          throw new TypeError("Blob: the first argument must be a sequence (an array of strings, buffers or Blobs)");
        }
        parts = [];
      }
      const endings = options && options.endings !== undefined ? String(options.endings) : "transparent";
      if (endings !== "transparent" && endings !== "native") {
        throw new TypeError(`Blob: endings must be "transparent" or "native", not ${JSON.stringify(endings)}`);
      }
      BYTES.set(this, concat(Array.from(parts, (part) => toBytes(part, endings))));
      this.#type = normaliseType(options && options.type);
    }

    get size() {
      return BYTES.get(this).byteLength;
    }

    get type() {
      return this.#type;
    }

    slice(start, end, contentType) {
      const bytes = BYTES.get(this);
      const from = relativeIndex(start, bytes.byteLength, 0);
      const to = relativeIndex(end, bytes.byteLength, bytes.byteLength);
      const blob = new Blob([], { type: contentType });
      BYTES.set(blob, bytes.subarray(from, Math.max(from, to)));
      return blob;
    }

    async text() {
      return decoder.decode(BYTES.get(this));
    }

    async arrayBuffer() {
      const bytes = BYTES.get(this);
      return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
    }

    async bytes() {
      return new Uint8Array(await this.arrayBuffer());
    }

    stream() {
      const bytes = BYTES.get(this);
      return new ReadableStream({
        type: "bytes",
        start(controller) {
          if (bytes.byteLength) controller.enqueue(bytes.slice());
          controller.close();
        },
      });
    }

    get [Symbol.toStringTag]() {
      return "Blob";
    }
  }

  class File extends Blob {
    #name;
    #lastModified;

    constructor(parts, name, options = {}) {
      if (arguments.length < 2) throw new TypeError("File: 2 arguments required (bits and name)");
      super(parts, options);
      this.#name = String(name);
      const modified = options && options.lastModified;
      this.#lastModified = modified === undefined ? Date.now() : Math.trunc(Number(modified)) || 0;
    }

    get name() {
      return this.#name;
    }

    get lastModified() {
      return this.#lastModified;
    }

    get webkitRelativePath() {
      return "";
    }

    get [Symbol.toStringTag]() {
      return "File";
    }
  }

  host.blobBytes = (blob) => BYTES.get(blob);
  host.concatBytes = concat;
  host.defineGlobal("Blob", Blob);
  host.defineGlobal("File", File);
})(globalThis);
