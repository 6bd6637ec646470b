interface Greeting {
  who: string
  at: Date
}

const greeting: Greeting = { who: 'Flask', at: new Date() }
const out = document.querySelector<HTMLParagraphElement>('#out')!
out.textContent = `Hello from TypeScript, compiled by esbuild inside ${greeting.who} at ${greeting.at.toLocaleTimeString()}.`
