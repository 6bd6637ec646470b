// `<link rel="modulepreload">` for browsers that ignore it (Safari before
// 17, Firefox before 115): fetch each linked module early so that it is in
// the HTTP cache when the module graph asks for it. Imported first by every
// built HTML entry, as Vite's build does.
(function modulePreloadPolyfill() {
  const relList = document.createElement("link").relList;
  if (relList && relList.supports && relList.supports("modulepreload")) return;

  // Fetch with the credentials and integrity the <script type="module"> would use.
  function fetchOptions(link) {
    const options = {};
    if (link.integrity) options.integrity = link.integrity;
    if (link.referrerPolicy) options.referrerPolicy = link.referrerPolicy;
    if (link.crossOrigin === "use-credentials") options.credentials = "include";
    else if (link.crossOrigin === "anonymous") options.credentials = "omit";
    else options.credentials = "same-origin";
    return options;
  }

  function preload(link) {
    if (link.__vitePreloaded) return;
    link.__vitePreloaded = true;
    fetch(link.href, fetchOptions(link));
  }

  for (const link of document.querySelectorAll('link[rel="modulepreload"]')) preload(link);
  // Links added later (by the preload helper, or by the app) are fetched too.
  new MutationObserver((mutations) => {
    for (const mutation of mutations) {
      if (mutation.type !== "childList") continue;
      for (const node of mutation.addedNodes) {
        if (node.tagName === "LINK" && node.rel === "modulepreload") preload(node);
      }
    }
  }).observe(document, { childList: true, subtree: true });
})();
