"""Sphinx configuration for the gradproof site.

Build with ``sphinx-build -c conf docs <out>`` (``nox -s docs`` does that with
``-W -n --keep-going -T``). The ``gradproof`` package is imported from the
installed distribution (nox installs it), never through a ``sys.path`` edit,
so the pages test what a user would install.

Offline by design: no intersphinx, no CDN. MathJax is served from
``_build/mathjax/static`` (filled by ``tools/fetch_mathjax.py``); an HTML
build without it stops with an error, because a math site without MathJax
is broken, and a silent fallback to a CDN would break offline reading.
"""

from __future__ import annotations

import os
import shutil
import sys
from importlib.metadata import version as _dist_version
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx
from sphinx.errors import ConfigError

ROOT = Path(__file__).resolve().parent.parent
MATHJAX_STATIC = ROOT / "_build" / "mathjax" / "static"
CONF_STATIC = Path(__file__).resolve().parent / "_static"
ICONS_STATIC = ROOT / "_build" / "icons" / "static"
# Every page's kernel reads the site's Matplotlib settings: figure sizes and text sizes for a
# phone's column as well as a desktop's. Set before the kernels start, so they inherit it.
os.environ["MATPLOTLIBRC"] = str(Path(__file__).resolve().parent / "matplotlibrc")
# The site's own Sphinx extensions (thread_quotes), which are not part of the package; Sphinx
# imports an extension by module name.
sys.path.insert(0, str(Path(__file__).resolve().parent / "_ext"))

# -- Project ----------------------------------------------------------------

project = "gradproof"
author = "the gradproof authors"
# No year: a build-time date would make two builds of one commit differ.
copyright = "the gradproof authors"
release = _dist_version("gradproof")
version = release

# -- General ----------------------------------------------------------------

extensions = [
    "myst_nb",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.doctest",
    "sphinx.ext.mathjax",
    "sphinx_copybutton",
    "sphinx_design",
    "sphinx_togglebutton",
    "thread_quotes",
    # {place-cell}: an executed top-level cell shown inside a tab (cells cannot nest).
    "place_cell",
    # The {derivation} directive: derivations in LaTeX, checked while the page is read.
    "gradproof.sphinxext",
    "page_head",
    "icons",
    "math_punctuation",
    # The {derivation-checker} form: a reader's derivation checked in the browser (Pyodide).
    "derivation_checker",
]

exclude_patterns = [
    "_build",
    "**/_build",
    "jupyter_execute",
    "**.ipynb_checkpoints",
    "Thumbs.db",
    ".DS_Store",
]

nitpicky = True
# Without intersphinx (it needs the network) a reference to a NumPy, SymPy
# or SciPy object, e.g. :class:`numpy.ndarray` in a docstring, cannot resolve; every
# other reference must.
nitpick_ignore_regex = [
    (r"py:.*", r"(numpy|np|npt|scipy|sympy|sp)\..+"),
]

numfig = True
# Number equations page by page ((1), (2), … on each page): with numfig and a toctree that is not
# :numbered:, math_numfig would count them across the whole site, so a page could start at (24).
math_numfig = False

# -- MyST / MyST-NB ---------------------------------------------------------

myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence", "deflist"]
myst_heading_anchors = 3

# "force" re-runs every page: "cache" hashes only the page, so it would not
# notice a changed formula in src/. `nox -s serve` sets "cache" for writers.
nb_execution_mode = os.environ.get("GRADPROOF_NB_EXECUTION_MODE", "force")
nb_execution_raise_on_error = True
nb_execution_show_tb = True
nb_execution_timeout = 120
nb_merge_streams = True
# gradproof.derive objects display as Markdown with $$ math $$; parse it as
# MyST so dollar math becomes real math nodes.
nb_render_markdown_format = "myst"
# myst-nb would load require.js and the widget manager from a CDN on pages
# with widget state; we have no widgets, and no page may reach the network.
nb_ipywidgets_js: dict[str, dict[str, str]] = {}

# -- Copy buttons ------------------------------------------------------------

