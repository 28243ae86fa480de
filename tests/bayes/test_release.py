"""The Task 3 release recipe's command line: bad options and existing results are refused."""

import pytest

from thesis_lib.bayes import release


@pytest.mark.parametrize("option", ["--surrogate-steps", "--prior-steps", "--threads"])
def test_non_positive_counts_are_refused(tmp_path, capsys, option):
    with pytest.raises(SystemExit) as stop:
        release.main(["--out", str(tmp_path / "run"), option, "0"])
    assert stop.value.code == 2
    assert f"{option} must be ≥ 1" in capsys.readouterr().err


def test_an_existing_result_is_never_overwritten(tmp_path, capsys, monkeypatch):
    (tmp_path / "models.pt").write_bytes(b"earlier result")
    monkeypatch.setattr(release, "train_release", lambda *a, **k: pytest.fail("trained"))
    with pytest.raises(SystemExit) as stop:
        release.main(["--out", str(tmp_path)])
    assert stop.value.code == 2
    assert "models.pt exists" in capsys.readouterr().err
    assert (tmp_path / "models.pt").read_bytes() == b"earlier result"
