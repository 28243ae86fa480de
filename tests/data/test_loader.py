import numpy as np
import pytest
import torch

from thesis_lib.data import PairedAudioDataset, Resampler, UnpairedFileError
from thesis_lib.data.audio import write_wav

from .conftest import tone


def _pair(root, split_clean, split_deg, rel, x, y, rate=48000):
    write_wav(root / "clean" / split_clean / rel, x, rate)
    write_wav(root / "deg" / split_deg / rel, y, rate)


def test_nested_case_varied_layout_pairs_by_relative_path(tmp_path):
    rng = np.random.default_rng(0)
    rels = ["000/000002_clip00.wav", "000/000002_clip01.wav", "a/b/c/deep_clip00.wav"]
    signals = {}
    for rel in rels:
        x = rng.uniform(-0.5, 0.5, 4800).astype(np.float32)
        signals[rel] = x
        _pair(tmp_path, "Train", "TRAIN", rel, x, 2 * x)
    _pair(tmp_path, "val", "Validation", "v.wav", tone(100, 0.1, 48000), tone(100, 0.1, 48000))
    ds = PairedAudioDataset(tmp_path / "deg", tmp_path / "clean", split="train", target_rate=None)
    assert ds.relpaths == sorted(rels) and len(ds) == 3
    for i, rel in enumerate(ds.relpaths):
        y, x = ds[i]
        assert x.dtype == torch.float32 and x.shape == (1, 4800)
        np.testing.assert_array_equal(x[0].numpy(), signals[rel])
        np.testing.assert_array_equal(y[0].numpy(), 2 * signals[rel])
    assert len(PairedAudioDataset(tmp_path / "deg", tmp_path / "clean", split="VAL")) == 1


def test_file_name_case_differences_still_pair(tmp_path):
    write_wav(tmp_path / "clean/test/Sub/Clip.WAV", tone(100, 0.1, 48000), 48000)
    write_wav(tmp_path / "deg/test/sub/clip.wav", tone(100, 0.1, 48000), 48000)
    ds = PairedAudioDataset(tmp_path / "deg", tmp_path / "clean", split="test")
    assert ds.relpaths == ["sub/clip.wav"]


def test_both_members_resampled_by_the_same_operator(tmp_path):
    x = tone(1000, 5.0, 48000)
    y = x + np.random.default_rng(1).normal(0, 0.01, x.size).astype(np.float32)
    _pair(tmp_path, "train", "train", "c.wav", x, y)
    ds = PairedAudioDataset(tmp_path / "deg", tmp_path / "clean", split="train", target_rate=44100)
    y_t, x_t = ds[0]
    assert x_t.shape == y_t.shape == (1, 220500)
    r = Resampler(48000, 44100)
    np.testing.assert_array_equal(x_t[0].numpy(), r(x))
    np.testing.assert_array_equal(y_t[0].numpy(), r(y))
    # linearity: the pair's difference is the resampled difference (same operator on both)
    np.testing.assert_allclose((y_t - x_t)[0].numpy(), r(y - x), atol=2e-6)


def test_safety_trim_and_stereo_to_mono(tmp_path):
    x = np.stack([tone(200, 1.0, 48000), tone(300, 1.0, 48000)])
    y = tone(200, 1.01, 48000)
    _pair(tmp_path, "train", "train", "c.wav", x, y)
    y_t, x_t = PairedAudioDataset(tmp_path / "deg", tmp_path / "clean", target_rate=None)[0]
    assert y_t.shape == x_t.shape == (1, 48000)
    np.testing.assert_allclose(x_t[0].numpy(), x.mean(axis=0), atol=1e-7)


def test_unpaired_and_unreadable_files_are_named(tmp_path):
    _pair(tmp_path, "train", "train", "ok.wav", tone(100, 0.1, 48000), tone(100, 0.1, 48000))
    write_wav(tmp_path / "deg/train/stray.wav", tone(100, 0.1, 48000), 48000)
    with pytest.raises(UnpairedFileError, match="stray.wav"):
        PairedAudioDataset(tmp_path / "deg", tmp_path / "clean")
    (tmp_path / "deg/train/stray.wav").unlink()
    write_wav(tmp_path / "clean/train/extra.wav", tone(100, 0.1, 48000), 48000)
    assert len(PairedAudioDataset(tmp_path / "deg", tmp_path / "clean")) == 1
    with pytest.raises(UnpairedFileError, match="extra.wav"):
        PairedAudioDataset(tmp_path / "deg", tmp_path / "clean", strict=True)
    (tmp_path / "deg/train/ok.wav").write_bytes(b"garbage")
    ds = PairedAudioDataset(tmp_path / "deg", tmp_path / "clean")
    with pytest.raises(ValueError, match="ok.wav"):
        ds[0]
    with pytest.raises(FileNotFoundError, match="'test' split"):
        PairedAudioDataset(tmp_path / "deg", tmp_path / "clean", split="test")
