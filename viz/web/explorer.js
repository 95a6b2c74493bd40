// The live explorer: variables, live numbers, edge rules, chain-rule paths and the torch
// comparison over ONE graph laid out by Python, shown and stepped by the shared front end
// (GraphView through Stepper). Shared by the served page (explorer_page.js) and the notebook
// widget (explorer_widget.js), each giving it a backend that answers viz.explore_api's
// requests: graph, values, paths, torch. Everything is found inside its own root element, by
// gg-* class, so several explorers can share one page (a notebook).

import { Stepper } from "./stepper.js";

const EXPLORER_HTML = `
<div class="gg-ex-toolbar">
  <select class="gg-ex-preset" aria-label="preset"><option value="">expression</option></select>
  <input class="gg-ex-expr" type="text" spellcheck="false" aria-label="expression"
         placeholder="tanh(a*b + c)">
  <button class="gg-ex-draw" type="button">Draw</button>
  <a class="gg-ex-share" href="?">link to this graph</a>
</div>
<div class="gg-ex-error" role="alert" hidden></div>
<h2 class="gg-ex-title"></h2>
<div class="gg-ex-body">
  <div class="gg-ex-side">
    <div class="gg-ex-variables"></div>
    <p class="gg-ex-output"></p>
    <button class="gg-ex-compare" type="button">Compare with PyTorch</button>
    <div class="gg-ex-torch"></div>
  </div>
  <div class="gg-ex-main">
    <div class="gg-ex-info">
      <div class="gg-ex-edge">Hover an edge to see its op's rule and numbers.</div>
      <div class="gg-ex-paths">Click a node to see its gradient as a sum over chain-rule paths.</div>
    </div>
    <div class="gg-ex-stepper"></div>
  </div>
</div>
`;

