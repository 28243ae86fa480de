"""Stored measurements of the spectral release: what the book cannot recompute offline.

The generalisation table and the fixed-filter study are measured on held-out
*real* recordings, which a set-up step fetches from Debian
(:mod:`thesis_lib.data.real_audio`) and the repository does not redistribute;
the 3-minute benchmark needs an idle machine. Their JSON outputs are gathered
here into ``data_manifests/models/spectral_release_metrics.json`` together with
the commands that made them, and the chapter ``release_denoiser`` reads that
file::

    python -m thesis_lib.denoise.release_metrics --checkpoint RUN/best.pt \\
        --generalisation G.json --design D.json --benchmark B.json [--out FILE]

where ``G.json`` and ``D.json`` are the outputs of
``python -m thesis_lib.denoise.headroom --real CACHE --table generalisation|design ...``
and ``B.json`` that of ``python benchmarks/denoise.py``.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from thesis_lib._atomic import atomic_path
from thesis_lib.metrics import si_sdr

from .checkpoint import SPECTRAL_RELEASE, read_checkpoint

#: Where the chapter reads the stored measurements.
SPECTRAL_RELEASE_METRICS = SPECTRAL_RELEASE.with_name("spectral_release_metrics.json")

#: The commands that re-measure each section (CACHE: the real-audio folder, RUN: the run).
COMMANDS = {
    "training": "python -m thesis_lib.denoise.release_recipe --real CACHE --out RUN1 "
                "--minutes 35 --threads 1 && python -m thesis_lib.denoise.release_recipe "
                "--real CACHE --out RUN --init RUN1/best.pt --minutes 40 --threads 1 --lr 5e-4 "
                "--si-sdr-weight 0.3 --default-share 0.5 "
                "--export data_manifests/models/spectral_release.pt",
    "generalisation": "python -m thesis_lib.denoise.headroom --real CACHE --table generalisation "
                      "--checkpoint unet_release=data_manifests/models/unet_release.pt "
                      "--checkpoint spectral_release=data_manifests/models/spectral_release.pt "
                      "--checkpoint spectral_stage1=RUN1/export.pt "
                      "--checkpoint spectral_delay_start=RUN3/export.pt",
    "design": "python -m thesis_lib.denoise.headroom --real CACHE --table design",
    "benchmark": "python benchmarks/denoise.py --threads 2 --no-sweep --models release",
    "comparisons": "python -m thesis_lib.denoise.release_recipe --real CACHE --out RUN2 --smoke "
                   "--minutes M --threads 1 --architecture release_net|spectral_net",
    "delay_start": "python -m thesis_lib.denoise.release_recipe --real CACHE --out RUN3 "
                   "--minutes 70 --threads 1 --filter-delay-us auto --export RUN3/export.pt",
}


def release_metrics(path=SPECTRAL_RELEASE_METRICS) -> dict:
    """The stored measurements (sections ``training``, ``generalisation``, ``design``,
    ``benchmark`` and ``commands``)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing; gather it with `python -m "
                                "thesis_lib.denoise.release_metrics` (see its docstring)")
    return json.loads(path.read_text())


def validation_input_si_sdr(run_dir) -> float | None:
    """Mean SI-SDR (dB) of the degraded validation excerpts a run cached, if it has them."""
    found = sorted(Path(run_dir).glob("val_pairs/*.npz"))
    if not found:
        return None
    with np.load(found[0]) as data:
        return float(np.mean([si_sdr(np.float64(x), np.float64(y))
                              for y, x in zip(data["degraded"], data["clean"], strict=True)]))


def run_summary(checkpoint) -> dict:
    """What a (possibly short) recipe run reached: network, settings, steps, best validation.

    ``init`` is the checkpoint a fine-tuning stage started from (path and sha256), or None.
    """
    run = read_checkpoint(checkpoint)
    config = run.get("train_config") or {}
    return {"architecture": run["model_config"].get("architecture"),
            "steps": run.get("step"), "minutes": round(run.get("seconds", 0.0) / 60, 2),
            "best_val_si_sdr_db": run.get("best_val_si_sdr"),
            "batch_size": config.get("batch_size"), "crop": config.get("crop"),
            "lr": config.get("lr"), "si_sdr_weight": config.get("si_sdr_weight", 0.0),
            "default_share": (config.get("ranges") or {}).get("default_share", 0.0),
            "init": config.get("init"),
            "filter_delay_us": run.get("filter_delay_us") or 0.0,
            "validation_input_si_sdr_db": validation_input_si_sdr(Path(checkpoint).parent),
            "validation_history": [h for h in run.get("history", []) if "val_si_sdr_db" in h]}


