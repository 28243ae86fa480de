"""``thesis corpus``: render the embedded corpus, cut clean clips, lay out an FMA subset."""

from __future__ import annotations

import json
from pathlib import Path

from ._checks import check_output_dir, float_range, int_range

#: Sample rates accepted for rendering and clips (Hz): telephone band to high-resolution audio.
RATES = int_range(8000, 384000)


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "corpus", help="embedded audio corpus, clean clips, FMA subsets",
        description="Build the clean side of the Task 2 data (thesis §4.1): render the embedded "
                    "music21 corpus, cut tracks into clean clips, or build FMA-Classical-1602 "
                    "from an FMA download.")
    sub = p.add_subparsers(dest="corpus_action", metavar="ACTION", required=True)

    r = sub.add_parser("render", help="render tracks of the embedded corpus to WAV",
                       description="Render music21 corpus works with the GM SoundFont inside "
                                   "pretty_midi (cached; a manifest with checksums is written).")
    r.add_argument("--subset", choices=("classical", "mixed"), default="classical",
                   help="classical: chorales, quartets, piano (stands in for FMA-Classical-1602); "
                        "mixed: arranged folk/dance tunes with drums (stands in for FMA-small)")
    r.add_argument("--tracks", type=int_range(1), default=8,
                   help="number of tracks, >= 1 (default 8)")
    r.add_argument("--out", required=True, help="output folder")
    r.add_argument("--seed", type=int_range(0), default=0,
                   help="selection/arrangement seed, >= 0 (default 0)")
    r.add_argument("--duration", type=float_range(0, 3600, low_open=True), default=30.0,
                   help="seconds per track, > 0 and at most 3600 (default 30)")
    r.add_argument("--rate", type=RATES, default=44100,
                   help="render sample rate in Hz, 8000 to 384000 (default 44100)")
    r.set_defaults(func=_render)

    c = sub.add_parser("clips", help="cut tracks into clean mono 48 kHz 5-s float32 clips",
                       description="Mono, resample, 30-s excerpt (pad ≤ 0.5 s, else discard), "
                                   "5-s clips into OUT/{train,val,test}/…")
    c.add_argument("--audio", required=True,
                   help="folder of tracks (with or without split folders)")
    c.add_argument("--out", required=True, help="clean clip tree to write")
    c.add_argument("--split-seed", type=int_range(0), default=0,
                   help="seed of the 80/10/10 track split, >= 0 (default 0)")
    c.add_argument("--clip-s", type=float_range(0, 30, low_open=True), default=5.0,
                   help="clip length in seconds, > 0 and at most the 30-s excerpt (default 5)")
    c.add_argument("--rate", type=RATES, default=48000,
                   help="clip sample rate in Hz, 8000 to 384000 (default 48000)")
    c.set_defaults(func=_clips)

    f = sub.add_parser("fma", help="build an FMA Classical subset in FMA layout",
                       description="Classical genre ids from genres.csv, tracks whose "
                                   "track.genres_all contains them, a seeded sample, an 80/10/10 "
                                   "track-level split, {train,val,test}/{000,…}/*.mp3.")
    f.add_argument("--metadata", required=True, help="folder with genres.csv and tracks.csv")
    f.add_argument("--audio", required=True, help="FMA audio folder (fma_large or fma_full)")
    f.add_argument("--out", required=True, help="subset folder to create")
    f.add_argument("--tracks", type=int_range(1), default=1602,
                   help="sample size, >= 1 (default 1602)")
    f.add_argument("--seed", type=int_range(0), default=0,
                   help="sample and split seed, >= 0 (default 0)")
    f.add_argument("--genre", default="Classical", help="genre title (default Classical)")
    f.add_argument("--copy", action="store_true", help="copy the MP3s instead of symlinking")
    f.add_argument("--manifest", default=None,
                   help="where to store the split id lists (default OUT/splits.json; put it in "
                        "data_manifests/ to version it)")
    f.set_defaults(func=_fma)


def _render(args) -> int:
    # deferred on purpose: `thesis --help` imports every verb module; the library loads in seconds
    from thesis_lib.data import render_corpus
    check_output_dir(args.out)
    paths = render_corpus(args.out, subset=args.subset, tracks=args.tracks, seed=args.seed,
                          duration_s=args.duration, rate=args.rate, progress=True)
    print(f"{len(paths)} tracks in {Path(args.out)}")
    return 0


def _clips(args) -> int:
    # deferred on purpose: `thesis --help` imports every verb module; the library loads in seconds
    from thesis_lib.data import make_clips
    check_output_dir(args.out, inputs=(args.audio,))
    out = make_clips(args.audio, args.out, split_seed=args.split_seed, clip_s=args.clip_s,
                     rate=args.rate, progress=True)
    manifest = json.loads((out / "clips_manifest.json").read_text())
    counts = {k: len(v) for k, v in manifest["tracks"].items()}
    print(f"clean clips in {out}: tracks per split {counts}, "
          f"discarded {len(manifest['discarded'])}")
    return 0


def _fma(args) -> int:
    # deferred on purpose: `thesis --help` imports every verb module; the library loads in seconds
    from thesis_lib.data import fma
    check_output_dir(args.out, inputs=(args.audio, args.metadata))
    meta = Path(args.metadata)
    genres = fma.genre_ids(meta / "genres.csv", args.genre)
    ids = fma.tracks_with_genres(meta / "tracks.csv", genres)
    sample = fma.sample_tracks(ids, n=args.tracks, seed=args.seed)
    splits = fma.split_tracks(sample, seed=args.seed)
    manifest = fma.layout_subset(args.audio, args.out, splits, link=not args.copy,
                                 manifest=args.manifest)
    print(f"{len(ids)} {args.genre} tracks, sampled {len(sample)}: "
          f"{ {k: len(v) for k, v in splits.items()} }; id lists in {manifest}")
    return 0
