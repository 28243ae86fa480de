"""The ``thesis`` command: one entry point, one verb per module in this package.

Every module ``thesis_lib.cli.<verb>`` that defines ``register(subparsers)`` is
discovered automatically, so a package adds a verb by adding one file here.
``register`` adds a sub-parser whose ``func`` default takes the parsed
arguments and returns an exit status.

Exit statuses: 0 success, 2 a user error (bad option, missing or unreadable
input, unwritable output; one line on stderr, no traceback), and verb-specific
codes documented in the verb's ``--help`` (``thesis train`` exits with
:data:`~thesis_lib.cli.train.EXIT_INTERRUPTED` when it stopped before the end
and can be resumed).
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys

from thesis_lib import __version__


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line: the problem, then where help is."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message}; see `{self.prog} --help`\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="thesis",
        description="Reproducible compendium: audio recovery from magnetic tape read by XMCD. "
                    "Run `thesis VERB --help` for the options of each verb.",
    )
    parser.add_argument("--version", action="version", version=f"thesis_lib {__version__}")
    subparsers = parser.add_subparsers(dest="verb", metavar="VERB", parser_class=_Parser)
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
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        # a refused option (status 2, message already printed), --help or --version (0):
        # returned, so that callers of main() in-process get a status like every other error
        return exc.code if isinstance(exc.code, int) else int(exc.code is not None)
    if getattr(args, "func", None) is None:
        parser.print_help()
        return 2
    try:
        status = args.func(args)
    except (FileNotFoundError, ValueError, FileExistsError) as exc:
        # User errors: one clear line, no traceback.
        print(f"thesis {args.verb}: error: {_one_line(exc)}", file=sys.stderr)
        return 2
    except OSError as exc:
        # What the up-front checks cannot foresee (a read-only file system, a full disk, a
        # permission changed meanwhile): name the path and the cause instead of a traceback.
        where = exc.filename if exc.filename is not None else "a file"
        print(f"thesis {args.verb}: error: cannot access {where}: {exc.strerror or exc}; "
              "check the path, its permissions and the free space", file=sys.stderr)
        return 2
    except MemoryError:
        print(f"thesis {args.verb}: error: ran out of memory; choose smaller sizes "
              f"(see `thesis {args.verb} --help`)", file=sys.stderr)
        return 2
    return int(status or 0)


def _one_line(exc) -> str:
    return " ".join(str(exc).split())
