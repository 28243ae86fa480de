"""The embedded default corpus: music21 scores rendered to audio with a GM SoundFont.

No thesis audio is reachable here, so two subsets of real repertoire stand in
for the thesis corpora:

``classical`` (stand-in for FMA-Classical-1602)
    Bach chorales, string quartets (Haydn, Mozart, Beethoven, R. Schumann,
    Corelli) and keyboard works (Joplin, Chopin, Mozart, C. Schumann, C.P.E.
    Bach, Beach), taken round-robin from the three groups so that any prefix of
    the track list mixes them. Instruments follow the score (strings for
    quartets, piano for keyboard works, organ/strings/choir for chorales).
``mixed`` (stand-in for FMA-small)
    Folk and dance tunes of Ryan's Mammoth Collection, each arranged with a
    seeded melody instrument drawn from a broad General-MIDI palette (guitars,
    reeds, brass, synth leads, organ, banjo...), a bass line and, for most
    tracks, a drum kit.

Scores are turned into notes directly (ties merged, repeats not expanded), so
long movements are cheap: only the first ``duration_s`` seconds are kept, and a
short piece is looped until it fills them. Notes are rendered offline by
TinySoundFont with the ``TimGM6mb.sf2`` SoundFont that ships inside
``pretty_midi``; everything is pip-installable and nothing downloads.
Rendering is deterministic; ``corpus_manifest.json`` in the output folder lists
every track's source, arrangement and SHA-256, and finished tracks are skipped.

References
----------
.. [1] M. S. Cuthbert and C. Ariza, "music21: A toolkit for computer-aided
   musicology and symbolic music data", ISMIR 2010.
.. [2] TinySoundFont, https://github.com/schellingb/TinySoundFont
"""

from __future__ import annotations

import io
import json
import zlib
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import tinysoundfont
import yaml
from tqdm import tqdm

from thesis_lib._digest import file_sha256
from thesis_lib._paths import MANIFESTS
from thesis_lib.provenance import write_json_atomic

from .audio import write_wav

__all__ = ["SUBSETS", "TrackSpec", "select_tracks", "arrange", "render_track", "render_corpus",
           "soundfont_path", "check_corpus"]

SUBSETS = ("classical", "mixed")
MANIFEST_NAME = "corpus_manifest.json"

_CHORALE_PROGRAMS = (19, 48, 52)          # church organ, string ensemble, choir aahs
_STRING_PROGRAMS = (40, 40, 41, 42)       # violin I, violin II, viola, cello
_MIXED_MELODY = (24, 25, 21, 73, 65, 56, 80, 81, 11, 105, 109, 40, 4, 16, 71, 26)
_MIXED_BASS = (32, 33, 34, 38)
_GROUPS = {
    "classical": {
        "chorale": ("bach/",),
        "strings": ("haydn/", "mozart/k80/", "mozart/k155/", "mozart/k156/", "mozart/k458/",
                    "beethoven/", "schumann_robert/opus41", "corelli/"),
        "keyboard": ("joplin/", "chopin/", "mozart/k545/", "schumann_clara/polonaise",
                     "cpebach/", "beach/"),
    },
    "mixed": {"folk": ("ryansMammoth/",)},
}


@dataclass(frozen=True)
class TrackSpec:
    """One corpus track: where its score comes from and how it is arranged."""

    name: str
    source: str
    group: str
    subset: str
    seed: int
    tempo_bpm: float = 0.0
    programs: tuple = ()
    drums: bool = False
    extra: dict = field(default_factory=dict)


def soundfont_path() -> Path:
    """Path of the General-MIDI SoundFont shipped inside ``pretty_midi``."""
    import pretty_midi  # heavy import, deferred on purpose: only rendering needs it
    path = Path(pretty_midi.__file__).parent / "TimGM6mb.sf2"
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: reinstall pretty_midi (`make setup`)")
    return path


def _candidates(subset: str) -> dict[str, list[str]]:
    from music21 import corpus  # heavy import, deferred on purpose: only selection needs it
    names = sorted({str(p).split("/corpus/")[-1] for p in corpus.getPaths()})
    out = {}
    for group, prefixes in _GROUPS[subset].items():
        suffixes = (".mxl", ".xml", ".musicxml", ".krn", ".abc")
        picks = [n for n in names if n.startswith(prefixes) and n.endswith(suffixes)]
        # A work present both as .krn and .mxl is kept once (the .mxl).
        stems = {}
        for n in picks:
            stem = n.rsplit(".", 1)[0]
            if stem not in stems or n.endswith(".mxl"):
                stems[stem] = n
        out[group] = sorted(stems.values())
    return out