def compare_runs(generalisation: dict, first: str, second: str,
                 labels: tuple[str, str]) -> dict:
    """Rows, column titles and formats of a two-network comparison over every setting.

    ``generalisation`` is the stored generalisation table; each row holds both networks'
    ΔSI-SDR and LSD, the second one's 95 % half-width and the oracle linear filter's gain,
    as the keywords ``rows``, ``columns`` and ``formats`` of
    :func:`thesis_lib.provenance.markdown_table`.
    """
    rows = []
    for setting, entry in generalisation["settings"].items():
        scores = entry["scores"]
        rows.append({"setting": setting, "first": scores[first]["delta_si_sdr_db"],
                     "second": scores[second]["delta_si_sdr_db"],
                     "ci": scores[second]["delta_si_sdr_db_ci95"],
                     "first_lsd": scores[first]["lsd_db"], "second_lsd": scores[second]["lsd_db"],
                     "oracle": scores["oracle_linear_filter"]["delta_si_sdr_db"]})
    columns = {"setting": "emulator setting", "first": f"ΔSI-SDR, {labels[0]} (dB)",
               "second": f"ΔSI-SDR, {labels[1]} (dB)", "ci": f"± 95 % ({labels[1]})",
               "first_lsd": f"LSD, {labels[0]} (dB)", "second_lsd": f"LSD, {labels[1]} (dB)",
               "oracle": "ΔSI-SDR, oracle linear filter (dB)"}
    formats = {"first": "+.2f", "second": "+.2f", "ci": ".2f", "first_lsd": ".2f",
               "second_lsd": ".2f", "oracle": "+.2f"}
    return {"rows": rows, "columns": columns, "formats": formats}


def gather(checkpoint, generalisation: dict, design: dict, benchmark: dict,
           comparisons: dict | None = None) -> dict:
    """One document from the three measurements, the run's own record and short comparison runs."""
    run = read_checkpoint(checkpoint)
    training = {**run_summary(checkpoint), "device": run.get("device", "cpu"),
                "history": run.get("history", []), "config": run.get("train_config")}
    return {"training": training, "generalisation": generalisation, "design": design,
            "benchmark": benchmark, "commands": COMMANDS,
            "comparisons": {name: run_summary(path) for name, path in (comparisons or {}).items()}}


def main(argv=None) -> Path:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", required=True, help="the run's best.pt or checkpoint.pt")
    for name in ("generalisation", "design", "benchmark"):
        parser.add_argument(f"--{name}", required=True, help=f"JSON output of the {name} command")
    parser.add_argument("--compare", action="append", default=[], metavar="NAME=CHECKPOINT",
                        help="a short run of another design to set beside the release "
                             "(repeatable), e.g. release_net_smoke=RUN2/checkpoint.pt")
    parser.add_argument("--hardware", required=True,
                        help="what the training ran on, e.g. '2-core Xeon VM, 1 torch thread'")
    parser.add_argument("--out", default=str(SPECTRAL_RELEASE_METRICS))
    args = parser.parse_args(argv)
    loaded = {}
    for name in ("generalisation", "design", "benchmark"):
        path = Path(getattr(args, name))
        try:
            loaded[name] = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError) as exc:
            raise SystemExit(f"error: --{name} {path}: {exc}; pass the JSON the command "
                             "printed") from None
    comparisons = {}
    for item in args.compare:
        name, sep, path = item.partition("=")
        if not sep or not Path(path).is_file():
            raise SystemExit(f"error: --compare {item!r} must read NAME=CHECKPOINT with an "
                             "existing checkpoint file")
        comparisons[name] = path
    doc = gather(args.checkpoint, **loaded, comparisons=comparisons)
    doc["training"]["hardware"] = args.hardware
    out = Path(args.out)
    with atomic_path(out) as tmp:
        Path(tmp).write_text(json.dumps(doc, indent=1) + "\n")
    print(f"wrote {out}")
    return out


if __name__ == "__main__":
    main()
