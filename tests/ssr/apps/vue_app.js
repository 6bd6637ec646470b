import { computed, createSSRApp, h, ref } from "vue";
import { renderToString, renderToWebStream } from "vue/server-renderer";

function createApp({ name, locale }) {
  return createSSRApp({
    setup() {
      const count = ref(21);
      const doubled = computed(() => count.value * 2);
      return () => h("div", { class: "app" }, [
        h("h1", `Hello ${name}`),
        h("p", `doubled: ${doubled.value}`),
        h("p", new Intl.NumberFormat(locale).format(1234.5)),
      ]);
    },
  });
}

export function render(props) {
  return renderToString(createApp(props));
}

export async function renderStream(props) {
  const decoder = new TextDecoder();
  let html = "";
  for await (const chunk of renderToWebStream(createApp(props))) html += decoder.decode(chunk, { stream: true });
  return html;
}
