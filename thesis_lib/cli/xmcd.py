"""``thesis xmcd info FILE_OR_DIR`` and ``thesis xmcd check SERIES``: look at acquisitions.

``info`` says what a file or series holds; ``check`` reads every file's metadata and one
frame of each and prints one table of problems before a long job.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from ._layout import add_layout_option, resolve_layout


def register(subparsers):
    p = subparsers.add_parser("xmcd",
                              help="inspect XMCD acquisitions (NeXus files and series folders)",
                              description="Inspect XMCD acquisitions written by the beamline or by "
                                          "`thesis phantom`.")
    verbs = p.add_subparsers(dest="xmcd_verb", metavar="SUBCOMMAND")
    info = verbs.add_parser("info", help="print what a NeXus file or a series folder holds",
                            description="For a file: its NeXus tree, frame stacks, metadata and "
                                        "valid pixels. For a folder: series.yml, the number of "
                                        "files, positions, detector shape and the Table 5.2 row "
                                        "rebuilt from the files.")
    info.add_argument("path", metavar="FILE_OR_DIR", help="a .nxs file or a series folder")
    info.add_argument("--tree", action="store_true",
                      help="also list every group and dataset of a file")
    add_layout_option(info)
    info.add_argument("--mapping", default=None, metavar="YAML",
                      help="YAML dict of reader fields -> dataset paths (the `fields` of a layout; "
                           "kept for older scripts, prefer --layout)")
    info.set_defaults(func=run_info)
    check = verbs.add_parser(
        "check", help="check a whole series before a long job",
        description="Read every scan file's metadata and one frame of each; print one table of "
                    "missing datasets, inconsistent shapes or dtypes, NaN/inf or all-zero frames, "
                    "duplicated or non-monotonic positions, a step that disagrees with the "
                    "positions and unknown units. Exit status 1 when a problem was found. "
                    "`thesis mask` and `thesis extract` run the same checks first.")
    check.add_argument("path", metavar="SERIES", help="a series folder (or one scan file)")
    add_layout_option(check)
    check.set_defaults(func=run_check)
    p.set_defaults(func=lambda args: (p.print_help(), 2)[1])


def run_info(args) -> int:
    path = Path(args.path)
    mapping = resolve_layout(args) or (load_mapping(args.mapping) if args.mapping else None)
    if path.is_dir():
        print("\n".join(series_report(path, mapping)))
    else:
        print("\n".join(file_report(path, tree=args.tree, mapping=mapping)))
    return 0


def run_check(args) -> int:
    # deferred on purpose: `thesis --help` imports every verb module; the library loads in seconds
    from thesis_lib.xmcd.check import check_series

    report = check_series(args.path, resolve_layout(args))
    print(f"series {report.path}: {report.n_files} scan files")
    print(report.table())
    if report.ok:
        print("no problem found")
        return 0
    print(f"{len(report.errors)} problem(s): fix or move the files named above, or the layout")
    return 1


def load_mapping(path) -> dict:
    """Read a dataset mapping from YAML (see :func:`thesis_lib.xmcd.read_scan`)."""

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such mapping file; write a YAML dict such as "
                                "{frames: /entry/data, frame_axes: cfyx, position_um: /entry/x}")
    mapping = yaml.safe_load(path.read_text())
    if not isinstance(mapping, dict):
        raise ValueError(f"{path}: a mapping must be a YAML dict of reader field -> dataset path "
                         "or value")
    return mapping


def file_report(path, tree=False, mapping=None) -> list[str]:
    # deferred on purpose: `thesis --help` imports every verb module; the library loads in seconds
    from thesis_lib.xmcd import nexus_tree, read_scan
    from thesis_lib.xmcd.layout import as_layout

    scan = read_scan(path, as_layout(mapping).mapping, load=False)
    n_frames = {hm: s[0] for hm, s in scan.frame_shape.items()}
    H, W = scan.frame_shape[(1, 1)][1:]
    lines = [f"file            {scan.path}",
             f"detector        {H} x {W} pixels",
             "frames (h, m)   " + ", ".join(f"{hm}: {n}" for hm, n in n_frames.items()),
             f"position        {scan.position_um:g} um",
             f"integration     {scan.integration_s:g} s per polarisation"
             + (f" ({scan.count_time_s:g} s per frame)" if scan.count_time_s else ""),
             f"repeats         {scan.repeats}",
             f"step            {_opt(scan.step_um, 'um')}",
             "beam (X x Y)    " + (" x ".join(f"{b:g}" for b in scan.beam_um) + " um"
                                  if scan.beam_um else "-"),
             f"full scale      {_opt(scan.saturation_value, 'counts')}",
             f"valid pixels    {int(scan.valid.sum())} of {H * W} "
             f"({100 * scan.valid.mean():.2f} %)"]
    if tree:
        lines += ["", "NeXus tree:"] + ["  " + line for line in nexus_tree(path)]
    return lines


def series_report(path, mapping=None) -> list[str]:
    # deferred on purpose: `thesis --help` imports every verb module; the library loads in seconds
    from thesis_lib.xmcd import describe_series, read_series
    from thesis_lib.xmcd.errors import SeriesLayoutError

    series = read_series(path, mapping)
    pos = series.positions_um
    H, W = series.files[0].frame_shape[(1, 1)][1:]
    lines = [f"series          {series.path}", f"files           {len(series)}",
             f"positions       {pos.min():g} .. {pos.max():g} um",
             f"detector        {H} x {W} pixels", "series.yml:"]
    lines += [f"  {k}: {v}" for k, v in series.meta.items()]
    try:
        row = describe_series(series)
    except SeriesLayoutError as exc:
        lines.append(f"Table 5.2 row   not available ({exc})")
    else:
        lines.append("Table 5.2 row   " + " | ".join(str(row[k]) for k in (
            "measured_signal", "integration", "step_size", "beam_size", "signal_length")))
    if (series.path / "ground_truth.npz").exists():
        lines.append("ground truth    ground_truth.npz (synthetic series)")
    return lines


def _opt(value, unit):
    return "-" if value is None else f"{value:g} {unit}"
