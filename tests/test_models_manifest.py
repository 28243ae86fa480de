"""Every released model file is where data_manifests/models.yml says, with its checksum."""

import hashlib

import pytest
import yaml

from tests.conftest import REPO_ROOT
from thesis_lib._paths import MANIFESTS

MANIFEST = yaml.safe_load((MANIFESTS / "models.yml").read_text())
SECTIONS = ("models", "bayes_models", "release_models")
ENTRIES = [entry for section in SECTIONS for entry in MANIFEST.get(section, [])]
#: The repository's limit on one model file.
MAX_MIB = 20.0


@pytest.mark.parametrize("entry", ENTRIES, ids=[e["name"] for e in ENTRIES])
def test_released_file_matches_its_entry(entry):
    path = REPO_ROOT / entry["path"]
    assert path.is_file(), f"{entry['path']} is listed in models.yml but missing"
    data = path.read_bytes()
    assert hashlib.sha256(data).hexdigest() == entry["sha256"]
    assert len(data) / 2**20 == pytest.approx(entry["size_mib"], abs=0.05)
    assert len(data) / 2**20 <= MAX_MIB
    for key in ("command", "commit", "hardware", "duration_min"):
        assert entry.get(key), f"{entry['name']} lacks {key}"


def test_every_shipped_model_file_has_an_entry():
    listed = {REPO_ROOT / e["path"] for e in ENTRIES}
    shipped = set((MANIFESTS / "models").glob("*.pt"))
    assert shipped <= listed, f"unlisted model files: {sorted(p.name for p in shipped - listed)}"
