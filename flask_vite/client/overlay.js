// The error overlay: a <vite-error-overlay> element over the page, showing a
// server error (a syntax error in a module, a failed plugin) as Vite shows it:
// the message, file:line:column, a code frame and the stack.
//
// The dev server puts this file in place of its import in client.js
// (flask_vite/plugins/client.py), so it needs no request of its own.

export const overlayId = 'vite-error-overlay'

export const cspNonce =
  'document' in globalThis
    ? document.querySelector('meta[property=csp-nonce]')?.nonce
    : undefined

const overlayStyle = `
:host {
  position: fixed;
  inset: 0;
  z-index: 99999;
  --monospace: 'SFMono-Regular', Consolas, 'Liberation Mono', Menlo, Courier, monospace;
  --red: #ff5555;
  --yellow: #e2aa53;
  --purple: #cfa4ff;
  --cyan: #2dd9da;
  --dim: #c9c9c9;
}
.backdrop {
  position: fixed;
  inset: 0;
  overflow-y: auto;
  margin: 0;
  background: rgba(0, 0, 0, 0.66);
}
.window {
  font-family: var(--monospace);
  line-height: 1.5;
  max-width: 80vw;
  color: #d8d8d8;
  box-sizing: border-box;
  margin: 30px auto;
  padding: 2.5vh 4vw;
  position: relative;
  background: #181818;
  border-radius: 6px 6px 8px 8px;
  box-shadow: 0 19px 38px rgba(0, 0, 0, 0.3), 0 15px 12px rgba(0, 0, 0, 0.22);
  overflow: hidden;
  border-top: 8px solid var(--red);
  direction: ltr;
  text-align: left;
}
pre {
  font-family: var(--monospace);
  font-size: 16px;
  margin-top: 0;
  margin-bottom: 1em;
  overflow-x: auto;
}
.message { line-height: 1.3; font-weight: 600; white-space: pre-wrap; }
.message-body { color: var(--red); }
.plugin { color: var(--purple); }
.file { color: var(--cyan); margin-bottom: 0; white-space: pre-wrap; word-break: break-all; }
.frame { color: var(--yellow); }
.stack { font-size: 13px; color: var(--dim); }
.tip { font-size: 13px; color: #999; border-top: 1px dotted #999; padding-top: 13px; line-height: 1.8; }
code { font-size: 13px; font-family: var(--monospace); color: var(--yellow); }
kbd {
  font-family: var(--monospace);
  font-size: 0.75rem;
  font-weight: 700;
  background-color: #26282c;
  color: #a6a7ab;
  padding: 0.15rem 0.3rem;
  border-radius: 0.25rem;
  border: 1px solid #363940;
  border-bottom-width: 3px;
}
`

function element(tag, attributes = {}, ...children) {
  const el = document.createElement(tag)
  for (const [name, value] of Object.entries(attributes)) {
    if (value !== undefined) el.setAttribute(name, value)
  }
  el.append(...children)
  return el
}

function template() {
  return element(
    'div',
    { class: 'backdrop', part: 'backdrop' },
    element(
      'div',
      { class: 'window', part: 'window' },
      element(
        'pre',
        { class: 'message', part: 'message' },
        element('span', { class: 'plugin', part: 'plugin' }),
        element('span', { class: 'message-body', part: 'message-body' }),
      ),
      element('pre', { class: 'file', part: 'file' }),
      element('pre', { class: 'frame', part: 'frame' }),
      element('pre', { class: 'stack', part: 'stack' }),
      element(
        'div',
        { class: 'tip', part: 'tip' },
        'Click outside, press ',
        element('kbd', {}, 'Esc'),
        ' or fix the code to dismiss.',
        element('br'),
        'To turn the overlay off, set ',
        element('code', {}, 'VITE_HMR_OVERLAY = False'),
        ' in the Flask config.',
      ),
    ),
    element('style', { nonce: cspNonce }, overlayStyle),
  )
}

// Lines of a code frame, as the server builds them ("  3 |  code", "    |  ^").
const codeFrameRE = /^(?:>?\s*\d+\s+\|.*|\s+\|\s*\^.*)\r?\n/gm

// Outside a browser (a worker, a test runner) there is no HTMLElement to extend.
const Base = globalThis.HTMLElement || class {}

export class ErrorOverlay extends Base {
  /**
   * @param {{message: string, stack?: string, id?: string, frame?: string,
   *   plugin?: string, loc?: {file?: string, line?: number, column?: number}}} err
   */
  constructor(err) {
    super()
    this.root = this.attachShadow({ mode: 'open' })
    this.root.appendChild(template())

    codeFrameRE.lastIndex = 0
    const hasFrame = Boolean(err.frame) && codeFrameRE.test(err.frame)
    const message = hasFrame ? err.message.replace(codeFrameRE, '') : err.message
    if (err.plugin) {
      this.text('.plugin', `[plugin:${err.plugin}] `)
    }
    this.text('.message-body', message.trim())

    const [file] = (err.loc?.file || err.id || 'unknown file').split('?')
    if (err.loc) {
      this.text('.file', `${file}:${err.loc.line}:${err.loc.column}`)
    } else if (err.id) {
      this.text('.file', file)
    }
    if (hasFrame) {
      this.text('.frame', err.frame.trim())
    }
    this.text('.stack', err.stack || '')

    this.root.querySelector('.window').addEventListener('click', (e) => {
      e.stopPropagation()
    })
    this.addEventListener('click', () => this.close())
    this.closeOnEsc = (e) => {
      if (e.key === 'Escape' || e.code === 'Escape') this.close()
    }
    document.addEventListener('keydown', this.closeOnEsc)
  }

  text(selector, text) {
    this.root.querySelector(selector).textContent = text
  }

  close() {
    this.parentNode?.removeChild(this)
    document.removeEventListener('keydown', this.closeOnEsc)
  }
}

if (globalThis.customElements && !globalThis.customElements.get(overlayId)) {
  globalThis.customElements.define(overlayId, ErrorOverlay)
}
