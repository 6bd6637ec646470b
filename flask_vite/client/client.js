// flask-vite's client runtime, served at /@vite/client (Vite's client.ts).
//
// index.html loads it first; modules that use `import.meta.hot` import
// createHotContext from it and CSS modules updateStyle/removeStyle. It
// connects to the dev server's HMR channel — a WebSocket at the base path,
// or Server-Sent Events where the server cannot upgrade — applies the
// updates the server pushes, shows the error overlay, and reloads the page
// once the server is back after a restart.
//
// The server fills in the __NAME__ placeholders and puts overlay.js in place
// of its import (flask_vite/plugins/client.py).

import { ErrorOverlay, cspNonce, overlayId } from './overlay.js'

const base = __BASE__ || '/'
const hmrToken = __HMR_TOKEN__
const hmrTimeout = __HMR_TIMEOUT__
const enableOverlay = __HMR_ENABLE_OVERLAY__

const hasDocument = 'document' in globalThis

console.debug('[vite] connecting...')

// The channel is at the base of the server this file came from, including
// the path the Flask app is mounted at, if any.
const serverBase = new URL('..', import.meta.url)
const clientId = Math.random().toString(36).slice(2) + Date.now().toString(36)
const tokenQuery = `token=${encodeURIComponent(hmrToken)}`

function channelUrl(query) {
  return new URL(`@vite/hmr?${query}`, serverBase).href
}

let willUnload = false
if (typeof window !== 'undefined') {
  window.addEventListener?.('beforeunload', () => {
    willUnload = true
  })
}

// -- transport ---------------------------------------------------------------------
//
// Messages to the server wait in `outbox` until a connection is open.

const outbox = []
let socket
let eventSource

function send(payload) {
  const text = JSON.stringify(payload)
  if (socket && socket.readyState === WebSocket.OPEN) {
    socket.send(text)
  } else if (eventSource) {
    fetch(channelUrl(`${tokenQuery}&client=${clientId}`), {
      method: 'POST',
      body: text,
      headers: { 'Content-Type': 'application/json' },
    }).catch((err) => console.error('[vite]', err))
  } else {
    outbox.push(payload)
  }
}

function flushOutbox() {
  outbox.splice(0).forEach(send)
}

function openWebSocket() {
  return new Promise((resolve, reject) => {
    const url = new URL(serverBase)
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:'
    url.search = `?${tokenQuery}`
    const ws = new WebSocket(url.href, 'vite-hmr')
    let opened = false
    ws.addEventListener('message', ({ data }) => receive(JSON.parse(data)))
    ws.addEventListener('open', () => {
      opened = true
      resolve(ws)
    })
    ws.addEventListener('close', () => {
      clearInterval(pingTimer)
      if (!opened) {
        reject(new Error('WebSocket closed without opened.'))
        return
      }
      socket = undefined
      receive({ type: 'custom', event: 'vite:ws:disconnect', data: { webSocket: ws } })
    })
    // Proxies (nginx, docker) close sockets that stay quiet for too long.
    const pingTimer = setInterval(() => {
      if (ws.readyState === WebSocket.OPEN) ws.send('{"type":"ping"}')
    }, hmrTimeout)
  })
}

function openEventStream() {
  return new Promise((resolve, reject) => {
    const source = new EventSource(channelUrl(`${tokenQuery}&client=${clientId}`))
    let opened = false
    source.addEventListener('message', ({ data }) => receive(JSON.parse(data)))
    source.addEventListener('open', () => {
      opened = true
      resolve(source)
    })
    source.addEventListener('error', () => {
      // An EventSource reconnects on its own; a page that lost its server
      // polls and reloads instead, as with the WebSocket.
      source.close()
      if (!opened) {
        reject(new Error('event stream failed'))
        return
      }
      eventSource = undefined
      receive({ type: 'custom', event: 'vite:ws:disconnect', data: { eventSource: source } })
    })
  })
}

async function connect() {
  try {
    socket = await openWebSocket()
    receive({ type: 'custom', event: 'vite:ws:connect', data: { webSocket: socket } })
  } catch (wsError) {
    try {
      eventSource = await openEventStream()
      console.debug('[vite] connected to the event stream (no WebSocket on this server).')
      receive({ type: 'custom', event: 'vite:ws:connect', data: { eventSource } })
    } catch {
      console.error(`[vite] failed to connect to the HMR server (${wsError}).`)
      return
    }
  }
  flushOutbox()
}