def select_tracks(subset: str, tracks: int, seed: int = 0) -> list[TrackSpec]:
    """The first ``tracks`` tracks of ``subset``: a seeded shuffle within each group, round-robin.

    Examples
    --------
    >>> specs = select_tracks("classical", 3)
    >>> [s.group for s in specs]
    ['chorale', 'strings', 'keyboard']
    >>> select_tracks("classical", 3) == specs
    True
    """
    if subset not in SUBSETS:
        raise ValueError(f"unknown corpus subset {subset!r}; choose one of {SUBSETS}")
    if tracks < 1:
        raise ValueError(f"tracks must be at least 1, got {tracks}")
    groups = _candidates(subset)
    rng = np.random.default_rng([seed, zlib.crc32(subset.encode())])
    shuffled = {g: [names[i] for i in rng.permutation(len(names))] for g, names in groups.items()}
    order = []
    for i in range(max(len(v) for v in shuffled.values())):
        order.extend(v[i] for v in shuffled.values() if i < len(v))
    if tracks > len(order):
        raise ValueError(f"subset {subset!r} has {len(order)} works; ask for at most that many "
                         "tracks")
    specs = []
    for k, source in enumerate(order[:tracks]):
        group = next(g for g, v in shuffled.items() if source in v)
        track_seed = (seed + zlib.crc32(source.encode())) % 2**32
        name = f"{subset}_{k:04d}_" + source.rsplit(".", 1)[0].replace("/", "-")
        specs.append(arrange(TrackSpec(name=name, source=source, group=group, subset=subset,
                                       seed=track_seed)))
    return specs


def arrange(spec: TrackSpec) -> TrackSpec:
    """Fill in tempo, GM programs and drums for a track, deterministically from its seed."""
    rng = np.random.default_rng(spec.seed)
    if spec.group == "chorale":
        program = int(rng.choice(_CHORALE_PROGRAMS))
        return _replace(spec, tempo_bpm=float(rng.integers(66, 84)), programs=(program,) * 4)
    if spec.group == "strings":
        return _replace(spec, tempo_bpm=float(rng.integers(96, 132)), programs=_STRING_PROGRAMS)
    if spec.group == "keyboard":
        return _replace(spec, tempo_bpm=float(rng.integers(84, 120)), programs=(0, 0))
    melody = int(rng.choice(_MIXED_MELODY))
    bass = int(rng.choice(_MIXED_BASS))
    return _replace(spec, tempo_bpm=float(rng.integers(100, 150)), programs=(melody, bass),
                    drums=bool(rng.random() < 0.75))


def _replace(spec, **kw):
    d = asdict(spec)
    d.update(kw)
    return TrackSpec(**d)


def _score_notes(source: str):
    """``[(part, start_ql, duration_ql, midi_pitch), ...]`` and the length in quarter notes."""
    from music21 import corpus  # heavy import, deferred on purpose: only selection needs it
    score = corpus.parse(source)
    if hasattr(score, "scores") and not hasattr(score, "parts"):
        score = score.scores[0]
    parts = list(score.parts) or [score]
    notes = []
    for p_index, part in enumerate(parts):
        # Tied notes are merged by hand: music21's ``stripTies`` is quadratic in
        # the number of notes and takes seconds on a quartet movement.
        pending = {}
        for element in part.flatten().notes:
            start, dur = float(element.offset), float(element.quarterLength)
            if dur <= 0:  # grace notes carry no duration
                continue
            members = element.notes if element.isChord else [element]
            for member in members:
                pitch = int(member.pitch.midi)
                tie = member.tie if member.tie is not None else element.tie
                kind = tie.type if tie is not None else None
                if kind in ("stop", "continue") and pitch in pending:
                    i = pending[pitch]
                    part_i, s0, _, _ = notes[i]
                    notes[i] = (part_i, s0, start + dur - s0, pitch)
                    if kind == "stop":
                        del pending[pitch]
                    continue
                notes.append((p_index, start, dur, pitch))
                if kind == "start":
                    pending[pitch] = len(notes) - 1
    if not notes:
        raise ValueError(f"music21 corpus work {source!r} has no notes; drop it from the subset")
    length = max(s + d for _, s, d, _ in notes)
    return notes, length


