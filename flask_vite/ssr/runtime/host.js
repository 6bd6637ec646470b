// The object the runtime files and the Python host share: configuration, the
// console buffer, and the macrotask queue that the host drives.
//
// Bare V8 has no event loop of its own. Microtasks (promise reactions) run
// when a host call returns; everything else -- timers, MessagePort messages,
// setImmediate -- is a *task* queued here, and the host runs due tasks one per
// call so that the microtasks a task queues run before the next task, as in a
// browser.
(function (global) {
  "use strict";

  // Log levels as numbers Python's `logging` understands.
  const LEVELS = { debug: 10, info: 20, warning: 30, error: 40 };

  // A binary min-heap of tasks ordered by (due, seq): ties run first-in,
  // first-out, which is what timers of equal delay and posted messages need.
  class TaskQueue {
    constructor() {
      this.heap = [];
      this.live = new Map(); // id -> task; cancelled tasks are dropped lazily
      this.nextId = 1; // ids start at 1: code tests `if (timer)`
      this.seq = 0;
    }

    add(due, callback) {
      const task = { id: this.nextId++, due, seq: this.seq++, callback };
      this.live.set(task.id, task);
      this.push(task);
      return task.id;
    }

    // Put an existing task back (setInterval) under the same id.
    readd(task, due) {
      task.due = due;
      task.seq = this.seq++;
      this.live.set(task.id, task);
      this.push(task);
    }

    cancel(id) {
      this.live.delete(id);
    }

    get size() {
      return this.live.size;
    }

    // The first live task, dropping cancelled ones from the top of the heap.
    peek() {
      const heap = this.heap;
      while (heap.length && this.live.get(heap[0].id) !== heap[0]) this.pop();
      return heap.length ? heap[0] : undefined;
    }

    push(task) {
      const heap = this.heap;
      heap.push(task);
      let i = heap.length - 1;
      while (i > 0) {
        const parent = (i - 1) >> 1;
        if (!before(heap[i], heap[parent])) break;
        [heap[i], heap[parent]] = [heap[parent], heap[i]];
        i = parent;
      }
    }

    pop() {
      const heap = this.heap;
      const top = heap[0];
      const last = heap.pop();
      if (heap.length) {
        heap[0] = last;
        let i = 0;
        for (;;) {
          const l = 2 * i + 1;
          const r = l + 1;
          let m = i;
          if (l < heap.length && before(heap[l], heap[m])) m = l;
          if (r < heap.length && before(heap[r], heap[m])) m = r;
          if (m === i) break;
          [heap[i], heap[m]] = [heap[m], heap[i]];
          i = m;
        }
      }
      return top;
    }
  }

  function before(a, b) {
    return a.due < b.due || (a.due === b.due && a.seq < b.seq);
  }

  const host = {
    LEVELS,
    config: {
      nodeEnv: "development",
      // Whether a module missing from the definitions may be requested from
      // the Python side (SsrProcess(fetch_module=...)).
      fetchModules: false,
      importMetaEnv: {},
    },
    configure(options) {
      Object.assign(host.config, options);
    },

    // Install a web-platform global the way browsers do (writable,
    // configurable). A binding may already have declared it with `var`
    // (mini-racer declares setTimeout), which makes it non-configurable:
    // assigning is all that is possible then.
    defineGlobal(name, value, enumerable = false) {
      const existing = Object.getOwnPropertyDescriptor(global, name);
      if (existing && !existing.configurable) {
        global[name] = value;
      } else {
        Object.defineProperty(global, name, { value, writable: true, configurable: true, enumerable });
      }
    },

    // -- console output, collected until the host takes it ------------------
    logs: [],
    droppedLogs: 0,
    maxLogs: 2000,
    log(level, method, text) {
      if (host.logs.length >= host.maxLogs) {
        host.droppedLogs++;
        return;
      }
      host.logs.push([level, method, text]);
    },
    takeLogs() {
      const logs = host.logs;
      if (host.droppedLogs) {
        logs.push([LEVELS.warning, "flask-vite",
          `${host.droppedLogs} console messages were dropped (more than ${host.maxLogs} between two renders)`]);
        host.droppedLogs = 0;
      }
      host.logs = [];
      return logs;
    },

    // An exception nobody catches (a throwing timer callback, a throwing
    // microtask): logged as an error, as a browser's console would show it.
    reportError(error, where) {
      const text = error && typeof error === "object" && "stack" in error && error.stack
        ? String(error.stack)
        : host.formatValue ? host.formatValue(error) : String(error);
      host.log(LEVELS.error, "error", `Uncaught ${where ? `(in ${where}) ` : ""}${text}`);
    },

    // -- tasks ---------------------------------------------------------------
    tasks: new TaskQueue(),
    now: () => Date.now(),
    schedule(delay, callback) {
      return host.tasks.add(host.now() + Math.max(0, delay), callback);
    },
    unschedule(id) {
      host.tasks.cancel(id);
    },
    // Milliseconds until the next task is due (0: due now), or -1 if none.
    nextTaskIn() {
      const task = host.tasks.peek();
      return task === undefined ? -1 : Math.max(0, task.due - host.now());
    },
    // Run the first task if it is due; return whether one ran.
    runDueTask() {
      const task = host.tasks.peek();
      if (task === undefined || task.due > host.now()) return false;
      host.tasks.pop();
      host.tasks.live.delete(task.id);
      try {
        task.callback(task);
      } catch (error) {
        host.reportError(error, task.callback.where);
      }
      return true;
    },
  };

  Object.defineProperty(global, "__flaskVite", {
    value: host, enumerable: false, configurable: false, writable: false,
  });
})(globalThis);
