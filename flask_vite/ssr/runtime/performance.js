// performance: now() and timeOrigin, with millisecond resolution (bare V8
// only has Date.now()); mark/measure record entries that getEntries* return,
// so instrumentation code runs unchanged.
(function (global) {
  "use strict";
  const host = global.__flaskVite;
  const timeOrigin = Date.now();
  let entries = [];

  const performance = {
    timeOrigin,
    now: () => Date.now() - timeOrigin,
    mark(name, options = {}) {
      const entry = {
        name: String(name), entryType: "mark",
        startTime: options.startTime ?? performance.now(), duration: 0, detail: options.detail ?? null,
      };
      entries.push(entry);
      return entry;
    },
    measure(name, start, end) {
      const at = (mark, fallback) => {
        if (mark === undefined) return fallback;
        if (typeof mark === "number") return mark;
        const found = entries.filter((e) => e.name === mark && e.entryType === "mark").pop();
        if (!found) throw new SyntaxError(`performance.measure: no mark named ${JSON.stringify(mark)}`);
        return found.startTime;
      };
      const options = typeof start === "object" && start !== null ? start : null;
      const startTime = options ? at(options.start, 0) : at(start, 0);
      const endTime = options ? at(options.end, performance.now()) : at(end, performance.now());
      const entry = {
        name: String(name), entryType: "measure", startTime,
        duration: endTime - startTime, detail: options ? options.detail ?? null : null,
      };
      entries.push(entry);
      return entry;
    },
    getEntries: () => entries.slice(),
    getEntriesByName: (name, type) => entries.filter((e) => e.name === name && (!type || e.entryType === type)),
    getEntriesByType: (type) => entries.filter((e) => e.entryType === type),
    clearMarks(name) {
      entries = entries.filter((e) => e.entryType !== "mark" || (name !== undefined && e.name !== name));
    },
    clearMeasures(name) {
      entries = entries.filter((e) => e.entryType !== "measure" || (name !== undefined && e.name !== name));
    },
    toJSON: () => ({ timeOrigin }),
  };

  host.defineGlobal("performance", performance, true);
})(globalThis);
