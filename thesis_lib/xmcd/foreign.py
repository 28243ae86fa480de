"""Scan series laid out as other beamlines write them, each with its layout YAML.

These writers stand in for beamline software: they use only ``h5py`` with the
``hdf5plugin`` filters (and, for one layout, the ``nexusformat`` library), never
this package's reader or :func:`~thesis_lib.xmcd.writer.write_scan`, so that
reading their files back through a layout is an independent test of the
reader. Each writes one series folder and returns the layout text that reads
it (:mod:`thesis_lib.xmcd.layout`).

Layouts (``LAYOUTS``):

``datasets``
    one file per position, the four blocks as four datasets ``(frame, y, x)``;
    position in mm (``units`` attribute), no integration time (a literal).
``block_files``
    one file per block and position (``tape_0003_pm.h5``), found by a pattern;
    positions in nm.
``stack``
    one stack in acquisition order with per-frame helicity and magnetisation
    (blocks interleaved in a shuffled order); frame time in ms.
``eiger``
    a master file per position whose frames are external links to two data
    files (``*_data_000001.h5``, ...), as Dectris file writers produce.
``nexusformat``
    one ``(block, frame, y, x)`` dataset written through ``nexusformat``'s
    ``NXroot`` tree and ``nxsave``; position in mm, integration in ms, the
    step and the block labels as literal values in the layout.
"""

from __future__ import annotations

from pathlib import Path

import h5py
import hdf5plugin
import numpy as np

#: The four blocks in the order these writers store them, with their file labels.
BLOCKS = (((1, 1), "pp"), ((-1, 1), "mp"), ((1, -1), "pm"), ((-1, -1), "mm"))
LAYOUTS = ("datasets", "block_files", "stack", "eiger", "nexusformat")
#: h5py dataset options of each compression filter (bitshuffle-LZ4 is what Eiger writes).
FILTERS = {
    "bitshuffle-lz4": dict(hdf5plugin.Bitshuffle(cname="lz4")),
    "lz4": dict(hdf5plugin.LZ4()),
    "blosc": dict(hdf5plugin.Blosc(cname="lz4", clevel=5, shuffle=hdf5plugin.Blosc.SHUFFLE)),
    "zstd": dict(hdf5plugin.Zstd()),
    "gzip": {"compression": "gzip", "compression_opts": 4},
}


