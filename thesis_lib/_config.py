"""Reading small configuration files (YAML or JSON) with one-line errors that say the fix.

Every configuration file of the project — a beamline layout, an emulator
``params.json``, the book's ``profiles.yml``, the phantom's series manifest — is
read through :func:`read_config` and checked with :func:`require_mapping`,
:func:`check_keys` and :func:`check_kind`, so that a missing file, bad syntax,
an unknown or missing key and a value of the wrong kind are all reported the
same way: one line that starts with the file (or the part of it) and ends with
what to do.

Notes
-----
The format follows the suffix: ``.json`` is parsed by :func:`json.loads`
(strict JSON), anything else by :func:`yaml.safe_load` (YAML, of which JSON is
a subset). The reader does not cache; callers that read a file often cache
the parsed result themselves (e.g. :mod:`thesis_lib.provenance.profiles`).

References
----------
YAML 1.1 as implemented by PyYAML's ``safe_load``; JSON as in RFC 8259.
"""

from __future__ import annotations

import difflib
import json
import reprlib
from pathlib import Path

import yaml

#: Names of the kinds :func:`check_kind` reports, by Python type.
_KIND_NAMES = {dict: "a mapping", list: "a list", str: "a text", bool: "true or false",
               int: "an integer", float: "a number", type(None): "null"}


def read_config(path, *, what: str, fix: str, error: type[Exception] = ValueError):
    """The parsed content of the YAML or JSON file ``path`` (``None`` for an empty YAML file).

    Parameters
    ----------
    path : path-like
        The file; ``.json`` is read as JSON, anything else as YAML.
    what : str
        What the file is, for messages (``"layout"``, ``"profile"``, ...).
    fix : str
        How to obtain the file when it is missing or unreadable (the end of that message).
    error : exception class
        Raised for bad syntax or an unreadable file (a ``ValueError`` subclass, so a
        package can keep its own error type).

    Raises
    ------
    FileNotFoundError
        ``"PATH: no such WHAT file; FIX"`` when ``path`` is not a file.
    error
        ``"PATH: not valid YAML (...); fix the line it names"`` (or JSON), or
        ``"PATH: cannot read the WHAT file (...); FIX"``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "c.yml"
    >>> _ = p.write_text("a: 1\\nb: [2, 3]\\n")
    >>> read_config(p, what="test", fix="write it")
    {'a': 1, 'b': [2, 3]}
    >>> read_config(p.with_name("nope.yml"), what="test", fix="write it")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    FileNotFoundError: ...nope.yml: no such test file; write it
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such {what} file; {fix}")
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise error(f"{path}: cannot read the {what} file ({reason}); {fix}") from exc
    if path.suffix.lower() == ".json":
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise error(f"{path}: not valid JSON ({exc}); fix the line it names") from exc
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise error(f"{path}: not valid YAML ({_yaml_problem(exc)}); fix the line it "
                    "names") from exc


def _yaml_problem(exc) -> str:
    # PyYAML's message spans several lines and quotes the text; the problem and its place suffice
    mark, problem = getattr(exc, "problem_mark", None), getattr(exc, "problem", None)
    if mark is None or not problem:
        return " ".join(str(exc).split())
    return f"{problem} at line {mark.line + 1}, column {mark.column + 1}"


def require_mapping(doc, *, source: str, what: str, example: str,
                    error: type[Exception] = ValueError) -> dict:
    """``doc`` if it is a mapping, else ``error("SOURCE: WHAT is a mapping such as EXAMPLE...")``.

    Examples
    --------
    >>> require_mapping([1], source="f.yml", what="a profile file", example="{a: 1}")
    Traceback (most recent call last):
    ...
    ValueError: f.yml: a profile file is a mapping such as {a: 1}, not a list
    """
    if not isinstance(doc, dict):
        raise error(f"{source}: {what} is a mapping such as {example}, not {_kind_name(doc)}")
    return doc


def check_keys(mapping, *, source: str, known, required=(), what: str = "key",
               hint: str = "", error: type[Exception] = ValueError) -> None:
    """Refuse keys of ``mapping`` outside ``known`` and absent ``required`` keys, in one line.

    Parameters
    ----------
    mapping : mapping
        The parsed section.
    source : str
        The file and the part of it, e.g. ``"layout.yml"`` or ``"m.yml: series 's1'"``.
    known, required : iterable of str
        Accepted keys; keys that must be present.
    what : str
        What a key is called in messages (``"key"``, ``"field"``, ``"parameter"``).
    hint : str
        Appended to the unknown-key message (e.g. where such a key belongs instead).
    error : exception class
        Raised on a problem.

    Examples
    --------
    >>> check_keys({"step_um": 1, "stepp": 2}, source="m.yml", known=["step_um", "steps"])
    Traceback (most recent call last):
    ...
    ValueError: m.yml: unknown key(s) ['stepp'] (did you mean steps?); known: step_um, steps
    >>> check_keys({}, source="m.yml", known=["id"], required=["id"])
    Traceback (most recent call last):
    ...
    ValueError: m.yml: missing key(s) ['id']; add them
    """
    known = [str(k) for k in known]
    unknown = sorted((k for k in mapping if k not in known), key=str)
    if unknown:
        close = [m for k in unknown for m in difflib.get_close_matches(str(k), known, n=1)]
        guess = f" (did you mean {', '.join(close)}?)" if close else ""
        raise error(f"{source}: unknown {what}(s) {unknown}{guess}; known: "
                    f"{', '.join(sorted(known))}{hint}")
    missing = [k for k in required if k not in mapping]
    if missing:
        raise error(f"{source}: missing {what}(s) {missing}; add them{hint}")


def check_kind(value, kinds, *, source: str, name: str, example: str,
               error: type[Exception] = ValueError):
    """``value`` if it is an instance of ``kinds``, else a one-line ``error`` with an example.

    ``True``/``False`` do not pass for numbers (a YAML ``yes`` is not a count).

    Examples
    --------
    >>> check_kind(2.5, (int, float), source="m.yml", name="step_um", example="25.0")
    2.5
    >>> check_kind("x", (int, float), source="m.yml", name="step_um", example="25.0")
    Traceback (most recent call last):
    ...
    ValueError: m.yml: step_um must be an integer or a number (e.g. 25.0), not a text ('x')
    """
    kinds = kinds if isinstance(kinds, tuple) else (kinds,)
    if isinstance(value, kinds) and not (isinstance(value, bool) and bool not in kinds):
        return value
    wanted = " or ".join(_KIND_NAMES.get(k, k.__name__) for k in kinds)
    raise error(f"{source}: {name} must be {wanted} (e.g. {example}), not "
                f"{_kind_name(value)} ({reprlib.repr(value)})")


def _kind_name(value) -> str:
    return _KIND_NAMES.get(type(value), type(value).__name__)
