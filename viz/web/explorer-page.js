// The served page: boots one explorer in <main> with a fetch backend (same origin only), from
// the URL's query (?expr=...&a=2 or ?preset=neuron&x1=1) or else the server's start-up source.
"use strict";

(() => {
  const config = JSON.parse(document.getElementById("explorer-config").textContent);
  const root = document.querySelector("main");
  root.innerHTML = EXPLORER_HTML;

  async function backend(route, body) {
    try {
      const response = await fetch("/api/" + route, {
        method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify(body),
      });
      return [response.status, await response.json()];
    } catch (error) {
      return [0, { error: "the explorer server does not answer: " + error }];
    }
  }

  const explorer = createExplorer(root, backend, {
    presets: config.presets, updateLocation: true,
  });
  window.glassgradExplorer = explorer;  // for the browser tests and the curious

  const query = new URLSearchParams(location.search);
  let start = config.start;
  if (query.has("expr") || query.has("preset")) {
    const values = {};
    for (const [name, text] of query) {
      if (name !== "expr" && name !== "preset" && text.trim() !== "") values[name] = Number(text);
    }
    start = query.has("preset") ? { preset: query.get("preset"), values: values }
                                : { expr: query.get("expr"), values: values };
  }
  const source = start.preset ? { preset: start.preset } : { expr: start.expr };
  explorer.draw(source, start.values || {}).then((ok) => {
    if (!ok && start !== config.start) {
      // A bad link still opens a working page: the server's own graph, the error shown.
      const message = root.querySelector('[data-part="error"]').textContent;
      const fallback = config.start.preset ? { preset: config.start.preset } : { expr: config.start.expr };
      explorer.draw(fallback, config.start.values || {}).then(() => {
        const box = root.querySelector('[data-part="error"]');
        box.textContent = message; box.hidden = false;
      });
    }
    document.body.dataset.ready = "true";
  });
})();