def write_foreign_series(folder, layout, scans, *, positions_um, integration_s, filter="gzip",
                         seed=0) -> str:
    """Write ``scans`` in the named foreign layout; return the layout YAML that reads them.

    Parameters
    ----------
    folder : str or Path
        Created if needed; files are written in it directly.
    layout : str
        One of :data:`LAYOUTS`.
    scans : list of dict
        ``{(h, m): (n_frames, H, W) integer array}`` per scan position.
    positions_um : sequence of float
    integration_s : float
    filter : str
        One of :data:`FILTERS`.
    seed : int
        Order of the interleaved blocks in the ``stack`` and ``eiger`` layouts.

    Returns
    -------
    str
        Layout YAML text.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    if layout not in LAYOUTS:
        raise ValueError(f"unknown foreign layout {layout!r}; choose one of {LAYOUTS}")
    if filter not in FILTERS:
        raise ValueError(f"unknown filter {filter!r}; choose one of {sorted(FILTERS)}")
    opts = FILTERS[filter]
    rng = np.random.default_rng(seed)
    writer = {"datasets": _datasets, "block_files": _block_files, "stack": _stack,
              "eiger": _eiger, "nexusformat": _nexusformat}[layout]
    for t, (frames, pos) in enumerate(zip(scans, positions_um, strict=True)):
        writer(folder, t, frames, float(pos), float(integration_s), opts, rng)
    return LAYOUT_TEXT[layout].format(integration_s=float(integration_s),
                                      step_um=float(np.median(np.diff(positions_um))))


def interleave(frames, rng):
    """All frames of ``frames`` in a shuffled acquisition order, with their (h, m) labels."""
    labels = [hm for hm, _ in BLOCKS for _ in range(len(frames[hm]))]
    stack = np.concatenate([frames[hm] for hm, _ in BLOCKS])
    order = rng.permutation(len(labels))
    hel = np.array([labels[i][0] for i in order], np.int8)
    mag = np.array([labels[i][1] for i in order], np.int8)
    return stack[order], hel, mag


def _chunks(shape):
    return (1,) + tuple(shape[1:])


def _datasets(folder, t, frames, pos, integ, opts, rng):
    with h5py.File(folder / f"scan_{t:04d}.h5", "w") as h5:
        cam = h5.create_group("entry/instrument/cam")
        for hm, label in BLOCKS:
            cam.create_dataset(label, data=frames[hm], chunks=_chunks(frames[hm].shape), **opts)
        x = h5.create_dataset("entry/sample/x", data=pos / 1000.0)
        x.attrs["units"] = "mm"


def _block_files(folder, t, frames, pos, integ, opts, rng):
    for hm, label in BLOCKS:
        with h5py.File(folder / f"tape_{t:04d}_{label}.h5", "w") as h5:
            h5.create_dataset("data", data=frames[hm], chunks=_chunks(frames[hm].shape), **opts)
            x = h5.create_dataset("x", data=pos * 1000.0)
            x.attrs["units"] = "nm"
            h5["exposure"] = integ


def _stack(folder, t, frames, pos, integ, opts, rng):
    stack, hel, mag = interleave(frames, rng)
    with h5py.File(folder / f"pos_{t:04d}.h5", "w") as h5:
        m = h5.create_group("entry/measurement")
        m.create_dataset("frames", data=stack, chunks=_chunks(stack.shape), **opts)
        m["helicity"], m["field_sign"] = hel, mag
        m["x"] = pos
        m["x"].attrs["units"] = "um"
        m["time"] = integ * 1000.0
        m["time"].attrs["units"] = "ms"


def _eiger(folder, t, frames, pos, integ, opts, rng):
    stack, hel, mag = interleave(frames, rng)
    half = len(stack) // 2
    parts = (stack[:half], stack[half:])
    master = f"run_{t:04d}_master.h5"
    for i, part in enumerate(parts, start=1):
        with h5py.File(folder / master.replace("master", f"data_{i:06d}"), "w") as h5:
            h5.create_dataset("entry/data/data", data=part, chunks=_chunks(part.shape), **opts)
    with h5py.File(folder / master, "w") as h5:
        data = h5.create_group("entry/data")
        for i in range(1, len(parts) + 1):
            # relative file name: the reader finds it beside the master file
            data[f"data_{i:06d}"] = h5py.ExternalLink(master.replace("master", f"data_{i:06d}"),
                                                      "/entry/data/data")
        det = h5.create_group("entry/instrument/detector")
        det["helicity"], det["magnetisation"] = hel, mag
        det["count_time"] = integ
        det["count_time"].attrs["units"] = "s"
        h5["entry/sample/x"] = pos / 1000.0
        h5["entry/sample/x"].attrs["units"] = "mm"


def _nexusformat(folder, t, frames, pos, integ, opts, rng):
    # deferred on purpose: only this writer needs nexusformat. Importing it calls
    # np.set_printoptions(threshold=5) for the whole process; the context restores ours.
    with np.printoptions():
        from nexusformat.nexus import (
            NXdata,
            NXdetector,
            NXentry,
            NXfield,
            NXinstrument,
            NXroot,
            NXsample,
        )

    stack = np.stack([frames[hm] for hm, _ in BLOCKS])
    det = NXdetector(data=NXfield(stack, name="data", chunks=(1, 1) + stack.shape[2:], **opts))
    det["exposure"] = NXfield(integ * 1000.0, units="ms")
    sample = NXsample(tape_x=NXfield(pos / 1000.0, units="mm"))
    root = NXroot(NXentry(NXinstrument(det, name="instrument"), sample, NXdata(), name="entry"))
    root.save(str(folder / f"nx_{t:04d}.nxs"), mode="w")


LAYOUT_TEXT = {
    "datasets": """\
