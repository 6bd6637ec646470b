// DOMException, Event, EventTarget, AbortController, AbortSignal: what
// abortable APIs (React's renderToReadableStream({signal}), fetch-style
// handlers) and MessagePort build on.
(function (global) {
  "use strict";
  const host = global.__flaskVite;

  const LEGACY_CODES = {
    IndexSizeError: 1, HierarchyRequestError: 3, WrongDocumentError: 4, InvalidCharacterError: 5,
    NoModificationAllowedError: 7, NotFoundError: 8, NotSupportedError: 9, InvalidStateError: 11,
    SyntaxError: 12, InvalidModificationError: 13, NamespaceError: 14, InvalidAccessError: 15,
    TypeMismatchError: 17, SecurityError: 18, NetworkError: 19, AbortError: 20, URLMismatchError: 21,
    QuotaExceededError: 22, TimeoutError: 23, InvalidNodeTypeError: 24, DataCloneError: 25,
  };

  class DOMException extends Error {
    constructor(message = "", name = "Error") {
      super(message);
      Object.defineProperty(this, "name", { value: String(name), configurable: true, writable: true });
    }

    get code() {
      return LEGACY_CODES[this.name] || 0;
    }
  }

  const stopped = new WeakSet(); // events whose listeners must stop running

  class Event {
    #type;
    #bubbles;
    #cancelable;
    #defaultPrevented = false;

    constructor(type, init = {}) {
      if (arguments.length === 0) throw new TypeError("Event: the type argument is required");
      this.#type = String(type);
      this.#bubbles = Boolean(init.bubbles);
      this.#cancelable = Boolean(init.cancelable);
      this.timeStamp = host.now();
      this.target = null;
      this.currentTarget = null;
    }

    get type() { return this.#type; }
    get bubbles() { return this.#bubbles; }
    get cancelable() { return this.#cancelable; }
    get defaultPrevented() { return this.#defaultPrevented; }
    preventDefault() { if (this.#cancelable) this.#defaultPrevented = true; }
    stopPropagation() {}
    stopImmediatePropagation() { stopped.add(this); }
  }

  class EventTarget {
    #listeners = new Map(); // type -> [{callback, once, signal}]

    addEventListener(type, callback, options) {
      if (callback == null) return;
      const once = typeof options === "object" && options !== null && Boolean(options.once);
      const signal = typeof options === "object" && options !== null ? options.signal : undefined;
      if (signal && signal.aborted) return;
      const list = this.#listeners.get(type) || [];
      if (list.some((entry) => entry.callback === callback)) return;
      const entry = { callback, once };
      list.push(entry);
      this.#listeners.set(type, list);
      if (signal) signal.addEventListener("abort", () => this.removeEventListener(type, callback));
    }

    removeEventListener(type, callback) {
      const list = this.#listeners.get(type);
      if (!list) return;
      const index = list.findIndex((entry) => entry.callback === callback);
      if (index >= 0) list.splice(index, 1);
    }

    dispatchEvent(event) {
      if (!(event instanceof Event)) throw new TypeError("dispatchEvent: the argument must be an Event");
      event.target = this;
      event.currentTarget = this;
      const handler = this["on" + event.type];
      const list = (this.#listeners.get(event.type) || []).slice();
      if (typeof handler === "function") list.unshift({ callback: handler, handler: true });
      for (const entry of list) {
        if (entry.once) this.removeEventListener(event.type, entry.callback);
        try {
          if (typeof entry.callback === "function") entry.callback.call(this, event);
          else if (entry.callback && typeof entry.callback.handleEvent === "function") entry.callback.handleEvent(event);
        } catch (error) {
          host.reportError(error, `${event.type} event listener`);
        }
        if (stopped.has(event)) break;
      }
      event.currentTarget = null;
      return !event.defaultPrevented;
    }
  }

  class AbortSignal extends EventTarget {
    #aborted = false;
    #reason = undefined;

    constructor(key) {
      super();
      if (key !== PRIVATE) throw new TypeError("AbortSignal cannot be constructed; use AbortController");
      this.onabort = null;
    }

    get aborted() { return this.#aborted; }
    get reason() { return this.#reason; }

    throwIfAborted() {
      if (this.#aborted) throw this.#reason;
    }

    _abort(reason) {
      if (this.#aborted) return;
      this.#aborted = true;
      this.#reason = reason === undefined ? new DOMException("This operation was aborted", "AbortError") : reason;
      this.dispatchEvent(new Event("abort"));
    }

    static abort(reason) {
      const signal = new AbortSignal(PRIVATE);
      signal._abort(reason);
      return signal;
    }

    static timeout(ms) {
      const signal = new AbortSignal(PRIVATE);
      global.setTimeout(() => signal._abort(new DOMException("The operation timed out.", "TimeoutError")), ms);
      return signal;
    }

    static any(signals) {
      const signal = new AbortSignal(PRIVATE);
      for (const source of signals) {
        if (source.aborted) {
          signal._abort(source.reason);
          return signal;
        }
      }
      for (const source of signals) source.addEventListener("abort", () => signal._abort(source.reason), { once: true });
      return signal;
    }
  }
  const PRIVATE = Symbol("AbortSignal");

  class AbortController {
    #signal = new AbortSignal(PRIVATE);

    get signal() { return this.#signal; }

    abort(reason) {
      this.#signal._abort(reason);
    }
  }

  host.defineGlobal("DOMException", DOMException);
  host.defineGlobal("Event", Event);
  host.defineGlobal("EventTarget", EventTarget);
  host.defineGlobal("AbortSignal", AbortSignal);
  host.defineGlobal("AbortController", AbortController);
})(globalThis);
