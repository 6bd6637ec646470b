// A minimal ReadableStream: what React's renderToReadableStream and Vue's
// renderToWebStream produce, and what code reading them needs -- underlying
// sources with start/pull/cancel (type "bytes" is accepted and treated as a
// default stream of Uint8Array chunks), getReader() with read/releaseLock/
// cancel/closed, cancel(), locked and async iteration.
//
// Not implemented: BYOB readers, tee, pipeTo/pipeThrough, WritableStream and
// TransformStream, queuing strategies' size functions.
(function (global) {
  "use strict";
  const host = global.__flaskVite;
  const PRIVATE = Symbol("ReadableStream");

  class ReadableStreamDefaultController {
    #stream;

    constructor(key, stream) {
      if (key !== PRIVATE) throw new TypeError("Illegal constructor");
      this.#stream = stream;
    }

    get desiredSize() {
      return this.#stream._desiredSize();
    }

    // React checks for a BYOB request on "bytes" streams; there never is one.
    get byobRequest() {
      return null;
    }

    enqueue(chunk) {
      this.#stream._enqueue(chunk);
    }

    close() {
      this.#stream._close();
    }

    error(reason) {
      this.#stream._error(reason);
    }
  }

  class ReadableStream {
    #state = "readable"; // "readable" | "closed" | "errored"
    #queue = [];
    #reads = []; // pending read requests: {resolve, reject}
    #storedError = undefined;
    #reader = null;
    #source;
    #controller;
    #highWaterMark;
    #bytes;
    #started = false;
    #pulling = false;
    #pullAgain = false;
    #closeRequested = false;
    #closed; // {promise, resolve, reject} of the current reader

    constructor(source = {}, strategy = {}) {
      this.#source = source || {};
      this.#bytes = this.#source.type === "bytes";
      if (this.#source.type !== undefined && !this.#bytes) {
        throw new RangeError(`ReadableStream: unknown type ${JSON.stringify(this.#source.type)}`);
      }
      const hwm = strategy && strategy.highWaterMark;
      this.#highWaterMark = hwm === undefined ? (this.#bytes ? 0 : 1) : Number(hwm);
      this.#controller = new ReadableStreamDefaultController(PRIVATE, this);
      let started;
      try {
        started = typeof this.#source.start === "function" ? this.#source.start(this.#controller) : undefined;
      } catch (error) {
        this._error(error);
        throw error;
      }
      Promise.resolve(started).then(() => {
        this.#started = true;
        this.#pullIfNeeded();
      }, (error) => this._error(error));
    }

    get locked() {
      return this.#reader !== null;
    }

    getReader(options) {
      if (options && options.mode === "byob") {
        throw new TypeError("ReadableStream.getReader: BYOB readers are not supported by flask-vite's V8 runtime");
      }
      if (this.#reader !== null) throw new TypeError("ReadableStream.getReader: the stream is locked to a reader");
      const reader = new ReadableStreamDefaultReader(PRIVATE, this);
      this.#reader = reader;
      return reader;
    }

    cancel(reason) {
      if (this.#reader !== null) return Promise.reject(new TypeError("ReadableStream.cancel: the stream is locked"));
      return this._cancel(reason);
    }

    async *values(options = {}) {
      const reader = this.getReader();
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) return;
          yield value;
        }
      } finally {
        if (!options.preventCancel && this.#state === "readable") await reader.cancel();
        reader.releaseLock();
      }
    }

    [Symbol.asyncIterator](options) {
      return this.values(options);
    }

    // -- internals shared with the controller and the reader ----------------
    _desiredSize() {
      if (this.#state === "errored") return null;
      if (this.#state === "closed") return 0;
      const size = this.#bytes
        ? this.#queue.reduce((n, chunk) => n + chunk.byteLength, 0)
        : this.#queue.length;
      return this.#highWaterMark - size;
    }

    _enqueue(chunk) {
      if (this.#closeRequested || this.#state !== "readable") {
        throw new TypeError("ReadableStream: cannot enqueue into a closed or errored stream");
      }
      if (this.#bytes && !ArrayBuffer.isView(chunk)) {
        throw new TypeError("ReadableStream: a byte stream's chunks must be ArrayBufferViews");
      }
      if (this.#reads.length) {
        this.#reads.shift().resolve({ value: chunk, done: false });
      } else {
        this.#queue.push(chunk);
      }
      this.#pullIfNeeded();
    }

    _close() {
      if (this.#closeRequested || this.#state !== "readable") {
        throw new TypeError("ReadableStream: the stream is already closed");
      }
      this.#closeRequested = true;
      if (!this.#queue.length) this.#finishClose();
    }

    _error(reason) {
      if (this.#state !== "readable") return;
      this.#state = "errored";
      this.#storedError = reason;
      this.#queue = [];
      for (const read of this.#reads.splice(0)) read.reject(reason);
      if (this.#closed) {
        this.#closed.reject(reason);
        this.#closed.promise.catch(() => {});
      }
    }

    _read() {
      if (this.#queue.length) {
        const value = this.#queue.shift();
        if (this.#closeRequested && !this.#queue.length) this.#finishClose();
        else this.#pullIfNeeded();
        return Promise.resolve({ value, done: false });
      }
      if (this.#state === "closed") return Promise.resolve({ value: undefined, done: true });
      if (this.#state === "errored") return Promise.reject(this.#storedError);
      return new Promise((resolve, reject) => {
        this.#reads.push({ resolve, reject });
        this.#pullIfNeeded();
      });
    }

    _cancel(reason) {
      if (this.#state === "closed") return Promise.resolve();
      if (this.#state === "errored") return Promise.reject(this.#storedError);
      this.#queue = [];
      this.#finishClose();
      try {
        const result = typeof this.#source.cancel === "function" ? this.#source.cancel(reason) : undefined;
        return Promise.resolve(result).then(() => undefined);
      } catch (error) {
        return Promise.reject(error);
      }
    }

    _attach(closed) {
      this.#closed = closed;
      if (this.#state === "closed") closed.resolve();
      if (this.#state === "errored") {
        closed.reject(this.#storedError);
        closed.promise.catch(() => {});
      }
    }

    _release() {
      const error = new TypeError("ReadableStream: the reader was released");
      for (const read of this.#reads.splice(0)) read.reject(error);
      if (this.#closed && this.#state === "readable") {
        this.#closed.reject(error);
        this.#closed.promise.catch(() => {});
      }
      this.#closed = undefined;
      this.#reader = null;
    }

    #finishClose() {
      this.#state = "closed";
      for (const read of this.#reads.splice(0)) read.resolve({ value: undefined, done: true });
      if (this.#closed) this.#closed.resolve();
    }

    #pullIfNeeded() {
      if (!this.#started || this.#state !== "readable" || this.#closeRequested) return;
      if (!this.#reads.length && this._desiredSize() <= 0) return;
      if (this.#pulling) {
        this.#pullAgain = true;
        return;
      }
      if (typeof this.#source.pull !== "function") return;
      this.#pulling = true;
      let pulled;
      try {
        pulled = this.#source.pull(this.#controller);
      } catch (error) {
        this._error(error);
        return;
      }
      Promise.resolve(pulled).then(() => {
        this.#pulling = false;
        if (this.#pullAgain) {
          this.#pullAgain = false;
          this.#pullIfNeeded();
        }
      }, (error) => this._error(error));
    }
  }

  class ReadableStreamDefaultReader {
    #stream;
    #closed;

    constructor(key, stream) {
      if (key !== PRIVATE) {
        // new ReadableStreamDefaultReader(stream) is allowed by the standard.
        return key.getReader();
      }
      this.#stream = stream;
      let resolve;
      let reject;
      const promise = new Promise((res, rej) => {
        resolve = res;
        reject = rej;
      });
      this.#closed = { promise, resolve, reject };
      stream._attach(this.#closed);
    }

    get closed() {
      return this.#closed.promise;
    }

    read() {
      if (!this.#stream) return Promise.reject(new TypeError("ReadableStreamDefaultReader: the reader was released"));
      return this.#stream._read();
    }

    cancel(reason) {
      if (!this.#stream) return Promise.reject(new TypeError("ReadableStreamDefaultReader: the reader was released"));
      return this.#stream._cancel(reason);
    }

    releaseLock() {
      if (!this.#stream) return;
      this.#stream._release();
      this.#stream = undefined;
    }
  }

  host.defineGlobal("ReadableStream", ReadableStream);
  host.defineGlobal("ReadableStreamDefaultReader", ReadableStreamDefaultReader);
  host.defineGlobal("ReadableStreamDefaultController", ReadableStreamDefaultController);
})(globalThis);
