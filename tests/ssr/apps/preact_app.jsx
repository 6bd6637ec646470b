/** @jsxImportSource preact */
import { useState } from "preact/hooks";
import { renderToString } from "preact-render-to-string";

function Todo({ items }) {
  const [done] = useState(1);
  return (
    <ul>
      {items.map((item, i) => <li class={i < done ? "done" : ""}>{item}</li>)}
    </ul>
  );
}

export function render({ title, items }) {
  return renderToString(<section><h2>{title}</h2><Todo items={items} /></section>);
}
