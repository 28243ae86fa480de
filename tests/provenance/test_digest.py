"""Cache keys and file checksums: one helper, the same values the callers computed before."""

import hashlib
import json

import numpy as np

from thesis_lib._digest import bytes_digest, file_sha256, stable_digest
from thesis_lib.denoise.experiment import params_tag
from thesis_lib.emulator import EmulatorParams
from thesis_lib.emulator.preisach import PreisachModel


def test_stable_digest_equals_the_hand_written_recipe():
    # the recipe the mask-extraction cache used: sorted-key JSON, then named float64 arrays
    extra = [4, "/data/s1", "auto", "kmeans", [["a.nxs", 10, 1700000000]]]
    arrays = {"kmeans": np.eye(3, dtype=bool), "__ref": np.arange(6.0).reshape(2, 3)}
    h = hashlib.sha256(json.dumps(extra, sort_keys=True, default=str).encode())
    for name in sorted(arrays):
        h.update(name.encode())
        h.update(np.ascontiguousarray(arrays[name], dtype=np.float64).tobytes())
    assert stable_digest(extra, arrays=arrays, length=20) == h.hexdigest()[:20]


def test_stable_digest_ignores_key_order_but_not_values():
    assert stable_digest({"a": 1, "b": [2, 3]}) == stable_digest({"b": [2, 3], "a": 1})
    assert stable_digest({"a": 1}) != stable_digest({"a": 2})
    a = {"x": np.zeros(4)}
    b = {"x": np.r_[0.0, 0.0, 0.0, 1e-12]}
    assert stable_digest(None, arrays=a) != stable_digest(None, arrays=b)


def test_params_tag_keeps_its_folder_names():
    params = EmulatorParams(preisach_n=100)
    text = json.dumps(params.to_dict(), sort_keys=True, default=str)
    assert params_tag(params) == "p" + hashlib.sha256(text.encode()).hexdigest()[:10]


def test_preisach_digest_keeps_its_value():
    m = PreisachModel(np.array([0.5, 1.0]), np.array([-0.5, 0.0]), np.array([0.25, 0.75]),
                      0.1, "tiny")
    h = hashlib.sha256()
    for arr in (m.alpha, m.beta, m.weight):
        h.update(arr.tobytes())
    h.update(repr(m.chi_rev).encode())
    assert m.digest() == h.hexdigest()[:16]
    assert bytes_digest(b"ab", b"c", length=8) == hashlib.sha256(b"abc").hexdigest()[:8]


def test_file_sha256_streams_large_files_to_the_same_value(tmp_path):
    data = np.random.default_rng(0).bytes(3 * (1 << 20) + 17)   # spans several read blocks
    path = tmp_path / "blob.bin"
    path.write_bytes(data)
    assert file_sha256(path) == hashlib.sha256(data).hexdigest()
