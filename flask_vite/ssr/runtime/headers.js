// Headers after the Fetch standard: a list of (name, value) pairs with
// case-insensitive names, several values per name, getSetCookie(), and
// iteration in "sort and combine" order (names lowercased and sorted, values
// of a name joined with ", " -- except Set-Cookie, whose values are each
// their own entry, since a cookie may contain a comma).
//
// Like undici (Node's fetch) and unlike a browser, no header name is
// forbidden: server code may read Cookie and write Set-Cookie.
(function (global) {
  "use strict";
  const host = global.__flaskVite;

  const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
  // HTTP whitespace around a value is dropped (the standard's "normalize").
  const EDGE_WHITESPACE = /^[\t\n\r ]+|[\t\n\r ]+$/g;

  function checkName(name, method) {
    const text = String(name);
    if (!TOKEN.test(text)) throw new TypeError(`Headers.${method}: ${JSON.stringify(text)} is an invalid header name`);
    return text.toLowerCase();
  }

  // A value is a ByteString (characters up to U+00FF) without NUL, CR or LF.
  function checkValue(value, name, method) {
    const text = String(value).replace(EDGE_WHITESPACE, "");
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c > 0xff) {
        throw new TypeError(`Headers.${method}: the value of ${JSON.stringify(name)} has a character ` +
          `(U+${c.toString(16).toUpperCase().padStart(4, "0")}) above U+00FF; header values are bytes ` +
          "(encode it, e.g. with encodeURIComponent)");
      }
      if (c === 0 || c === 0x0a || c === 0x0d) {
        throw new TypeError(`Headers.${method}: ${JSON.stringify(text)} is an invalid value for ${JSON.stringify(name)}`);
      }
    }
    return text;
  }

  const IMMUTABLE = new WeakSet();
  let listOf;

  class Headers {
    #list = []; // [lowercase name, value], in insertion order
    #sorted = null; // the sort-and-combine list, until the next change

    constructor(init) {
      if (init === undefined) return;
      if (init === null || (typeof init !== "object" && typeof init !== "function")) {
        throw new TypeError("Headers: the init must be a Headers object, an array of [name, value] pairs or a record");
      }
      if (init instanceof Headers) {
        for (const [name, value] of init.#list) this.#list.push([name, value]);
      } else if (typeof init[Symbol.iterator] === "function") {
        for (const pair of init) {
          const items = typeof pair === "string" ? null : Array.from(pair);
          if (items === null || items.length !== 2) {
            throw new TypeError("Headers: each header must be a [name, value] pair");
          }
          this.append(items[0], items[1]);
        }
      } else {
        for (const name of Object.keys(init)) this.append(name, init[name]);
      }
    }

    #change(method) {
      if (IMMUTABLE.has(this)) throw new TypeError(`Headers.${method}: these headers are immutable`);
      this.#sorted = null;
    }

    append(name, value) {
      const key = checkName(name, "append");
      const text = checkValue(value, key, "append");
      this.#change("append");
      this.#list.push([key, text]);
    }

    delete(name) {
      const key = checkName(name, "delete");
      this.#change("delete");
      this.#list = this.#list.filter(([n]) => n !== key);
    }

    get(name) {
      const key = checkName(name, "get");
      const values = this.#list.filter(([n]) => n === key).map(([, v]) => v);
      return values.length ? values.join(", ") : null;
    }

    getSetCookie() {
      return this.#list.filter(([n]) => n === "set-cookie").map(([, v]) => v);
    }

    has(name) {
      const key = checkName(name, "has");
      return this.#list.some(([n]) => n === key);
    }

    // The first header of that name gets the value, the others go.
    set(name, value) {
      const key = checkName(name, "set");
      const text = checkValue(value, key, "set");
      this.#change("set");
      const index = this.#list.findIndex(([n]) => n === key);
      if (index < 0) {
        this.#list.push([key, text]);
      } else {
        this.#list = this.#list.filter(([n], i) => n !== key || i === index);
        this.#list[index] = [key, text];
      }
    }

    #sortAndCombine() {
      if (this.#sorted === null) {
        const names = [...new Set(this.#list.map(([n]) => n))].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
        const out = [];
        for (const name of names) {
          const values = this.#list.filter(([n]) => n === name).map(([, v]) => v);
          if (name === "set-cookie") for (const value of values) out.push([name, value]);
          else out.push([name, values.join(", ")]);
        }
        this.#sorted = out;
      }
      return this.#sorted;
    }

    // The list is looked at again at every step, as the standard's
    // iterators do: changes made while iterating are seen.
    *entries() {
      for (let i = 0; i < this.#sortAndCombine().length; i++) {
        const [name, value] = this.#sortAndCombine()[i];
        yield [name, value];
      }
    }

    *keys() {
      for (const [name] of this.entries()) yield name;
    }

    *values() {
      for (const [, value] of this.entries()) yield value;
    }

    forEach(callback, thisArg) {
      if (typeof callback !== "function") throw new TypeError("Headers.forEach: the callback must be a function");
      for (const [name, value] of this.entries()) callback.call(thisArg, value, name, this);
    }

    [Symbol.iterator]() {
      return this.entries();
    }

    get [Symbol.toStringTag]() {
      return "Headers";
    }

    static {
      // Every (name, value) as stored, Set-Cookie included: what goes to
      // Python. Kept off the class, so Headers has only standard members.
      listOf = (headers) => headers.#list.map(([n, v]) => [n, v]);
    }
  }

  host.headers = {
    freeze(headers) {
      IMMUTABLE.add(headers);
      return headers;
    },
    list: (headers) => listOf(headers),
  };
  host.defineGlobal("Headers", Headers);
})(globalThis);
