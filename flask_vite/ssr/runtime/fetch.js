// Request and Response after the Fetch standard: what a fetch-style
// handler `(request) => Response` (Vite's FetchableDevEnvironment, Workers,
// Hono, Bun, Deno) takes and returns. dispatch.js converts them for Python.
//
// Bodies: strings, ArrayBuffers and views, Blobs, URLSearchParams, FormData
// and ReadableStreams (chunks must be Uint8Arrays, as the standard says).
// A body given as bytes is kept as bytes until `body` is read, so
// text()/json()/arrayBuffer() need no stream.
//
// Not implemented: the global fetch() itself (the renderer has no network),
// Request.cache/mode/credentials/redirect semantics (stored and returned only).
(function (global) {
  "use strict";
  const host = global.__flaskVite;
  const encoder = new TextEncoder();

  // -- bodies -------------------------------------------------------------------
  // Request/Response -> {bytes: Uint8Array | null, stream: ReadableStream | null, used}
  const BODY = new WeakMap();

  // The standard's "extract a body": [bytes | stream | null, Content-Type | null].
  function extractBody(init, what) {
    if (init === null || init === undefined) return [null, null];
    if (typeof init === "string") return [encoder.encode(init), "text/plain;charset=UTF-8"];
    if (init instanceof ArrayBuffer) return [new Uint8Array(init.slice(0)), null];
    if (ArrayBuffer.isView(init)) {
      return [new Uint8Array(init.buffer.slice(init.byteOffset, init.byteOffset + init.byteLength)), null];
    }
    if (init instanceof URLSearchParams) {
      return [encoder.encode(init.toString()), "application/x-www-form-urlencoded;charset=UTF-8"];
    }
    if (init instanceof Blob) return [host.blobBytes(init), init.type || null];
    if (init instanceof FormData) {
      const { bytes, type } = host.formData.encode(init);
      return [bytes, type];
    }
    if (init instanceof ReadableStream) {
      if (init.locked) throw new TypeError(`${what}: the body stream is locked to a reader`);
      return [init, null];
    }
    // Anything else is converted to a string, as WebIDL does with the union.
    return [encoder.encode(String(init)), "text/plain;charset=UTF-8"];
  }

  function setBody(target, extracted, headers) {
    const [source, type] = extracted;
    const stream = source instanceof ReadableStream ? source : null;
    BODY.set(target, { bytes: stream ? null : source, stream, used: false });
    if (type !== null && !headers.has("content-type")) headers.append("content-type", type);
  }

  function streamOf(bytes) {
    return new ReadableStream({
      type: "bytes",
      start(controller) {
        // A copy: the bytes may be shared with a Blob or a clone.
        if (bytes.byteLength) controller.enqueue(bytes.slice());
        controller.close();
      },
    });
  }

  function unusable(state) {
    return state.used || (state.stream !== null && state.stream.locked);
  }

  function tooLarge(what, limit) {
    return new RangeError(`${what}: the body is larger than ${limit} bytes (max_body_size of dispatch_fetch)`);
  }

  // All the bytes of a body; `limit` (bytes) stops a stream that goes on
  // too long. The body is used afterwards.
  async function consume(owner, what, limit = Infinity) {
    const state = BODY.get(owner);
    if (unusable(state)) throw new TypeError(`${what}: Body is unusable: Body has already been read`);
    state.used = true;
    if (state.stream === null) {
      const bytes = state.bytes === null ? new Uint8Array(0) : state.bytes;
      if (bytes.byteLength > limit) throw tooLarge(what, limit);
      return bytes;
    }
    const reader = state.stream.getReader();
    const chunks = [];
    let size = 0;
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      if (!(value instanceof Uint8Array)) {
        const kind = value === null ? "null"
          : typeof value === "object" ? (value.constructor && value.constructor.name) || "an object" : typeof value;
        await reader.cancel();
        throw new TypeError(`${what}: a body stream chunk must be a Uint8Array, not ${kind} ` +
          "(encode text with TextEncoder)");
      }
      size += value.byteLength;
      if (size > limit) {
        await reader.cancel();
        throw tooLarge(what, limit);
      }
      chunks.push(value);
    }
    return chunks.length === 1 ? chunks[0] : host.concatBytes(chunks);
  }

  // Two streams reading one (ReadableStream.tee, which streams.js lacks):
  // each chunk goes to both; the source is cancelled when both are.
  function tee(stream) {
    const reader = stream.getReader();
    const controllers = [];
    const cancelled = [false, false];
    let reading = null;
    const pull = () => {
      if (reading === null) {
        reading = reader.read().then(({ value, done }) => {
          reading = null;
          controllers.forEach((c, i) => {
            if (cancelled[i]) return;
            if (done) c.close();
            else c.enqueue(value);
          });
        }, (error) => controllers.forEach((c) => c.error(error)));
      }
      return reading;
    };
    const branch = (i) => new ReadableStream({
      start(c) { controllers[i] = c; },
      pull,
      cancel(reason) {
        cancelled[i] = true;
        if (cancelled[0] && cancelled[1]) return reader.cancel(reason);
        return undefined;
      },
    });
    return [branch(0), branch(1)];
  }

  // The body of `source` for a clone: bytes are shared (never written to),
  // a stream is teed and the source keeps one branch.
  function cloneBody(source, what) {
    const state = BODY.get(source);
    if (unusable(state)) throw new TypeError(`${what}: Body has already been consumed`);
    if (state.stream === null) return [state.bytes, null];
    const [mine, theirs] = tee(state.stream);
    state.stream = mine;
    return [theirs, null];
  }

  // The body methods Request and Response share (the standard's Body mixin).
  class BodyMixin {
    get body() {
      const state = BODY.get(this);
      if (state.stream === null && state.bytes !== null) {
        state.stream = streamOf(state.bytes);
        state.bytes = null;
      }
      return state.stream;
    }

    get bodyUsed() {
      return BODY.get(this).used;
    }

    async arrayBuffer() {
      const bytes = await consume(this, `${this.constructor.name}.arrayBuffer`);
      return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
    }

    async bytes() {
      return new Uint8Array(await this.arrayBuffer());
    }

    async text() {
      return new TextDecoder().decode(await consume(this, `${this.constructor.name}.text`));
    }

    async json() {
      return JSON.parse(await this.text());
    }

    async blob() {
      const bytes = await consume(this, `${this.constructor.name}.blob`);
      return new Blob([bytes], { type: this.headers.get("content-type") || "" });
    }

    async formData() {
      const bytes = await consume(this, `${this.constructor.name}.formData`);
      return host.formData.parse(bytes, this.headers.get("content-type"));
    }
  }

  function mixBody(target) {
    for (const [name, descriptor] of Object.entries(Object.getOwnPropertyDescriptors(BodyMixin.prototype))) {
      if (name !== "constructor") Object.defineProperty(target.prototype, name, descriptor);
    }
  }

  // -- Request ----------------------------------------------------------------------
  const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
  const NORMALISED_METHODS = ["DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT"];
  const FORBIDDEN_METHODS = ["CONNECT", "TRACE", "TRACK"];
  const ENUMS = {
    mode: ["same-origin", "no-cors", "cors"],
    credentials: ["omit", "same-origin", "include"],
    cache: ["default", "no-store", "reload", "no-cache", "force-cache", "only-if-cached"],
    redirect: ["follow", "error", "manual"],
    referrerPolicy: ["", "no-referrer", "no-referrer-when-downgrade", "same-origin", "origin", "strict-origin",
      "origin-when-cross-origin", "strict-origin-when-cross-origin", "unsafe-url"],
  };
  const DEFAULTS = {
    mode: "cors", credentials: "same-origin", cache: "default", redirect: "follow", referrerPolicy: "",
  };

  function normaliseMethod(method) {
    const text = String(method);
    if (!TOKEN.test(text)) throw new TypeError(`Request: ${JSON.stringify(text)} is not a valid HTTP method`);
    const upper = text.toUpperCase();
    if (FORBIDDEN_METHODS.includes(upper)) throw new TypeError(`Request: the method ${upper} is forbidden`);
    return NORMALISED_METHODS.includes(upper) ? upper : text;
  }

  function parseUrl(input, what) {
    let url;
    try {
      url = new URL(String(input));
    } catch (e) {
      // No document here to resolve a relative URL against (as in Node).
      throw new TypeError(`${what}: failed to parse URL from ${String(input)}`);
    }
    return url;
  }

  // A signal that aborts when `parent` does.
  function followingSignal(parent) {
    const controller = new AbortController();
    if (parent) {
      if (parent.aborted) controller.abort(parent.reason);
      else parent.addEventListener("abort", () => controller.abort(parent.reason), { once: true });
    }
    return controller.signal;
  }

  class Request {
    #url;
    #method;
    #headers;
    #signal;
    #options; // mode, credentials, cache, redirect, referrer, referrerPolicy, integrity, keepalive

    constructor(input, init = {}) {
      if (arguments.length === 0) throw new TypeError("Request: 1 argument required (input)");
      init = init === null || init === undefined ? {} : init;
      const from = input instanceof Request ? input : null;
      if (from) {
        this.#url = from.#url;
        this.#method = from.#method;
        this.#options = { ...from.#options };
      } else {
        const url = parseUrl(input, "Request");
        if (url.username || url.password) {
          throw new TypeError(`Request cannot be constructed from a URL that includes credentials: ${url.href}`);
        }
        this.#url = url.href;
        this.#method = "GET";
        this.#options = { ...DEFAULTS, referrer: "about:client", integrity: "", keepalive: false };
      }
      if (init.method !== undefined) this.#method = normaliseMethod(init.method);
      for (const name of Object.keys(ENUMS)) {
        if (init[name] === undefined) continue;
        const value = String(init[name]);
        if (!ENUMS[name].includes(value)) {
          throw new TypeError(`Request: ${JSON.stringify(value)} is not a valid value for ${name}`);
        }
        this.#options[name] = value;
      }
      if (init.referrer !== undefined) this.#options.referrer = String(init.referrer);
      if (init.integrity !== undefined) this.#options.integrity = String(init.integrity);
      if (init.keepalive !== undefined) this.#options.keepalive = Boolean(init.keepalive);
      if (init.signal !== undefined && init.signal !== null && !(init.signal instanceof AbortSignal)) {
        throw new TypeError("Request: signal must be an AbortSignal");
      }
      this.#signal = followingSignal(init.signal !== undefined ? init.signal : from && from.signal);
      this.#headers = new Headers(init.headers !== undefined ? init.headers : from ? from.#headers : undefined);

      const hasBody = init.body !== undefined && init.body !== null;
      const inherited = !hasBody && from !== null && (BODY.get(from).bytes !== null || BODY.get(from).stream !== null);
      if ((hasBody || inherited) && (this.#method === "GET" || this.#method === "HEAD")) {
        throw new TypeError("Request with GET/HEAD method cannot have body.");
      }
      if (hasBody) {
        const extracted = extractBody(init.body, "Request");
        if (extracted[0] instanceof ReadableStream && init.duplex !== "half") {
          throw new TypeError("Request: the duplex option is required when sending a body stream ({ duplex: 'half' })");
        }
        setBody(this, extracted, this.#headers);
      } else if (inherited) {
        // The new request takes the body over; the old one is used up.
        const state = BODY.get(from);
        if (unusable(state)) throw new TypeError("Request: cannot construct a Request with a Request whose body is used");
        setBody(this, [state.stream || state.bytes, null], this.#headers);
        state.used = true;
      } else {
        setBody(this, [null, null], this.#headers);
      }
    }

    get url() { return this.#url; }
    get method() { return this.#method; }
    get headers() { return this.#headers; }
    get signal() { return this.#signal; }
    get destination() { return ""; }
    get referrer() { return this.#options.referrer; }
    get referrerPolicy() { return this.#options.referrerPolicy; }
    get mode() { return this.#options.mode; }
    get credentials() { return this.#options.credentials; }
    get cache() { return this.#options.cache; }
    get redirect() { return this.#options.redirect; }
    get integrity() { return this.#options.integrity; }
    get keepalive() { return this.#options.keepalive; }
    get isReloadNavigation() { return false; }
    get isHistoryNavigation() { return false; }
    get duplex() { return "half"; }

    clone() {
      const body = cloneBody(this, "Request.clone");
      const copy = new Request(this.#url, {
        method: this.#method, headers: this.#headers, signal: this.#signal, ...this.#options,
      });
      setBody(copy, body, copy.headers);
      return copy;
    }

    get [Symbol.toStringTag]() {
      return "Request";
    }
  }
  mixBody(Request);

  // -- Response -----------------------------------------------------------------
  const NULL_BODY_STATUSES = [101, 103, 204, 205, 304];
  const REDIRECT_STATUSES = [301, 302, 303, 307, 308];
  const REASON_PHRASE = /^[\t\x20-\x7e\x80-\xff]*$/;
  const PRIVATE = Symbol("Response");

  class Response {
    #status = 200;
    #statusText = "";
    #headers;
    #type = "default";

    constructor(body = null, init = {}) {
      init = init === null || init === undefined ? {} : init;
      if (body === PRIVATE) {
        // Response.error(): no body, no headers, status 0.
        this.#type = "error";
        this.#status = 0;
        this.#headers = host.headers.freeze(new Headers());
        setBody(this, [null, null], this.#headers);
        return;
      }
      if (init.status !== undefined) {
        const status = Math.trunc(Number(init.status));
        if (!(status >= 200 && status <= 599)) {
          throw new RangeError(`Response: the status must be between 200 and 599, not ${init.status}`);
        }
        this.#status = status;
      }
      if (init.statusText !== undefined) {
        const text = String(init.statusText);
        if (!REASON_PHRASE.test(text)) throw new TypeError(`Response: ${JSON.stringify(text)} is not a valid statusText`);
        this.#statusText = text;
      }
      this.#headers = new Headers(init.headers);
      if (body !== null && body !== undefined && NULL_BODY_STATUSES.includes(this.#status)) {
        throw new TypeError(`Response with null body status (${this.#status}) cannot have body`);
      }
      setBody(this, extractBody(body, "Response"), this.#headers);
    }

    static error() {
      return new Response(PRIVATE);
    }

    static json(data, init = {}) {
      const text = JSON.stringify(data);
      if (text === undefined) throw new TypeError("Response.json: the value is not JSON serializable");
      // Bytes, so no "text/plain" is added: a Content-Type in init.headers
      // stays, else the body is application/json.
      const response = new Response(encoder.encode(text), init);
      if (!response.headers.has("content-type")) response.headers.set("content-type", "application/json");
      return response;
    }

    static redirect(url, status = 302) {
      const location = parseUrl(url, "Response.redirect").href;
      const code = Math.trunc(Number(status));
      if (!REDIRECT_STATUSES.includes(code)) {
        throw new RangeError(`Response.redirect: ${status} is not a redirect status (${REDIRECT_STATUSES.join(", ")})`);
      }
      const response = new Response(null, { status: code, headers: { location } });
      host.headers.freeze(response.headers);
      return response;
    }

    get type() { return this.#type; }
    get url() { return ""; }
    get redirected() { return false; }
    get status() { return this.#status; }
    get ok() { return this.#status >= 200 && this.#status <= 299; }
    get statusText() { return this.#statusText; }
    get headers() { return this.#headers; }

    clone() {
      const body = cloneBody(this, "Response.clone");
      if (this.#type === "error") return Response.error();
      const copy = new Response(null, { status: this.#status, statusText: this.#statusText, headers: this.#headers });
      setBody(copy, body, copy.headers);
      return copy;
    }

    get [Symbol.toStringTag]() {
      return "Response";
    }
  }
  mixBody(Response);

  // For dispatch.js: a body's bytes, read to the end (at most `limit`).
  host.readBody = consume;
  host.defineGlobal("Request", Request);
  host.defineGlobal("Response", Response);
})(globalThis);
