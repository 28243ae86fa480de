"""The ``--layout L.yml`` option shared by every verb that reads scan files."""

from __future__ import annotations

LAYOUT_HELP = ("YAML layout of files not written as `thesis phantom` writes them: which files "
               "are scan positions and where frames, helicity, magnetisation, position, ... "
               "are (keys files, blocks, fields, series; see thesis_lib.xmcd.layout and the "
               "book chapter 'Your own beamline files'); default: our own layout")


def add_layout_option(parser) -> None:
    """Add ``--layout L.yml`` to ``parser``."""
    parser.add_argument("--layout", default=None, metavar="L.yml", help=LAYOUT_HELP)


def resolve_layout(args):
    """The :class:`~thesis_lib.xmcd.layout.Layout` named by ``args.layout`` (validated), or None."""
    path = getattr(args, "layout", None)
    if path is None:
        return None
    # deferred on purpose: thesis_lib.xmcd loads in seconds; only --layout needs it
    from thesis_lib.xmcd.layout import (
        load_layout,  # deferred: keeps `thesis --help` fast
    )

    return load_layout(path)
