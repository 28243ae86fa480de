"""The ``thesis`` command: one entry point, one verb per module in this package.

Every module ``thesis_lib.cli.<verb>`` that defines ``register(subparsers)`` is
discovered automatically, so a package adds a verb by adding one file here.
``register`` adds a sub-parser whose ``func`` default takes the parsed
arguments and returns an exit status.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys

from thesis_lib import __version__


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="thesis",
        description="Reproducible compendium: audio recovery from magnetic tape read by XMCD. "
                    "Run `thesis VERB --help` for the options of each verb.",
    )
    parser.add_argument("--version", action="version", version=f"thesis_lib {__version__}")
    subparsers = parser.add_subparsers(dest="verb", metavar="VERB")
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(subparsers)
    return parser


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "func", None) is None:
        parser.print_help()
        return 2
    try:
        status = args.func(args)
    except (FileNotFoundError, ValueError, FileExistsError) as exc:
        # User errors: one clear line, no traceback.
        print(f"thesis {args.verb}: error: {exc}", file=sys.stderr)
        return 2
    return int(status or 0)
