"""The flipbook page's stylesheet and script, inlined by ``viz.flipbook`` (nothing is fetched)."""

from __future__ import annotations

CSS = """
:root { --focus: #ea580c; --ink: #1f2937; --muted: #6b7280; --line: #d1d5db; }
* { box-sizing: border-box; }
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--ink);
       margin: 0; padding: 1rem 1.5rem 2rem; line-height: 1.45; }
h1 { font-size: 1.35rem; margin: 0 0 .25rem; }
.intro { margin: 0 0 .75rem; color: var(--muted); max-width: 70rem; }
.toolbar { display: flex; align-items: center; gap: .75rem; flex-wrap: wrap;
           position: sticky; top: 0; background: #fff; padding: .5rem 0; z-index: 2;
           border-bottom: 1px solid var(--line); }
.toolbar button { font: inherit; padding: .3rem .9rem; border: 1px solid #9ca3af;
                  border-radius: .35rem; background: #f9fafb; cursor: pointer; }
.toolbar button:disabled { opacity: .4; cursor: default; }
#slider { flex: 1 1 12rem; min-width: 8rem; }
#counter { font-variant-numeric: tabular-nums; font-weight: 600; min-width: 9rem; }
.legend { color: var(--muted); font-size: .85rem; margin: .4rem 0; }
.legend b { color: var(--focus); }
#frame { border: 1px solid var(--line); border-radius: .4rem; padding: .5rem; overflow: auto;
         background: #fff; }
#frame svg { display: block; max-width: 100%; height: auto; margin: 0 auto; }
#frame.actual svg { max-width: none; }
#frame g.node.hover polygon, #frame g.node.hover ellipse { stroke: var(--focus);
         stroke-width: 5; }
.below { display: flex; gap: 1.5rem; flex-wrap: wrap; margin-top: .75rem; align-items: flex-start; }
#arithmetic { background: #fff7ed; border: 1px solid #fed7aa;
              border-radius: .4rem; padding: .6rem .9rem; min-height: 5rem; }
#arithmetic .head { font-weight: 600; margin-bottom: .3rem; }
#arithmetic .rule { color: var(--muted); font-size: .9rem; margin-bottom: .3rem; }
#arithmetic code, #arithmetic .line { font-family: ui-monospace, "DejaVu Sans Mono", monospace; }
#arithmetic .line { display: block; padding: .1rem 0; }
#arithmetic .note { color: var(--muted); font-size: .85rem; }
.node-ref { border-bottom: 1px dotted var(--focus); cursor: help; }
#quiz { margin-top: .5rem; }
#quiz label { display: inline-block; margin: .2rem 1rem .2rem 0;
              font-family: ui-monospace, "DejaVu Sans Mono", monospace; }
#quiz input { width: 8rem; font: inherit; padding: .15rem .3rem; }
#quiz button { font: inherit; padding: .2rem .8rem; margin-right: .4rem; }
#quiz-result { margin-top: .4rem; min-height: 1.4em; font-weight: 600; }
#quiz-result.right { color: #15803d; }
#quiz-result.wrong { color: #b91c1c; }
.work { flex: 2 1 30rem; }
.leaves { flex: 1 1 16rem; }
#grads { border-collapse: collapse; font-variant-numeric: tabular-nums; }
#grads th, #grads td { border-bottom: 1px solid var(--line); padding: .2rem .7rem;
                       text-align: right; }
#grads th:first-child, #grads td:first-child { text-align: left; }
#grads td.grad.unknown { color: var(--muted); }
.caption { color: var(--muted); font-size: .85rem; margin: .3rem 0; }
"""

