"""Provenance of results: run records, results files, crash-safe writes, the report, tables,
and the book's profiles (the sizes every chapter uses)."""

from .atomic import atomic_path, write_json_atomic
from .claims import ClaimVerdict, judge_claims
from .figures import show_figure
from .media import HtmlTable, audio_player, player_table
from .profiles import PROFILE_FILE, load_profiles, profile_names, profile_section
from .record import RunRecord, git_state, package_versions, read_results, write_results
from .report import ReportRow, build_report, load_reference, summarise, thesis_table, thesis_values
from .tables import MarkdownTable, format_number, markdown_table

__all__ = ["PROFILE_FILE", "ClaimVerdict", "HtmlTable", "MarkdownTable", "ReportRow",
           "RunRecord", "atomic_path", "audio_player", "build_report", "format_number",
           "git_state", "judge_claims", "load_profiles", "load_reference", "markdown_table",
           "package_versions", "player_table", "profile_names", "profile_section",
           "read_results", "show_figure", "summarise", "thesis_table", "thesis_values",
           "write_json_atomic", "write_results"]
