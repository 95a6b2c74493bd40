// glassgrad graph view: ONE Graphviz SVG, laid out once by Python, whose texts and colours
// change in place. Nothing here moves a node: a frame only rewrites data/grad texts, tooltips
// and CSS classes. Used by the offline flipbook, the explorer's page and its Jupyter widget.
//
// graph = {svg, root, nodes: {id: {index, name, kind, tooltip, op?}}, edges: {id: {child,
// parent, slot}}} (see viz/layout.py: graph_payload). A value node's SVG <g id=...> ends with
// its "data ..." and "grad ..." texts (in that order); its op node is <g id="<id>op">.

const XLINK = "http://www.w3.org/1999/xlink";

export class GraphView {
  constructor(container, graph) {
    this.container = container;
    this.graph = graph;
    container.classList.add("gg-graph");
    container.innerHTML = graph.svg;
    this.svg = container.querySelector("svg");
    this.elements = new Map();  // id -> <g> of a node, op node or edge
    for (const g of this.svg.querySelectorAll("g.node, g.edge")) this.elements.set(g.id, g);
    this.marked = [];
    this.fieldCache = new Map();
  }

  /** The <g> drawn for a node, op node (id + "op") or edge id; null when not drawn. */
  element(id) {
    return this.elements.get(id) || null;
  }

  /** The last `count` <text> fields of a value node: [data, grad] or [grad]. */
  fields(id) {
    if (!this.fieldCache.has(id)) {
      const g = this.element(id);
      const texts = g ? Array.from(g.querySelectorAll("text")) : [];
      const data = texts.findLast((t) => t.textContent.startsWith("data ") ||
                                         t.textContent.startsWith("out "));
      const grad = texts.findLast((t) => t.textContent.startsWith("grad "));
      this.fieldCache.set(id, {data: data || null, grad: grad || null, a: g && g.querySelector("a")});
    }
    return this.fieldCache.get(id);
  }

  /** Show grads: {id: [shortText, fullText]} or {id: null} for "grad ?". */
  setGrads(grads) {
    for (const [id, grad] of Object.entries(grads)) {
      const f = this.fields(id);
      if (f.grad) f.grad.textContent = "grad " + (grad === null ? "?" : grad[0]);
      const node = this.graph.nodes[id];
      if (f.a && node && node.tooltip) {
        f.a.setAttributeNS(XLINK, "title",
                           node.tooltip.replace("{grad}", grad === null ? "unknown" : grad[1]));
      }
    }
  }

  /** Show data: {id: shortText} (the explorer, when a value changes). */
  setData(data) {
    for (const [id, text] of Object.entries(data)) {
      const f = this.fields(id);
      if (f.data) f.data.textContent = (f.data.textContent.startsWith("out ") ? "out " : "data ")
                                       + text;
    }
  }

  /** Mark nodes (with their op nodes) and edges with a CSS class, clearing the last marks. */
  setFocus(nodeIds, edgeIds, cls = "gg-focus") {
    for (const [g, c] of this.marked) g.classList.remove(c);
    this.marked = [];
    const mark = (id, c) => {
      const g = this.element(id);
      if (g) { g.classList.add(c); this.marked.push([g, c]); }
    };
    for (const id of nodeIds || []) { mark(id, cls); mark(id + "op", cls); }
    // An edge into an MLP layer's column is drawn in two parts, the second "<id>-tip"
    // (viz/columns.py).
    for (const id of edgeIds || []) { mark(id, cls + "-edge"); mark(id + "-tip", cls + "-edge"); }
  }

  /** Outline one node while the reader hovers its name in the text. */
  hover(id, on) {
    const g = this.element(id);
    if (g) g.classList.toggle("gg-hover", on);
  }

  /** Fit the page width (false) or draw at Graphviz's size and scroll (true). */
  setActualSize(on) {
    this.container.classList.toggle("gg-actual", on);
  }

  get actualSize() {
    return this.container.classList.contains("gg-actual");
  }

  /** Scroll the container (at actual size) so that node `id` and its op node are in view,
   *  centred if they were not. */
  reveal(id) {
    const shown = [this.element(id), this.element(id + "op")].filter((g) => g !== null);
    if (shown.length === 0 || !this.actualSize) return;
    const boxes = shown.map((g) => g.getBoundingClientRect());
    const box = {left: Math.min(...boxes.map((b) => b.left)),
                 right: Math.max(...boxes.map((b) => b.right)),
                 top: Math.min(...boxes.map((b) => b.top)),
                 bottom: Math.max(...boxes.map((b) => b.bottom))};
    const view = this.container.getBoundingClientRect();
    const inside = box.left >= view.left && box.right <= view.right &&
                   box.top >= view.top && box.bottom <= view.bottom;
    if (inside) return;
    this.container.scrollLeft += (box.left + box.right) / 2 - (view.left + view.right) / 2;
    this.container.scrollTop += (box.top + box.bottom) / 2 - (view.top + view.bottom) / 2;
  }

  /** True when the drawing at page width would shrink its text below `scale`. */
  tooSmallToFit(scale = 0.6) {
    const width = this.svg.width.baseVal.value;
    return width > 0 && this.container.clientWidth / width < scale;
  }
}
