// The CSS and JavaScript inlined in the HTML export (explain_html.cpp writes the markup).

#include "explain_html_template.hpp"

namespace xi::detail {

const std::string_view kHtmlStyle = R"css(
:root { --ink: #1f2937; --muted: #6b7280; --line: #9ca3af; --from: #ea580c; --to: #15803d; }
* { box-sizing: border-box; }
body { margin: 0; padding: 20px 28px 40px; font: 15px/1.45 system-ui, -apple-system, "Segoe UI",
       Roboto, "DejaVu Sans", sans-serif; color: var(--ink); background: #fafafa; }
h1 { font-size: 22px; margin: 0 0 2px; font-weight: 600; }
h2 { font-size: 17px; margin: 26px 0 8px; font-weight: 600; }
.sub { margin: 0; color: var(--muted); }
.mono, svg text, td, #steps, #status { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; }
.controls { display: flex; gap: 8px; align-items: center; margin: 16px 0 10px; flex-wrap: wrap; }
button { font: inherit; font-size: 14px; padding: 5px 12px; border: 1px solid #cbd5e1;
         border-radius: 6px; background: #fff; color: var(--ink); cursor: pointer; }
button:hover:not(:disabled) { background: #f1f5f9; }
button:disabled { color: #cbd5e1; cursor: default; }
#status { font-size: 13.5px; margin-left: 8px; }
.board { display: flex; gap: 24px; align-items: flex-start; flex-wrap: wrap; }
.figure { background: #fff; border: 1px solid #e5e7eb; border-radius: 10px; padding: 6px;
          overflow-x: auto; flex: 0 1 auto; max-width: 100%; }
.side { flex: 1 1 420px; min-width: 0; }
.side h2 { margin-top: 4px; }
svg { display: block; max-width: 100%; height: auto; }
svg text { font-size: 12px; fill: var(--ink); }
.node rect { fill: #fff; stroke: var(--line); stroke-width: 1.2; }
.node.leaf rect { fill: #dbeafe; stroke: #3b82f6; }
.node.const rect { fill: #f3f4f6; stroke: #d1d5db; }
.node.output rect { fill: #fef3c7; stroke: #b45309; stroke-width: 2; }
.node .title { font-weight: 600; }
.node .value { fill: #374151; }
.node .adj-label { fill: var(--muted); }
.node .adj-value { font-weight: 600; fill: #7c2d12; }
.node.hl-from rect { stroke: var(--from); stroke-width: 3; fill: #ffedd5; }
.node.hl-to rect { stroke: var(--to); stroke-width: 3; fill: #dcfce7; }
.node.hl-to .adj-value { fill: var(--to); }
.edge path { fill: none; stroke: var(--line); stroke-width: 1.4; }
.edge text { font-size: 11px; fill: var(--muted); paint-order: stroke; stroke: #fff;
             stroke-width: 4px; stroke-linejoin: round; }
.edge.hl-edge path { stroke: var(--from); stroke-width: 3; }
.edge.hl-edge text { fill: var(--from); font-weight: 600; }
table { border-collapse: collapse; background: #fff; font-size: 13.5px; }
th, td { border: 1px solid #e5e7eb; padding: 4px 10px; text-align: left; vertical-align: top; }
th { background: #f3f4f6; font-family: inherit; font-weight: 600; }
td.r { text-align: right; }
tr.hl-from td { background: #ffedd5; }
tr.hl-to td { background: #dcfce7; }
#steps { font-size: 13px; padding-left: 34px; margin: 0; }
#steps li { padding: 2px 6px; border-radius: 4px; color: var(--muted); }
#steps li.done { color: var(--ink); }
#steps li.current { background: #ffedd5; color: var(--ink); }
.acc { margin-left: 18px; color: #15803d; white-space: nowrap; }
footer { margin-top: 28px; color: var(--muted); font-size: 13px; }
kbd { border: 1px solid #cbd5e1; border-bottom-width: 2px; border-radius: 4px; padding: 0 5px;
      font-size: 12px; background: #fff; }
)css";

const std::string_view kHtmlScript = R"js(
"use strict";
(() => {
  const body = document.body;
  const steps = Array.from(document.querySelectorAll("#steps li"));
  const n = steps.length;
  const output = { key: body.dataset.outputKey || "", name: body.dataset.outputName || "" };
  const byKeyCells = Array.from(document.querySelectorAll("[data-adj-key]"));
  const byNameCells = Array.from(document.querySelectorAll("[data-adj-name]"));
  const status = document.getElementById("status");
  const buttons = {
    first: document.getElementById("first"), prev: document.getElementById("prev"),
    next: document.getElementById("next"), last: document.getElementById("last"),
  };
  let k = 0;
  let marked = [];

  const mark = (elements, cls) => {
    for (const el of elements) { el.classList.add(cls); marked.push([el, cls]); }
  };
  const withKey = (attr, value) =>
    document.querySelectorAll(`[${attr}="${CSS.escape(value)}"]`);

  /* Shows the state after the first `to` steps: the adjoints they reached, the last one lit. */
  const show = (to) => {
    k = Math.max(0, Math.min(n, to));
    const byKey = new Map(), byName = new Map();
    if (output.key) { byKey.set(output.key, "1"); byName.set(output.name, "1"); }
    for (let i = 0; i < k; ++i) {
      const d = steps[i].dataset;
      byName.set(d.to, d.after);
      byKey.set(d.toKey, d.element ? `${d.element} ${d.after}` : d.after);
    }
    for (const el of byKeyCells)
      el.textContent = k === n ? el.dataset.final : (byKey.get(el.dataset.adjKey) ?? "");
    for (const el of byNameCells)
      el.textContent = k === n ? el.dataset.final : (byName.get(el.dataset.adjName) ?? "");

    for (const [el, cls] of marked) el.classList.remove(cls);
    marked = [];
    steps.forEach((li, i) => li.classList.toggle("done", i < k));
    if (k > 0) {
      const li = steps[k - 1];
      const d = li.dataset;
      mark([li], "current");
      mark(document.querySelectorAll(`.node[data-key="${CSS.escape(d.fromKey)}"]`), "hl-from");
      mark(document.querySelectorAll(`.node[data-key="${CSS.escape(d.toKey)}"]`), "hl-to");
      mark(document.querySelectorAll(
        `.edge[data-src="${CSS.escape(d.toKey)}"][data-dst="${CSS.escape(d.fromKey)}"]`), "hl-edge");
      mark(withKey("data-row", d.from), "hl-from");
      mark(withKey("data-row", d.to), "hl-to");
      status.textContent = `step ${k} of ${n}: ${li.textContent.replace(/\s+/g, " ").trim()}`;
    } else if (n > 0) {
      status.textContent = `step 0 of ${n}: the sweep starts from ∂L/∂${output.name} = 1 (press → or forward)`;
    } else {
      status.textContent = status.dataset.empty || "";
    }
    buttons.first.disabled = buttons.prev.disabled = k === 0;
    buttons.next.disabled = buttons.last.disabled = k === n;
    body.dataset.step = String(k);
  };

  buttons.first.addEventListener("click", () => show(0));
  buttons.prev.addEventListener("click", () => show(k - 1));
  buttons.next.addEventListener("click", () => show(k + 1));
  buttons.last.addEventListener("click", () => show(n));
  document.addEventListener("keydown", (e) => {
    const to = { ArrowRight: k + 1, ArrowLeft: k - 1, Home: 0, End: n }[e.key];
    if (to === undefined || e.altKey || e.ctrlKey || e.metaKey) return;
    e.preventDefault();
    show(to);
  });
  show(0);
})();
)js";

}  // namespace xi::detail
