// "Check your derivation": the form of the {derivation-checker} directive
// (conf/_ext/derivation_checker.py). The checking itself is gradproof's, in Python, in
// worker.js; this file reads the form, keeps the link in the address bar, previews the LaTeX
// and shows the verdicts.
//
// For tests and assistive technology: each result line carries data-verdict ("true", "false"
// or "error") and the results container data-state ("idle", "running", "done", "stopped").

const FIELDS = ["logits", "targets", "softmax", "loss", "notation", "assume", "where", "define"];
// In the address: #d=<latex>&logits=o&... (every value URI-encoded).
const FRAGMENT_KEYS = { latex: "d" };

const root = document.getElementById("gp-checker");
if (root) init(root);

function init(root) {
  const $ = (id) => document.getElementById(id);
  const examples = JSON.parse($("gp-checker-examples").textContent);
  const wheels = JSON.parse(root.dataset.wheels);
  const editor = $("gp-checker-input");
  const inputs = Object.fromEntries(
    FIELDS.map((name) => [name, root.querySelector(`input[name="${name}"]`)]),
  );
  const results = $("gp-checker-results");
  const progress = $("gp-checker-progress");
  const checkButton = $("gp-checker-check");
  const stopButton = $("gp-checker-stop");
  const share = $("gp-checker-share");
  const preview = $("gp-checker-preview");
  const defaults = Object.fromEntries(FIELDS.map((name) => [name, inputs[name].value]));

  let worker = null;
  let ready = false;
  let running = null; // {id, started}
  let runs = 0;
  let finished = 0; // runs that showed a result (data-runs, for tests)

  root.hidden = false;

  // ---- the request, the form and the address -------------------------------------------

  const request = () => ({
    latex: editor.value,
    ...Object.fromEntries(FIELDS.map((name) => [name, inputs[name].value])),
  });

  function fill(values) {
    editor.value = values.latex ?? "";
    for (const name of FIELDS) inputs[name].value = values[name] ?? defaults[name];
    const more = root.querySelector(".gp-checker-more");
    if (["notation", "assume", "where", "define"].some((k) => inputs[k].value)) more.open = true;
    updatePreview();
    updateLink();
  }

  function fragmentOf(req) {
    const parts = [];
    for (const [key, value] of Object.entries(req)) {
      if (key !== "latex" && (value === "" || value === defaults[key])) continue;
      parts.push(`${FRAGMENT_KEYS[key] ?? key}=${encodeURIComponent(value)}`);
    }
    return `#${parts.join("&")}`;
  }

  // Not URLSearchParams: it would read a literal "+" in hand-written LaTeX as a space.
  function parseFragment(hash) {
    const out = {};
    for (const part of hash.replace(/^#/, "").split("&")) {
      const at = part.indexOf("=");
      if (at < 0) continue;
      const key = part.slice(0, at);
      const name = key === "d" ? "latex" : key;
      if (name !== "latex" && !FIELDS.includes(name)) continue;
      try {
        out[name] = decodeURIComponent(part.slice(at + 1));
      } catch {
        out[name] = part.slice(at + 1);
      }
    }
    return "latex" in out ? out : null;
  }

  function updateLink() {
    share.href = fragmentOf(request());
  }

  // ---- Python in the worker --------------------------------------------------------------

  function startWorker() {
    ready = false;
    worker = new Worker(new URL("./worker.js", import.meta.url), { type: "module" });
    worker.onmessage = ({ data }) => onMessage(data);
    worker.onerror = (event) => {
      onMessage({ type: "failed", id: running?.id ?? null, message: event.message || "worker error" });
    };
    worker.postMessage({
      type: "init",
      indexURL: new URL("../pyodide/", import.meta.url).href,
      wheels: wheels.map((name) => new URL(`../pyodide/wheels/${name}`, import.meta.url).href),
    });
  }

  function onMessage(data) {
    if (data.type === "progress") {
      progress.textContent = `${data.text}… (${data.seconds.toFixed(1)} s)`;
    } else if (data.type === "ready") {
      ready = true;
      progress.textContent = running ? "Checking…" : `Ready (Python started in ${data.seconds.toFixed(1)} s).`;
    } else if (data.type === "result" && running && data.id === running.id) {
      const total = (performance.now() - running.started) / 1000;
      show(data.result, running.request);
      finish(`Checked in ${data.seconds.toFixed(2)} s` +
        (total > data.seconds + 0.5 ? ` (${total.toFixed(1)} s with starting Python).` : "."));
    } else if (data.type === "failed") {
      if (data.id === null && worker) {
        worker.terminate();
        worker = null;
      }
      if (running && (data.id === null || data.id === running.id)) {
        show({ verdict: "error", lines: [], error: { type: "InternalError", message: data.message } }, running.request);
        finish("Failed.");
      } else {
        progress.textContent = data.message;
      }
    }
  }

  function finish(text) {
    running = null;
    finished += 1;
    results.dataset.runs = String(finished);
    results.dataset.state = "done";
    checkButton.disabled = false;
    stopButton.hidden = true;
    progress.textContent = text;
  }

  function check() {
    const req = request();
    history.replaceState(null, "", fragmentOf(req));
    updateLink();
    if (!worker) startWorker();
    runs += 1;
    running = { id: runs, started: performance.now(), request: req };
    results.dataset.state = "running";
    results.replaceChildren();
    checkButton.disabled = true;
    stopButton.hidden = false;
    if (ready) progress.textContent = "Checking…";
    worker.postMessage({ type: "check", id: running.id, request: req });
  }

  function stop() {
    if (worker) worker.terminate();
    worker = null;
    ready = false;
    running = null;
    results.dataset.state = "stopped";
    checkButton.disabled = false;
    stopButton.hidden = true;
    progress.textContent = "Stopped. The next check starts Python again.";
  }

  // ---- showing the verdicts --------------------------------------------------------------

  const el = (tag, className, text) => {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  };
  const math = (tex) => el("span", "math notranslate nohighlight", `\\(${tex}\\)`);
  // Text with $...$ relations (a scope: "assuming $\sum_k p_k = 1$"), the relations typeset.
  function withMath(node, text) {
    text.split(/\$([^$]+)\$/).forEach((part, k) => node.append(k % 2 ? math(part) : part));
    return node;
  }
  const number = (v) => (Array.isArray(v) ? `(${v.map(number).join(", ")})` : `${+v.toPrecision(6)}`);

  // The engine names the logits z and the targets p; say them in the derivation's letters.
  function letterOf(name, roles) {
    const role = { z: "logits", p: "targets" }[name];
    const letter = role ? roles[role].trim() : "";
    return /^[A-Za-z]$/.test(letter) ? letter : name;
  }

  function counterexample(cx, roles) {
    const box = el("div", "gp-checker-cx");
    const setting = Object.entries(cx.setting).map(([k, v]) => `${k} = ${v}`);
    const point = Object.entries(cx.point).map(([k, v]) => `${letterOf(k, roles)} = ${number(v)}`);
    box.append(el("span", "gp-checker-cx-where", `At ${[...setting, ...point].join(", ")}:`));
    // The engine's digits when it gives them (as many as show the two sides differ).
    const before = cx.previous_text || number(cx.previous_line);
    const after = cx.this_text || number(cx.this_line);
    box.append(el("span", "gp-checker-cx-value", `the line before is ${before}`));
    box.append(el("span", "gp-checker-cx-value", `this line is ${after}`));
    if (cx.difference) box.append(el("span", "gp-checker-cx-value", `difference ${cx.difference}`));
    return box;
  }

  function stepLine(line, roles) {
    const item = el("li", "gp-checker-line");
    item.dataset.verdict = line.verdict;
    item.dataset.step = line.step;
    const ok = line.verdict === "true";
    const mark = el("span", `gp-checker-mark ${ok ? "gp-ok" : "gp-false"}`, ok ? "✓" : "✗");
    mark.setAttribute("role", "img");
    mark.setAttribute("aria-label", ok ? "verified" : "false");
    const head = el("div", "gp-checker-step");
    head.append(mark);
    // The engine's short scope by the mark ("every n", "n = 2…5"), as on the site's own pages.
    if (ok && line.label) head.append(el("span", "gp-checker-label", line.label));
    head.append(el("span", "gp-checker-where", `step ${line.step} (line ${line.line})`));
    head.append(el("span", "gp-checker-eq"));
    head.lastChild.append(math(`= ${line.latex}`));
    if (line.reason) head.append(el("span", "gp-checker-reason", line.reason));
    item.append(head);
    if (ok) item.append(withMath(el("div", "gp-checker-scope"), line.scope));
    else if (line.counterexample) item.append(counterexample(line.counterexample, roles));
    return item;
  }

  function errorLine(error) {
    const item = el("li", "gp-checker-line gp-checker-error");
    item.dataset.verdict = "error";
    const mark = el("span", "gp-checker-mark gp-false", "✗");
    mark.setAttribute("role", "img");
    mark.setAttribute("aria-label", "error");
    const where = error.line ? `line ${error.line}, column ${error.column}: ` : "";
    const head = el("div", "gp-checker-step");
    head.append(mark, el("span", "gp-checker-message", `${where}${error.message}`));
    item.append(head);
    if (error.source_line) {
      const source = el("pre", "gp-checker-source");
      const start = error.column - 1;
      const end = start + Math.max(1, error.width);
      source.append(error.source_line.slice(0, start));
      source.append(el("span", "gp-checker-here", error.source_line.slice(start, end) || " "));
      source.append(error.source_line.slice(end));
      source.dataset.column = error.column;
      source.dataset.width = error.width;
      item.append(source);
    }
    if (error.suggestion) item.append(el("div", "gp-checker-suggestion", error.suggestion));
    return item;
  }

  function show(result, roles) {
    const list = el("ol", "gp-checker-lines");
    let summary;
    if (result.error) {
      summary = "The derivation could not be read.";
      list.append(errorLine(result.error));
    } else {
      const falses = result.lines.filter((line) => line.verdict === "false").length;
      summary = falses === 0
        ? `Every step holds (${result.lines.length} of ${result.lines.length}).`
        : `${falses} of ${result.lines.length} steps are false; the first is step ${result.first_false}.`;
      for (const line of result.lines) list.append(stepLine(line, roles));
    }
    const head = el("p", "gp-checker-summary", summary);
    const parts = [head];
    if (result.lhs) {
      const lhs = el("div", "gp-checker-lhs");
      lhs.append(math(result.lhs));
      parts.push(lhs);
    }
    results.replaceChildren(...parts, list);
    // A long line scrolls in its box: bring the underlined text into view.
    for (const here of results.querySelectorAll(".gp-checker-here")) {
      const box = here.parentElement;
      box.scrollLeft = Math.max(0, here.offsetLeft - box.offsetLeft - box.clientWidth / 3);
    }
    typeset(results);
  }

  // ---- MathJax ---------------------------------------------------------------------------

  let typesetting = Promise.resolve();
  function typeset(node) {
    const mj = window.MathJax;
    if (!mj || !mj.typesetPromise) return;
    typesetting = typesetting
      .then(() => (mj.startup ? mj.startup.promise : null))
      .then(() => mj.typesetPromise([node]))
      .catch(() => {}); // a TeX error shows in the math itself
  }

  let previewTimer = null;
  function updatePreview() {
    clearTimeout(previewTimer);
    previewTimer = setTimeout(() => {
      const tex = editor.value.trim();
      preview.dataset.tex = tex; // what the preview shows, for the browser checks
      if (window.MathJax && MathJax.typesetClear) MathJax.typesetClear([preview]);
      if (!tex) {
        preview.replaceChildren();
        return;
      }
      const display = el("div", "math notranslate nohighlight", `\\[\\begin{align*}${tex}\\end{align*}\\]`);
      preview.replaceChildren(display);
      typeset(preview);
    }, 250);
  }

  // ---- wiring ----------------------------------------------------------------------------

  editor.addEventListener("input", () => {
    updatePreview();
    updateLink();
  });
  for (const input of Object.values(inputs)) input.addEventListener("input", updateLink);
  editor.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) check();
  });
  checkButton.addEventListener("click", check);
  stopButton.addEventListener("click", stop);
  share.addEventListener("click", (event) => {
    event.preventDefault();
    history.replaceState(null, "", share.getAttribute("href"));
    if (navigator.clipboard) {
      navigator.clipboard.writeText(location.href).then(
        () => { progress.textContent = "Link copied."; },
        () => { progress.textContent = "The link is in the address bar."; },
      );
    } else {
      progress.textContent = "The link is in the address bar.";
    }
  });
  for (const button of root.querySelectorAll("button[data-example]")) {
    button.addEventListener("click", () => {
      const ex = examples[button.dataset.example];
      fill({ latex: ex.latex, ...ex.roles, notation: ex.notation, assume: ex.assume, where: ex.where, define: ex.define });
      check();
    });
  }

  function fromAddress() {
    const shared = parseFragment(location.hash);
    if (!shared) return false;
    fill(shared);
    check();
    return true;
  }
  window.addEventListener("hashchange", fromAddress);
  if (!fromAddress()) {
    updateLink();
    // Start Python now: by the time the reader has typed a derivation it is ready.
    startWorker();
  }
}