// Wait until the server answers again, with a growing pause between tries.
async function waitForServer() {
  const pingUrl = channelUrl('ping')
  let pause = 100
  for (;;) {
    if (hasDocument && document.visibilityState !== 'visible') {
      await new Promise((resolve) => {
        const onChange = () => {
          if (document.visibilityState === 'visible') {
            document.removeEventListener('visibilitychange', onChange)
            resolve()
          }
        }
        document.addEventListener('visibilitychange', onChange)
      })
    }
    try {
      const response = await fetch(pingUrl, { cache: 'no-store' })
      if (response.ok) return
    } catch {
      // not up yet
    }
    await new Promise((resolve) => setTimeout(resolve, pause))
    pause = Math.min(pause * 2, 1000)
  }
}

// -- hot modules -------------------------------------------------------------------

/** ownerPath → { id, callbacks: [{ deps, fn }] } */
const hotModulesMap = new Map()
const disposeMap = new Map()
const pruneMap = new Map()
const dataMap = new Map()
const customListenersMap = new Map()
const ctxToListenersMap = new Map()
let currentFirstInvalidatedBy

class HotContext {
  constructor(ownerPath) {
    this.ownerPath = ownerPath
    if (!dataMap.has(ownerPath)) {
      dataMap.set(ownerPath, {})
    }
    // A module run again after an update registers its callbacks again.
    const mod = hotModulesMap.get(ownerPath)
    if (mod) {
      mod.callbacks = []
    }
    // ... and its event listeners: drop those of its previous run.
    const stale = ctxToListenersMap.get(ownerPath)
    if (stale) {
      for (const [event, fns] of stale) {
        const listeners = customListenersMap.get(event)
        if (listeners) {
          customListenersMap.set(
            event,
            listeners.filter((l) => !fns.includes(l)),
          )
        }
      }
    }
    this.newListeners = new Map()
    ctxToListenersMap.set(ownerPath, this.newListeners)
  }

  get data() {
    return dataMap.get(this.ownerPath)
  }

  accept(deps, callback) {
    if (typeof deps === 'function' || !deps) {
      this.acceptDeps([this.ownerPath], ([mod]) => deps?.(mod))
    } else if (typeof deps === 'string') {
      this.acceptDeps([deps], ([mod]) => callback?.(mod))
    } else if (Array.isArray(deps)) {
      this.acceptDeps(deps, callback)
    } else {
      throw new Error('invalid hot.accept() usage.')
    }
  }

  // The export names matter to the server only (it decides who is updated).
  acceptExports(_, callback) {
    this.acceptDeps([this.ownerPath], ([mod]) => callback?.(mod))
  }

  dispose(cb) {
    disposeMap.set(this.ownerPath, cb)
  }

  prune(cb) {
    pruneMap.set(this.ownerPath, cb)
  }

  // Kept for old code; declining is not supported (as in Vite).
  decline() {}

  invalidate(message) {
    const firstInvalidatedBy = currentFirstInvalidatedBy ?? this.ownerPath
    const data = { path: this.ownerPath, message, firstInvalidatedBy }
    notifyListeners('vite:invalidate', data)
    this.send('vite:invalidate', data)
    console.debug(`[vite] invalidate ${this.ownerPath}${message ? `: ${message}` : ''}`)
  }

  on(event, cb) {
    const add = (map) => {
      const existing = map.get(event) || []
      existing.push(cb)
      map.set(event, existing)
    }
    add(customListenersMap)
    add(this.newListeners)
  }

  off(event, cb) {
    const remove = (map) => {
      const existing = map.get(event)
      if (existing === undefined) return
      const kept = existing.filter((l) => l !== cb)
      if (kept.length === 0) {
        map.delete(event)
      } else {
        map.set(event, kept)
      }
    }
    remove(customListenersMap)
    remove(this.newListeners)
  }

  send(event, data) {
    send({ type: 'custom', event, data })
  }

  acceptDeps(deps, callback = () => {}) {
    const mod = hotModulesMap.get(this.ownerPath) || { id: this.ownerPath, callbacks: [] }
    mod.callbacks.push({ deps, fn: callback })
    hotModulesMap.set(this.ownerPath, mod)
  }
}

export function createHotContext(ownerPath) {
  return new HotContext(ownerPath)
}

async function notifyListeners(event, data) {
  const listeners = customListenersMap.get(event)
  if (listeners) {
    await Promise.allSettled(listeners.map((cb) => cb(data)))
  }
}

function warnFailedUpdate(err, path) {
  if (!(err instanceof Error) || !err.message.includes('fetch')) {
    console.error('[vite]', err)
  }
  console.error(
    `[vite] Failed to reload ${path}. This could be due to syntax errors or importing` +
      ' non-existent modules. (see errors above)',
  )
}

