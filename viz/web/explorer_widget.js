// The notebook widget (anywidget): the same explorer, its requests answered by the kernel over
// the widget's comm (custom messages); its values, numbers and drawing live in traitlets, so
// Python reads and sets them. Bundled after explorer.js into one ES module.

import { createExplorer } from "./explorer.js";

function render({ model, el }) {
  const pending = new Map();
  let counter = 0;
  function backend(route, body) {
    return new Promise((resolve) => {
      counter += 1;
      pending.set(counter, resolve);
      model.send({ kind: "request", id: counter, route: route, body: body });
    });
  }
  function onMessage(message) {
    if (message && message.kind === "reply" && pending.has(message.id)) {
      const resolve = pending.get(message.id);
      pending.delete(message.id);
      resolve([message.status, message.reply]);
    }
  }
  model.on("msg:custom", onMessage);
  const explorer = createExplorer(el, backend, { presets: model.get("presets") });
  el.querySelector(".gg-ex-share").hidden = true;

  function sameValues(state) {
    const mine = explorer.values;
    return state.variables.every((v) => mine[v.name] === v.value);
  }
  function onGraph() {
    const graph = model.get("graph");
    if (graph && graph.graph) explorer.mount(graph);
  }
  function onState() {  // new numbers set from Python (w.values = ...): same drawing
    const state = model.get("state");
    if (!state || !state.variables || !explorer.state) return;
    if (state.structure !== explorer.state.structure || sameValues(state)) return;
    const values = {};
    for (const v of state.variables) values[v.name] = v.value;
    explorer.setValues(values);
    explorer.apply(state);
  }
  model.on("change:graph", onGraph);
  model.on("change:state", onState);
  onGraph();
  el.dataset.ready = "true";
  return () => {
    model.off("msg:custom", onMessage);
    model.off("change:graph", onGraph);
    model.off("change:state", onState);
  };
}

export default { render };
