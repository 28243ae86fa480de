"""Drawing a signed mask over its reference image, for the chapters' figures.

The functions draw on axes they are given and keep no state of their own;
the chapter owns the figure and saves it with
:func:`thesis_lib.provenance.show_figure`.
"""

from __future__ import annotations

import numpy as np

__all__ = ["MASK_COLOURS", "draw_mask_overlay"]

#: RGBA of positive and negative mask pixels (red and blue, three quarters opaque).
MASK_COLOURS = {1: (0.85, 0.1, 0.1, 0.75), -1: (0.1, 0.25, 0.9, 0.75)}


def draw_mask_overlay(ax, image, mask, *, title: str, vmax: float, metrics: dict | None = None):
    """Show ``image`` in grey on ``ax`` with the signed ``mask`` over it.

    Parameters
    ----------
    ax : matplotlib Axes
    image : ndarray (H, W)
        The reference image, drawn from ``-vmax`` to ``vmax``.
    mask : ndarray (H, W) or None
        Signed mask (positive red, negative blue); None says the back-end found no
        mask, which the title then states.
    title : str
    vmax : float
        Grey-scale limit, shared by every panel of a figure so they compare.
    metrics : dict, optional
        ``area_fraction``, ``components``, ``mu_pos``, ``mu_neg`` and
        ``polarity_gap`` of the mask, written under the panel.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> fig, ax = plt.subplots()
    >>> draw_mask_overlay(ax, np.zeros((4, 4)), np.eye(4) - np.eye(4)[::-1], title="toy", vmax=1)
    >>> ax.get_title(), len(ax.images)
    ('toy', 2)
    >>> plt.close(fig)
    """
    ax.imshow(image, cmap="gray", vmin=-vmax, vmax=vmax)
    ax.set_xticks([])
    ax.set_yticks([])
    if mask is None:
        ax.set_title(f"{title}: no mask")
        return
    rgba = np.zeros(np.shape(mask) + (4,))
    for sign, colour in MASK_COLOURS.items():
        rgba[np.sign(mask) == sign] = colour
    ax.imshow(rgba)
    ax.set_title(title)
    if metrics is not None:
        m = metrics
        ax.set_xlabel(f"area {m['area_fraction']:.4f}, {m['components']} comp.\n"
                      f"μ+ {m['mu_pos']:.1f}, μ− {m['mu_neg']:.1f}, Δμ {m['polarity_gap']:.1f}",
                      fontsize=8)