async function importUpdatedModule({
  acceptedPath,
  timestamp,
  explicitImportRequired,
  isWithinCircularImport,
}) {
  const [pathname, query] = acceptedPath.split('?')
  const loading = import(
    base +
      pathname.slice(1) +
      `?${explicitImportRequired ? 'import&' : ''}t=${timestamp}${query ? `&${query}` : ''}`
  )
  if (isWithinCircularImport) {
    loading.catch(() => {
      console.info(
        `[hmr] ${acceptedPath} failed to apply HMR as it's within a circular import.` +
          ' Reloading page to reset the execution order.',
      )
      pageReload()
    })
  }
  return await loading
}

// Fetch the new module before running any callback, then run the callbacks
// (returned as a function, so updates of one message run in order).
async function fetchUpdate(update) {
  const { path, acceptedPath, firstInvalidatedBy } = update
  const mod = hotModulesMap.get(path)
  if (!mod) {
    // Not loaded on this page (code splitting): nothing to update.
    return
  }
  let fetchedModule
  const isSelfUpdate = path === acceptedPath
  const callbacks = mod.callbacks.filter(({ deps }) => deps.includes(acceptedPath))
  if (isSelfUpdate || callbacks.length > 0) {
    const dispose = disposeMap.get(acceptedPath)
    if (dispose) await dispose(dataMap.get(acceptedPath))
    try {
      fetchedModule = await importUpdatedModule(update)
    } catch (e) {
      warnFailedUpdate(e, acceptedPath)
    }
  }
  return () => {
    try {
      currentFirstInvalidatedBy = firstInvalidatedBy
      for (const { deps, fn } of callbacks) {
        fn(deps.map((dep) => (dep === acceptedPath ? fetchedModule : undefined)))
      }
      const shown = isSelfUpdate ? path : `${acceptedPath} via ${path}`
      console.debug(`[vite] hot updated: ${shown}`)
    } finally {
      currentFirstInvalidatedBy = undefined
    }
  }
}

// Updates sent together are fetched in parallel and applied in the order sent.
let updateQueue = []
let pendingUpdateQueue = false

async function queueUpdate(update) {
  updateQueue.push(fetchUpdate(update))
  if (!pendingUpdateQueue) {
    pendingUpdateQueue = true
    await Promise.resolve()
    pendingUpdateQueue = false
    const loading = updateQueue
    updateQueue = []
    ;(await Promise.all(loading)).forEach((apply) => apply && apply())
  }
}

// Modules no import reaches any more: run their dispose and prune callbacks
// (a CSS module removes its <style>).
async function prunePaths(paths) {
  try {
    await Promise.all(
      paths.map((path) => {
        const dispose = disposeMap.get(path)
        if (dispose) return dispose(dataMap.get(path))
      }),
    )
    await Promise.all(
      paths.map((path) => {
        const prune = pruneMap.get(path)
        if (prune) return prune(dataMap.get(path))
      }),
    )
  } finally {
    paths.forEach((path) => dataMap.delete(path))
  }
}

// -- messages from the server --------------------------------------------------------

function debounceReload(ms) {
  let timer
  return () => {
    clearTimeout(timer)
    timer = setTimeout(() => location.reload(), ms)
  }
}
const pageReload = debounceReload(20)

// Messages are handled one at a time, in order: an update may trigger
// another (invalidate) while it is being applied.
let handling = Promise.resolve()
function receive(payload) {
  handling = handling.then(() => handleMessage(payload)).catch((err) => console.error('[vite]', err))
}

let isFirstUpdate = true
const outdatedLinkTags = new WeakSet()

function cleanUrl(pathname) {
  const url = new URL(pathname, 'http://vite.dev')
  url.searchParams.delete('direct')
  return url.pathname + url.search
}

// A stylesheet loaded by <link>: a new <link> with the new URL replaces the
// old one once loaded, so the page never shows unstyled.
function updateLink({ path, timestamp }) {
  const searchUrl = cleanUrl(path)
  const el = Array.from(document.querySelectorAll('link')).find(
    (e) => !outdatedLinkTags.has(e) && cleanUrl(e.href).includes(searchUrl),
  )
  if (!el) return
  const newPath = `${base}${searchUrl.slice(1)}${searchUrl.includes('?') ? '&' : '?'}t=${timestamp}`
  return new Promise((resolve) => {
    const newLink = el.cloneNode()
    newLink.href = new URL(newPath, el.href).href
    const removeOld = () => {
      el.remove()
      console.debug(`[vite] css hot updated: ${searchUrl}`)
      resolve()
    }
    newLink.addEventListener('load', removeOld)
    newLink.addEventListener('error', removeOld)
    outdatedLinkTags.add(el)
    el.after(newLink)
  })
}

