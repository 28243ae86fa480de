"""Real recorded music from Debian packages: fetch, verify, split by track, cut excerpts.

The embedded corpus is General-MIDI renders; a denoiser trained only on them
has never heard a mixed, produced recording. ``data_manifests/real_audio.yml``
lists freely licensed game soundtracks that Debian ships, with the version and
sha256 of each ``.deb``, the sha256 and licence of each audio file, and the split
(``train``, ``val``, ``test`` or ``excluded``) of each *track* — a track's
excerpts never straddle splits, so the test tracks measure generalisation.

:func:`ensure_real_audio` is the set-up step: ``apt-get download PACKAGE=VERSION``
(Debian's own client, which checks the archive signatures) into the cache,
the ``.deb``'s checksum, ``dpkg -x`` into a folder of its own and every file's
checksum. It does nothing when the files are already there and intact, and
never overwrites a file it did not write. Nothing is downloaded at run time
otherwise: :func:`split_tracks` and :func:`read_excerpt` only read the cache.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np
import soundfile as sf
import yaml
from scipy.signal import resample_poly

from thesis_lib._paths import MANIFESTS

DEFAULT_MANIFEST = MANIFESTS / "real_audio.yml"
SPLITS = ("train", "val", "test", "excluded")


@dataclass(frozen=True)
class RealTrack:
    """One audio file of a package, as the manifest lists it."""

    package: str
    version: str
    deb_sha256: str
    root: str
    path: str
    sha256: str
    licence: str
    split: str

    @property
    def folder(self) -> str:
        """Cache sub-folder of the unpacked package (``PACKAGE_VERSION``)."""
        return f"{self.package}_{self.version}"

    def location(self, cache_dir) -> Path:
        return Path(cache_dir) / self.folder / self.root / self.path


def load_manifest(manifest=DEFAULT_MANIFEST) -> list[RealTrack]:
    """Every track of the manifest; a malformed file raises naming it and the field."""
    manifest = Path(manifest)
    if not manifest.is_file():
        raise FileNotFoundError(f"real-audio manifest {manifest} does not exist; restore "
                                "data_manifests/real_audio.yml from the repository")
    doc = yaml.safe_load(manifest.read_text()) or {}
    tracks = []
    try:
        for pkg in doc["packages"]:
            for f in pkg["files"]:
                tracks.append(RealTrack(pkg["package"], str(pkg["version"]), pkg["deb_sha256"],
                                        pkg["root"], f["path"], f["sha256"], f["licence"],
                                        f["split"]))
    except (KeyError, TypeError) as exc:
        raise ValueError(f"{manifest}: every package needs package, version, deb_sha256, root "
                         f"and files with path, sha256, licence, split (missing {exc})") from exc
    bad = sorted({t.split for t in tracks} - set(SPLITS))
    if bad:
        raise ValueError(f"{manifest}: unknown split(s) {bad}; use one of {SPLITS}")
    return tracks


def sha256_of(path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def apt_download(package: str, version: str, dest: Path) -> Path:
    """``apt-get download PACKAGE=VERSION`` into ``dest``; returns the ``.deb``'s path."""
    try:
        subprocess.run(["apt-get", "download", f"{package}={version}"], cwd=dest, check=True,
                       capture_output=True, text=True)
    except FileNotFoundError:
        raise RuntimeError("apt-get is not available; fetch the packages listed in "
                           "data_manifests/real_audio.yml on a Debian machine") from None
    except subprocess.CalledProcessError as exc:
        raise RuntimeError(f"apt-get download {package}={version} failed "
                           f"({exc.stderr.strip().splitlines()[-1] if exc.stderr else exc}); "
                           "run `apt-get update` or check the network") from None
    debs = sorted(dest.glob(f"{package}_*.deb"))
    if not debs:
        raise RuntimeError(f"apt-get download {package}={version} wrote no .deb into {dest}")
    return debs[0]


