// The live explorer: controls, live numbers, edge rules, chain-rule paths and the torch
// comparison over one graph drawn by Python. Shared by the served page (explorer-page.js) and
// the notebook widget (explorer-widget.js); each gives it a backend that answers the requests
// of viz.explore_api: graph, values, paths, torch. It looks everything up inside its own root
// element, so several explorers can live on one page (a notebook).
"use strict";

function createExplorer(root, backend, options) {
  const $ = (name) => root.querySelector(`[data-part="${name}"]`);
  const parts = {
    expr: $("expr"), draw: $("draw"), preset: $("preset"), error: $("error"),
    variables: $("variables"), graph: $("graph"), title: $("title"), edge: $("edge-info"),
    paths: $("paths"), compare: $("compare"), torch: $("torch"), share: $("share"),
    output: $("output"),
  };
  const onChange = (options && options.onChange) || (() => {});
  let graph = null;          // the last /api/graph reply: svg, nodes, edges, state
  let source = {};           // {expr} or {preset}
  let values = {};           // name -> number
  let selected = null;       // the node whose chain-rule paths are shown
  let inFlight = false, queued = false;
  const toNumber = (x) => (typeof x === "number" ? x : Number(x));

  function showError(message) {
    parts.error.textContent = message || "";
    parts.error.hidden = !message;
  }

  function request(route, extra) {
    return backend(route, Object.assign({}, source, { values: values }, extra || {}));
  }

  // --- the drawing -----------------------------------------------------------------------------

  function svgGroups(kind) {  // title text -> list of <g class=kind> in document order
    const found = new Map();
    for (const g of parts.graph.querySelectorAll(`g.${kind}`)) {
      const title = g.querySelector("title");
      if (!title) continue;
      const key = title.textContent;
      if (!found.has(key)) found.set(key, []);
      found.get(key).push(g);
    }
    return found;
  }

  function mount(reply) {
    graph = reply;
    source = reply.preset ? { preset: reply.preset } : { expr: reply.expr };
    parts.graph.innerHTML = reply.svg;
    const nodes = svgGroups("node"), edges = svgGroups("edge");
    graph.nodeG = new Map();
    for (const node of reply.nodes) {
      const g = nodes.get(node.id);
      if (g) { graph.nodeG.set(node.id, g[0]); g[0].dataset.node = node.id; }
    }
    graph.edgeG = new Map();
    for (const edge of reply.edges) {
      const list = edges.get(edge.tail + "->" + edge.head);
      const g = list && list.shift();
      if (g) { graph.edgeG.set(edge.id, g); g.dataset.edge = edge.id; }
    }
    graph.edgeById = new Map(reply.edges.map((e) => [e.id, e]));
    graph.nameOf = new Map(reply.nodes.map((n) => [n.id, n.name]));
    parts.title.textContent = reply.title;
    if (parts.expr !== document.activeElement || reply.expr) {
      parts.expr.value = reply.expr || (presetOf(reply.preset) || {}).expression || "";
    }
    parts.preset.value = reply.preset || "";
    buildVariables(reply.state.variables);
    parts.edge.textContent = "Hover an edge to see its op's rule and numbers.";
    parts.paths.textContent = "Click a node to see its gradient as a sum over chain-rule paths.";
    parts.torch.replaceChildren();
    parts.compare.disabled = !reply.torch;
    parts.compare.title = reply.torch ? "" : "torch is not installed";
    selected = null;
    apply(reply.state);
  }

  function setText(g, prefix, text) {  // rewrite the record field that starts with prefix
    for (const t of g.querySelectorAll("text")) {
      if (t.textContent.startsWith(prefix)) { t.textContent = prefix + text; return; }
    }
  }

  function apply(state) {
    for (const [id, n] of Object.entries(state.nodes)) {
      const g = graph.nodeG.get(id);
      if (!g) continue;
      setText(g, "data ", n.dataText);
      setText(g, "grad ", n.gradText);
      g.dataset.data = String(n.data);
      g.dataset.grad = String(n.grad);
      const tip = g.querySelector("a");
      if (tip) tip.setAttribute("xlink:title", `${graph.nameOf.get(id)}: data = ${n.data}, grad = ${n.grad}`);
    }
    for (const [id, e] of Object.entries(state.edges)) {
      const g = graph.edgeG.get(id);
      if (!g) continue;
      const label = g.querySelector("text");
      if (label) label.textContent = e.text;
      g.dataset.local = String(e.local);
      g.dataset.hover = e.hover;
    }
    graph.state = state;
    for (const v of state.variables) {
      const row = parts.variables.querySelector(`[data-variable="${CSS.escape(v.name)}"]`);
      if (!row) continue;
      const cell = row.querySelector(".grad");
      cell.textContent = String(v.grad);
      cell.dataset.grad = String(v.grad);
    }
    parts.output.textContent = `${state.root.name} = ${state.root.data}`;
    parts.output.dataset.data = String(state.root.data);
    if (selected !== null) showPaths(selected);
    updateShare();
    onChange(state);
  }

  // --- variables -------------------------------------------------------------------------------

  function buildVariables(rows) {
    parts.variables.replaceChildren();
    values = {};
    for (const v of rows) {
      values[v.name] = v.value;
      const row = document.createElement("div");
      row.className = "variable";
      row.dataset.variable = v.name;
      const name = document.createElement("label");
      name.textContent = v.name;
      const box = document.createElement("input");
      box.type = "number"; box.step = "any"; box.value = String(v.value); box.className = "value";
      box.setAttribute("aria-label", v.name);
      const slider = document.createElement("input");
      slider.type = "range"; slider.className = "slider";
      slider.min = String(v.min); slider.max = String(v.max); slider.step = String(v.step);
      slider.value = String(v.value);
      slider.setAttribute("aria-label", v.name + " slider");
      const grad = document.createElement("span");
      grad.className = "grad"; grad.title = "the output's gradient with respect to " + v.name;
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
      else if (reply.structure !== graph.state.structure) await draw();
      else { showError(""); apply(reply); }
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

  // --- hover, click, compare -------------------------------------------------------------------

  parts.graph.addEventListener("mouseover", (event) => {
    const g = event.target.closest("g.edge");
    if (!g || !g.dataset.edge || !graph) return;
    parts.edge.textContent = g.dataset.hover;
    parts.edge.dataset.edge = g.dataset.edge;
  });

  parts.graph.addEventListener("click", (event) => {
    const g = event.target.closest("g.node");
    if (!g || !g.dataset.node) return;
    event.preventDefault();
    selected = g.dataset.node;
    showPaths(selected);
  });

  async function showPaths(node) {
    const [status, reply] = await request("paths", { node: node });
    if (status !== 200) { parts.paths.textContent = reply.error; return; }
    for (const g of graph.nodeG.values()) g.classList.toggle("selected", g.dataset.node === node);
    parts.paths.replaceChildren();
    const list = document.createElement("pre");
    list.textContent = reply.lines.join("\n");
    parts.paths.append(list);
    parts.paths.dataset.node = node;
    parts.paths.dataset.total = String(reply.total);
    parts.paths.dataset.grad = String(reply.grad);
  }

  parts.compare.addEventListener("click", async () => {
    const [status, reply] = await request("torch");
    parts.torch.replaceChildren();
    if (status !== 200 || !reply.available) {
      parts.torch.textContent = status !== 200 ? reply.error : reply.message;
      return;
    }
    const table = document.createElement("table");
    table.innerHTML = "<caption></caption><thead><tr><th>variable</th><th>glassgrad</th>" +
      "<th>torch " + reply.version + "</th></tr></thead><tbody></tbody>";
    table.caption.textContent = (reply.ok ? "agree" : "DISAGREE") +
      ` (largest relative difference ${reply.max_rel_error})`;
    for (const v of reply.variables) {
      const row = table.tBodies[0].insertRow();
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
    option.value = p.key; option.textContent = p.title;
    parts.preset.append(option);
  }
  parts.preset.addEventListener("change", () => {
    if (parts.preset.value) draw({ preset: parts.preset.value }, {});
  });
  parts.draw.addEventListener("click", () => drawExpression());
  parts.expr.addEventListener("keydown", (e) => { if (e.key === "Enter") drawExpression(); });

  function drawExpression() {
    const text = parts.expr.value;
    const preset = presetOf(source.preset);
    if (preset && preset.expression === text) return draw(source, values);
    return draw({ expr: text }, Object.assign({}, values));
  }

  function query() {
    const q = new URLSearchParams();
    if (source.preset) q.set("preset", source.preset); else q.set("expr", source.expr || "");
    for (const [name, x] of Object.entries(values)) q.set(name, String(x));
    return q.toString();
  }

  function updateShare() {
    if (!parts.share) return;
    parts.share.href = "?" + query();
    if (options.updateLocation) history.replaceState(null, "", "?" + query());
  }

  return {
    draw: draw,
    recompute: recompute,
    get state() { return graph ? graph.state : null; },
    get values() { return Object.assign({}, values); },
    setValues(newValues) {  // from outside (the kernel): new numbers, same graph if it can be
      Object.assign(values, newValues);
      for (const [name, x] of Object.entries(newValues)) {
        const row = parts.variables.querySelector(`[data-variable="${CSS.escape(name)}"]`);
        if (row) { row.querySelector(".value").value = String(x); row.querySelector(".slider").value = String(x); }
      }
    },
    mount: mount,
    apply: apply,
  };
}

// The explorer's markup, filled into a root element (the page's <main>, the widget's el).
const EXPLORER_HTML = `
<div class="gg-toolbar">
  <select data-part="preset" aria-label="preset"><option value="">expression</option></select>
  <input data-part="expr" type="text" spellcheck="false" aria-label="expression"
         placeholder="tanh(a*b + c)">
  <button data-part="draw" type="button">Draw</button>
  <a data-part="share" href="?">link to this graph</a>
</div>
<div data-part="error" class="gg-error" role="alert" hidden></div>
<h2 data-part="title" class="gg-title"></h2>
<div class="gg-body">
  <div class="gg-side">
    <div data-part="variables" class="gg-variables"></div>
    <p data-part="output" class="gg-output"></p>
    <button data-part="compare" type="button">Compare with PyTorch</button>
    <div data-part="torch" class="gg-torch"></div>
  </div>
  <div data-part="graph" class="gg-graph"></div>
</div>
<div class="gg-info">
  <div data-part="edge-info" class="gg-edge"></div>
  <div data-part="paths" class="gg-paths"></div>
</div>
`;