// A page that opened with a server error already showing could not run its
// modules at all: the first update reloads it instead.
function clearOverlayOrReloadOnFirstUpdate() {
  if (hasDocument) {
    if (isFirstUpdate && hasErrorOverlay()) {
      location.reload()
      return 'reload'
    }
    if (enableOverlay) clearErrorOverlay()
    isFirstUpdate = false
  }
  return 'continue'
}

async function handleMessage(payload) {
  switch (payload.type) {
    case 'connected':
      console.debug('[vite] connected.')
      break
    case 'update':
      await notifyListeners('vite:beforeUpdate', payload)
      if (clearOverlayOrReloadOnFirstUpdate() === 'reload') return
      await Promise.all(
        payload.updates.map((update) =>
          update.type === 'js-update' ? queueUpdate(update) : updateLink(update),
        ),
      )
      await notifyListeners('vite:afterUpdate', payload)
      break
    case 'custom':
      await notifyListeners(payload.event, payload.data)
      if (payload.event === 'vite:ws:disconnect' && hasDocument && !willUnload) {
        console.log('[vite] server connection lost. Polling for restart...')
        await waitForServer()
        location.reload()
      }
      break
    case 'full-reload':
      await notifyListeners('vite:beforeFullReload', payload)
      if (!hasDocument) break
      if (payload.path && payload.path.endsWith('.html')) {
        // An edited page reloads only the tabs showing it.
        const pagePath = decodeURI(location.pathname)
        const payloadPath = base + payload.path.slice(1)
        if (
          pagePath === payloadPath ||
          payload.path === '/index.html' ||
          (pagePath.endsWith('/') && pagePath + 'index.html' === payloadPath)
        ) {
          pageReload()
        }
      } else {
        pageReload()
      }
      break
    case 'prune':
      await notifyListeners('vite:beforePrune', payload)
      await prunePaths(payload.paths)
      break
    case 'error':
      await notifyListeners('vite:error', payload)
      if (hasDocument) {
        const err = payload.err
        if (enableOverlay) {
          createErrorOverlay(err)
        } else {
          console.error(`[vite] Internal Server Error\n${err.message}\n${err.stack}`)
        }
      }
      break
    case 'ping':
      break
    default:
      console.debug('[vite] unknown message', payload)
  }
}

function createErrorOverlay(err) {
  clearErrorOverlay()
  const Overlay = globalThis.customElements?.get(overlayId)
  if (Overlay) document.body.appendChild(new Overlay(err))
}

function clearErrorOverlay() {
  document.querySelectorAll(overlayId).forEach((n) => n.close())
}

function hasErrorOverlay() {
  return document.querySelectorAll(overlayId).length > 0
}

// -- styles ------------------------------------------------------------------------

const sheetsMap = new Map()
const linkSheetsMap = new Map()

// Styles a server render already put in the page are taken over, not duplicated.
if (hasDocument) {
  document.querySelectorAll('style[data-vite-dev-id]').forEach((el) => {
    sheetsMap.set(el.getAttribute('data-vite-dev-id'), el)
  })
  document.querySelectorAll('link[rel="stylesheet"][data-vite-dev-id]').forEach((el) => {
    linkSheetsMap.set(el.getAttribute('data-vite-dev-id'), el)
  })
}

// Every imported stylesheet goes at one place, in import order, as the build
// puts them in one file.
let lastInsertedStyle

export function updateStyle(id, content) {
  if (linkSheetsMap.has(id)) return
  let style = sheetsMap.get(id)
  if (!style) {
    style = document.createElement('style')
    style.setAttribute('type', 'text/css')
    style.setAttribute('data-vite-dev-id', id)
    style.textContent = content
    if (cspNonce) style.setAttribute('nonce', cspNonce)
    if (!lastInsertedStyle) {
      document.head.appendChild(style)
      // Stylesheets of a later dynamic import start a new group.
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
  if (linkSheetsMap.has(id)) {
    document
      .querySelectorAll(`link[rel="stylesheet"][data-vite-dev-id="${CSS.escape(id)}"]`)
      .forEach((el) => el.remove())
    linkSheetsMap.delete(id)
  }
  const style = sheetsMap.get(id)
  if (style) {
    document.head.removeChild(style)
    sheetsMap.delete(id)
  }
}

/** For `import()` URLs import analysis could not see: mark them as imports. */
export function injectQuery(url, queryToInject) {
  if (url[0] !== '.' && url[0] !== '/') {
    return url
  }
  const pathname = url.replace(/[?#].*$/, '')
  const { search, hash } = new URL(url, 'http://vite.dev')
  return `${pathname}?${queryToInject}${search ? `&` + search.slice(1) : ''}${hash || ''}`
}

connect()

export { ErrorOverlay, base }
