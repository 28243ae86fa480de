"""Task 2 data: the embedded corpus, the FMA path, clean clips, paired generation, the paired
loader.

Thesis §4.1-4.3. The pipeline is::

    render_corpus (or an FMA subset)  ->  make_clips  ->  generate_pairs  ->  PairedAudioDataset
    tracks (44.1 kHz)                     clean 5-s clips    degraded clips     (y, x) tensors
                                          (48 kHz, float32)  (same relpaths)    (44.1 kHz)
"""

from .audio import Resampler, read_audio, resample, to_mono, write_wav
from .clips import fit_duration, make_clips, parse_clip_name
from .corpus import SUBSETS, render_corpus, select_tracks
from .fma import (
    fma_relpath,
    genre_ids,
    layout_subset,
    sample_tracks,
    split_tracks,
    tracks_with_genres,
)
from .loader import PairedAudioDataset, UnpairedFileError
from .pairs import (
    GenerationReport,
    clip_seed,
    generate_pairs,
    parse_fraction,
    read_timings,
    select_fraction,
    verify_pairs,
)
from .standin import StandInDegradation

__all__ = ["Resampler", "read_audio", "resample", "to_mono", "write_wav", "fit_duration",
           "make_clips", "parse_clip_name", "SUBSETS", "render_corpus", "select_tracks",
           "fma_relpath", "genre_ids", "layout_subset", "sample_tracks", "split_tracks",
           "tracks_with_genres", "PairedAudioDataset", "UnpairedFileError", "GenerationReport",
           "clip_seed", "generate_pairs", "parse_fraction", "read_timings", "select_fraction",
           "StandInDegradation", "verify_pairs"]
