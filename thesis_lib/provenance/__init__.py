"""Provenance of results: run records, results files, crash-safe writes, the reproduction report."""

from .atomic import atomic_path, write_json_atomic
from .figures import show_figure
from .report import ReportRow, build_report, load_reference, summarise, thesis_table, thesis_values
from .record import RunRecord, git_state, package_versions, read_results, write_results

__all__ = ["atomic_path", "write_json_atomic", "RunRecord", "git_state", "package_versions",
           "read_results", "write_results", "ReportRow", "build_report",
           "load_reference", "show_figure", "summarise", "thesis_table", "thesis_values"]
