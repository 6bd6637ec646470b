// React 19 on the browser server build, as the SSR bundle of an app uses it.
import { Suspense, createContext, use, useContext, useId, useMemo, useState } from "react";
import { renderToReadableStream, renderToString } from "react-dom/server.browser";

const Locale = createContext("en-US");

function Price({ value }) {
  const locale = useContext(Locale);
  const format = useMemo(() => new Intl.NumberFormat(locale, { style: "currency", currency: "EUR" }), [locale]);
  return <span className="price">{format.format(value)}</span>;
}

function Counter({ start }) {
  const [count] = useState(start);
  const id = useId();
  return (
    <label htmlFor={id}>
      {count} items<input id={id} defaultValue={count} />
    </label>
  );
}

export function App({ name, locale, prices }) {
  return (
    <Locale.Provider value={locale}>
      <main>
        <h1>Hello {name} 👋</h1>
        <Counter start={prices.length} />
        <ul>{prices.map((p) => <li key={p}><Price value={p} /></li>)}</ul>
        <time>{new Date(Date.UTC(2024, 0, 31)).toLocaleDateString(locale, { timeZone: "UTC", dateStyle: "long" })}</time>
      </main>
    </Locale.Provider>
  );
}

export function render(props) {
  return renderToString(<App {...props} />);
}

// A component that suspends on a timer: the stream completes only if the
// runtime runs the timer and React's MessageChannel-scheduled work.
let pending = null;
function Slow({ ms }) {
  pending ??= new Promise((resolve) => setTimeout(() => resolve(`loaded after ${ms} ms`), ms));
  return <p>{use(pending)}</p>;
}

export async function renderStream(props) {
  pending = null;
  const stream = await renderToReadableStream(
    <div>
      <App {...props} />
      <Suspense fallback={<i>loading</i>}><Slow ms={20} /></Suspense>
    </div>,
  );
  await stream.allReady;
  const decoder = new TextDecoder();
  let html = "";
  for await (const chunk of stream) html += decoder.decode(chunk, { stream: true });
  return html + decoder.decode();
}
