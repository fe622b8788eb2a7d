"""The running example of the site: logits z = (1, 2, 3), targets p = (0.2, 0.3, 0.5).

Data only: every page computes its examples at these numbers, and imports them from here so
that each page means the same point by them. The arrays are float64 and read-only, so a page
(or a test that runs pages in one process) cannot change them for the next.

Examples
--------
>>> from gradproof.functions import softmax
>>> from gradproof.gradients import cross_entropy_grad
>>> print(softmax(z_run).round(4))
[0.09   0.2447 0.6652]
>>> print(cross_entropy_grad(z_run, p_run).round(4))
[-0.11   -0.0553  0.1652]
>>> z_run[0] = 5.0
Traceback (most recent call last):
...
ValueError: assignment destination is read-only
"""

from __future__ import annotations

import numpy as np

__all__ = ["p_one_hot", "p_run", "z_run"]


def _read_only(values: list[float]) -> np.ndarray:
    out = np.array(values, dtype=np.float64)
    out.flags.writeable = False
    return out


#: The logits :math:`z = (1, 2, 3)`.
z_run = _read_only([1.0, 2.0, 3.0])
#: The targets :math:`p = (0.2, 0.3, 0.5)`, a distribution.
p_run = _read_only([0.2, 0.3, 0.5])
#: The one-hot target :math:`p = (0, 0, 1)`: the third class is the true one.
p_one_hot = _read_only([0.0, 0.0, 1.0])
