import json

import numpy as np
import pretty_midi
import pytest
import yaml

from thesis_lib._digest import file_sha256
from thesis_lib.data import corpus
from thesis_lib.data.audio import read_audio


def test_subsets_are_disjoint_and_stratified():
    classical = corpus.select_tracks("classical", 9)
    mixed = corpus.select_tracks("mixed", 9)
    assert [s.group for s in classical] == ["chorale", "strings", "keyboard"] * 3
    assert {s.source for s in classical}.isdisjoint(s.source for s in mixed)
    assert len({s.source for s in classical}) == 9
    # mixed tracks are arranged for several GM instruments, most with drums
    mixed = corpus.select_tracks("mixed", 40)
    assert len({s.programs[0] for s in mixed}) >= 8
    assert 0.5 < np.mean([s.drums for s in mixed]) < 1.0
    # a prefix of a longer selection is the shorter selection (tracks=N is stable)
    assert corpus.select_tracks("mixed", 5) == mixed[:5]
    assert corpus.select_tracks("mixed", 5, seed=1) != mixed[:5]


def test_bad_requests_are_explained():
    with pytest.raises(ValueError, match="choose one of"):
        corpus.select_tracks("jazz", 1)
    with pytest.raises(ValueError, match="at most"):
        corpus.select_tracks("classical", 10**6)


def test_short_piece_is_looped_to_fill_the_track():
    chorale = corpus.select_tracks("classical", 1)[0]
    notes, length_ql = corpus._score_notes(chorale.source)
    length_s = length_ql * 60 / chorale.tempo_bpm
    duration = 2.5 * length_s  # asks for more than two passes through the piece
    midi = corpus._to_midi(chorale, duration)
    assert midi.get_end_time() == pytest.approx(duration, abs=0.01)
    starts = sorted({round(n.start, 6) for i in midi.instruments for n in i.notes})
    first = min(s for _, s, _, _ in notes) * 60 / chorale.tempo_bpm
    for loop in (1, 2):  # each pass starts where the previous one ended
        assert any(abs(s - (loop * length_s + first)) < 1e-6 for s in starts)
    assert all(i.program == chorale.programs[0] for i in midi.instruments)


def test_mixed_arrangement_has_melody_bass_and_drums():
    spec = next(s for s in corpus.select_tracks("mixed", 10) if s.drums)
    midi = corpus._to_midi(spec, 10.0)
    programs = [(i.program, i.is_drum) for i in midi.instruments]
    assert programs == [(spec.programs[0], False), (spec.programs[1], False), (0, True)]
    bass = midi.instruments[1].notes
    assert all(36 <= n.pitch < 48 for n in bass)
    beat = 60.0 / spec.tempo_bpm
    assert bass[1].start - bass[0].start == pytest.approx(beat)


def test_render_is_deterministic_cached_and_recorded(tmp_path):
    first = corpus.render_corpus(tmp_path / "a", "mixed", tracks=2, duration_s=4.0, rate=22050)
    second = corpus.render_corpus(tmp_path / "b", "mixed", tracks=2, duration_s=4.0, rate=22050)
    assert [p.read_bytes() for p in first] == [p.read_bytes() for p in second]
    audio, rate = read_audio(first[0])
    assert rate == 22050 and audio.shape == (2, 4 * 22050)
    assert np.abs(audio).max() == pytest.approx(10 ** (-1 / 20), rel=1e-5)
    assert np.sqrt(np.mean(audio**2)) > 0.02        # music, not silence
    manifest = json.loads((tmp_path / "a" / "corpus_manifest.json").read_text())
    entry = manifest["tracks"][first[0].name]
    assert entry["sha256"] == file_sha256(first[0]) and entry["source"].startswith("ryansMammoth/")
    before = first[0].stat().st_mtime_ns
    corpus.render_corpus(tmp_path / "a", "mixed", tracks=2, duration_s=4.0, rate=22050)
    assert first[0].stat().st_mtime_ns == before
    first[1].write_bytes(first[1].read_bytes()[:-10])  # damaged file: checksum mismatch
    corpus.render_corpus(tmp_path / "a", "mixed", tracks=2, duration_s=4.0, rate=22050)
    assert first[1].read_bytes() == second[1].read_bytes()


def test_soundfont_is_the_one_inside_pretty_midi():
    assert corpus.soundfont_path().parent.name == "pretty_midi"
    assert corpus.soundfont_path().stat().st_size > 1_000_000
    assert pretty_midi  # the SoundFont ships with this dependency


def test_check_corpus_compares_with_a_manifest(tmp_path):
    paths = corpus.render_corpus(tmp_path / "r", "mixed", tracks=2, duration_s=2.0, rate=16000)
    manifest = tmp_path / "m.yml"
    manifest.write_text(yaml.safe_dump({"subsets": {"mixed": [
        {"file": paths[0].name, "sha256": file_sha256(paths[0])},
        {"file": paths[1].name, "sha256": "0" * 64}]}}))
    (tmp_path / "r" / "extra.wav").write_bytes(b"x")
    verdict = corpus.check_corpus(tmp_path / "r", manifest)
    assert verdict == {"matching": [paths[0].name], "differing": [paths[1].name],
                       "unlisted": ["extra.wav"]}
    with pytest.raises(FileNotFoundError, match="git checkout"):
        corpus.check_corpus(tmp_path / "r", tmp_path / "missing.yml")


def test_ensure_mono_clip_renders_once_and_reuses(tmp_path):
    path = corpus.ensure_mono_clip(tmp_path / "clip.wav", subset="classical", seed=0,
                                   duration_s=1.0, rate=16_000)
    audio, rate = read_audio(path)
    assert rate == 16_000 and audio.shape == (1, 16_000) and float(abs(audio).max()) > 0.01
    stamp = path.stat().st_mtime_ns
    assert corpus.ensure_mono_clip(path, duration_s=1.0, rate=16_000) == path
    assert path.stat().st_mtime_ns == stamp      # found, not rendered again


@pytest.mark.parametrize("subset", ["classical", "mixed"])
def test_a_larger_selection_extends_a_smaller_one(subset):
    # what makes the works after a corpus's own tracks unseen by every model trained on it
    small, large = corpus.select_tracks(subset, 8), corpus.select_tracks(subset, 16)
    assert large[:8] == small
    assert not {s.source for s in large[8:]} & {s.source for s in small}


def test_render_from_a_later_work_writes_only_those_tracks(tmp_path):
    later = corpus.render_corpus(tmp_path / "u", "mixed", tracks=3, duration_s=2.0, rate=16000,
                                 first=2)
    whole = corpus.render_corpus(tmp_path / "w", "mixed", tracks=3, duration_s=2.0, rate=16000)
    assert [p.name for p in later] == [whole[2].name]
    assert later[0].read_bytes() == whole[2].read_bytes()
    assert sorted(p.name for p in (tmp_path / "u").glob("*.wav")) == [whole[2].name]
    with pytest.raises(ValueError, match="first must lie"):
        corpus.render_corpus(tmp_path / "x", "mixed", tracks=3, first=3)
