"""Benchmarks of gradproof: accuracy, scaling, symbolic verification cost and build cost.

Run ``nox -s benchmark`` (or ``python -m benchmarks.run`` from the repository root with the
``docs`` and ``bench`` dependency groups installed). It prints a table and writes
``benchmarks/results.json``, which ``docs/benchmarks.md`` reads for its timings.

Modules, each named after what it measures:

``accuracy``
    Relative error and evaluations of gradproof's complex step, Richardson and central
    difference against SciPy's forward difference (``approx_fprime`` with its default step) and
    central differences with the steps of two autodiff test utilities, on the site's four
    derivatives. Deterministic (seeded points, errors measured against a 40-digit reference);
    the docs page recomputes it live. Needs SciPy only for the SciPy column.
``scaling``
    ``check_directional`` at n = 10**3 ... 10**6; ``softmax_vjp`` against forming the Jacobian
    (time and traced memory).
``verify_cost``
    ``Derivation.verify`` time per docs page, recorded while the page's code cells run, and per
    dimension n = 2 ... 6.
``build_cost``
    The site build with execution, without execution, and a no-change rebuild in the
    live-reload (cache) configuration.
``checker_page``
    The "Check your derivation" page in headless Chromium: cold start to the first verdict of a
    6-line derivation, re-check time, and what the page transfers (Pyodide, wheels, the rest).
    Writes its own ``benchmarks/checker_page.json``.
``machine``
    CPU, core count, library versions, date and load average, stored with the results.

Times are noisy on a shared machine, so the results carry the load average seen before and after
the run, and the page shows times as ratios measured in the same run.
"""
