"""The book's profiles: every size a chapter uses, read from one file.

``data_manifests/profiles.yml`` holds, for each profile (``quick``, ``full``), one
section per consumer (``xmcd_phantom``, ``paired_corpus``, ``training``, a
chapter's name, ...) mapping setting names to values. :func:`profile_section`
returns one section as an immutable named tuple, so a chapter or a module
reads ``sizes.tracks`` and a misspelt name fails at once.

The file is checked when it is read: every profile has the same sections, every
section the same keys, and a key holds the same kind of value in every profile
(``null`` may stand in for any kind; an integer where the other profile has a
float is accepted). A problem is reported in one line that names the file.

Notes
-----
The file is parsed once per path and process (the result is cached); the
returned tuples are fresh, and nested mappings are copied, so a caller cannot
change what the next caller reads.
"""

from __future__ import annotations

import copy
import functools
from collections import namedtuple
from pathlib import Path

from thesis_lib._config import read_config
from thesis_lib._paths import MANIFESTS

__all__ = ["PROFILE_FILE", "load_profiles", "profile_names", "profile_section"]

#: The profile file of the book.
PROFILE_FILE = MANIFESTS / "profiles.yml"


def _kind(value) -> str | None:
    """Kind of a setting for the cross-profile check (None: null, matches any kind)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, dict):
        return "mapping"
    if isinstance(value, list):
        return "list"
    return "text"


def _looks_numeric(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _check(doc, path: Path) -> dict:
    profiles = doc.get("profiles") if isinstance(doc, dict) else None
    if not isinstance(profiles, dict) or not profiles:
        raise ValueError(f"{path}: expected a mapping `profiles: {{NAME: {{SECTION: {{KEY: "
                         f"VALUE}}}}}}`; restore it with `git checkout -- {path.name}`")
    names = sorted(profiles)
    first = names[0]
    for name in names:
        sections = profiles[name]
        if not (isinstance(sections, dict)
                and all(isinstance(s, dict) for s in sections.values())):
            raise ValueError(f"{path}: profile {name!r} must map section names to mappings of "
                             "settings")
        if set(sections) != set(profiles[first]):
            diff = sorted(set(sections) ^ set(profiles[first]))
            raise ValueError(f"{path}: profiles {first!r} and {name!r} differ in sections {diff}; "
                             "every profile needs every section")
        for section, settings in sections.items():
            other = profiles[first][section]
            if set(settings) != set(other):
                diff = sorted(set(settings) ^ set(other))
                raise ValueError(f"{path}: section {section!r} of profiles {first!r} and "
                                 f"{name!r} differs in keys {diff}; give every profile every key")
            for key, value in settings.items():
                if isinstance(value, str) and _looks_numeric(value):
                    raise ValueError(f"{path}: {name}.{section}.{key} is the text {value!r}; "
                                     "write a number with a decimal point (e.g. 6.0e-3)")
                kinds = {_kind(value), _kind(other[key])} - {None}
                if len(kinds) > 1:
                    raise ValueError(f"{path}: {section}.{key} is a {_kind(other[key])} in "
                                     f"{first!r} but a {_kind(value)} in {name!r}; use one kind")
    return profiles


@functools.lru_cache(maxsize=8)
def _load(path: Path) -> dict:
    doc = read_config(path, what="profile",
                      fix="restore it with `git checkout -- data_manifests/profiles.yml`")
    return _check(doc, path)


def load_profiles(path=PROFILE_FILE) -> dict:
    """All profiles of ``path``, checked, as ``{profile: {section: {key: value}}}`` (a copy)."""
    return copy.deepcopy(_load(Path(path).resolve()))


def profile_names(path=PROFILE_FILE) -> tuple[str, ...]:
    """Names of the profiles in ``path``, sorted.

    Examples
    --------
    >>> profile_names()
    ('full', 'quick')
    """
    return tuple(sorted(_load(Path(path).resolve())))


def profile_section(profile: str, section: str, *, path=PROFILE_FILE):
    """The settings of one ``section`` of ``profile`` as an immutable named tuple.

    Parameters
    ----------
    profile : str
        A profile of the file (``"quick"`` or ``"full"`` in the book's file).
    section : str
        A section of every profile, e.g. ``"paired_corpus"`` or a chapter's name.
    path : path, optional
        The profile file (default: ``data_manifests/profiles.yml``).

    Returns
    -------
    namedtuple
        Fields named as the section's keys, in file order; ``._asdict()`` gives
        a plain dict (e.g. to record the settings with a chapter's results).

    Raises
    ------
    ValueError
        In one line naming the file, for an unknown profile or section or a
        malformed file.

    Examples
    --------
    >>> sizes = profile_section("quick", "paired_corpus")
    >>> sizes.tracks, sizes.clip_s
    (8, 2.0)
    >>> profile_section("huge", "paired_corpus")
    Traceback (most recent call last):
    ...
    ValueError: unknown profile 'huge'; data_manifests/profiles.yml defines full, quick
    """
    path = Path(path).resolve()
    profiles = _load(path)
    if profile not in profiles:
        raise ValueError(f"unknown profile {profile!r}; {_short(path)} defines "
                         f"{', '.join(sorted(profiles))}")
    sections = profiles[profile]
    if section not in sections:
        raise ValueError(f"{_short(path)} has no section {section!r} (it has "
                         f"{', '.join(sorted(sections))}); add it to every profile")
    settings = copy.deepcopy(sections[section])
    return namedtuple(section, settings)(**settings)


def _short(path: Path) -> str:
    # the repository-relative form where possible, so messages do not show machine paths
    try:
        return str(path.relative_to(PROFILE_FILE.parents[1]))
    except ValueError:
        return str(path)