def _to_midi(spec: TrackSpec, duration_s: float):
    """Build a ``pretty_midi.PrettyMIDI`` of the arranged track, looped/cut to ``duration_s``."""
    import pretty_midi  # heavy import, deferred on purpose: only rendering needs it
    notes, length_ql = _score_notes(spec.source)
    sec_per_ql = 60.0 / spec.tempo_bpm
    length_s = length_ql * sec_per_ql
    pm = pretty_midi.PrettyMIDI(initial_tempo=spec.tempo_bpm)
    rng = np.random.default_rng(spec.seed + 1)
    n_parts = max(p for p, *_ in notes) + 1
    programs = spec.programs
    if spec.group == "folk":
        instruments = [pretty_midi.Instrument(program=programs[0]),
                       pretty_midi.Instrument(program=programs[1])]
    else:
        instruments = [pretty_midi.Instrument(program=programs[min(i, len(programs) - 1)])
                       for i in range(n_parts)]
    loops = int(np.ceil(duration_s / length_s))
    for loop in range(loops):
        t0 = loop * length_s
        for part, start, dur, pitch in notes:
            begin = t0 + start * sec_per_ql
            if begin >= duration_s:
                continue
            end = min(begin + dur * sec_per_ql, duration_s)
            velocity = int(np.clip(rng.normal(80, 8), 50, 110))
            if spec.group == "folk":
                instruments[0].notes.append(pretty_midi.Note(velocity, pitch, begin, end))
            else:
                instruments[part].notes.append(pretty_midi.Note(velocity, pitch, begin, end))
    if spec.group == "folk":
        _add_bass(instruments[0], instruments[1], sec_per_ql, duration_s)
        if spec.drums:
            instruments.append(_drum_part(sec_per_ql, duration_s, rng))
    pm.instruments.extend(instruments)
    return pm


def _add_bass(melody, bass, beat_s, duration_s):
    # A simple bass: on every beat, the sounding melody pitch class in the bass register.
    import pretty_midi  # heavy import, deferred on purpose: only rendering needs it
    sounding = sorted(melody.notes, key=lambda n: n.start)
    t, i = 0.0, 0
    while t < duration_s - 1e-9:
        while i + 1 < len(sounding) and sounding[i + 1].start <= t + 1e-9:
            i += 1
        pitch = 36 + sounding[i].pitch % 12
        bass.notes.append(pretty_midi.Note(90, pitch, t, min(t + 0.9 * beat_s, duration_s)))
        t += beat_s


def _drum_part(beat_s, duration_s, rng):
    import pretty_midi  # heavy import, deferred on purpose: only rendering needs it
    kit = pretty_midi.Instrument(program=0, is_drum=True)
    step = beat_s / 2
    for k in range(int(duration_s / step)):
        t = k * step
        kit.notes.append(pretty_midi.Note(int(rng.integers(50, 70)), 42, t, t + 0.05))  # hi-hat
        if k % 4 == 0:
            kit.notes.append(pretty_midi.Note(100, 36, t, t + 0.1))  # kick on beats 1, 3
        elif k % 4 == 2:
            kit.notes.append(pretty_midi.Note(95, 38, t, t + 0.1))   # snare on beats 2, 4
    return kit


def render_track(spec: TrackSpec, duration_s: float = 30.0, rate: int = 44100):
    """Render one arranged track to a stereo float32 array of shape ``(2, samples)``."""
    pm = _to_midi(spec, duration_s)
    buffer = io.BytesIO()
    pm.write(buffer)
    synth = tinysoundfont.Synth(samplerate=rate)
    synth.sfload(str(soundfont_path()))
    sequencer = tinysoundfont.Sequencer(synth)
    sequencer.add(tinysoundfont.midi.load_memory(buffer.getvalue()))
    n = int(round(duration_s * rate))
    audio = np.frombuffer(synth.generate(n), dtype=np.float32).reshape(-1, 2).T.copy()
    peak = float(np.abs(audio).max())
    if peak == 0.0:
        raise ValueError(f"track {spec.name} ({spec.source}) rendered silent; drop it from the "
                         "subset")
    # Normalise to a -1 dBFS peak so that every track uses the same range.
    return (audio * (10 ** (-1 / 20) / peak)).astype(np.float32)


