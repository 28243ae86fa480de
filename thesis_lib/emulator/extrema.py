"""The stack of dominant field extrema that holds the whole state of a Preisach model.

By the wiping-out property (Mayergoyz 1991, §1.3) the state of any Preisach
model after a field history is fixed by the alternating sequence of its
*dominant* extrema M_0 > M_1 > … (maxima) and m_0 < m_1 < … (minima): a new
maximum erases every earlier maximum it reaches together with the minimum that
followed it, and symmetrically for minima. :func:`push_extremum` applies one
field value to such a stack in amortised O(1). It is shared by the head-field
stage (which uses a small stack to know when the rest of a segment's history can
no longer switch any hysteron) and by the Everett engine.

Written by hand rather than taken from a library: it is a dozen lines that must
be compiled into the numba kernels that call it once per field extremum.

References
----------
.. [1] I. D. Mayergoyz, *Mathematical Models of Hysteresis*, Springer (1991), §1.3.
"""

from __future__ import annotations

import numba


@numba.njit(cache=True, inline="always", _nrt=False)
def push_extremum(stack, n, x):
    """Apply field value ``x`` to the alternating-extrema stack of length ``n``; return new length.

    Even indices hold maxima, odd indices minima (the history starts from
    negative saturation). The top of the stack is always ``x``.

    Examples
    --------
    >>> import numpy as np
    >>> s = np.empty(8)
    >>> n = 0
    >>> for h in (3.0, -2.0, 1.0, -0.5, 2.5):   # 2.5 wipes out the pair (1.0, -0.5)
    ...     n = push_extremum(s, n, h)
    >>> s[:n].tolist()
    [3.0, -2.0, 2.5]
    """
    if n == 0:
        stack[0] = x
        return 1
    if (n - 1) % 2 == 0:  # last entry is a maximum
        if x >= stack[n - 1]:
            stack[n - 1] = x
            while n >= 3 and stack[n - 1] >= stack[n - 3]:
                stack[n - 3] = stack[n - 1]
                n -= 2
            return n
        stack[n] = x
        n += 1
        while n >= 4 and stack[n - 1] <= stack[n - 3]:
            stack[n - 3] = stack[n - 1]
            n -= 2
        return n
    if x <= stack[n - 1]:
        stack[n - 1] = x
        while n >= 4 and stack[n - 1] <= stack[n - 3]:
            stack[n - 3] = stack[n - 1]
            n -= 2
        return n
    stack[n] = x
    n += 1
    while n >= 3 and stack[n - 1] >= stack[n - 3]:
        stack[n - 3] = stack[n - 1]
        n -= 2
    return n
