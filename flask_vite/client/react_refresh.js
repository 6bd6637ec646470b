// React Fast Refresh in the browser: served at /@react-refresh.
//
// flask-vite bundles this file once with the `react-refresh` npm package's
// runtime (its development build) into one ES module. The page's preamble
// calls injectIntoGlobalHook(window) before React loads; modules transformed
// by flask_vite.plugins.react call register / createSignatureFunctionForTransform
// while they run, then registerExportsForReactRefresh and, on each hot update,
// validateRefreshBoundaryAndEnqueueUpdate (see flask_vite/refresh_transform.py
// for the code they carry).
import Runtime from 'react-refresh/runtime'
import { createHotContext } from '/@vite/client'

export const injectIntoGlobalHook = Runtime.injectIntoGlobalHook
export const register = Runtime.register
export const createSignatureFunctionForTransform = Runtime.createSignatureFunctionForTransform
export const getFamilyByType = Runtime.getFamilyByType
export const isLikelyComponentType = Runtime.isLikelyComponentType

/**
 * A `$RefreshReg$` for the module at `url`: ids are "<url> <name>", so two
 * modules with an `App` each keep two families.
 */
export function getRefreshReg(url) {
  return (type, id) => Runtime.register(type, url + ' ' + id)
}

// A component for the boundary check: React's own heuristic (a function
// with a capitalised name, a class, memo/forwardRef), or a type the module's
// transform registered -- an anonymous `export default function () {}` is
// named "default" yet is a component.
function isComponent(value) {
  return Runtime.isLikelyComponentType(value) || Runtime.getFamilyByType(value) !== undefined
}

// An object whose every property is a component (`export const Card = { Header, Body }`).
function isCompoundComponent(value) {
  if (
    Object.prototype.toString.call(value) !== '[object Object]' ||
    (value.constructor !== Object && value.constructor !== undefined)
  ) {
    return false
  }
  for (const key in value) {
    if (!isComponent(value[key])) return false
  }
  return true
}

/**
 * Register a module's exported components by export name. This catches what
 * the transform cannot see (`export const Button = styled.button(...)`); a
 * type already registered keeps its first id (the runtime ignores repeats).
 */
export function registerExportsForReactRefresh(url, moduleExports) {
  for (const key in moduleExports) {
    if (key === '__esModule') continue
    const value = moduleExports[key]
    if (Runtime.isLikelyComponentType(value)) {
      // "export" in the id: a renamed export never collides with a local name.
      Runtime.register(value, url + ' export ' + key)
    } else if (isCompoundComponent(value)) {
      for (const subKey in value) {
        Runtime.register(value[subKey], url + ' export ' + key + '-' + subKey)
      }
    }
  }
}

// Callbacks run before each refresh (`window.__registerBeforePerformReactRefresh(cb)`,
// as with @vitejs/plugin-react: routers use it to refresh their route tables).
const beforeRefresh = []
window.__registerBeforePerformReactRefresh = (callback) => {
  beforeRefresh.push(callback)
}

// Hot update messages the client is applying: it announces each one
// (vite:beforeUpdate) and its end (vite:afterUpdate), new module code run and
// accept callbacks called.
let updatesInFlight = 0
let refreshQueued = false
let refreshTimer

const hot = createHotContext('/@react-refresh')
hot.on('vite:beforeUpdate', () => {
  updatesInFlight++
})
hot.on('vite:afterUpdate', () => {
  updatesInFlight = Math.max(0, updatesInFlight - 1)
  if (updatesInFlight === 0 && refreshQueued) refresh()
})

async function refresh() {
  clearTimeout(refreshTimer)
  if (!refreshQueued) return
  refreshQueued = false
  if (beforeRefresh.length) await Promise.all(beforeRefresh.map((callback) => callback()))
  Runtime.performReactRefresh()
}

/**
 * Queue a re-render with the new component versions. The modules of one
 * update all register first, then React refreshes once: as soon as no hot
 * update message is being applied any more (so several files saved at once,
 * each its own message, still make one refresh), and at the latest 16 ms
 * after the last call, as @vitejs/plugin-react's debounced refresh does
 * (a module run outside an update message).
 */
export function performReactRefresh() {
  refreshQueued = true
  clearTimeout(refreshTimer)
  refreshTimer = setTimeout(refresh, 16)
}

// The first export of `moduleExports` for which `predicate` fails, or true.
function everyExport(ignored, moduleExports, predicate) {
  for (const key in moduleExports) {
    if (ignored.includes(key)) continue
    if (!predicate(key, moduleExports[key])) return key
  }
  return true
}

/**
 * Called from a module's `import.meta.hot.accept` with its previous and next
 * exports. When the module is still a refresh boundary (the same export
 * names; every export a component, or a value that did not change) a
 * refresh is queued and nothing is returned. Otherwise the message to pass
 * to `import.meta.hot.invalidate()`: the update goes on to the module's
 * importers, and to a page reload if none accepts it.
 */
export function validateRefreshBoundaryAndEnqueueUpdate(url, prevExports, nextExports) {
  const ignored = window.__getReactRefreshIgnoredExports?.({ id: url }) ?? []
  if (everyExport(ignored, prevExports, (key) => key in nextExports) !== true) {
    return 'Could not Fast Refresh (export removed)'
  }
  if (everyExport(ignored, nextExports, (key) => key in prevExports) !== true) {
    return 'Could not Fast Refresh (new export)'
  }
  let hasExports = false
  const incompatible = everyExport(ignored, nextExports, (key, value) => {
    hasExports = true
    return isComponent(value) || isCompoundComponent(value) || prevExports[key] === value
  })
  if (!hasExports) {
    return 'Could not Fast Refresh (the module exports nothing)'
  }
  if (incompatible === true) {
    performReactRefresh()
    return undefined
  }
  return (
    `Could not Fast Refresh ("${incompatible}" export is incompatible). A module` +
    ' stays hot-updatable when it exports React components only; move other exports' +
    ' to a separate file.'
  )
}

// A dynamic import the import analysis leaves alone (the URL is computed).
export const __hmr_import = (url) => import(/* @vite-ignore */ url)

// For code written against older @vitejs/plugin-react (`import RefreshRuntime from "/@react-refresh"`).
export default { injectIntoGlobalHook, performReactRefresh, register, createSignatureFunctionForTransform }