def ensure_real_audio(cache_dir, *, manifest=DEFAULT_MANIFEST, download=apt_download,
                      log=print) -> list[RealTrack]:
    """Fetch, verify and unpack every package of the manifest into ``cache_dir``.

    Packages whose files are all present with the listed checksums are skipped.
    A package is unpacked into a temporary folder and renamed into place, so an
    interrupted set-up leaves no half-unpacked package behind.

    Parameters
    ----------
    download : callable(package, version, dest) → Path of the .deb
        Replaceable for tests; the default calls ``apt-get download``.

    Raises
    ------
    ValueError
        A checksum differs (the message names the file and both digests).
    """
    cache_dir = Path(cache_dir)
    tracks = load_manifest(manifest)
    by_folder: dict[str, list[RealTrack]] = {}
    for t in tracks:
        by_folder.setdefault(t.folder, []).append(t)
    for folder, group in by_folder.items():
        if all(_intact(t, cache_dir) for t in group):
            continue
        target = cache_dir / folder
        if target.exists():
            raise ValueError(f"{target} exists but its files do not match {manifest}; delete "
                             "that folder and run the set-up again")
        first = group[0]
        cache_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=cache_dir, prefix=".fetch-") as tmp:
            tmp = Path(tmp)
            log(f"[real_audio] fetching {first.package}={first.version}")
            deb = download(first.package, first.version, tmp)
            digest = sha256_of(deb)
            if digest != first.deb_sha256:
                raise ValueError(f"{deb.name}: sha256 {digest} differs from {first.deb_sha256} "
                                 f"in {manifest}; the archive serves another build")
            unpacked = tmp / "unpacked"
            subprocess.run(["dpkg", "-x", str(deb), str(unpacked)], check=True)
            for t in group:
                got = unpacked / t.root / t.path
                if not got.is_file():
                    raise ValueError(f"{first.package} {first.version} has no {t.root}/{t.path}; "
                                     f"fix {manifest}")
                digest = sha256_of(got)
                if digest != t.sha256:
                    raise ValueError(f"{t.path}: sha256 {digest} differs from {t.sha256} in "
                                     f"{manifest}")
            unpacked.rename(target)
    return tracks


def _intact(track: RealTrack, cache_dir: Path) -> bool:
    path = track.location(cache_dir)
    return path.is_file() and sha256_of(path) == track.sha256


def split_tracks(cache_dir, split: str, *, manifest=DEFAULT_MANIFEST) -> list[Path]:
    """Paths of the unpacked tracks of one split (run :func:`ensure_real_audio` first)."""
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; choose one of {SPLITS}")
    paths = [t.location(cache_dir) for t in load_manifest(manifest) if t.split == split]
    missing = [p for p in paths if not p.is_file()]
    if missing:
        raise FileNotFoundError(f"{missing[0]} is missing; run "
                                f"thesis_lib.data.real_audio.ensure_real_audio({cache_dir!s})")
    return paths


def read_excerpt(path, start_s: float, seconds: float, rate: int = 44_100) -> np.ndarray:
    """A mono float64 excerpt of ``seconds`` from ``start_s``, resampled to ``rate``.

    Channels are averaged; an excerpt running past the end is zero-padded.
    """
    info = sf.info(str(path))
    start = int(round(start_s * info.samplerate))
    frames = int(round(seconds * info.samplerate))
    with sf.SoundFile(str(path)) as fh:
        fh.seek(min(start, info.frames))
        data = fh.read(frames, dtype="float64", always_2d=True)
    mono = data.mean(axis=1)
    if mono.size < frames:
        mono = np.pad(mono, (0, frames - mono.size))
    if info.samplerate != rate:
        ratio = Fraction(int(rate), int(info.samplerate))
        mono = resample_poly(mono, ratio.numerator, ratio.denominator)
    return mono[:int(round(seconds * rate))]


def excerpt_starts(duration_s: float, seconds: float, *, every_s: float = 60.0,
                   skip_s: float = 10.0) -> list[float]:
    """Start times of the fixed evaluation excerpts of a track: every ``every_s`` after ``skip_s``.

    Examples
    --------
    >>> excerpt_starts(200.0, 5.0)
    [10.0, 70.0, 130.0, 190.0]
    >>> excerpt_starts(12.0, 5.0)
    []
    """
    starts, t = [], skip_s
    while t + seconds <= duration_s:
        starts.append(float(t))
        t += every_s
    return starts


def evaluation_excerpts(cache_dir, split: str = "test", *, seconds: float = 5.0,
                        rate: int = 44_100, every_s: float = 60.0,
                        manifest=DEFAULT_MANIFEST) -> list[tuple[str, np.ndarray]]:
    """``(name, mono excerpt)`` of the fixed excerpts (:func:`excerpt_starts`) of a split."""
    out = []
    for path in split_tracks(cache_dir, split, manifest=manifest):
        duration = sf.info(str(path)).duration
        for start in excerpt_starts(duration, seconds, every_s=every_s):
            out.append((f"{path.parent.name}/{path.stem}@{start:.0f}s",
                        read_excerpt(path, start, seconds, rate)))
    return out


def copy_deb(source):
    """A ``download`` for :func:`ensure_real_audio` copying a local ``.deb`` (offline set-up)."""
    def download(package, version, dest):
        return Path(shutil.copy2(source, Path(dest) / Path(source).name))
    return download
