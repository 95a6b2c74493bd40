// The served page: one explorer in <main>, its requests sent to this server (same origin
// only), opened on the URL's query (?expr=...&a=2 or ?preset=neuron&x1=1) or else on the
// server's start-up graph. A bad link still opens a working page, its error shown.

import { createExplorer } from "./explorer.js";

const config = JSON.parse(document.getElementById("gg-explorer-config").textContent);

async function backend(route, body) {
  try {
    const response = await fetch("/api/" + route, {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
    });
    return [response.status, await response.json()];
  } catch (error) {
    return [0, { error: "the explorer's server does not answer: " + error }];
  }
}

function fromQuery(search) {
  const query = new URLSearchParams(search);
  if (!query.has("expr") && !query.has("preset")) return null;
  const values = {};
  for (const [name, text] of query) {
    if (name !== "expr" && name !== "preset" && text.trim() !== "") values[name] = Number(text);
  }
  return query.has("preset") ? { source: { preset: query.get("preset") }, values: values }
                             : { source: { expr: query.get("expr") }, values: values };
}

const root = document.querySelector("main");
const explorer = createExplorer(root, backend, { presets: config.presets, updateLocation: true });
window.glassgradExplorer = explorer;  // for the browser tests and the curious
const start = config.start.preset ? { preset: config.start.preset } : { expr: config.start.expr };
const linked = fromQuery(location.search);

(async () => {
  if (linked && !(await explorer.draw(linked.source, linked.values))) {
    const message = root.querySelector(".gg-ex-error").textContent;
    await explorer.draw(start, config.start.values || {});
    const box = root.querySelector(".gg-ex-error");
    box.textContent = message;
    box.hidden = false;
  } else if (!linked) {
    await explorer.draw(start, config.start.values || {});
  }
  document.body.dataset.ready = "true";
})();