def render_corpus(out_dir, subset: str = "classical", tracks: int = 8, seed: int = 0,
                  duration_s: float = 30.0, rate: int = 44100,
                  progress: bool = False, first: int = 0) -> list[Path]:
    """Render the first ``tracks`` tracks of a corpus subset into ``out_dir`` (cached).

    Parameters
    ----------
    out_dir : str or os.PathLike
        Output folder; receives ``<name>.wav`` files (stereo float32) and
        ``corpus_manifest.json``.
    subset : {"classical", "mixed"}
    tracks : int
        Number of tracks.
    seed : int
        Selection and arrangement seed.
    duration_s : float
        Length of every track (the thesis treats tracks as 30-s excerpts).
    rate : int
        Render sample rate (44.1 kHz, as the MP3s of FMA).
    progress : bool
        Show a progress bar.
    first : int
        Skip the first ``first`` tracks of the selection: ``first=8, tracks=16``
        renders works 8–15, which a corpus of the first 8 tracks never contains
        (held-out works for evaluation).

    Returns
    -------
    list of Path
        The track files, in selection order. Tracks whose file exists and whose
        checksum matches the manifest are not rendered again.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    manifest_path = out_dir / MANIFEST_NAME
    manifest = {}
    if manifest_path.exists():
        try:
            manifest = json.loads(manifest_path.read_text()).get("tracks", {})
        except json.JSONDecodeError:
            manifest = {}
    if not 0 <= first < tracks:
        raise ValueError(f"first must lie in [0, tracks) = [0, {tracks}), got {first}")
    specs = select_tracks(subset, tracks, seed)[first:]
    paths = []
    for spec in tqdm(specs, desc=f"render {subset}", disable=not progress, unit="track"):
        path = out_dir / f"{spec.name}.wav"
        entry = manifest.get(path.name)
        if not (path.exists() and entry and entry.get("sha256") == file_sha256(path)
                and entry.get("duration_s") == duration_s and entry.get("rate") == rate):
            write_wav(path, render_track(spec, duration_s, rate), rate)
            entry = {**asdict(spec), "duration_s": duration_s, "rate": rate,
                     "sha256": file_sha256(path)}
            manifest[path.name] = entry
            write_json_atomic(manifest_path, _manifest_doc(manifest))
        paths.append(path)
    write_json_atomic(manifest_path, _manifest_doc(manifest))
    return paths


def _manifest_doc(tracks: dict) -> dict:
    import music21  # heavy import, deferred on purpose: only the manifest needs it
    return {"soundfont": soundfont_path().name, "soundfont_sha256": _soundfont_digest(),
            "music21": music21.__version__, "tracks": dict(sorted(tracks.items()))}


_SF_DIGEST = {}


def _soundfont_digest():
    if "d" not in _SF_DIGEST:
        _SF_DIGEST["d"] = file_sha256(soundfont_path())
    return _SF_DIGEST["d"]




DEFAULT_MANIFEST = MANIFESTS / "corpus.yml"


def check_corpus(out_dir, manifest=DEFAULT_MANIFEST) -> dict:
    """Compare the tracks rendered in ``out_dir`` with the checksums shipped in ``manifest``.

    Returns ``{"matching": [...], "differing": [...], "unlisted": [...]}`` (file
    names). A difference does not stop anything: the floating-point mixing of a
    differently built synthesiser may change the last bits, so callers report it
    and the render's own ``corpus_manifest.json`` stays the record of what was used.
    """
    manifest = Path(manifest)
    if not manifest.is_file():
        raise FileNotFoundError(f"{manifest} is missing; restore it with "
                                "`git checkout -- data_manifests/`")
    subsets = yaml.safe_load(manifest.read_text())["subsets"]
    shipped = {entry["file"]: entry["sha256"] for entries in subsets.values() for entry in entries}
    verdict = {"matching": [], "differing": [], "unlisted": []}
    for path in sorted(Path(out_dir).glob("*.wav")):
        if path.name not in shipped:
            verdict["unlisted"].append(path.name)
        elif file_sha256(path) == shipped[path.name]:
            verdict["matching"].append(path.name)
        else:
            verdict["differing"].append(path.name)
    return verdict


def ensure_mono_clip(path, *, subset: str = "classical", seed: int = 0, duration_s: float = 5.0,
                     rate: int = 48_000) -> Path:
    """The first track of ``subset`` rendered once as a mono float WAV at ``path``.

    Chapters that study the emulator on one clip share it: the first call renders
    the track (:func:`select_tracks`, :func:`render_track`, channels averaged) and
    writes it atomically; later calls find the file and return at once.

    Returns
    -------
    Path
        ``path``.
    """
    path = Path(path)
    if not path.is_file():
        spec = select_tracks(subset, 1, seed=seed)[0]
        audio = render_track(spec, duration_s=duration_s, rate=rate).mean(axis=0)
        path.parent.mkdir(parents=True, exist_ok=True)
        write_wav(path, audio, rate)
    return path
