"""Chapter figures: saved once as PNG beside the results, and shown from that very file.

A chapter that saves a figure and lets the notebook backend draw it again would publish two
different renderings (different size, resolution, margins). :func:`show_figure` writes the PNG
atomically, closes the figure so the backend does not draw it a second time, and displays the
saved bytes, so the page shows exactly the file the reproduction report links to.
"""

from __future__ import annotations

import re
from pathlib import Path

from thesis_lib._atomic import atomic_path

FIGURE_DIR = "figures"


def show_figure(fig, results_dir, name: str, *, dpi: int = 120, **savefig_kwargs) -> str:
    """Save ``fig`` as ``<results_dir>/figures/<name>.png``, close it, display the file.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure; it is closed afterwards.
    results_dir : str or Path
        The chapter's results folder.
    name : str
        File stem: letters, digits, ``_`` and ``-`` only.
    dpi : int
        Resolution of the PNG.
    **savefig_kwargs
        Passed to :meth:`~matplotlib.figure.Figure.savefig` (e.g. ``bbox_inches``).

    Returns
    -------
    str
        The PNG's path relative to ``results_dir`` (``figures/<name>.png``), which is what a
        results file records: it stays valid wherever the build folder is moved.
    """
    # deferred on purpose: matplotlib loads slowly; only drawing needs it
    import matplotlib.pyplot as plt

    if not re.fullmatch(r"[A-Za-z0-9_-]+", name):
        raise ValueError(f"figure name {name!r} must use only letters, digits, '_' and '-'")
    relative = f"{FIGURE_DIR}/{name}.png"
    path = Path(results_dir) / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=dpi, format="png", **savefig_kwargs)
    plt.close(fig)
    _display_png(path.read_bytes())
    return relative


def _display_png(data: bytes) -> None:
    try:  # only inside a notebook kernel (IPython is there); scripts just save the file
        # deferred on purpose: matplotlib loads slowly; only drawing needs it
        from IPython import get_ipython
        from IPython.display import Image, display
    except ImportError:
        return
    if get_ipython() is not None:
        display(Image(data=data, format="png"))
