// glassgrad stepper: prev/next, arrow keys, slider, the step's arithmetic, the leaf table and
// the quiz, over a GraphView. book = {intro, steps, grads, leaves, rtol, atol} (see
// viz/flipbook_writer.py: book_payload). All DOM it makes lives inside its container and is found
// by class (gg-*), never by id, so several steppers can share one document (notebook widgets).

import { GraphView } from "./graph_view.js";

function el(tag, cls, html) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (html !== undefined) e.innerHTML = html;
  return e;
}

function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => ({
    "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c]));
}

/** A typed number: "inf", "-inf", "nan" and JS number syntax; null when not a number. */
export function toNumber(text) {
  const t = text.trim().toLowerCase();
  if (t === "") return null;
  if (t === "inf" || t === "+inf" || t === "infinity") return Infinity;
  if (t === "-inf" || t === "-infinity") return -Infinity;
  if (t === "nan") return NaN;
  const x = Number(t);
  return Number.isNaN(x) ? null : x;
}

/** Each node's grad text at frame k, from the timelines {id: [[fromFrame, short, full], ...]}. */
export function gradsAt(timelines, k) {
  const out = {};
  for (const [id, timeline] of Object.entries(timelines)) {
    let shown = null;
    for (const [from, short, full] of timeline) {
      if (from > k) break;
      shown = [short, full];
    }
    out[id] = shown;
  }
  return out;
}

export class Stepper {
  /**
   * container: an element to build the controls in; graph: the payload GraphView takes;
   * book: the steps; options: {quiz: bool, keys: EventTarget for arrow keys (default: the
   * container, made focusable), title: string | null}.
   */
  constructor(container, graph, book, options = {}) {
    this.book = book;
    this.total = book.steps.length;
    this.position = 0;
    this.asking = false;
    this.answered = new Set();
    this.quizOn = options.quiz !== false && this.total > 0;
    this.root = container;
    container.classList.add("gg-stepper");
    this.build(container);
    this.view = new GraphView(this.frame, graph);
    if (this.view.tooSmallToFit()) {
      this.zoom.checked = true;
      this.view.setActualSize(true);
    }
    this.listen(options.keys || container);
    this.render();
  }

  build(c) {
    const total = this.total;
    const bar = el("div", "gg-toolbar");
    this.prev = el("button", "gg-prev", "&#9664; Prev");
    this.next = el("button", "gg-next", "Next &#9654;");
    this.prev.type = this.next.type = "button";
    this.slider = el("input", "gg-slider");
    Object.assign(this.slider, {type: "range", min: "0", max: String(total), value: "0",
                                step: "1"});
    this.slider.setAttribute("aria-label", "step");
    this.counter = el("span", "gg-counter");
    const zoomLabel = el("label", "gg-zoom-label");
    this.zoom = el("input", "gg-zoom");
    this.zoom.type = "checkbox";
    zoomLabel.append(this.zoom, " Actual size");
    bar.append(this.prev, this.next, this.slider, this.counter, zoomLabel);
    this.quizToggle = null;
    if (this.quizOn) {
      const label = el("label", "gg-quiz-label");
      this.quizToggle = el("input", "gg-quiz-toggle");
      this.quizToggle.type = "checkbox";
      label.append(this.quizToggle, " Quiz me");
      bar.append(label);
    }
    const legend = el("p", "gg-legend",
      "Keys &larr; &rarr; step too. <b>Orange</b>: the node whose step it is and the edges " +
      "its step writes into. <code>grad ?</code>: not computed yet. A grad on a node is what " +
      "its <code>.grad</code> holds so far: it is final once every node that uses it has had " +
      "its step.");
    this.frame = el("div", "gg-frame");
    const below = el("div", "gg-below");
    const work = el("div", "gg-work");
    this.arithmetic = el("div", "gg-arithmetic");
    this.quiz = el("div", "gg-quiz");
    this.quiz.hidden = true;
    this.quizInputs = el("div", "gg-quiz-inputs");
    this.quizCheck = el("button", "gg-quiz-check", "Check");
    this.quizReveal = el("button", "gg-quiz-reveal", "Show answer");
    this.quizCheck.type = this.quizReveal.type = "button";
    const percent = (100 * this.book.rtol).toFixed(1);
    this.quiz.append(this.quizInputs, this.quizCheck, this.quizReveal,
      el("p", "gg-caption", `An answer within ${percent}% counts as right: three significant ` +
                            "digits are enough. Enter checks."));
    this.quizResult = el("div", "gg-quiz-result");
    this.quizResult.setAttribute("role", "status");
    work.append(this.arithmetic, this.quiz, this.quizResult);
    const leaves = el("div", "gg-leaves");
    const table = el("table", "gg-grads",
      '<caption class="gg-caption">Leaves: inputs, parameters (by layer, neuron, index), ' +
      "constants</caption><thead><tr><th>leaf</th><th>value</th><th>grad so far</th></tr>" +
      "</thead>");
    const body = el("tbody");
    this.rows = this.book.leaves.map((leaf) => {
      const row = el("tr", "gg-leaf",
        `<td>${escapeHtml(leaf.name)}</td><td>${escapeHtml(leaf.data)}</td>` +
        '<td class="grad unknown">?</td>');
      row.dataset.label = leaf.name;
      row.dataset.node = leaf.node;
      body.append(row);
      return row;
    });
    table.append(body);
    leaves.append(table);
    below.append(work, leaves);
    c.append(bar, legend, this.frame, below);
  }

  listen(keys) {
    this.prev.addEventListener("click", () => this.go(this.position - 1));
    this.next.addEventListener("click", () => this.go(this.position + 1));
    this.slider.addEventListener("input", () => this.go(Number(this.slider.value)));
    this.zoom.addEventListener("change", () => {
      this.view.setActualSize(this.zoom.checked);
      this.revealCurrent();
    });
    if (this.quizToggle !== null) {
      this.quizToggle.addEventListener("change", () => {
        // Quizzing starts at the next step: the steps up to here count as seen.
        for (let k = 1; k <= this.position; k++) this.answered.add(k);
        this.render();
      });
      this.quizCheck.addEventListener("click", () => this.check());
      this.quizReveal.addEventListener("click", () => this.reveal());
    }
    if (keys === this.root && !this.root.hasAttribute("tabindex")) this.root.tabIndex = 0;
    keys.addEventListener("keydown", (e) => {
      const t = e.target;
      if (t instanceof HTMLInputElement && ["text", "range", "number"].includes(t.type)) return;
      if (e.key === "ArrowRight") { if (!this.asking) this.go(this.position + 1); }
      else if (e.key === "ArrowLeft") this.go(this.position - 1);
      else if (e.key === "Home") this.go(0);
      else if (e.key === "End") this.go(this.total);
      else return;
      e.preventDefault();
    });
    // Hovering a node's name under the graph outlines that node in the drawing.
    const hover = (on) => (e) => {
      const ref = e.target.closest && e.target.closest(".node-ref");
      if (ref) this.view.hover(ref.dataset.node, on);
    };
    this.arithmetic.addEventListener("mouseover", hover(true));
    this.arithmetic.addEventListener("mouseout", hover(false));
  }

  /** The frame shown: grads known after frame `k` and the marks of step `focusStep`. */
  show(k, focusStep) {
    const grads = gradsAt(this.book.grads, k);
    if (focusStep > k) {  // a question: the node of the step asked about holds its final grad
      const step = this.book.steps[focusStep - 1];
      grads[step.node] = step.upstream;
    }
    this.view.setGrads(grads);
    const step = focusStep > 0 ? this.book.steps[focusStep - 1] : null;
    this.view.setFocus(step ? [step.node] : [], step ? step.edges : []);
    for (const row of this.rows) {
      const known = grads[row.dataset.node];
      const cell = row.querySelector("td.grad");
      cell.textContent = known ? known[0] : "?";
      cell.dataset.grad = known ? known[1] : "";
      cell.title = known ? known[1] : "not computed yet";
      cell.classList.toggle("unknown", !known);
    }
  }

  current() {
    return this.position > 0 ? this.book.steps[this.position - 1].node : this.book.root;
  }

  revealCurrent() {
    this.view.reveal(this.current());
  }

  render() {
    const quizOn = this.quizToggle !== null && this.quizToggle.checked;
    const k = this.position;
    this.asking = quizOn && k > 0 && !this.answered.has(k);
    if (this.asking) {
      const step = this.book.steps[k - 1];
      this.show(k - 1, k);
      this.arithmetic.innerHTML = step.question;
      this.buildInputs(step);
    } else {
      this.show(k, k);
      this.arithmetic.innerHTML = k === 0 ? this.book.intro : this.book.steps[k - 1].answer;
    }
    this.quiz.hidden = !this.asking;
    this.slider.value = String(k);
    this.counter.textContent = `step ${k} / ${this.total}` + (this.asking ? " (your turn)" : "");
    this.prev.disabled = k === 0;
    this.next.disabled = k === this.total || this.asking;
    this.revealCurrent();
    if (this.asking) {
      const first = this.quizInputs.querySelector("input");
      if (first) first.focus();
    }
  }

  /** The same steps with new numbers (the explorer, after a value changes): the leaf table's
   *  values and every frame's grads are rewritten at the current position. */
  setBook(book) {
    this.book = book;
    const data = new Map(book.leaves.map((leaf) => [leaf.node, leaf.data]));
    for (const row of this.rows) {
      if (data.has(row.dataset.node)) row.children[1].textContent = data.get(row.dataset.node);
    }
    this.render();
  }

  go(k) {
    const target = Math.max(0, Math.min(this.total, k));
    if (target !== this.position) {
      this.position = target;
      this.quizResult.textContent = "";
      this.quizResult.className = "gg-quiz-result";
    }
    this.render();
  }

  buildInputs(step) {
    this.quizInputs.replaceChildren();
    for (const q of step.quiz) {
      const label = el("label");
      label.textContent = q.name + ".grad = ";
      const input = el("input", "gg-quiz-input");
      Object.assign(input, {type: "text", autocomplete: "off"});
      input.dataset.parent = q.name;
      input.addEventListener("keydown", (e) => { if (e.key === "Enter") this.check(); });
      label.appendChild(input);
      this.quizInputs.appendChild(label);
    }
  }

  near(got, want) {
    if (Number.isNaN(want)) return Number.isNaN(got);
    if (!Number.isFinite(want)) return got === want;
    return Math.abs(got - want) <= this.book.rtol * Math.abs(want) + this.book.atol;
  }

  result(text, outcome) {
    this.quizResult.textContent = text;
    this.quizResult.className = "gg-quiz-result" + (outcome ? " " + outcome : "");
  }

  check() {
    if (!this.asking) return;
    const step = this.book.steps[this.position - 1];
    const inputs = this.quizInputs.querySelectorAll("input");
    const wrong = [];
    let blank = false;
    step.quiz.forEach((q, i) => {
      const got = toNumber(inputs[i].value);
      if (got === null) blank = true;
      else if (!this.near(got, toNumber(q.answer))) wrong.push(q.name);
    });
    if (blank) {
      this.result("Type a number for every parent (e.g. 0.5, -1.25, 3e-4).", "wrong");
    } else if (wrong.length > 0) {
      this.result("Not yet: " + wrong.map((n) => n + ".grad").join(", ") + " is off. New " +
                  "grad = what it holds now (0 for grad ?) + local derivative \u00d7 this " +
                  "node's grad.", "wrong");
    } else {
      this.answered.add(this.position);
      this.render();
      this.result("Right! Every new grad matches.", "right");
    }
  }

  reveal() {
    if (!this.asking) return;
    this.answered.add(this.position);
    this.render();
    this.result("Answer shown: compare it with yours.", "");
  }
}
