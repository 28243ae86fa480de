"""``thesis train``: train the U-Net denoiser on a paired dataset (resumable, SLURM-safe)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from thesis_lib._digest import file_sha256

from ._checks import (
    check_memory,
    check_output,
    check_output_dir,
    float_range,
    int_range,
)

#: Exit status of a run that stopped before its last epoch (SIGTERM, e.g. at a SLURM wall-time
#: limit, or --max-minutes) after saving a checkpoint: ``EX_TEMPFAIL`` of sysexits.h, "try
#: again". Re-running the same command resumes; a `&&` chain or an `afterok` job dependency
#: does not mistake it for a finished run.
EXIT_INTERRUPTED = 75

#: Bytes of CPU memory per float of first-level activation a training step holds (forward
#: tensors kept for the backward pass, their gradients and the loss's spectrograms), measured
#: with psutil on three U-Net sizes (19.6-28 floats of 4 bytes per unit below, so 4 x 24).
_BYTES_PER_ACTIVATION = 4 * 24


def register(subparsers):
    p = subparsers.add_parser(
        "train", help="train the 1-D U-Net denoiser on paired clips (resumes automatically)",
        description="Train the residual 1-D U-Net with AuralLoss on (degraded, clean) pairs "
                    "(thesis §4.5). Re-running with the same --out resumes from its checkpoint. "
                    "SIGTERM (SLURM wall time) or --max-minutes saves a checkpoint and stops. "
                    f"Exit status: 0 finished (or already finished), {EXIT_INTERRUPTED} "
                    "interrupted after saving (re-run the same command to resume), 2 bad "
                    "options or inputs.")
    p.add_argument("--data", required=True, metavar="ROOT",
                   help="paired dataset root holding clean/ and degraded/ trees, each with "
                        "{train,val,test} folders (override them with --clean/--degraded)")
    p.add_argument("--clean", default=None, help="clean tree (default ROOT/clean)")
    p.add_argument("--degraded", default=None, help="degraded tree (default ROOT/degraded)")
    p.add_argument("--config", default="quick", choices=["smoke", "quick", "full"],
                   help="preset: smoke (1 epoch, tiny net), quick (1-2 CPU minutes on the "
                        "book's quick corpus: small level-equivariant net, lr 6e-3 with warm-up), "
                        "full (thesis: 150 epochs, batch 16, lr 3e-5)")
    p.add_argument("--out", required=True, help="run folder: checkpoint.pt, best.pt, tensorboard/")
    p.add_argument("--epochs", type=int_range(1), default=None,
                   help="override the preset's epoch count, >= 1")
    p.add_argument("--batch-size", type=int_range(1), default=None,
                   help="override the batch size, >= 1")
    p.add_argument("--lr", type=float_range(0, 1, low_open=True), default=None,
                   help="override the learning rate, > 0 and at most 1")
    p.add_argument("--warmup-steps", type=int_range(0), default=None,
                   help="linear learning-rate warm-up before the cosine, >= 0 (thesis: 0)")
    p.add_argument("--segment", type=int_range(0), default=None,
                   help="train on random crops of this many samples, >= 0 (0 = whole clips)")
    p.add_argument("--depth", type=int_range(1, 16), default=None,
                   help="U-Net depth (pooling levels), 1 to 16")
    p.add_argument("--width", type=int_range(1), default=None,
                   help="channels of the first U-Net level, >= 1")
    p.add_argument("--num-workers", type=int_range(0), default=None,
                   help="data-loader worker processes, >= 0")
    p.add_argument("--max-minutes", type=float_range(0, low_open=True), default=None,
                   help=f"time budget in minutes, > 0; when spent, save a checkpoint and exit "
                        f"with status {EXIT_INTERRUPTED} (re-run to resume)")
    p.add_argument("--sample-rate", type=int_range(8000, 384000), default=None,
                   help="training rate in Hz, 8000 to 384000 (default 44100)")
    p.add_argument("--seed", type=int_range(0), default=None,
                   help="seed of initialisation, order and crops, >= 0")
    p.add_argument("--compile", action="store_true", help="use torch.compile")
    p.add_argument("--no-amp", action="store_true", help="disable mixed precision on CUDA")
    p.add_argument("--device", default=None, help="torch device (default: cuda when available)")
    p.add_argument("--export-release", default=None, metavar="PT",
                   help="after a finished run, write best.pt with float16 weights and without "
                        "optimiser state to PT (e.g. data_manifests/models/unet_release.pt) and "
                        "print its sha256 for data_manifests/models.yml")
    p.set_defaults(func=run)


def resolve_roots(args) -> tuple[Path, Path]:
    root = Path(args.data)
    clean = Path(args.clean) if args.clean else root / "clean"
    degraded = Path(args.degraded) if args.degraded else root / "degraded"
    for name, path in (("clean", clean), ("degraded", degraded)):
        if not path.is_dir():
            raise FileNotFoundError(f"{path}: no {name} tree; `--data ROOT` expects ROOT/clean "
                                    "and ROOT/degraded (make them with `thesis corpus` and "
                                    f"`thesis pairs`) or pass --{name} PATH")
    return clean, degraded


def training_memory(config, length: int) -> float:
    """Approximate peak CPU memory (bytes) of one training step on ``length``-sample items.

    Examples
    --------
    >>> from thesis_lib.denoise.train import preset
    >>> round(training_memory(preset("full"), 5 * 44100) / 1e9)  # the thesis run: a GPU job
    53
    """
    # Deferred on purpose here and below: torch loads in seconds, and `thesis --help` or
    # another verb must not pay for it.
    from thesis_lib.denoise.unet import UNetConfig

    net = UNetConfig(**config.model)
    per_sample = sum(net.channels(i) / 2**i for i in range(net.depth + 1))
    return _BYTES_PER_ACTIVATION * config.batch_size * length * per_sample


def run(args) -> int:
    # torch again: deferred for the reason given in training_memory
    from thesis_lib.data import PairedAudioDataset
    from thesis_lib.denoise.train import pick_device, preset, train

    clean, degraded = resolve_roots(args)
    out_dir = check_output_dir(args.out, inputs=(clean, degraded))
    if args.export_release:
        check_output(args.export_release, option="--export-release",
                     inputs=(out_dir / "checkpoint.pt", out_dir / "best.pt"))
    overrides = {"epochs": args.epochs, "batch_size": args.batch_size, "lr": args.lr,
                 "warmup_steps": args.warmup_steps,
                 "num_workers": args.num_workers, "max_minutes": args.max_minutes,
                 "sample_rate": args.sample_rate, "seed": args.seed}
    config = preset(args.config, **overrides)
    if args.segment is not None:
        config.segment_length = args.segment or None
    if args.depth or args.width:
        sizes = (("depth", args.depth), ("width", args.width))
        config.model = {**config.model, **{k: v for k, v in sizes if v}}
    if args.compile:
        config.compile = True
    if args.no_amp:
        config.amp = False
    device = pick_device(args.device)
    train_set = PairedAudioDataset(degraded, clean, split="train", target_rate=config.sample_rate)
    val_set = PairedAudioDataset(degraded, clean, split="val", target_rate=config.sample_rate)
    if device.type == "cpu" and len(train_set):
        length = config.segment_length or train_set[0][0].shape[-1]
        check_memory(training_memory(config, length),
                     f"training with batch {config.batch_size} x {length} samples",
                     "give a smaller --batch-size or --segment, or train on a GPU")
    print(f"[train] {len(train_set)} training / {len(val_set)} validation pairs on {device}; "
          f"config {args.config}: {json.dumps(config.to_dict())}")
    result = train(config, train_set, val_set, args.out, device=device, progress=True)
    print(f"[train] {result.status} at step {result.step}, epoch {result.epoch}; "
          f"best val loss {result.metrics['best_val_loss']:.5f}; checkpoint {result.checkpoint}")
    if result.status == "interrupted":
        print(f"thesis train: interrupted at step {result.step} after saving {result.checkpoint}; "
              f"re-run the same command to resume (exit status {EXIT_INTERRUPTED})",
              file=sys.stderr)
        return EXIT_INTERRUPTED
    if args.export_release:
        if not result.best.exists():
            raise ValueError(f"training in {args.out} has no best.pt (no validation pass ran); "
                             "give the run a validation split before exporting a release")
        from thesis_lib.denoise.checkpoint import export_release  # torch: deferred, see above
        out = export_release(result.best, args.export_release, half=True,
                             extra={"data": {"clean": str(clean), "degraded": str(degraded)}})
        digest = file_sha256(out)
        print(f"[train] release {out} ({out.stat().st_size / 2**20:.1f} MiB) sha256 {digest}")
    return 0
