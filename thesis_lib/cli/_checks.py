"""Checks shared by every verb: numeric option types, output paths, memory estimates.

Numeric options are validated while the command line is parsed (the helpers
below are ``argparse`` ``type=`` callables), so a bad value is refused before
any data is read, with a message that argparse prefixes with the option's
name. Output paths are checked before a verb starts its work: an output that
is one of the verb's inputs is refused even with ``--overwrite`` (a typo must
never destroy a recording or a raw scan), and an output that cannot be written
is named in one line instead of failing later with a traceback.
"""

from __future__ import annotations

import argparse
import math
import os
from pathlib import Path

import psutil

__all__ = ["UsageError", "check_memory", "check_output", "check_output_dir", "float_list",
           "float_range", "fraction_arg", "int_range"]


class UsageError(ValueError):
    """A bad command line found after parsing; ``main`` prints it as one line."""


def int_range(low: int | None = None, high: int | None = None):
    """An argparse ``type`` accepting integers in ``[low, high]`` (either bound optional).

    Examples
    --------
    >>> positive = int_range(1)
    >>> positive("3")
    3
    >>> positive("0")
    Traceback (most recent call last):
    argparse.ArgumentTypeError: got 0; give an integer >= 1
    """
    wanted = _range_text("an integer", low, high)

    def parse(text):
        try:
            value = int(text)
        except (TypeError, ValueError):
            raise argparse.ArgumentTypeError(f"got {text!r}; give {wanted}") from None
        if (low is not None and value < low) or (high is not None and value > high):
            raise argparse.ArgumentTypeError(f"got {value}; give {wanted}")
        return value

    parse.__name__ = "integer"
    return parse


def float_range(low: float | None = None, high: float | None = None, *, low_open=False):
    """An argparse ``type`` accepting finite numbers in ``[low, high]`` (``(low, high]`` if open).

    Examples
    --------
    >>> float_range(0, low_open=True)("0.5")
    0.5
    >>> float_range(0, low_open=True)("0")
    Traceback (most recent call last):
    argparse.ArgumentTypeError: got 0.0; give a number > 0
    """
    wanted = _range_text("a number", low, high, low_open=low_open)

    def parse(text):
        try:
            value = float(text)
        except (TypeError, ValueError):
            raise argparse.ArgumentTypeError(f"got {text!r}; give {wanted}") from None
        too_low = low is not None and (value <= low if low_open else value < low)
        if not math.isfinite(value) or too_low or (high is not None and value > high):
            raise argparse.ArgumentTypeError(f"got {value}; give {wanted}")
        return value

    parse.__name__ = "number"
    return parse


def float_list(low: float | None = None, *, low_open=False):
    """An argparse ``type`` for comma-separated numbers, each checked as by :func:`float_range`.

    Examples
    --------
    >>> float_list(0, low_open=True)("0.9, 1.1")
    [0.9, 1.1]
    """
    item = float_range(low, low_open=low_open)
    wanted = _range_text("numbers", low, None, low_open=low_open)

    def parse(text):
        parts = [v for v in str(text).split(",") if v.strip()]
        if not parts:
            raise argparse.ArgumentTypeError(f"got {text!r}; give comma-separated {wanted}")
        try:
            return [item(v.strip()) for v in parts]
        except argparse.ArgumentTypeError:
            raise argparse.ArgumentTypeError(
                f"got {text!r}; give comma-separated {wanted}") from None

    parse.__name__ = "list"
    return parse


def fraction_arg(text) -> tuple[int, int]:
    """Parse ``k/K`` with ``1 <= k <= K`` (the ``--which-fraction`` of ``thesis pairs``).

    Examples
    --------
    >>> fraction_arg("2/4")
    (2, 4)
    """
    # deferred: the data package imports torch, which `thesis --help` does not need
    from thesis_lib.data.pairs import parse_fraction

    try:
        return parse_fraction(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"got {text!r}; give k/K with k between 1 and K, "
                                         "e.g. 1/4") from None