# Copying a doctest block gives the code alone: no >>> / ... prompts, no expected output.
copybutton_prompt_text = r">>> |\.\.\. "
copybutton_prompt_is_regexp = True

# -- Autodoc / napoleon -----------------------------------------------------

autodoc_default_options = {"members": True, "member-order": "bysource"}
# The numpy-style docstrings state every type in words ("array_like, shape
# (n,)"); repeating the annotations would expand ArrayLike into a long union.
autodoc_typehints = "none"
napoleon_google_docstring = False
napoleon_numpy_docstring = True
# Field-list params would turn each word of "array_like, shape (n,)" into a
# cross-reference that cannot resolve; the numpy layout keeps types as text.
napoleon_use_param = False
napoleon_use_rtype = False
# Each section of the API page names its module, so signatures need not repeat it; a long
# signature puts one parameter on a line (it would otherwise widen a phone's page).
add_module_names = False
python_maximum_signature_line_length = 60

# -- HTML -------------------------------------------------------------------

html_theme = "sphinx_book_theme"
html_title = "gradproof"
html_theme_options = {
    "show_toc_level": 2,
    "show_navbar_depth": 1,
    "home_page_in_toc": True,
    # .ipynb (the executed notebook, see _offer_notebook), .md source and print-to-PDF.
    "use_download_button": True,
    # No public repository URL to point at, and these buttons would only link away.
    "use_source_button": False,
    "use_repository_button": False,
    "use_issues_button": False,
}
# The theme reads the reader's light/dark choice from localStorage; on a first visit it is
# empty, and without a default the theme logs "invalid theme mode" to the console.
html_context = {"default_mode": "auto"}
# icons (conf/_ext/icons.py) writes the theme's icon script, cut to the icons the site shows,
# into ICONS_STATIC; it is copied over the theme's 1.5 MB original.
html_static_path = [str(MATHJAX_STATIC), str(ICONS_STATIC), str(CONF_STATIC)]
html_css_files = ["gradproof-icons.css", "gradproof.css"]
html_js_files = ["gradproof-search.js"]
html_favicon = str(CONF_STATIC / "favicon.svg")
html_last_updated_fmt = None
html_copy_source = True

# Sphinx copies html_static_path into _static/, so this is _static/mathjax/.
mathjax_path = "mathjax/tex-chtml.js"
mathjax3_config = {
    # Sphinx numbers labelled equations itself (numfig/math_numfig) and
    # wraps multi-line $$ blocks in \begin{align}; MathJax tags would add a
    # second, conflicting number, so MathJax numbering stays off.
    # Without noundefined an unknown macro becomes a MathJax error box (mjx-merror), which the
    # browser check reports; with it, the macro's name would show silently in red.
    "tex": {"tags": "none", "packages": {"[-]": ["noundefined"]}},
}


def _require_mathjax(app: Sphinx) -> None:
    if app.builder.format != "html":
        return
    if not (MATHJAX_STATIC / "mathjax" / "tex-chtml.js").is_file():
        msg = (
            f"MathJax is missing from {MATHJAX_STATIC}. Run `python tools/fetch_mathjax.py` "
            "(nox -s docs does this) so that the site typesets math without a network."
        )
        raise ConfigError(msg)


def _offer_notebook(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    """Put the executed notebook of a MyST-NB page next to its source for download.

    sphinx-book-theme lists ``context["ipynb_source"]`` in the download menu, but fills it only
    when launch buttons (Binder, Colab) are configured; this site has none, so it is set here,
    before the theme's handler (priority 501) builds the menu.
    """
    del templatename, doctree  # the html-page-context signature
    executed = Path(app.outdir).parent / "jupyter_execute" / f"{pagename}.ipynb"
    if app.builder.format != "html" or not executed.is_file():
        return
    target = Path(app.outdir) / "_sources" / f"{pagename}.ipynb"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(executed, target)
    context["ipynb_source"] = f"{pagename}.ipynb"


def setup(app: Sphinx) -> dict[str, bool]:
    app.connect("builder-inited", _require_mathjax)
    app.connect("html-page-context", _offer_notebook, priority=500)
    return {"parallel_read_safe": True}