export function createExplorer(root, backend, options = {}) {
  root.classList.add("gg-explorer");
  root.innerHTML = EXPLORER_HTML;
  const $ = (name) => root.querySelector(".gg-ex-" + name);
  const parts = {};
  for (const name of ["expr", "draw", "preset", "error", "variables", "title", "edge", "paths",
                      "compare", "torch", "share", "output", "stepper"]) parts[name] = $(name);
  const onChange = options.onChange || (() => {});
  let graph = null;      // the last graph reply: {graph (GraphView's), edges, title, ..., state}
  let state = null;      // the last numbers: {structure, nodes, edges, variables, book, root}
  let stepper = null;
  let source = {};       // {expr} or {preset}
  let values = {};       // name -> number
  let selected = null;   // the node whose chain-rule paths are shown
  let inFlight = false, queued = false;

  function showError(message) {
    parts.error.textContent = message || "";
    parts.error.hidden = !message;
  }

  function request(route, extra) {
    return backend(route, Object.assign({}, source, { values: values }, extra || {}));
  }

  // --- the drawing, through the shared stepper ------------------------------------------------

  function mount(reply) {
    graph = reply;
    source = reply.preset ? { preset: reply.preset } : { expr: reply.expr };
    parts.stepper.replaceChildren();
    stepper = new Stepper(parts.stepper, reply.graph, reply.state.book,
                          { quiz: true, keys: root });
    const svg = stepper.view.container;
    svg.addEventListener("mouseover", onHover);
    svg.addEventListener("click", onClick);
    parts.title.textContent = reply.title;
    if (document.activeElement !== parts.expr || reply.expr) {
      const preset = presetOf(reply.preset);
      parts.expr.value = reply.expr || (preset ? preset.expression : "");
    }
    parts.preset.value = reply.preset || "";
    buildVariables(reply.state.variables);
    parts.edge.textContent = "Hover an edge to see its op's rule and numbers.";
    parts.paths.textContent = "Click a node to see its gradient as a sum over chain-rule paths.";
    parts.torch.replaceChildren();
    parts.compare.disabled = !reply.torch;
    parts.compare.title = reply.torch ? "" : "torch is not installed";
    selected = null;
    apply(reply.state, true);
    stepper.go(stepper.total);  // live numbers are the final grads: start at the end
  }

  function apply(next, first) {
    state = next;
    const view = stepper.view;
    const data = {};
    for (const [id, n] of Object.entries(next.nodes)) {
      data[id] = n.dataText;
      const node = view.graph.nodes[id];
      if (node && node.tooltip) node.tooltip = node.tooltip.replace(/data = [^,]*,/, `data = ${n.data},`);
      const g = view.element(id);
      if (g) { g.dataset.data = String(n.data); g.dataset.grad = String(n.grad); }
    }
    view.setData(data);
    for (const [id, e] of Object.entries(next.edges)) {
      const g = view.element(id);
      const label = g && g.querySelector("text");
      if (label) label.textContent = e.text;
      if (g) g.dataset.local = String(e.local);
    }
    if (!first) stepper.setBook(next.book);
    for (const v of next.variables) {
      const row = rowOf(v.name);
      if (!row) continue;
      const cell = row.querySelector(".gg-ex-grad");
      cell.textContent = v.gradText;
      cell.dataset.grad = String(v.grad);
      cell.title = String(v.grad);
    }
    parts.output.textContent = `${next.root.name} = ${next.root.data}`;
    parts.output.dataset.data = String(next.root.data);
    if (selected !== null) showPaths(selected);
    updateShare();
    onChange(next);
  }

  // --- variables -------------------------------------------------------------------------------

  function rowOf(name) {
    for (const row of parts.variables.children) if (row.dataset.variable === name) return row;
    return null;
  }

  function buildVariables(rows) {
    parts.variables.replaceChildren();
    values = {};
    for (const v of rows) {
      values[v.name] = v.value;
      const row = document.createElement("div");
      row.className = "gg-ex-variable";
      row.dataset.variable = v.name;
      const name = document.createElement("label");
      name.textContent = v.name;
      const box = document.createElement("input");
      Object.assign(box, { type: "number", step: "any", value: String(v.value),
                           className: "gg-ex-value" });
      box.setAttribute("aria-label", v.name);
      const slider = document.createElement("input");
      Object.assign(slider, { type: "range", className: "gg-ex-slider", min: String(v.min),
                              max: String(v.max), step: String(v.step) });
      slider.value = String(v.value);
      slider.setAttribute("aria-label", v.name + " slider");
      const grad = document.createElement("span");
      grad.className = "gg-ex-grad";
      box.addEventListener("input", () => {
        const x = Number(box.value);
        if (box.value.trim() === "" || !Number.isFinite(x)) return;
        slider.value = String(x);
        change(v.name, x);
      });
      slider.addEventListener("input", () => {
        box.value = slider.value;
        change(v.name, Number(slider.value));
      });
      row.append(name, box, slider, grad);
      parts.variables.append(row);
    }
  }

  function change(name, x) {
    values[name] = x;
    recompute();
  }

  // One request in flight at a time; values moved meanwhile go out in one request after it.
  async function recompute() {
    if (inFlight) { queued = true; return; }
    inFlight = true;
    try {
      const [status, reply] = await request("values");
      if (status !== 200) showError(reply.error);
      else if (reply.structure !== state.structure) await draw();
      else { showError(""); apply(reply, false); }
    } finally {
      inFlight = false;
      if (queued) { queued = false; recompute(); }
    }
  }

  async function draw(newSource, newValues) {
    const before = [source, values];
    if (newSource) source = newSource;
    if (newValues) values = newValues;
    const [status, reply] = await request("graph");
    if (status !== 200) {
      showError(reply.error);
      [source, values] = before;
      return false;
    }
    showError("");
    mount(reply);
    return true;
  }

  // --- hover an edge, click a node, compare with torch ------------------------------------------

  function onHover(event) {
    const g = event.target.closest && event.target.closest("g.edge");
    // An edge into an MLP layer is drawn in two parts; the arrow's is "<id>-tip".
    const id = g && (g.id.endsWith("-tip") ? g.id.slice(0, -4) : g.id);
    if (!g || !state || !state.edges[id]) return;
    parts.edge.textContent = state.edges[id].hover;
    parts.edge.dataset.edge = id;
  }

  function onClick(event) {
    const g = event.target.closest && event.target.closest("g.node");
    if (!g || !state) return;
    const id = g.id.endsWith("op") ? g.id.slice(0, -2) : g.id;
    if (!state.nodes[id]) return;
    event.preventDefault();
    selected = id;
    showPaths(id);
  }

  async function showPaths(node) {
    const [status, reply] = await request("paths", { node: node });
    if (status !== 200) { parts.paths.textContent = reply.error; return; }
    stepper.view.setFocus([node], [], "gg-ex-selected");
    const list = document.createElement("pre");
    list.textContent = reply.lines.join("\n");
    parts.paths.replaceChildren(list);
    Object.assign(parts.paths.dataset, { node: node, total: String(reply.total),
                                         grad: String(reply.grad) });
  }

  parts.compare.addEventListener("click", async () => {
    const [status, reply] = await request("torch");
    parts.torch.replaceChildren();
    if (status !== 200 || !reply.available) {
      parts.torch.textContent = status !== 200 ? reply.error : reply.message;
      return;
    }
    const table = document.createElement("table");
    table.createCaption().textContent = (reply.ok ? "torch agrees" : "torch DISAGREES") +
      ` (largest relative difference ${reply.max_rel_error}, torch ${reply.version})`;
    const head = table.createTHead().insertRow();
    for (const text of ["variable", "glassgrad grad", "torch grad"]) {
      head.appendChild(document.createElement("th")).textContent = text;
    }
    const body = table.createTBody();
    for (const v of reply.variables) {
      const row = body.insertRow();
      row.dataset.variable = v.name;
      for (const text of [v.name, String(v.engine), String(v.torch)]) {
        row.insertCell().textContent = text;
      }
    }
    parts.torch.append(table);
  });

  // --- expression box, presets, link -----------------------------------------------------------

  function presetOf(key) {
    return (options.presets || []).find((p) => p.key === key);
  }

  for (const p of options.presets || []) {
    const option = document.createElement("option");
    option.value = p.key;
    option.textContent = p.title;
    parts.preset.append(option);
  }
  parts.preset.addEventListener("change", () => {
    if (parts.preset.value) draw({ preset: parts.preset.value }, {});
  });
  parts.draw.addEventListener("click", () => drawExpression());
  parts.expr.addEventListener("keydown", (e) => { if (e.key === "Enter") drawExpression(); });

  function drawExpression() {
    const preset = presetOf(source.preset);
    if (preset && preset.expression === parts.expr.value) return draw(source, values);
    return draw({ expr: parts.expr.value }, Object.assign({}, values));
  }

  function query() {
    const q = new URLSearchParams();
    if (source.preset) q.set("preset", source.preset);
    else q.set("expr", source.expr || "");
    for (const [name, x] of Object.entries(values)) q.set(name, String(x));
    return "?" + q.toString();
  }

  function updateShare() {
    parts.share.href = query();
    if (options.updateLocation) history.replaceState(null, "", query());
  }

  return {
    draw: draw,
    mount: mount,
    apply: (next) => apply(next, false),
    get state() { return state; },
    get values() { return Object.assign({}, values); },
    get stepper() { return stepper; },
    setValues(newValues) {  // from outside (the kernel): new numbers, same graph
      Object.assign(values, newValues);
      for (const [name, x] of Object.entries(newValues)) {
        const row = rowOf(name);
        if (!row) continue;
        row.querySelector(".gg-ex-value").value = String(x);
        row.querySelector(".gg-ex-slider").value = String(x);
      }
    },
  };
}