def _range_text(kind, low, high, low_open=False) -> str:
    if low is not None and high is not None:
        if low_open:
            return f"{kind} > {low:g} and <= {high:g}"
        return f"{kind} from {low:g} to {high:g}"
    if low is not None:
        return f"{kind} {'>' if low_open else '>='} {low:g}"
    if high is not None:
        return f"{kind} <= {high:g}"
    return kind


def _same(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:  # one of them does not exist (yet): compare the resolved names
        return a.resolve() == b.resolve()


def _inside(path: Path, folder: Path) -> bool:
    path, folder = path.resolve(), folder.resolve()
    return path == folder or folder in path.parents


def _writable_folder(folder: Path, what: str) -> None:
    """Raise :class:`UsageError` unless files can be created under ``folder`` (made if missing)."""
    probe = folder
    while not probe.exists():
        if probe.is_symlink():  # a dangling link: following it cannot create the folder
            raise UsageError(f"{what}: {probe} is a broken link; remove it or choose another path")
        probe = probe.parent
    if not probe.is_dir():
        raise UsageError(f"{what}: {probe} is a file, not a folder; choose a path whose folders "
                         "are folders")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise UsageError(f"{what}: cannot write in {probe} (permission denied); choose a "
                         "writable location")


def check_output(path, *, inputs=(), option: str = "OUT") -> Path:
    """Refuse an output file that is one of ``inputs`` or cannot be written; return it as a Path.

    Parameters
    ----------
    path : str or os.PathLike
        The file the verb will write.
    inputs : iterable of path
        Files the verb reads. An output that is the same file (also through a
        link) or the same resolved name is refused whatever ``--overwrite`` says.
    option : str
        How the user gave ``path`` (``--out``, ``OUT``): named in the messages.

    Raises
    ------
    UsageError
        One-line message naming the option, the path and the fix.
    """
    path = Path(path)
    for source in inputs:
        if source is not None and _same(path, Path(source)):
            raise UsageError(f"{option} {path} is also an input ({source}); write the result "
                             "elsewhere (an input is never overwritten, even with --overwrite)")
    if path.is_dir():
        raise UsageError(f"{option} {path} is a folder; give the name of a file to write, "
                         f"e.g. {path / 'NAME'}")
    if path.exists() and not os.access(path, os.W_OK):
        raise UsageError(f"{option} {path} is read-only; choose another file or make it writable")
    _writable_folder(path.parent, f"{option} {path}")
    return path


def check_output_dir(path, *, inputs=(), option: str = "--out") -> Path:
    """Refuse an output folder that is, or lies inside, an input folder or cannot be written.

    ``inputs`` are folders the verb reads (or files, which the output folder
    must not be). Writing into an input tree would either overwrite its files or
    add files that the next run reads back as inputs.
    """
    path = Path(path)
    for source in inputs:
        if source is None:
            continue
        source = Path(source)
        if _same(path, source) or (source.is_dir() and _inside(path, source)):
            raise UsageError(f"{option} {path} is inside the input {source}; choose an output "
                             "folder outside the inputs")
    if path.exists() and not path.is_dir():
        raise UsageError(f"{option} {path} is a file; give a folder (it is created if missing)")
    _writable_folder(path, f"{option} {path}")
    return path


def check_memory(estimate_bytes: float, what: str, fix: str) -> None:
    """Refuse work whose memory estimate exceeds the memory available now.

    Parameters
    ----------
    estimate_bytes : float
        Approximate peak memory of the work.
    what : str
        The options that determine it, e.g. ``"--detector 100000"``.
    fix : str
        What to change.

    Examples
    --------
    >>> check_memory(1e3, "--detector 8", "use a smaller detector")
    >>> check_memory(1e30, "--detector 10**15", "use a smaller detector")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    thesis_lib.cli._checks.UsageError: --detector 10**15 needs about 1e+21 GB ...
    """

    available = psutil.virtual_memory().available
    if estimate_bytes > available:
        raise UsageError(f"{what} needs about {estimate_bytes / 1e9:.3g} GB of memory but "
                         f"{available / 1e9:.3g} GB are available; {fix}")
