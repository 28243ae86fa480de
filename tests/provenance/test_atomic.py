import json
import os
import stat

import numpy as np
import pytest

from thesis_lib.provenance import atomic_path, write_json_atomic


def test_failed_write_leaves_nothing_behind(tmp_path):
    target = tmp_path / "out.bin"
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_bytes(b"half")
            raise RuntimeError("crash mid-write")
    assert not target.exists()
    assert list(tmp_path.iterdir()) == []


def test_failed_rewrite_keeps_previous_version(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("old")
    with pytest.raises(KeyboardInterrupt):
        with atomic_path(target) as tmp:
            tmp.write_text("new but incomplete")
            raise KeyboardInterrupt
    assert target.read_text() == "old"


def test_json_roundtrip_with_numpy(tmp_path):
    path = write_json_atomic(tmp_path / "r.json", {"a": np.float64(1.5), "b": np.arange(3)})
    assert json.loads(path.read_text()) == {"a": 1.5, "b": [0, 1, 2]}


def test_device_target_is_written_in_place_not_replaced():
    # Renaming onto /dev/null would turn the device into a regular file for the whole machine.
    with atomic_path("/dev/null") as tmp:
        tmp.write_text("discarded")
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_folder_target_is_refused(tmp_path):
    with pytest.raises(IsADirectoryError, match="give a file name"):
        with atomic_path(tmp_path):
            pass


@pytest.mark.parametrize("umask,expected", [(0o022, 0o644), (0o027, 0o640), (0o002, 0o664)])
def test_written_file_honours_the_umask(tmp_path, umask, expected):
    # mkstemp creates 0600 files; a result shared on a cluster must follow the user's umask
    import os
    import stat
    previous = os.umask(umask)
    try:
        with atomic_path(tmp_path / "r.txt") as tmp:
            tmp.write_text("x")
        path = write_json_atomic(tmp_path / "r.json", {"a": 1})
    finally:
        os.umask(previous)
    assert stat.S_IMODE(os.stat(tmp_path / "r.txt").st_mode) == expected
    assert stat.S_IMODE(os.stat(path).st_mode) == expected


def test_new_files_honour_the_umask_and_replacements_keep_their_mode(tmp_path):
    old = os.umask(0o027)
    try:
        out = tmp_path / "new.txt"
        with atomic_path(out) as tmp:
            tmp.write_text("x")
        assert stat.S_IMODE(os.stat(out).st_mode) == 0o640
        os.chmod(out, 0o604)
        with atomic_path(out) as tmp:
            tmp.write_text("y")
        assert stat.S_IMODE(os.stat(out).st_mode) == 0o604
    finally:
        os.umask(old)
