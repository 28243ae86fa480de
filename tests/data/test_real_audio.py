"""Real-audio corpus: set-up from a local .deb fixture (no network), checksums, splits, excerpts."""

import subprocess

import numpy as np
import pytest
import soundfile as sf
import yaml

from thesis_lib.data import real_audio
from thesis_lib.data.real_audio import (
    copy_deb,
    ensure_real_audio,
    evaluation_excerpts,
    read_excerpt,
    sha256_of,
    split_tracks,
)


def _tone(rate, seconds, hz, stereo=True):
    t = np.arange(int(rate * seconds)) / rate
    x = 0.5 * np.sin(2 * np.pi * hz * t)
    return np.stack([x, x], axis=1) if stereo else x


@pytest.fixture
def fixture_deb(tmp_path):
    """A real .deb holding two short WAV 'tracks', and a manifest that lists them."""
    tree = tmp_path / "pkg"
    music = tree / "usr/share/games/demo/music"
    music.mkdir(parents=True)
    sf.write(music / "a.wav", _tone(48_000, 80.0, 440.0), 48_000)
    sf.write(music / "b.wav", _tone(22_050, 3.0, 1000.0), 22_050)
    (tree / "DEBIAN").mkdir()
    (tree / "DEBIAN/control").write_text(
        "Package: demo-music\nVersion: 1.0-1\nArchitecture: all\nMaintainer: t <t@t>\n"
        "Description: test fixture\n")
    deb = tmp_path / "demo-music_1.0-1_all.deb"
    subprocess.run(["dpkg-deb", "--build", "--root-owner-group", str(tree), str(deb)],
                   check=True, capture_output=True)
    doc = {"packages": [{"package": "demo-music", "version": "1.0-1",
                         "deb_sha256": sha256_of(deb), "root": "usr/share/games/demo/music",
                         "files": [{"path": "a.wav", "sha256": sha256_of(music / "a.wav"),
                                    "licence": "CC0", "split": "test"},
                                   {"path": "b.wav", "sha256": sha256_of(music / "b.wav"),
                                    "licence": "CC0", "split": "train"}]}]}
    manifest = tmp_path / "real_audio.yml"
    manifest.write_text(yaml.safe_dump(doc))
    return deb, manifest


def test_setup_unpacks_verifies_and_splits_by_track(fixture_deb, tmp_path):
    deb, manifest = fixture_deb
    cache = tmp_path / "cache"
    tracks = ensure_real_audio(cache, manifest=manifest, download=copy_deb(deb), log=lambda m: 0)
    assert {t.split for t in tracks} == {"test", "train"}
    assert [p.name for p in split_tracks(cache, "test", manifest=manifest)] == ["a.wav"]
    assert [p.name for p in split_tracks(cache, "train", manifest=manifest)] == ["b.wav"]

    def refuse(*args):
        raise AssertionError("an intact cache must not be fetched again")
    ensure_real_audio(cache, manifest=manifest, download=refuse, log=lambda m: 0)


def test_a_deb_with_another_checksum_is_refused(fixture_deb, tmp_path):
    deb, manifest = fixture_deb
    doc = yaml.safe_load(manifest.read_text())
    doc["packages"][0]["deb_sha256"] = "0" * 64
    manifest.write_text(yaml.safe_dump(doc))
    with pytest.raises(ValueError, match="differs from 0000"):
        ensure_real_audio(tmp_path / "c", manifest=manifest, download=copy_deb(deb),
                          log=lambda m: 0)
    assert not (tmp_path / "c" / "demo-music_1.0-1").exists()  # nothing half-unpacked


def test_a_tampered_file_is_reported_not_overwritten(fixture_deb, tmp_path):
    deb, manifest = fixture_deb
    cache = tmp_path / "cache"
    ensure_real_audio(cache, manifest=manifest, download=copy_deb(deb), log=lambda m: 0)
    victim = split_tracks(cache, "train", manifest=manifest)[0]
    victim.write_bytes(b"not audio")
    with pytest.raises(ValueError, match="delete that folder"):
        ensure_real_audio(cache, manifest=manifest, download=copy_deb(deb), log=lambda m: 0)
    assert victim.read_bytes() == b"not audio"


def test_excerpt_is_mono_resampled_and_keeps_its_pitch(fixture_deb, tmp_path):
    deb, manifest = fixture_deb
    cache = tmp_path / "cache"
    ensure_real_audio(cache, manifest=manifest, download=copy_deb(deb), log=lambda m: 0)
    path = split_tracks(cache, "test", manifest=manifest)[0]
    x = read_excerpt(path, 1.0, 2.0, rate=44_100)
    assert x.shape == (88_200,)
    spectrum = np.abs(np.fft.rfft(x * np.hanning(x.size)))
    peak_hz = np.argmax(spectrum) * 44_100 / x.size
    assert abs(peak_hz - 440.0) < 1.0
    assert np.sqrt(np.mean(x ** 2)) == pytest.approx(0.5 / np.sqrt(2), rel=0.02)


def test_evaluation_excerpts_are_fixed_positions_of_the_split(fixture_deb, tmp_path):
    deb, manifest = fixture_deb
    cache = tmp_path / "cache"
    ensure_real_audio(cache, manifest=manifest, download=copy_deb(deb), log=lambda m: 0)
    names = [n for n, _ in evaluation_excerpts(cache, "test", manifest=manifest)]
    assert names == ["music/a@10s", "music/a@70s"]  # an 80-s track: excerpts at 10 s and 70 s


def test_missing_cache_names_the_setup_call(fixture_deb, tmp_path):
    _, manifest = fixture_deb
    with pytest.raises(FileNotFoundError, match="ensure_real_audio"):
        split_tracks(tmp_path / "empty", "test", manifest=manifest)


def test_shipped_manifest_keeps_test_tracks_out_of_training():
    tracks = real_audio.load_manifest()
    names = {t.split: set() for t in tracks}
    for t in tracks:
        names[t.split].add((t.package, t.path))
    assert names["test"] and names["train"]
    assert not names["test"] & names["train"]
    assert all("wesnoth" not in t.package for t in tracks)
