// The flask-vite client runtime, served at /@vite/client.
//
// Modules import it for `import.meta.hot` (createHotContext) and CSS modules
// for updateStyle/removeStyle. The server replaces the __DEFINES__ below.
// The HMR connection (WebSocket, update propagation, overlay) builds on this
// file; until a server channel answers, hot contexts only record callbacks.

const base = __BASE__

console.debug('[vite] connecting...')

/** @type {Map<string, HTMLStyleElement>} */
const sheetsMap = new Map()
let lastInsertedStyle

export function updateStyle(id, content) {
  let style = sheetsMap.get(id)
  if (!style) {
    style = document.createElement('style')
    style.setAttribute('type', 'text/css')
    style.setAttribute('data-vite-dev-id', id)
    style.textContent = content
    if (!lastInsertedStyle) {
      document.head.appendChild(style)
      // Later styles must come after earlier ones, even if the page adds its own.
      setTimeout(() => {
        lastInsertedStyle = undefined
      }, 0)
    } else {
      lastInsertedStyle.insertAdjacentElement('afterend', style)
    }
    lastInsertedStyle = style
  } else {
    style.textContent = content
  }
  sheetsMap.set(id, style)
}

export function removeStyle(id) {
  const style = sheetsMap.get(id)
  if (style) {
    document.head.removeChild(style)
    sheetsMap.delete(id)
  }
}

/** Per-module records: what each module accepts, its dispose and prune callbacks. */
const hotModulesMap = new Map()
const disposeMap = new Map()
const pruneMap = new Map()
const dataMap = new Map()
const customListenersMap = new Map()

export function createHotContext(ownerPath) {
  if (!dataMap.has(ownerPath)) {
    dataMap.set(ownerPath, {})
  }
  // A module re-executed after an update starts with a clean record.
  const mod = hotModulesMap.get(ownerPath)
  if (mod) {
    mod.callbacks = []
  }
  const newListeners = new Map()

  function acceptDeps(deps, callback = () => {}) {
    const record = hotModulesMap.get(ownerPath) || { id: ownerPath, callbacks: [] }
    record.callbacks.push({ deps, fn: callback })
    hotModulesMap.set(ownerPath, record)
  }

  return {
    get data() {
      return dataMap.get(ownerPath)
    },
    accept(deps, callback) {
      if (typeof deps === 'function' || !deps) {
        acceptDeps([ownerPath], ([mod]) => deps?.(mod))
      } else if (typeof deps === 'string') {
        acceptDeps([deps], ([mod]) => callback?.(mod))
      } else if (Array.isArray(deps)) {
        acceptDeps(deps, callback)
      } else {
        throw new Error('invalid hot.accept() usage.')
      }
    },
    acceptExports(_, callback) {
      acceptDeps([ownerPath], ([mod]) => callback?.(mod))
    },
    dispose(cb) {
      disposeMap.set(ownerPath, cb)
    },
    prune(cb) {
      pruneMap.set(ownerPath, cb)
    },
    decline() {},
    invalidate(message) {
      console.debug(`[vite] invalidate ${ownerPath}${message ? `: ${message}` : ''}`)
    },
    on(event, cb) {
      const add = (map) => {
        const existing = map.get(event) || []
        existing.push(cb)
        map.set(event, existing)
      }
      add(customListenersMap)
      add(newListeners)
    },
    off(event, cb) {
      const remove = (map) => {
        const existing = map.get(event)
        if (existing) {
          map.set(event, existing.filter((l) => l !== cb))
        }
      }
      remove(customListenersMap)
      remove(newListeners)
    },
    send() {},
  }
}

export function injectQuery(url, queryToInject) {
  if (url[0] !== '.' && url[0] !== '/') {
    return url
  }
  const pathname = url.replace(/[?#].*$/, '')
  const { search, hash } = new URL(url, 'http://vite.dev')
  return `${pathname}?${queryToInject}${search ? `&` + search.slice(1) : ''}${hash || ''}`
}

export class ErrorOverlay extends (globalThis.HTMLElement || class {}) {}

export { base }