# The script reads the JSON in #flipbook-data (see viz.flipbook for its fields), clones one
# <template> of SVG into #frame at a time and drives the buttons, keys, slider and quiz.
JS = r"""
(() => {
  "use strict";
  const data = JSON.parse(document.getElementById("flipbook-data").textContent);
  const total = data.steps.length;
  const $ = (id) => document.getElementById(id);
  const frame = $("frame"), slider = $("slider"), counter = $("counter");
  const arithmetic = $("arithmetic"), prev = $("prev"), next = $("next");
  const quizToggle = $("quiz-toggle"), quiz = $("quiz"), quizInputs = $("quiz-inputs");
  const quizResult = $("quiz-result");
  const answered = new Set();
  let position = 0;
  let asking = false;

  function toNumber(text) {
    const t = text.trim().toLowerCase();
    if (t === "") return null;
    if (t === "inf" || t === "+inf" || t === "infinity") return Infinity;
    if (t === "-inf" || t === "-infinity") return -Infinity;
    if (t === "nan") return NaN;
    const x = Number(t);
    return Number.isNaN(x) ? null : x;
  }

  function near(got, want) {
    if (Number.isNaN(want)) return Number.isNaN(got);
    if (!Number.isFinite(want)) return got === want;
    return Math.abs(got - want) <= data.rtol * Math.abs(want) + data.atol;
  }

  function showTemplate(id) {
    frame.replaceChildren(document.getElementById(id).content.cloneNode(true));
  }

  function fillLeaves(k) {  // the leaves' grads as known after step k
    for (const row of document.querySelectorAll("#grads tbody tr")) {
      const known = data.leafGrads[k][Number(row.dataset.index)];
      const cell = row.querySelector("td.grad");
      cell.textContent = known === null ? "?" : known[0];
      cell.dataset.grad = known === null ? "" : known[1];
      cell.title = known === null ? "not computed yet" : known[1];
      cell.classList.toggle("unknown", known === null);
    }
  }

  function buildInputs(step) {
    quizInputs.replaceChildren();
    step.quiz.forEach((q, i) => {
      const label = document.createElement("label");
      label.textContent = q.name + ".grad = ";
      const input = document.createElement("input");
      input.type = "text";
      input.className = "quiz-input";
      input.id = "quiz-input-" + i;
      input.dataset.parent = q.name;
      input.autocomplete = "off";
      input.addEventListener("keydown", (e) => { if (e.key === "Enter") check(); });
      label.appendChild(input);
      quizInputs.appendChild(label);
    });
  }

  function render() {
    const quizOn = quizToggle !== null && quizToggle.checked;
    asking = quizOn && position > 0 && !answered.has(position);
    if (asking) {
      const step = data.steps[position - 1];
      showTemplate("question-" + position);
      arithmetic.innerHTML = step.question;
      fillLeaves(position - 1);
      buildInputs(step);
    } else {
      showTemplate("frame-" + position);
      arithmetic.innerHTML = position === 0 ? data.intro : data.steps[position - 1].answer;
      fillLeaves(position);
    }
    if (quiz !== null) quiz.hidden = !asking;
    slider.value = String(position);
    counter.textContent = "step " + position + " / " + total + (asking ? " (your turn)" : "");
    prev.disabled = position === 0;
    next.disabled = position === total || asking;
    if (asking) {
      const first = $("quiz-input-0");
      if (first) first.focus();
    }
  }

  function go(k) {
    const target = Math.max(0, Math.min(total, k));
    if (target !== position) {
      position = target;
      quizResult.textContent = "";
      quizResult.className = "";
    }
    render();
  }

  function check() {
    if (!asking) return;
    const step = data.steps[position - 1];
    const wrong = [];
    let blank = false;
    step.quiz.forEach((q, i) => {
      const got = toNumber($("quiz-input-" + i).value);
      if (got === null) blank = true;
      else if (!near(got, toNumber(q.answer))) wrong.push(q.name);
    });
    if (blank) {
      quizResult.textContent = "Type a number for every parent (e.g. 0.5, -1.25, 3e-4).";
      quizResult.className = "wrong";
    } else if (wrong.length > 0) {
      quizResult.textContent = "Not yet: " + wrong.map((n) => n + ".grad").join(", ") +
        " is off. New grad = what it holds now (0 for grad ?) + local derivative \u00d7 " +
        "this node's grad.";
      quizResult.className = "wrong";
    } else {
      answered.add(position);
      render();
      quizResult.textContent = "Right! Every new grad matches.";
      quizResult.className = "right";
    }
  }

  function reveal() {
    if (!asking) return;
    answered.add(position);
    render();
    quizResult.textContent = "Answer shown: compare it with yours.";
    quizResult.className = "";
  }

  $("zoom").addEventListener("change", (e) => {
    frame.classList.toggle("actual", e.target.checked);
  });
  prev.addEventListener("click", () => go(position - 1));
  next.addEventListener("click", () => go(position + 1));
  slider.addEventListener("input", () => go(Number(slider.value)));
  if (quizToggle !== null) {
    quizToggle.addEventListener("change", () => {
      // Quizzing starts at the next step: the steps up to here count as seen.
      for (let k = 1; k <= position; k++) answered.add(k);
      render();
    });
    $("quiz-check").addEventListener("click", check);
    $("quiz-reveal").addEventListener("click", reveal);
  }
  document.addEventListener("keydown", (e) => {
    const t = e.target;
    if (t instanceof HTMLInputElement && (t.type === "text" || t.type === "range")) return;
    if (e.key === "ArrowRight") { if (!asking) go(position + 1); e.preventDefault(); }
    else if (e.key === "ArrowLeft") { go(position - 1); e.preventDefault(); }
    else if (e.key === "Home") { go(0); e.preventDefault(); }
    else if (e.key === "End") { go(total); e.preventDefault(); }
  });

  // Hovering a node's name under the graph outlines that node in the drawing.
  function drawn(id) {
    for (const g of frame.querySelectorAll("g.node")) {
      const title = g.querySelector("title");
      if (title !== null && title.textContent === id) return g;
    }
    return null;
  }
  arithmetic.addEventListener("mouseover", (e) => {
    const ref = e.target.closest(".node-ref");
    const g = ref && drawn(ref.dataset.node);
    if (g) g.classList.add("hover");
  });
  arithmetic.addEventListener("mouseout", (e) => {
    const ref = e.target.closest(".node-ref");
    const g = ref && drawn(ref.dataset.node);
    if (g) g.classList.remove("hover");
  });

  render();
})();
"""
