import './style.css'
import { setupCounter } from './counter'

interface Hello {
  message: string
  time: string
}

const out = document.querySelector<HTMLParagraphElement>('#out')!
const response = await fetch('/api/hello')
const hello: Hello = await response.json()
out.textContent = `${hello.message} at ${hello.time}; this text was set by TypeScript compiled by esbuild inside Flask (mode: ${import.meta.env.MODE}).`

setupCounter(document.querySelector<HTMLButtonElement>('#counter')!)