# four blocks as four datasets of one file per position
files: "scan_*.h5"
fields:
  frames: {{"++": /entry/instrument/cam/pp, "-+": /entry/instrument/cam/mp,
           "+-": /entry/instrument/cam/pm, "--": /entry/instrument/cam/mm}}
  frame_axes: fyx
  position_um: /entry/sample/x      # stored in mm (units attribute)
  integration_s: {integration_s}          # not in the files: a literal value
""",
    "block_files": """\
# one file per block and position: tape_<scan>_<block>.h5
blocks:
  pattern: 'tape_(?P<scan>\\d+)_(?P<block>pp|mp|pm|mm)\\.h5'
  labels: {{pp: "++", mp: "-+", pm: "+-", mm: "--"}}
fields:
  frames: /data
  frame_axes: fyx
  position_um: /x                   # stored in nm
  integration_s: /exposure
""",
    "stack": """\
# one stack in acquisition order, a (helicity, magnetisation) label per frame
files: "pos_*.h5"
fields:
  frames: /entry/measurement/frames
  frame_axes: fyx
  helicity: /entry/measurement/helicity
  magnetisation: /entry/measurement/field_sign
  position_um: /entry/measurement/x
  integration_s: /entry/measurement/time     # stored in ms
""",
    "eiger": """\
# Eiger-style master files; frames are external links to the data files
files: "*_master.h5"
fields:
  frames: /entry/data/data_*         # every data_00000N link, in order
  frame_axes: fyx
  helicity: /entry/instrument/detector/helicity
  magnetisation: /entry/instrument/detector/magnetisation
  position_um: /entry/sample/x      # stored in mm
  integration_s: /entry/instrument/detector/count_time
""",
    "nexusformat": """\
# one (block, frame, y, x) dataset written with nexusformat; labels and step as literals
files: "nx_*.nxs"
fields:
  frames: /entry/instrument/detector/data
  frame_axes: cfyx
  helicity: [1, -1, 1, -1]
  magnetisation: [1, 1, -1, -1]
  position_um: /entry/sample/tape_x          # stored in mm
  integration_s: /entry/instrument/detector/exposure   # stored in ms
  step_um: {step_um}
""",
}


def planted_scans(size: int, n_positions: int, n_frames: int, *, seed: int = 0):
    """Frame stacks of a small series with a planted signed footprint, and its magnetisation.

    Counts follow eq. 2.1 without gain or drift: a textured background
    :math:`S_0` (uniform in [1000, 1300)), a positive and a negative Gaussian lobe
    of peak 40 counts for :math:`S_\\mathrm{mag}`, a magnetisation
    :math:`s_t = 0.4 + \\sin(2\\pi t / T)` along the scan and Gaussian noise of
    4 counts rms, rounded to unsigned 16-bit counts. It is the input the
    foreign-layout writers of this module are fed in the book.

    Parameters
    ----------
    size : int
        Pixels per side of the square detector.
    n_positions, n_frames : int
        Scan positions; frames per helicity/magnetisation block.
    seed : int
        Seed of the background and the noise.

    Returns
    -------
    scans : list of dict
        One ``{(h, m): uint16 array (n_frames, size, size)}`` per position.
    planted_s : ndarray (n_positions,)
        The magnetisation :math:`s_t` that was planted.

    Examples
    --------
    >>> scans, s = planted_scans(8, 4, 2)
    >>> len(scans), scans[0][(1, 1)].shape, scans[0][(1, 1)].dtype.name, s.round(2).tolist()
    (4, (2, 8, 8), 'uint16', [0.4, 1.4, 0.4, -0.6])
    """
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size]
    lobes = [np.exp(-((yy - size / 2) ** 2 + (xx - cx) ** 2) / (0.01 * size ** 2))
             for cx in (0.35 * size, 0.65 * size)]
    smag = 40.0 * (lobes[0] - lobes[1])
    s0 = 1000.0 + 300.0 * rng.random((size, size))
    planted_s = 0.4 + np.sin(2 * np.pi * np.arange(n_positions) / n_positions)
    scans = [{hm: np.rint(s0 + hm[0] * hm[1] * s * smag
                          + rng.normal(0, 4, (n_frames, size, size))).astype(np.uint16)
              for hm, _ in BLOCKS} for s in planted_s]
    return scans, planted_s
