import os

import numpy as np
import pytest
import soundfile as sf

from thesis_lib.data.audio import read_audio, write_wav
from thesis_lib.data.clips import find_split_dirs, make_clips, parse_clip_name

from .conftest import tone


def _tracks(root, durations, rate=44100, stereo=True):
    for i, seconds in enumerate(durations):
        left, right = tone(440.0, seconds, rate), tone(880.0, seconds, rate, 0.25)
        audio = np.stack([left, right]) if stereo else left
        write_wav(root / f"track{i:02d}.wav", audio, rate)


def test_thirty_second_rule_and_clip_format(tmp_path):
    # 20 tracks: long ones truncated, one 0.4 s short (padded), one 1 s short (discarded)
    durations = [31.0] * 18 + [29.6, 29.0]
    _tracks(tmp_path / "tracks", durations, rate=8000)
    out = make_clips(tmp_path / "tracks", tmp_path / "clean", clip_s=5.0, rate=16000)
    clips = sorted(out.rglob("*.wav"))
    assert len(clips) == 19 * 6
    info = sf.info(str(clips[0]))
    assert (info.samplerate, info.channels, info.subtype, info.frames) == (16000, 1, "FLOAT", 80000)
    splits = {p.relative_to(out).parts[0] for p in clips}
    assert splits == {"train", "val", "test"}
    # each track's clips stay in one split (track-level split, no leakage)
    split_of = {}
    for p in clips:
        key = parse_clip_name(p.relative_to(out))[0]
        split_of.setdefault(key.split("/", 1)[1], set()).add(key.split("/", 1)[0])
    assert len(split_of) == 19 and all(len(s) == 1 for s in split_of.values())
    padded = [p for p in clips if "track18_clip05" in p.name][0]
    tail, _ = read_audio(padded)
    assert np.all(tail[0, -int(0.4 * 16000) + 50:] == 0) and np.any(tail[0, :1000] != 0)


def test_mono_is_channel_average_of_resampled_track(tmp_path):
    _tracks(tmp_path / "tracks", [30.0] * 3, rate=48000)
    out = make_clips(tmp_path / "tracks", tmp_path / "clean", rate=48000)
    clip = sorted(out.rglob("track00_clip01.wav"))[0]
    got, _ = read_audio(clip)
    expected = (tone(440.0, 30, 48000) + tone(880.0, 30, 48000, 0.25)) / 2
    np.testing.assert_allclose(got[0], expected[240000:480000], atol=1e-6)


def test_rerun_skips_finished_tracks(tmp_path):
    _tracks(tmp_path / "tracks", [30.0] * 3, rate=8000)
    out = make_clips(tmp_path / "tracks", tmp_path / "clean", rate=8000)
    first = {p: p.stat().st_mtime_ns for p in out.rglob("*.wav")}
    victim = sorted(first)[0]
    victim.unlink()
    make_clips(tmp_path / "tracks", tmp_path / "clean", rate=8000)
    again = {p: p.stat().st_mtime_ns for p in out.rglob("*.wav")}
    assert set(again) == set(first)
    victim_track = parse_clip_name(victim.relative_to(out))[0]
    untouched = [p for p in first if parse_clip_name(p.relative_to(out))[0] != victim_track]
    assert len(untouched) == 12 and all(again[p] == first[p] for p in untouched)


def test_existing_split_folders_are_kept_case_insensitively(tmp_path):
    for split in ("Train", "VAL", "test"):
        _tracks(tmp_path / "tracks" / split / "007", [30.0], rate=8000, stereo=False)
    out = make_clips(tmp_path / "tracks", tmp_path / "clean", rate=8000)
    splits = sorted(p.relative_to(out).parts[0] for p in out.rglob("*_clip00.wav"))
    assert splits == ["test", "train", "val"]
    assert (out / "train" / "007" / "track00_clip05.wav").exists()


def test_two_folders_for_one_split_is_an_error(tmp_path):
    (tmp_path / "train").mkdir()
    (tmp_path / "TRAIN").mkdir()
    if len(os.listdir(tmp_path)) < 2:  # case-insensitive file system: nothing to test
        pytest.fail("this test needs a case-sensitive file system")
    with pytest.raises(ValueError, match="rename or remove"):
        find_split_dirs(tmp_path)


def test_missing_folder_message(tmp_path):
    with pytest.raises(FileNotFoundError, match="thesis corpus render"):
        make_clips(tmp_path / "nope", tmp_path / "clean")
