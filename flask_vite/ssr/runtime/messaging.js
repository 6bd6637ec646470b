// structuredClone and MessageChannel / MessagePort.
//
// React's server renderer creates a MessageChannel when its module loads and
// schedules rendering work by posting to it, so a message must arrive as a
// task of its own -- after the current task and its microtasks -- never
// synchronously.
(function (global) {
  "use strict";
  const host = global.__flaskVite;

  function dataCloneError(what) {
    return new DOMException(`${what} could not be cloned.`, "DataCloneError");
  }

  // The structured clone algorithm for the values server code exchanges:
  // primitives, plain objects and arrays (cycles and shared references kept),
  // Date, RegExp, Map, Set, ArrayBuffer and typed arrays, errors, boxed
  // primitives. Functions, symbols, class instances with private state and
  // platform objects throw DataCloneError, as in a browser.
  function clone(value, memory) {
    if (value === null || (typeof value !== "object" && typeof value !== "function" && typeof value !== "symbol")) {
      return value;
    }
    if (typeof value === "function") throw dataCloneError(host.formatValue(value));
    if (typeof value === "symbol") throw dataCloneError(value.toString());
    if (memory.has(value)) return memory.get(value);
    const tag = Object.prototype.toString.call(value);
    let copy;
    switch (tag) {
      case "[object Date]":
        copy = new Date(value.getTime());
        break;
      case "[object RegExp]":
        copy = new RegExp(value.source, value.flags);
        break;
      case "[object Boolean]": case "[object Number]": case "[object String]": case "[object BigInt]":
        copy = Object(value.valueOf());
        break;
      case "[object ArrayBuffer]":
        copy = value.slice(0);
        break;
      case "[object Map]":
        copy = new Map();
        memory.set(value, copy);
        for (const [k, v] of value) copy.set(clone(k, memory), clone(v, memory));
        return copy;
      case "[object Set]":
        copy = new Set();
        memory.set(value, copy);
        for (const v of value) copy.add(clone(v, memory));
        return copy;
      case "[object Error]": {
        const Ctor = { EvalError, RangeError, ReferenceError, SyntaxError, TypeError, URIError }[value.name] || Error;
        copy = new Ctor(value.message);
        if ("stack" in value) copy.stack = value.stack;
        if ("cause" in value) copy.cause = clone(value.cause, memory);
        break;
      }
      case "[object Array]":
        copy = new Array(value.length);
        memory.set(value, copy);
        for (const key of Object.keys(value)) copy[key] = clone(value[key], memory);
        return copy;
      case "[object Object]":
        if (value instanceof Promise || value instanceof WeakMap || value instanceof WeakSet) throw dataCloneError(tag);
        copy = {};
        memory.set(value, copy);
        for (const key of Object.keys(value)) copy[key] = clone(value[key], memory);
        return copy;
      default:
        if (ArrayBuffer.isView(value)) {
          const buffer = clone(value.buffer, memory);
          copy = value instanceof DataView
            ? new DataView(buffer, value.byteOffset, value.byteLength)
            : new value.constructor(buffer, value.byteOffset, value.length);
          break;
        }
        throw dataCloneError(tag);
    }
    memory.set(value, copy);
    return copy;
  }

  function structuredClone(value, options) {
    if (options && options.transfer && options.transfer.length) {
      throw dataCloneError("Transferring objects (the transfer option)");
    }
    return clone(value, new Map());
  }

  class MessageEvent extends Event {
    #data;

    constructor(type, init = {}) {
      super(type, init);
      this.#data = init.data;
    }

    get data() {
      return this.#data;
    }
  }

  const PRIVATE = Symbol("MessagePort");

  class MessagePort extends EventTarget {
    #other = null;
    #started = false;
    #closed = false;
    #queue = []; // messages that arrived before start()
    #onmessage = null;

    constructor(key) {
      super();
      if (key !== PRIVATE) throw new TypeError("MessagePort cannot be constructed; use MessageChannel");
    }

    static _entangle(a, b) {
      a.#other = b;
      b.#other = a;
    }

    // Setting onmessage starts the port, as the HTML standard says.
    get onmessage() {
      return this.#onmessage;
    }

    set onmessage(handler) {
      this.#onmessage = handler;
      this.start();
    }

    postMessage(message) {
      const target = this.#other;
      if (this.#closed || target === null) return;
      const data = structuredClone(message);
      const deliver = () => target._receive(data);
      deliver.where = "MessagePort message handler";
      host.schedule(0, deliver);
    }

    _receive(data) {
      if (this.#closed) return;
      if (!this.#started) {
        this.#queue.push(data);
        return;
      }
      // EventTarget.dispatchEvent calls onmessage, then the listeners.
      this.dispatchEvent(new MessageEvent("message", { data }));
    }

    start() {
      if (this.#started) return;
      this.#started = true;
      for (const data of this.#queue.splice(0)) {
        const deliver = () => this._receive(data);
        deliver.where = "MessagePort message handler";
        host.schedule(0, deliver);
      }
    }

    close() {
      this.#closed = true;
      if (this.#other) this.#other.#other = null;
      this.#other = null;
    }
  }

  class MessageChannel {
    #port1 = new MessagePort(PRIVATE);
    #port2 = new MessagePort(PRIVATE);

    constructor() {
      MessagePort._entangle(this.#port1, this.#port2);
    }

    get port1() { return this.#port1; }
    get port2() { return this.#port2; }
  }

  host.defineGlobal("structuredClone", structuredClone, true);
  host.defineGlobal("MessageEvent", MessageEvent);
  host.defineGlobal("MessagePort", MessagePort);
  host.defineGlobal("MessageChannel", MessageChannel);
})(globalThis);
