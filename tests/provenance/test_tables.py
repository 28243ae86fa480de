"""The chapters' table helper: layout, precision, missing values and bad rows."""

import math

import numpy as np
import pytest

from thesis_lib.provenance import markdown_table
from thesis_lib.provenance.tables import MISSING, format_number


def test_mapping_rows_with_renamed_columns_and_formats():
    rows = [{"method": "k-means", "area": 0.012345, "components": 3, "why": "a|b"},
            {"method": "GMM", "area": None, "components": 12, "why": "—"}]
    table = markdown_table(rows, {"method": "method", "area": "area fraction",
                                  "components": "components", "why": "why"},
                           formats={"area": ".3f"}, caption="Table 5.1", note="Synthetic data.")
    assert table.splitlines() == [
        "**Table 5.1**", "",
        "| method | area fraction | components | why |",
        "|---|---:|---:|---|",
        "| k-means | 0.012 | 3 | a\\|b |",
        f"| GMM | {MISSING} | 12 | — |",
        "", "Synthetic data."]
    assert table._repr_markdown_() == str(table)


def test_sequence_rows_need_headers_and_accept_numpy_scalars():
    table = markdown_table([("a", np.float64(2.0) / 3.0, np.int64(7))], ["name", "x", "n"])
    assert table.splitlines()[2] == "| a | 0.6667 | 7 |"
    with pytest.raises(ValueError, match="give `columns`"):
        markdown_table([("a", 1)])


def test_callable_format_and_header_keyed_format():
    table = markdown_table([[0.25, 1.5]], ["share", "gain"],
                           formats={"share": lambda v: f"{100 * v:.0f} %", "gain": ".2f"})
    assert table.splitlines()[2] == "| 25 % | 1.50 |"


@pytest.mark.parametrize("value, text", [
    (12, "12"), (0.1 + 0.2, "0.3"), (3.14159265, "3.142"), (1234.5678, "1235"),
    (43210.9, "43211"), (-0.000123, "-1.230e-04"), (2.5e12, "2.500e+12"),
    (math.inf, "∞"), (float("nan"), MISSING)])
def test_number_precision(value, text):
    assert format_number(value) == text


def test_bad_rows_name_the_row_and_the_fix():
    with pytest.raises(ValueError, match="row 1 has no column 'b'"):
        markdown_table([{"a": 1, "b": 2}, {"a": 3}])
    with pytest.raises(ValueError, match="row 0 has 1 cells for 2 columns"):
        markdown_table([[1]], ["a", "b"])
    with pytest.raises(TypeError, match="real number"):
        format_number("1.0")


def test_empty_table_keeps_its_header():
    assert markdown_table([], ["a", "b"]) == "| a | b |\n|---|---|"
