// flask-vite: several calls of one export in one round trip.
//
// Shipped by flask_vite/production/pool.py as a CommonJS module beside the
// SSR bundle. When requests queue up while every renderer is busy, the pool
// sends them to the next free renderer as one call of `callMany`: the cost
// of a call between Python and V8 (a few hundred microseconds) is paid once
// for the whole batch instead of once per render.
//
// Each result is [true, value] or [false, null]: a call that throws is only
// marked here; the pool runs it again on its own, so its error comes back
// with the same stack and source-mapped frames as an unbatched call.
//
// When every call succeeded, the results are `{ values: [...] }` instead:
// pages are strings or `{ html, head }` objects, and the runner sends such
// values as raw text, not JSON (see finish() in flask_vite/ssr/runner.js).
"use strict";

function isThenable(value) {
  return value !== null && (typeof value === "object" || typeof value === "function") &&
    typeof value.then === "function";
}

/**
 * Call `name` of the module `url` once per entry of `calls` (each an array
 * of arguments). Synchronous when every call returns a plain value, so the
 * runner answers in one host call; otherwise a promise of all results.
 */
function settled(results) {
  for (const [ok] of results) {
    if (!ok) return results;
  }
  return { values: results.map((result) => result[1]) };
}

exports.callMany = function callMany(url, name, calls) {
  const target = require(url);
  const results = new Array(calls.length);
  let pending = null;
  for (let i = 0; i < calls.length; i++) {
    try {
      const value = target[name](...calls[i]);
      if (isThenable(value)) {
        (pending || (pending = [])).push(Promise.resolve(value).then(
          (v) => { results[i] = [true, v === undefined ? null : v]; },
          () => { results[i] = [false, null]; }));
      } else {
        results[i] = [true, value === undefined ? null : value];
      }
    } catch (error) {
      results[i] = [false, null];
    }
  }
  return pending === null ? settled(results) : Promise.all(pending).then(() => settled(results));
};
