"""The ``{derivation-checker}`` directive: a form that checks a reader's derivation in the browser.

The page that holds it (``docs/check.md``) gets an editor for an ``align`` body, the notation
fields, one-click examples (``gradproof/latex/examples.toml``, the tests' own), a Check button and
a results list. ``_static/checker/checker.js`` drives it; ``_static/checker/worker.js`` runs
gradproof's reader and verifier on Pyodide in a Web Worker. Both files are in ``conf/_static``;
they and ``checker.css`` are added to the pages that hold the directive only, and so is the
Pyodide runtime: ``tools/fetch_pyodide.py`` (run by the nox sessions, never by the build) leaves it
in ``_build/pyodide/static``, and the build copies it into ``_static`` when a page has the
checker.

The directive fails the build when the runtime is missing, or when the gradproof wheel there
differs from the installed package (the page would run other code than the site was built with).
Without JavaScript the form stays hidden and a ``<noscript>`` note says how to run
``gradproof check`` instead.
"""

from __future__ import annotations

import html
import json
import shutil
import zipfile
from importlib.resources import files
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective

from gradproof.latex.examples import FORM_ROLES, examples
from gradproof.latex.notation import ROLES

ROOT = Path(__file__).resolve().parents[2]
RUNTIME = ROOT / "_build" / "pyodide" / "static"
WHEELS = RUNTIME / "pyodide" / "wheels"
FETCH = "python tools/fetch_pyodide.py"
# Letters offered while typing a role (any letter, Greek macro or \hat letter is accepted).
SUGGESTED = {
    "logits": ("z", "o", "x", r"\theta", "a"),
    "targets": ("p", "y", "t"),
    "softmax": ("q", "p", r"\hat y", "y", "s", r"\sigma", "a"),
    "loss": ("J", "L", "E"),
}
PLACEHOLDER = (
    r"\frac{\partial J}{\partial z_i} &= -\sum_k p_k \frac{\partial \log q_k}{\partial z_i}"
    "\n"
    r"&= q_i \sum_k p_k - p_i"
)

# The other fields: name, label, placeholder (as gradproof check's --notation, --assume, ...).
MORE_FIELDS = (
    ("notation", "other letters and readings", r"upstream_loss=F, partial=\theta, exp_power"),
    ("assume", "assume", r"\sum_k p_k = 1"),
    ("where", "where", r"i \ne j"),
    ("define", "define", r"s_j = \frac{\partial L}{\partial y_j} y_j"),
)


class checker_node(nodes.General, nodes.Element):
    """Where the form goes; its HTML is written by :func:`visit_checker`."""


def runtime_problem(wheels: Path = WHEELS) -> str | None:
    """Why the Pyodide runtime cannot serve this build, or None when it can."""
    if not (wheels.parent / "pyodide.mjs").is_file():
        return f"Pyodide is missing from {wheels.parent}: run `{FETCH}` (nox -s docs does)"
    built = sorted(wheels.glob("gradproof-*.whl"))
    if len(built) != 1:
        return f"{wheels} holds {len(built)} gradproof wheels, not one: run `{FETCH}`"
    installed = files("gradproof")
    with zipfile.ZipFile(built[0]) as wheel:
        shipped = {n for n in wheel.namelist() if n.startswith("gradproof/")}
        for name in sorted(shipped):
            source = installed.joinpath(name.removeprefix("gradproof/"))
            if not source.is_file() or source.read_bytes() != wheel.read(name):
                return (
                    f"{built[0].name} differs from the installed gradproof in {name}: the page "
                    f"would check with other code than this build. Run `{FETCH}`"
                )
    return None


class DerivationChecker(SphinxDirective):
    """``{derivation-checker}``: no arguments, no options, no content."""

    def run(self) -> list[nodes.Node]:
        problem = runtime_problem()
        if problem is not None:
            raise self.error(problem)
        node = checker_node()
        node["examples"] = [ex.form() for ex in examples() if ex.page]
        node["wheels"] = sorted(p.name for p in WHEELS.glob("*.whl"))
        self.env.gp_checker_docs = getattr(self.env, "gp_checker_docs", set()) | {self.env.docname}
        return [node]


def _field(role: str, value: str) -> str:
    options = "".join(f'<option value="{html.escape(v)}"></option>' for v in SUGGESTED[role])
    return (
        f'<label class="gp-checker-role">{role} '
        f'<input name="{role}" value="{html.escape(value)}" list="gp-checker-{role}" '
        f'size="5" autocomplete="off" spellcheck="false"></label>'
        f'<datalist id="gp-checker-{role}">{options}</datalist>'
    )


