"""``thesis denoise``: restore a recording with a trained network (spectral release by default)."""

from __future__ import annotations

from thesis_lib._paths import DEFAULT_DENOISER

from ._checks import check_output, float_range, int_range


def register(subparsers):
    p = subparsers.add_parser(
        "denoise", help="denoise an audio file with a trained network (any rate, channels, length)",
        description="Denoise IN and write OUT (float32 WAV) at IN's sample rate, length and "
                    "channel count, by overlap-add inference with smooth crossfades (thesis §4.4). "
                    "Recordings at another rate are resampled with the resampler the network was "
                    "trained through; a channel whose peak is below the silence floor "
                    "(thesis_lib.denoise.inference.SILENCE_FLOOR, about -144 dBFS) is written as "
                    "zeros. The same input and checkpoint give byte-identical files. OUT may not "
                    "be IN or the checkpoint.")
    p.add_argument("input", metavar="IN", help="audio file to restore (WAV, FLAC, ...)")
    p.add_argument("output", metavar="OUT", help="where to write the restored WAV")
    p.add_argument("--checkpoint", default=str(DEFAULT_DENOISER),
                   help="model checkpoint (default: the spectral release "
                        "data_manifests/models/spectral_release.pt; the thesis U-Net is "
                        "data_manifests/models/unet_release.pt)")
    p.add_argument("--device", default="cpu", help="torch device (default cpu)")
    p.add_argument("--chunk-seconds", type=float_range(0, low_open=True), default=None,
                   help="overlap-add chunk length in s, > 0 and at least the network's minimum "
                        "input (default: the model's training crop length)")
    p.add_argument("--overlap-seconds", type=float_range(0), default=None,
                   help="crossfade length in s, >= 0 and at most half the chunk "
                        "(default: an eighth of the chunk)")
    p.add_argument("--batch-size", type=int_range(1), default=None,
                   help="chunks per network call, >= 1 (same result; default from "
                        "thesis_lib.denoise.inference)")
    p.add_argument("--threads", type=int_range(1), default=None,
                   help="torch CPU threads, >= 1 (default: torch's choice, usually all cores)")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    p.set_defaults(func=run)


def run(args) -> int:
    # deferred on purpose: `thesis --help` imports every verb module; the library loads in seconds
    from thesis_lib.denoise.inference import denoise_file

    check_output(args.output, inputs=(args.input, args.checkpoint), option="OUT")
    if args.threads:
        # deferred on purpose: torch loads in seconds and only this path needs it
        import torch
        torch.set_num_threads(args.threads)
    extra = {} if args.batch_size is None else {"batch_size": args.batch_size}
    out = denoise_file(args.input, args.output, checkpoint=args.checkpoint, device=args.device,
                       progress=not args.no_progress, chunk_seconds=args.chunk_seconds,
                       overlap_seconds=args.overlap_seconds, **extra)
    print(f"[denoise] wrote {out}")
    return 0
