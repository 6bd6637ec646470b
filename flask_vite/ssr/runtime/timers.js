// Timers and microtasks, on the host's task queue (host.js).
//
// setTimeout/setInterval/setImmediate return numbers, as in a browser. A delay
// of 0 means "as soon as the current task and its microtasks are done"; Node's
// clamp to 1 ms is not applied, so a render that yields with setTimeout(0)
// does not wait for nothing. setImmediate is a 0-delay task.
(function (global) {
  "use strict";
  const host = global.__flaskVite;

  function toDelay(delay) {
    const n = Number(delay);
    return Number.isFinite(n) && n > 0 ? n : 0;
  }

  function check(callback, name) {
    if (typeof callback !== "function") {
      throw new TypeError(`${name}: the callback must be a function (got ${typeof callback}); ` +
        "strings of code are not evaluated");
    }
  }

  function setTimeout(callback, delay, ...args) {
    check(callback, "setTimeout");
    const run = () => callback(...args);
    run.where = "setTimeout callback";
    return host.schedule(toDelay(delay), run);
  }

  function setInterval(callback, delay, ...args) {
    check(callback, "setInterval");
    const interval = toDelay(delay);
    const run = (task) => {
      // Rescheduled before the callback runs, so clearInterval inside it works.
      host.tasks.readd(task, host.now() + interval);
      callback(...args);
    };
    run.where = "setInterval callback";
    return host.schedule(interval, run);
  }

  function setImmediate(callback, ...args) {
    check(callback, "setImmediate");
    const run = () => callback(...args);
    run.where = "setImmediate callback";
    return host.schedule(0, run);
  }

  function clear(id) {
    if (typeof id === "number") host.unschedule(id);
  }

  // A throwing microtask must not turn into a silently rejected promise: it
  // is reported like any uncaught exception.
  const resolved = Promise.resolve();
  function queueMicrotask(callback) {
    check(callback, "queueMicrotask");
    resolved.then(() => {
      try {
        callback();
      } catch (error) {
        host.reportError(error, "queueMicrotask callback");
      }
    });
  }

  const globals = {
    setTimeout, clearTimeout: clear, setInterval, clearInterval: clear,
    setImmediate, clearImmediate: clear, queueMicrotask,
  };
  for (const [name, value] of Object.entries(globals)) host.defineGlobal(name, value, true);
})(globalThis);