def _line(name: str, label: str, placeholder: str) -> str:
    return (
        f'<label class="gp-checker-line">{label} <input name="{name}" '
        f'placeholder="{html.escape(placeholder)}" autocomplete="off" spellcheck="false"></label>'
    )


def visit_checker(self: Any, node: checker_node) -> None:
    buttons = "".join(
        f'<button type="button" data-example="{html.escape(ex["id"])}">'
        f"{html.escape(ex['label'])}</button>"
        for ex in node["examples"]
    )
    data = json.dumps({ex["id"]: ex for ex in node["examples"]}).replace("</", "<\\/")
    roles = "".join(_field(role, ROLES[role]) for role in FORM_ROLES)
    more = "\n".join(_line(*fields) for fields in MORE_FIELDS)
    self.body.append(f"""
<noscript><p class="gp-checker-noscript">This checker runs gradproof in your browser and needs
JavaScript. Without it, check a derivation on your own machine: save the body of its
<code>align</code> environment in a file and run <code>gradproof check FILE</code>, with
<code>--logits</code>, <code>--targets</code>, <code>--softmax</code> and <code>--loss</code> for
your letters and <code>--assume</code> for an assumption (see the README).</p></noscript>
<div class="gp-checker" id="gp-checker" hidden data-wheels="{html.escape(json.dumps(node["wheels"]))}">
<div class="gp-checker-examples" role="group" aria-label="Load an example">
<span class="gp-checker-examples-title">Load an example:</span>{buttons}</div>
<script type="application/json" id="gp-checker-examples">{data}</script>
<label class="gp-checker-editor-label" for="gp-checker-input">Your derivation: the body of an
<code>align</code> environment, one step per <code>=</code>, lines separated by <code>\\\\</code></label>
<textarea id="gp-checker-input" name="latex" rows="7" spellcheck="false" autocomplete="off"
 autocapitalize="off" placeholder="{html.escape(PLACEHOLDER)}"></textarea>
<fieldset class="gp-checker-notation"><legend>Notation: which letter is which</legend>{roles}
<details class="gp-checker-more"><summary>More notation, assumptions, definitions</summary>
{more}
<p class="gp-checker-hint">Separate several entries with <code>;</code>.</p></details>
</fieldset>
<div class="gp-checker-preview" id="gp-checker-preview" aria-label="Preview"></div>
<div class="gp-checker-actions">
<button type="button" class="gp-checker-check" id="gp-checker-check">Check</button>
<button type="button" id="gp-checker-stop" hidden>Stop</button>
<a id="gp-checker-share" href="#">Link to this derivation</a>
<span class="gp-checker-progress" id="gp-checker-progress" role="status" aria-live="polite"></span>
</div>
<div class="gp-checker-results" id="gp-checker-results" data-state="idle" aria-live="polite"></div>
</div>
""")
    raise nodes.SkipNode


def skip_checker(self: Any, node: checker_node) -> None:
    """Other builders (text, LaTeX) leave the form out: it works in a browser only."""
    del self, node
    raise nodes.SkipNode


def _purge(app: Sphinx, env: Any, docname: str) -> None:
    del app
    env.gp_checker_docs = getattr(env, "gp_checker_docs", set()) - {docname}


def _merge(app: Sphinx, env: Any, docnames: set[str], other: Any) -> None:
    del app, docnames
    env.gp_checker_docs = getattr(env, "gp_checker_docs", set()) | getattr(
        other, "gp_checker_docs", set()
    )


def _assets(app: Sphinx, pagename: str, templatename: str, context: dict, doctree: Any) -> None:
    """The checker's script and style, on the pages that hold it only."""
    del templatename, context
    if doctree is None or pagename not in getattr(app.env, "gp_checker_docs", set()):
        return
    app.add_css_file("checker/checker.css")
    app.add_js_file("checker/checker.js", type="module")


def _copy_runtime(app: Sphinx, exception: Exception | None) -> None:
    """Pyodide and the wheels into ``_static``, when a page of this build has the checker."""
    if exception is not None or app.builder.format != "html":
        return
    if getattr(app.env, "gp_checker_docs", None):
        shutil.copytree(RUNTIME, Path(app.outdir) / "_static", dirs_exist_ok=True)


def setup(app: Sphinx) -> dict[str, Any]:
    skip = (skip_checker, None)
    app.add_node(checker_node, html=(visit_checker, None), latex=skip, text=skip, man=skip)
    app.add_directive("derivation-checker", DerivationChecker)
    app.connect("env-purge-doc", _purge)
    app.connect("env-merge-info", _merge)
    app.connect("html-page-context", _assets)
    app.connect("build-finished", _copy_runtime)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
