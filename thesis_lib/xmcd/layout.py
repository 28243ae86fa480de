"""Where a beamline keeps what the reader needs: one layout description per series.

A *layout* says which files of a series folder are scan positions and where
each reader field lives inside them. Our own layout (written by
:func:`thesis_lib.xmcd.writer.write_scan`) is the default and needs no file;
any other is described by a small YAML file passed as ``--layout L.yml`` to
``thesis xmcd info|check``, ``thesis mask``, ``thesis extract`` and
``thesis calibrate``, or as ``layout=`` to :func:`~thesis_lib.xmcd.read_series`.

Top-level keys (all optional)
-----------------------------
``files``
    Glob pattern of the scan files in the series folder (e.g.
    ``"*_master.h5"`` so that Eiger data files beside the master files are
    not taken for scan positions). Default: every ``.nxs``, ``.h5``,
    ``.hdf5`` and ``.nx5`` file. Files are taken in natural name order.
``blocks``
    For series that keep each (helicity, magnetisation) block of one scan
    position in its own file: ``pattern``, a regular expression matched
    against the file names with the named groups ``scan`` (same for the four
    files of one position) and ``block`` (which block), and ``labels``,
    mapping each ``block`` value to ``"++"``, ``"-+"``, ``"+-"`` or ``"--"``
    (helicity sign first). Metadata are read from the ``"++"`` file.
``fields``
    Where each reader field is, as a dataset path or a literal value (for a
    field a file lacks). Keys, with the default path in our layout, are those
    of :data:`~thesis_lib.xmcd.nexus.DEFAULT_MAPPING`:

    * ``frames``: one dataset path; or a list of paths (or one path with a
      ``*`` in its last component, e.g. ``/entry/data/data_*``) concatenated
      along the frame axis, as Eiger master files split one acquisition into
      externally linked data files; or ``{"++": path, "-+": ..., "+-": ...,
      "--": ...}``, one dataset per block;
    * ``frame_axes``: one letter per axis of the frame datasets, ``c``
      (block), ``f`` (frame), ``y``, ``x``, in any order (default ``cfyx``).
      Without ``c`` (and without ``blocks`` or a dict of ``frames``) the
      frames are one stack in acquisition order and ``helicity`` /
      ``magnetisation`` give the block of *every frame*: blocks may
      alternate in any order and hold any number of frames;
    * ``helicity``, ``magnetisation``: paths or lists of +1/-1, one per block
      along ``c``, or one per frame of a stack;
    * ``position_um``, ``step_um``, ``beam_um``, ``integration_s``,
      ``count_time_s``: paths or numbers. A dataset's ``units`` attribute is
      converted (um, µm, nm, mm, m; s, ms, us); literal numbers are in the
      unit the key names (µm, s);
    * ``repeats``, ``pixel_mask``, ``saturation_value``: paths or literals.
``series``
    The experiment log (``tape_speed_m_s``, ``test_tone_hz``, ...) for a
    folder without a ``series.yml``; a ``series.yml`` present wins.

Example: one stack in acquisition order, positions in mm::

    files: "pos_*.h5"
    fields:
      frames: /entry/measurement/eiger/data
      frame_axes: fyx
      helicity: /entry/measurement/helicity
      magnetisation: /entry/measurement/field_sign
      position_um: /entry/measurement/tape_x     # units = "mm" attribute
      integration_s: 6.0                         # not recorded in the files
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from thesis_lib._config import check_keys, check_kind, read_config, require_mapping

from .errors import LayoutError, SeriesLayoutError
from .frames import COMBINATIONS, combination_key, natural_key
from .nexus import DEFAULT_MAPPING

#: Suffixes of the files taken as scan positions when a layout gives no ``files`` pattern.
NEXUS_SUFFIXES = (".nxs", ".h5", ".hdf5", ".nx5")
_TOP_KEYS = ("files", "blocks", "fields", "series")
_SCALAR_FIELDS = ("position_um", "integration_s", "count_time_s", "repeats", "step_um",
                  "saturation_value")


@dataclass(frozen=True)
class Layout:
    """A validated layout description (see the module docstring for the keys).

    Attributes
    ----------
    fields : mapping
        Overrides of :data:`~thesis_lib.xmcd.nexus.DEFAULT_MAPPING`.
    files : str or None
        Glob pattern of the scan files.
    block_pattern : str or None
        Regular expression with groups ``scan`` and ``block`` (one file per block).
    block_labels : mapping
        ``{block value: (h, m)}``.
    series : mapping
        Experiment log used when the folder has no ``series.yml``.
    source : str or None
        The YAML file the layout came from, for error messages.
    """

    fields: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))
    files: str | None = None
    block_pattern: str | None = None
    block_labels: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))
    series: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))
    source: str | None = None

    def __reduce__(self):
        # mapping proxies do not pickle; rebuild them (layouts travel to worker processes)
        return (_rebuild, (dict(self.fields), self.files, self.block_pattern,
                           dict(self.block_labels), dict(self.series), self.source))

    @property
    def mapping(self) -> dict:
        """The full field mapping: defaults overridden by :attr:`fields`."""
        return {**DEFAULT_MAPPING, **self.fields}

    @property
    def name(self) -> str:
        return self.source or "the default layout"

    def scan_files(self, folder) -> list:
        """Scan positions of ``folder`` in natural name order.

        Returns
        -------
        list of (Path, dict or None)
            The file metadata are read from, and ``{(h, m): Path}`` when each
            block is its own file.
        """
        folder = Path(folder)
        names = sorted((p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")
                        and (fnmatch.fnmatch(p.name, self.files) if self.files
                             else p.suffix in NEXUS_SUFFIXES)), key=natural_key)
        if not self.block_pattern:
            return [(p, None) for p in names]
        regex = re.compile(self.block_pattern)
        groups: dict = {}
        for p in names:
            match = regex.fullmatch(p.name)
            if match is None:
                continue
            label = match.group("block")
            if label not in self.block_labels:
                raise SeriesLayoutError(f"{p}: block {label!r} is not among blocks.labels "
                                        f"{sorted(self.block_labels)} of {self.name}; add it")
            groups.setdefault(match.group("scan"), {})[self.block_labels[label]] = p
        scans = []
        for key in sorted(groups, key=lambda k: natural_key(Path(k))):
            blocks = groups[key]
            missing = [hm for hm in COMBINATIONS if hm not in blocks]
            if missing:
                raise SeriesLayoutError(
                    f"{folder}: scan {key!r} has no file for (h, m) = {missing} (pattern of "
                    f"{self.name}); copy the missing files or move that scan out of the folder")
            scans.append((blocks[(1, 1)], {hm: blocks[hm] for hm in COMBINATIONS}))
        return scans


DEFAULT_LAYOUT = Layout()


def _rebuild(fields, files, block_pattern, block_labels, series, source) -> Layout:
    return Layout(fields=MappingProxyType(fields), files=files, block_pattern=block_pattern,
                  block_labels=MappingProxyType(block_labels), series=MappingProxyType(series),
                  source=source)


def load_layout(path) -> Layout:
    """Read and validate a layout YAML file.

    Raises
    ------
    FileNotFoundError, LayoutError
        Naming the file and the offending key.
    """
    doc = read_config(path, what="layout", error=LayoutError,
                      fix="write one as described in thesis_lib.xmcd.layout (keys files, "
                          "blocks, fields, series)")
    return layout_from_dict(doc or {}, source=str(path))


def layout_from_dict(doc, *, source="layout") -> Layout:
    """Validate a layout given as a dict (the parsed YAML)."""
    require_mapping(doc, source=source, what="a layout", error=LayoutError,
                    example="{files: ..., blocks: ..., fields: ..., series: ...}")
    check_keys(doc, source=source, known=_TOP_KEYS, error=LayoutError,
               hint=" (dataset paths go under `fields`)")
    fields = _check_fields(doc.get("fields") or {}, source)
    files = doc.get("files")
    if files is not None:
        check_kind(files, str, source=source, name="`files` (a glob pattern)",
                   example="'*_master.h5'", error=LayoutError)
    pattern, labels = _check_blocks(doc.get("blocks"), fields, source)
    if pattern:
        fields.setdefault("frame_axes", "fyx")    # one block per file: no block axis
    series = check_kind(doc.get("series") or {}, dict, source=source, name="`series`",
                        example="{tape_speed_m_s: 0.381, test_tone_hz: 261.0}",
                        error=LayoutError)
    return Layout(fields=MappingProxyType(fields), files=files, block_pattern=pattern,
                  block_labels=MappingProxyType(labels), series=MappingProxyType(series),
                  source=source)


def as_layout(obj) -> Layout:
    """A :class:`Layout` from ``None`` (default), a Layout, a YAML path or a fields dict."""
    if obj is None:
        return DEFAULT_LAYOUT
    if isinstance(obj, Layout):
        return obj
    if isinstance(obj, (str, Path)):
        return load_layout(obj)
    if isinstance(obj, dict):
        return layout_from_dict({"fields": obj}, source="mapping")
    raise TypeError(f"layout must be None, a Layout, a YAML path or a dict, "
                    f"not {type(obj).__name__}")


def _check_fields(fields, source) -> dict:
    check_kind(fields, dict, source=source, name="`fields` (reader field -> dataset path or value)",
               example="{frames: /entry/data, position_um: 12.5}", error=LayoutError)
    check_keys(fields, source=f"{source}: `fields`", known=DEFAULT_MAPPING, what="field",
               error=LayoutError)
    frames = fields.get("frames")
    if isinstance(frames, dict):
        try:
            keys = [combination_key(k) for k in frames]
        except ValueError as exc:
            raise LayoutError(f"{source}: fields.frames: {exc}") from None
        paths_ok = all(isinstance(v, str) for v in frames.values())
        if sorted(keys) != sorted(COMBINATIONS) or not paths_ok:
            raise LayoutError(f"{source}: fields.frames as a mapping needs one dataset path for "
                              "each of '++', '-+', '+-', '--'")
    elif frames is not None and not (isinstance(frames, str) or (
            isinstance(frames, list) and frames and all(isinstance(v, str) for v in frames))):
        raise LayoutError(f"{source}: fields.frames must be a dataset path, a list of paths or a "
                          "mapping of the four blocks to paths")
    axes = fields.get("frame_axes")
    if axes is not None and (not isinstance(axes, str) or set(axes) - set("cfyx")
                             or len(set(axes)) != len(axes) or not {"y", "x"} <= set(axes)):
        raise LayoutError(f"{source}: fields.frame_axes={axes!r}; give one letter per axis from "
                          "c (block), f (frame), y, x, each once, e.g. fyx")
    for key in _SCALAR_FIELDS:
        value = fields.get(key)
        if value is not None and not isinstance(value, (str, int, float)):
            raise LayoutError(f"{source}: fields.{key} must be a dataset path or a number")
    for key in ("helicity", "magnetisation"):
        value = fields.get(key)
        if isinstance(value, list) and any(v not in (-1, 1) for v in value):
            raise LayoutError(f"{source}: fields.{key} as a list must hold only +1 and -1")
    return dict(fields)


def _check_blocks(blocks, fields, source):
    if blocks is None:
        return None, {}
    blocks_example = "{pattern: '(?P<scan>\\d+)_(?P<block>\\w+).h5', labels: {a: '++', ...}}"
    check_kind(blocks, dict, source=source, name="`blocks`", example=blocks_example,
               error=LayoutError)
    check_keys(blocks, source=f"{source}: `blocks`", known=("pattern", "labels"),
               required=("pattern", "labels"), error=LayoutError,
               hint=" (pattern: a regex with groups scan and block; labels: block value -> "
                    "'++', '-+', '+-', '--')")
    try:
        regex = re.compile(str(blocks["pattern"]))
    except re.error as exc:
        raise LayoutError(f"{source}: blocks.pattern is not a regular expression ({exc})") from None
    if not {"scan", "block"} <= set(regex.groupindex):
        raise LayoutError(f"{source}: blocks.pattern needs the named groups (?P<scan>...) and "
                          "(?P<block>...)")
    labels = blocks["labels"]
    try:
        labels = {str(k): combination_key(v) for k, v in (labels or {}).items()}
    except (ValueError, AttributeError) as exc:
        raise LayoutError(f"{source}: blocks.labels: {exc}") from None
    if sorted(labels.values()) != sorted(COMBINATIONS):
        raise LayoutError(f"{source}: blocks.labels must name each of '++', '-+', '+-', '--' once")
    if isinstance(fields.get("frames"), dict) or "c" in fields.get("frame_axes", "fyx"):
        raise LayoutError(f"{source}: with `blocks` each file holds one block: give fields.frames "
                          "as one dataset path and fields.frame_axes without c (e.g. fyx)")
    return regex.pattern, labels
