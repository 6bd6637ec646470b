// `__vitePreload(() => import("./About-x.js"), deps)`: the client build wraps
// every dynamic import in this helper (flask_vite/build/plugins.py). Before
// the chunk runs, the helper adds a <link> for each file it needs that the
// page does not have yet: the chunk's static imports as modulepreload (so
// they download in parallel rather than one after the other) and its CSS
// as stylesheets, waited for, so the lazily loaded component never shows
// unstyled. `deps` are the files as written in the build's output folder
// (`assets/About-x.css`); the build fills them in once the chunks are named.
//
// A failed download fires a cancelable `vite:preloadError` event on window
// (Vite's), so an app can reload the page after a deployment removed old
// chunks; if nobody cancels it, the import fails with the error.

const seen = {};

function depUrl(dep, importerUrl) {
  // Relative base ("./"): deps are relative to the importing chunk.
  if (importerUrl) return new URL(dep, importerUrl).href;
  return new URL(import.meta.env.BASE_URL + dep, document.baseURI).href;
}

function settle(promises) {
  return Promise.all(promises.map((p) => Promise.resolve(p).then(
    (value) => ({ status: "fulfilled", value }),
    (reason) => ({ status: "rejected", reason }),
  )));
}

function preloadError(error) {
  const event = new Event("vite:preloadError", { cancelable: true });
  event.payload = error;
  window.dispatchEvent(event);
  if (!event.defaultPrevented) throw error;
}

export function __vitePreload(baseModule, deps, importerUrl) {
  let ready = Promise.resolve();
  if (deps && deps.length > 0 && typeof document !== "undefined") {
    const links = document.getElementsByTagName("link");
    const nonceMeta = document.querySelector("meta[property=csp-nonce]");
    const nonce = nonceMeta && (nonceMeta.nonce || nonceMeta.getAttribute("nonce"));
    ready = settle(deps.map((dep) => {
      const url = depUrl(dep, importerUrl);
      if (url in seen) return undefined;
      seen[url] = true;
      const isCss = url.endsWith(".css");
      // Already in the page (the server-rendered HTML links it)?
      for (let i = links.length - 1; i >= 0; i--) {
        const link = links[i];
        if (link.href === url && (!isCss || link.rel === "stylesheet")) return undefined;
      }
      const link = document.createElement("link");
      link.rel = isCss ? "stylesheet" : "modulepreload";
      if (!isCss) link.as = "script";
      link.crossOrigin = "";
      link.href = url;
      if (nonce) link.setAttribute("nonce", nonce);
      document.head.appendChild(link);
      if (!isCss) return undefined;
      return new Promise((resolve, reject) => {
        link.addEventListener("load", resolve);
        link.addEventListener("error", () => reject(new Error(`Unable to preload CSS for ${url}`)));
      });
    }));
  }
  return ready.then((results) => {
    for (const result of results || []) {
      if (result.status === "rejected") preloadError(result.reason);
    }
    return baseModule().catch(preloadError);
  });
}
