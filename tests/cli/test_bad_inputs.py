"""Bad command lines across the verbs: one clear line, exit status 2, nothing written or destroyed.

Each row gives a command line (``{w}`` is the folder of valid inputs built by the
``world`` fixture) and the words the error line must contain: the option or file
it is about, and the cause. Every row also checks that no traceback is printed,
that exactly one error line appears, and that no file of ``world`` was created,
changed or removed.
"""

import pytest

from thesis_lib.cli import main

from .conftest import snapshot

CASES = [
    # --- numeric options, refused while parsing -------------------------------------------
    ("phantom-detector-zero", "phantom --out {w}/o --manifest {w}/manifest.yml --detector 0",
     ["--detector", ">= 8"]),
    ("phantom-seed-negative", "phantom --out {w}/o --seed -1", ["--seed", ">= 0"]),
    ("phantom-geometry-seed-text", "phantom --out {w}/o --geometry-seed x",
     ["--geometry-seed", "integer"]),
    ("phantom-workers-zero", "phantom --out {w}/o --workers 0", ["--workers", ">= 1"]),
    ("train-batch-size-zero", "train --data {w}/data --out {w}/o --batch-size 0",
     ["--batch-size", ">= 1"]),
    ("train-epochs-zero", "train --data {w}/data --out {w}/o --epochs 0", ["--epochs", ">= 1"]),
    ("train-sample-rate-zero", "train --data {w}/data --out {w}/o --sample-rate 0",
     ["--sample-rate", "8000"]),
    ("train-lr-zero", "train --data {w}/data --out {w}/o --lr 0", ["--lr", "> 0"]),
    ("train-lr-nan", "train --data {w}/data --out {w}/o --lr nan", ["--lr", "> 0"]),
    ("train-segment-negative", "train --data {w}/data --out {w}/o --segment -5",
     ["--segment", ">= 0"]),
    ("train-max-minutes-zero", "train --data {w}/data --out {w}/o --max-minutes 0",
     ["--max-minutes", "> 0"]),
    ("train-seed-negative", "train --data {w}/data --out {w}/o --seed -1", ["--seed", ">= 0"]),
    ("train-depth-zero", "train --data {w}/data --out {w}/o --depth 0", ["--depth", "1 to 16"]),
    ("clips-clip-s-zero", "corpus clips --audio {w}/data/clean --out {w}/o --clip-s 0",
     ["--clip-s", "> 0"]),
    ("clips-rate-low", "corpus clips --audio {w}/data/clean --out {w}/o --rate 100",
     ["--rate", "8000"]),
    ("render-tracks-zero", "corpus render --out {w}/o --tracks 0", ["--tracks", ">= 1"]),
    ("render-duration-inf", "corpus render --out {w}/o --duration inf", ["--duration", "> 0"]),
    ("fma-tracks-negative", "corpus fma --metadata {w} --audio {w} --out {w}/o --tracks -3",
     ["--tracks", ">= 1"]),
    ("calibrate-step-factors", ("calibrate {w}/wave.npz --series-meta {w}/xmcd/t1 --out {w}/c.json "
      "--step-factors=-1,0"), ["--step-factors", "> 0"]),
    ("calibrate-beams-text", ("calibrate {w}/wave.npz --series-meta {w}/xmcd/t1 --out {w}/c.json "
      "--beams abc"), ["--beams", "numbers"]),
    ("calibrate-seed-negative", ("calibrate {w}/wave.npz --series-meta {w}/xmcd/t1 "
      "--out {w}/c.json --seed -1"), ["--seed", ">= 0"]),
    ("denoise-chunk-zero", ("denoise {w}/in.wav {w}/o.wav --checkpoint {w}/model.pt "
      "--chunk-seconds 0"), ["--chunk-seconds", "> 0"]),
    ("denoise-chunk-too-short", ("denoise {w}/in.wav {w}/o.wav --checkpoint {w}/model.pt "
      "--chunk-seconds 1e-6 --no-progress"), ["--chunk-seconds", "at least"]),
    ("denoise-overlap-too-long", ("denoise {w}/in.wav {w}/o.wav --checkpoint {w}/model.pt "
      "--chunk-seconds 0.1 --overlap-seconds 0.08 --no-progress"),
     ["--overlap-seconds", "half the chunk"]),
    ("denoise-overlap-negative", "denoise {w}/in.wav {w}/o.wav --overlap-seconds -1",
     ["--overlap-seconds", ">= 0"]),
    ("denoise-batch-zero", "denoise {w}/in.wav {w}/o.wav --batch-size 0", ["--batch-size", ">= 1"]),
    ("denoise-threads-zero", "denoise {w}/in.wav {w}/o.wav --threads 0", ["--threads", ">= 1"]),
    ("emulate-seed-negative", "emulate {w}/in.wav {w}/o.wav --seed -1", ["--seed", ">= 0"]),
    ("emulate-preisach-one", "emulate {w}/in.wav {w}/o.wav --preisach-n 1",
     ["--preisach-n", "2 to 4000"]),
    ("emulate-preisach-text", "emulate {w}/in.wav {w}/o.wav --preisach-n big",
     ["--preisach-n", "'fine'"]),
    ("mask-radius-zero", "mask --reference {w}/xmcd/reference --out {w}/m.npz --radius 0",
     ["--radius", ">= 1"]),
    ("mask-gate-gamma-zero", ("mask --reference {w}/xmcd/reference --out {w}/m.npz "
      "--gate-gamma 0"), ["--gate-gamma", "> 0"]),
    ("mask-smooth-negative", ("mask --reference {w}/xmcd/reference --out {w}/m.npz "
      "--smooth-sigma -1"), ["--smooth-sigma", ">= 0"]),
    ("mask-fit-sample-text", ("mask --reference {w}/xmcd/reference --out {w}/m.npz "
      "--fit-sample none"), ["--fit-sample", "auto, all"]),
    ("pairs-fraction-order", "pairs --clean {w}/data/clean --out {w}/o --which-fraction 3/2",
     ["--which-fraction", "between 1 and K"]),
    ("pairs-fraction-text", "pairs --clean {w}/data/clean --out {w}/o --which-fraction half",
     ["--which-fraction", "k/K"]),
    ("pairs-seed-negative", "pairs --clean {w}/data/clean --out {w}/o --seed -1",
     ["--seed", ">= 0"]),
    # --- sizes beyond the machine's memory, refused before any work ------------------------
    ("phantom-detector-huge", ("phantom --out {w}/o --manifest {w}/manifest.yml "
      "--detector 100000 --workers 1"), ["--detector 100000", "GB"]),
    ("train-batch-huge", ("train --data {w}/data --out {w}/o --config smoke --device cpu "
      "--batch-size 100000 --segment 1000000"), ["batch 100000 x 1000000", "GB", "--batch-size"]),
    # --- an output that is one of the inputs, refused even with --overwrite ---------------
    ("denoise-onto-input", "denoise {w}/in.wav {w}/in.wav --checkpoint {w}/model.pt",
     ["OUT", "in.wav", "also an input"]),
    ("denoise-onto-checkpoint", "denoise {w}/in.wav {w}/model.pt --checkpoint {w}/model.pt",
     ["OUT", "model.pt", "also an input"]),
    ("emulate-onto-input", "emulate {w}/in.wav {w}/in.wav --overwrite",
     ["OUT", "in.wav", "also an input"]),
    ("emulate-record-onto-params", "emulate {w}/in.wav {w}/p.wav --params {w}/p.params.json",
     ["p.params.json", "also an input"]),
    ("extract-onto-mask", ("extract {w}/xmcd/t1 --mask {w}/mask.npz --out {w}/mask.npz "
      "--overwrite"), ["--out", "mask.npz", "also an input"]),
    ("extract-onto-scan", ("extract {w}/xmcd/t1 --mask {w}/mask.npz "
      "--out {w}/xmcd/t1/scan_00000.nxs"), ["--out", "scan_00000.nxs", "also an input"]),
    ("mask-onto-reference-scan", ("mask --reference {w}/xmcd/reference "
      "--out {w}/xmcd/reference/scan_00000.nxs --overwrite"),
     ["--out", "scan_00000.nxs", "also an input"]),
    ("calibrate-onto-waveform", ("calibrate {w}/wave.npz --series-meta {w}/xmcd/t1 "
      "--out {w}/wave.npz --overwrite"), ["--out", "wave.npz", "also an input"]),
    ("calibrate-onto-series-yml", ("calibrate {w}/wave.npz --series-meta {w}/xmcd/t1 "
      "--out {w}/xmcd/t1/series.yml"), ["--out", "series.yml", "also an input"]),
    ("pairs-into-clean", "pairs --clean {w}/data/clean --out {w}/data/clean --stand-in",
     ["--out", "inside the input"]),
    ("pairs-below-clean", "pairs --clean {w}/data/clean --out {w}/data/clean/train --stand-in",
     ["--out", "inside the input"]),
    ("clips-into-audio", "corpus clips --audio {w}/data/clean --out {w}/data/clean",
     ["--out", "inside the input"]),
    ("train-into-clean", "train --data {w}/data --out {w}/data/clean",
     ["--out", "inside the input"]),
    ("train-release-onto-best", ("train --data {w}/data --out {w}/run "
      "--export-release {w}/run/best.pt"), ["--export-release", "best.pt", "also an input"]),
    # --- outputs that cannot be written ------------------------------------------------------
    ("emulate-out-is-folder", "emulate {w}/in.wav {w}/run", ["OUT", "is a folder"]),
    ("denoise-out-is-folder", "denoise {w}/in.wav {w}/run --checkpoint {w}/model.pt",
     ["OUT", "is a folder"]),
    ("mask-parent-is-file", "mask --reference {w}/xmcd/reference --out {w}/in.wav/m.npz",
     ["--out", "in.wav", "is a file, not a folder"]),
    ("calibrate-parent-is-file", ("calibrate {w}/wave.npz --series-meta {w}/xmcd/t1 "
      "--out {w}/in.wav/c.json"), ["--out", "in.wav", "is a file, not a folder"]),
    ("phantom-out-is-file", "phantom --out {w}/in.wav --manifest {w}/manifest.yml",
     ["--out", "in.wav", "is a file"]),
    ("pairs-out-under-file", "pairs --clean {w}/data/clean --out {w}/in.wav/x --stand-in",
     ["--out", "in.wav", "is a file, not a folder"]),
    ("pairs-read-only", "pairs --clean {w}/data/clean --out /sys/thesis_pairs --stand-in",
     ["/sys"]),
    ("mask-read-only", ("mask --reference {w}/xmcd/reference --out /sys/thesis_mask.npz "
      "--radius 3"), ["/sys", "thesis_mask.npz"]),
    ("phantom-read-only", ("phantom --out /sys/thesis_phantom --manifest {w}/manifest.yml "
      "--workers 1"), ["/sys"]),
    # --- inputs that are missing, unreadable or without contrast ------------------------------
    ("denoise-missing-input", "denoise {w}/none.wav {w}/o.wav --checkpoint {w}/model.pt",
     ["none.wav", "does not exist"]),
    ("denoise-not-audio", "denoise {w}/notaudio.wav {w}/o.wav --checkpoint {w}/model.pt",
     ["notaudio.wav", "cannot read it as audio"]),
    ("denoise-missing-checkpoint", "denoise {w}/in.wav {w}/o.wav --checkpoint {w}/none.pt",
     ["none.pt", "does not exist"]),
    ("emulate-not-audio", "emulate {w}/notaudio.wav {w}/o.wav",
     ["notaudio.wav", "cannot read it as audio"]),
    ("train-missing-data", "train --data {w}/nothing --out {w}/o", ["nothing", "clean"]),
    ("mask-flat-reference", "mask --reference {w}/flatref --out {w}/m.npz --radius 3",
     ["flatref", "no contrast in the reference"]),
    ("extract-flat-file", "extract {w}/holey --mask {w}/mask.npz --out {w}/h.npz --register on",
     ["scan_00002.nxs", "no contrast"]),
]


# flat data makes scikit-learn and scikit-image warn before the verb names the cause
@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("argv,words", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_is_one_clear_line_and_changes_nothing(world, capsys, argv, words):
    before = snapshot(world)
    status = main(argv.format(w=world).split())
    err = capsys.readouterr().err
    errors = [line for line in err.splitlines() if "error:" in line]
    assert status == 2, err
    assert "Traceback" not in err
    assert len(errors) == 1, err
    for word in words:
        assert word in errors[0], errors[0]
    assert snapshot(world) == before


def test_the_table_covers_every_writing_verb_and_forty_cases():
    verbs = {c[1].split()[0] for c in CASES}
    assert {"phantom", "mask", "extract", "calibrate", "emulate", "pairs", "corpus", "train",
            "denoise"} <= verbs
    assert len(CASES) >= 40 and len({c[0] for c in CASES}) == len(CASES)
