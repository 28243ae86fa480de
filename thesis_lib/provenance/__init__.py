"""Provenance of results: run records, results files, crash-safe writes, the report, tables."""

from .atomic import atomic_path, write_json_atomic
from .record import RunRecord, git_state, package_versions, read_results, write_results
from .report import ReportRow, build_report, load_reference, summarise, thesis_table, thesis_values
from .tables import MarkdownTable, format_number, markdown_table

__all__ = ["atomic_path", "write_json_atomic", "RunRecord", "git_state", "package_versions",
           "read_results", "write_results", "ReportRow", "build_report",
           "load_reference", "summarise", "thesis_table", "thesis_values", "MarkdownTable",
           "format_number", "markdown_table"]
