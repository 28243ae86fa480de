"""``thesis restore``: Bayesian restoration by guided posterior sampling (Task 3)."""

from __future__ import annotations

from pathlib import Path

from thesis_lib._paths import BAYES_RELEASE as RELEASE_MODELS


def register(subparsers):
    p = subparsers.add_parser(
        "restore", help="restore an audio file by posterior sampling, with an uncertainty band",
        description="Draw K posterior samples of the clean signal given IN (surrogate "
                    "likelihood × diffusion prior, Terna 2026 §7.2) and write their mean to OUT "
                    "and their per-sample standard deviation to OUT's name with '.sd' before "
                    "the suffix. Any rate and channel count; each channel is restored on its own.")
    p.add_argument("input", metavar="IN", help="audio file to restore (WAV, FLAC, ...)")
    p.add_argument("output", metavar="OUT", help="where to write the posterior mean (WAV)")
    p.add_argument("--samples", type=int, default=8, metavar="K",
                   help="posterior samples per window (default 8)")
    p.add_argument("--steps", type=int, default=20, metavar="S",
                   help="reverse diffusion steps (default 20, as in the chapter)")
    p.add_argument("--warm-start", action="store_true",
                   help="start from the supervised U-Net's output noised to --warm-fraction")
    p.add_argument("--warm-fraction", type=float, default=0.4,
                   help="diffusion time the warm start begins at, as a fraction (default 0.4)")
    p.add_argument("--mode", choices=("x0", "dps"), default="x0",
                   help="guidance: x0 (eq. 7.49, no backward pass through the prior) or dps")
    p.add_argument("--zeta", type=float, default=1.0, help="guidance strength (default 1)")
    p.add_argument("--models", default=str(RELEASE_MODELS),
                   help="surrogate + prior file (default data_manifests/models/bayes_release.pt)")
    p.add_argument("--seed", type=int, default=0, help="seed of the sampler (default 0)")
    p.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    p.set_defaults(func=run)


def sd_path(output) -> Path:
    """``OUT.wav`` → ``OUT.sd.wav``: where the per-sample standard deviation goes."""
    out = Path(output)
    return out.with_name(f"{out.stem}.sd{out.suffix or '.wav'}")


def run(args) -> int:
    # deferred on purpose: `thesis --help` imports every verb module; the library loads in seconds
    import numpy as np
    import soundfile as sf
    import torch

    from thesis_lib._atomic import atomic_path
    from thesis_lib.bayes.restore import Restorer, load_models

    src, dst = Path(args.input), Path(args.output)
    dst_sd = sd_path(dst)
    if not src.is_file():
        raise FileNotFoundError(f"input {src} does not exist; give the path of an audio file")
    for out in (dst, dst_sd):
        if out.exists() and out.resolve() == src.resolve():
            raise ValueError(f"output {out} is the input file; choose another OUT so the "
                             "input is not overwritten")
    if args.samples < 1:
        raise ValueError(f"--samples must be at least 1, got {args.samples}")
    if args.steps < 1:
        raise ValueError(f"--steps must be at least 1, got {args.steps}")
    if args.threads:
        torch.set_num_threads(args.threads)
    try:
        audio, rate = sf.read(src, dtype="float64", always_2d=True)
    except Exception as exc:
        raise ValueError(f"cannot read {src} as audio ({exc}); convert it to WAV first") from exc
    if audio.shape[0] == 0:
        raise ValueError(f"{src} holds no samples; pass a non-empty recording")
    surrogate, prior, _ = load_models(args.models)
    restorer = Restorer(surrogate, prior, samples=args.samples, steps=args.steps,
                        mode=args.mode, zeta=args.zeta,
                        warm_start=args.warm_fraction if args.warm_start else None)
    init = None
    if args.warm_start:
        # deferred on purpose: `thesis --help` imports every verb module; the library loads in
        # seconds
        from thesis_lib.denoise.inference import Denoiser
        init = Denoiser()(audio, rate)
    bar = None
    if not args.no_progress:
        # deferred on purpose: `thesis --help` imports every verb module; the library loads in
        # seconds
        from tqdm.auto import tqdm

        from thesis_lib.bayes.draws import RATE
        n16 = int(np.ceil(audio.shape[0] * RATE / rate))
        bar = tqdm(total=restorer.total_steps(n16) * audio.shape[1], desc="restore",
                   unit="step")
    mean, sd = np.empty_like(audio), np.empty_like(audio)
    try:
        for c in range(audio.shape[1]):
            try:
                res = restorer(audio[:, c], rate, init=None if init is None else init[:, c],
                               seed=args.seed + c, progress=None if bar is None else bar.update)
            except ValueError as exc:
                raise ValueError(f"{src}, channel {c + 1}: {exc}") from exc
            mean[:, c], sd[:, c] = res["mean"], res["sd"]
    finally:
        if bar is not None:
            bar.close()
    for path, data in ((dst, mean), (dst_sd, sd)):
        with atomic_path(path) as tmp:
            sf.write(tmp, data.astype(np.float32), rate, subtype="FLOAT", format="WAV")
    print(f"[restore] wrote {dst} (posterior mean of {args.samples} samples) and {dst_sd} (sd)")
    return 0
