import json
import subprocess

import pytest

from thesis_lib.provenance import RunRecord, git_state, read_results, write_results


def _git(repo, *args):
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True,
                          text=True).stdout.strip()


@pytest.fixture
def tiny_repo(tmp_path):
    _git(tmp_path, "init", "-q")
    (tmp_path / "f.txt").write_text("1")
    _git(tmp_path, "add", "f.txt")
    _git(tmp_path, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "c")
    return tmp_path


def test_git_state_tracks_commit_and_dirty_flag(tiny_repo):
    state = git_state(tiny_repo)
    assert state == {"commit": _git(tiny_repo, "rev-parse", "HEAD"), "dirty": False}
    (tiny_repo / "f.txt").write_text("2")
    assert git_state(tiny_repo)["dirty"] is True


def test_git_state_outside_a_repository(tmp_path):
    assert git_state(tmp_path / "nowhere") == {"commit": "unknown", "dirty": None}


def test_record_of_this_repository_names_its_commit(repo_root):
    rec = RunRecord(parameters={"profile": "quick"}, seeds={"seed": 7}).finish()
    assert rec.git_commit == _git(repo_root, "rev-parse", "HEAD")
    assert rec.packages["numpy"] and rec.packages["thesis_lib"]
    assert rec.wall_time_s >= 0 and rec.finished_utc >= rec.started_utc


def test_results_roundtrip(tmp_path):
    rec = RunRecord(parameters={"n": 3}, seeds={"seed": 1})
    path = write_results("demo", {"x": 1.25, "nested": {"y": [1, 2]}}, tmp_path, rec)
    payload = json.loads(path.read_text())
    assert payload["values"] == {"x": 1.25, "nested": {"y": [1, 2]}}
    assert payload["provenance"]["parameters"] == {"n": 3}
    assert payload["provenance"]["wall_time_s"] is not None
    assert read_results(tmp_path)["demo"]["values"]["x"] == 1.25


def test_corrupt_results_file_is_named(tmp_path):
    (tmp_path / "broken.json").write_text("{not json")
    with pytest.raises(ValueError, match="broken.json"):
        read_results(tmp_path)
