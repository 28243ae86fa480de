"""What every benchmark shares: the checkout on ``sys.path`` and the JSON ending.

Import it before ``thesis_lib`` so a benchmark runs as ``python benchmarks/<name>.py``
from a clean clone without installing the package.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from thesis_lib.provenance import write_json_atomic  # noqa: E402


def add_out_argument(parser) -> None:
    """The ``--out`` option every benchmark takes (``make bench`` passes it)."""
    parser.add_argument("--out", default=None, help="also write the JSON here (atomically)")


def emit(result: dict, out=None) -> dict:
    """Print ``result`` as JSON and, with ``out``, write it atomically."""
    print(json.dumps(result, indent=2))
    if out:
        write_json_atomic(out, result)
    return result
