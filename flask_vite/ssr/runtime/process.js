// process: only `process.env.NODE_ENV`. Packages published for bundlers
// (React's CommonJS entry points, Vue's esm-bundler builds) read it at run
// time when nothing replaced it at build time, and fail with "process is not
// defined" without it. Nothing else of Node's process is provided, so code
// that feature-tests `process.versions.node` still sees no Node.
(function (global) {
  "use strict";
  const host = global.__flaskVite;
  if (typeof global.process !== "undefined") return;
  host.defineGlobal("process", { env: { NODE_ENV: host.config.nodeEnv } });
})(globalThis);
