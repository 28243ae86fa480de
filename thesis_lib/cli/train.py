"""``thesis train``: train the U-Net denoiser on a paired dataset (resumable, SLURM-safe)."""

from __future__ import annotations

import json
from pathlib import Path


def register(subparsers):
    p = subparsers.add_parser(
        "train", help="train the 1-D U-Net denoiser on paired clips (resumes automatically)",
        description="Train the residual 1-D U-Net with AuralLoss on (degraded, clean) pairs "
                    "(thesis §4.5). Re-running with the same --out resumes from its checkpoint; "
                    "SIGTERM (SLURM wall time) or --max-minutes saves and exits cleanly.")
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
    p.add_argument("--epochs", type=int, default=None, help="override the preset's epoch count")
    p.add_argument("--batch-size", type=int, default=None, help="override the batch size")
    p.add_argument("--lr", type=float, default=None, help="override the learning rate")
    p.add_argument("--warmup-steps", type=int, default=None,
                   help="linear learning-rate warm-up before the cosine (thesis: 0)")
    p.add_argument("--segment", type=int, default=None,
                   help="train on random crops of this many samples (0 = whole clips)")
    p.add_argument("--depth", type=int, default=None, help="U-Net depth (pooling levels)")
    p.add_argument("--width", type=int, default=None, help="channels of the first U-Net level")
    p.add_argument("--num-workers", type=int, default=None, help="data-loader worker processes")
    p.add_argument("--max-minutes", type=float, default=None,
                   help="time budget; when spent, save a checkpoint and exit (re-run to resume)")
    p.add_argument("--sample-rate", type=int, default=None, help="training rate (default 44100)")
    p.add_argument("--seed", type=int, default=None, help="seed of initialisation, order and crops")
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
            raise FileNotFoundError(f"{path}: no {name} tree; `--data ROOT` expects ROOT/clean and "
                                    f"ROOT/degraded (make them with `thesis corpus` and `thesis pairs`) "
                                    f"or pass --{name} PATH")
    return clean, degraded


def run(args) -> int:
    from thesis_lib.data import PairedAudioDataset
    from thesis_lib.denoise.train import pick_device, preset, train

    clean, degraded = resolve_roots(args)
    overrides = {"epochs": args.epochs, "batch_size": args.batch_size, "lr": args.lr,
                 "warmup_steps": args.warmup_steps,
                 "num_workers": args.num_workers, "max_minutes": args.max_minutes,
                 "sample_rate": args.sample_rate, "seed": args.seed}
    config = preset(args.config, **overrides)
    if args.segment is not None:
        config.segment_length = args.segment or None
    if args.depth or args.width:
        config.model = {**config.model, **{k: v for k, v in (("depth", args.depth), ("width", args.width)) if v}}
    if args.compile:
        config.compile = True
    if args.no_amp:
        config.amp = False
    device = pick_device(args.device)
    train_set = PairedAudioDataset(degraded, clean, split="train", target_rate=config.sample_rate)
    val_set = PairedAudioDataset(degraded, clean, split="val", target_rate=config.sample_rate)
    print(f"[train] {len(train_set)} training / {len(val_set)} validation pairs on {device}; "
          f"config {args.config}: {json.dumps(config.to_dict())}")
    result = train(config, train_set, val_set, args.out, device=device, progress=True)
    print(f"[train] {result.status} at step {result.step}, epoch {result.epoch}; "
          f"best val loss {result.metrics['best_val_loss']:.5f}; checkpoint {result.checkpoint}")
    if args.export_release:
        if result.status == "interrupted" or not result.best.exists():
            raise ValueError(f"training in {args.out} has not finished; re-run the same command to "
                             "resume it before exporting a release")
        import hashlib

        from thesis_lib.denoise.checkpoint import export_release
        out = export_release(result.best, args.export_release, half=True,
                             extra={"data": {"clean": str(clean), "degraded": str(degraded)}})
        digest = hashlib.sha256(out.read_bytes()).hexdigest()
        print(f"[train] release {out} ({out.stat().st_size / 2**20:.1f} MiB) sha256 {digest}")
    return 0
