"""A small world of valid inputs for every verb, built once per test module.

``world`` holds a 0.2-s WAV, emulator parameters, a tiny denoiser checkpoint, a
synthetic reference acquisition and scan series (32-pixel detector), a mask and a
waveform made from them, a clean clip tree and a paired dataset, plus a reference
and a series with all-zero frames. Tests that feed the verbs bad options use it
and check that none of it changes.
"""

import hashlib
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from tests.conftest import TINY_MANIFEST


def tiny_checkpoint(path, rate=16000):
    """A depth-2, width-4 U-Net with a random output head (so it is not the identity)."""
    from thesis_lib.denoise.checkpoint import save_checkpoint
    from thesis_lib.denoise.unet import UNet1d

    torch.manual_seed(0)
    net = UNet1d(depth=2, width=4)
    torch.nn.init.normal_(net.head.weight, std=0.1)
    return save_checkpoint(path, {"model_config": net.config.to_dict(),
                                  "state_dict": net.state_dict(),
                                  "train_config": {"sample_rate": rate, "segment_length": 2048}})


def zero_copy(scan_path, out_path):
    """Rewrite one NeXus scan file with every frame set to zero (no magnetic contrast)."""
    from thesis_lib.xmcd import Acquisition, read_scan, write_scan

    scan = read_scan(scan_path)
    frames = {hm: np.zeros_like(stack) for hm, stack in scan.frames.items()}
    write_scan(out_path, frames, position_um=scan.position_um,
               acquisition=Acquisition(integration_s=scan.integration_s,
                                       count_time_s=scan.count_time_s, repeats=scan.repeats,
                                       step_um=scan.step_um, beam_um=scan.beam_um),
               dtype=np.uint16)


def snapshot(root) -> dict:
    """Relative path -> sha256 of every file under ``root`` (folders as None)."""
    root = Path(root)
    return {p.relative_to(root).as_posix(): (hashlib.sha256(p.read_bytes()).hexdigest()
                                             if p.is_file() else None)
            for p in sorted(root.rglob("*"))}


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    from thesis_lib.data.audio import write_wav
    from thesis_lib.emulator import EmulatorParams
    from thesis_lib.mask.files import write_mask, write_waveform
    from thesis_lib.xmcd.phantom import write_phantom

    root = tmp_path_factory.mktemp("world")
    rate = 16000
    t = np.arange(rate // 5) / rate
    tone = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    write_wav(root / "in.wav", tone, rate)
    (root / "notaudio.wav").write_text("this is not audio\n")
    EmulatorParams(preisach_n=100).to_json(root / "params.json")
    EmulatorParams(preisach_n=100).to_json(root / "p.params.json")
    tiny_checkpoint(root / "model.pt", rate)
    (root / "manifest.yml").write_text(TINY_MANIFEST)
    write_phantom(root / "xmcd", series="t1,reference", manifest=root / "manifest.yml",
                  detector=32, workers=1)
    write_mask(root / "xmcd" / "reference", root / "mask.npz", radius=3)
    write_waveform(root / "xmcd" / "t1", root / "mask.npz", root / "wave.npz", register="off")
    # a reference without contrast, and a series with one all-zero file
    (root / "flatref").mkdir()
    shutil.copy(root / "xmcd" / "reference" / "series.yml", root / "flatref")
    for scan in sorted((root / "xmcd" / "reference").glob("*.nxs")):
        zero_copy(scan, root / "flatref" / scan.name)
    shutil.copytree(root / "xmcd" / "t1", root / "holey")
    zero_copy(root / "holey" / "scan_00002.nxs", root / "holey" / "scan_00002.nxs")
    for tree in ("clean", "degraded"):
        for split in ("train", "val", "test"):
            write_wav(root / "data" / tree / split / "000" / "trk_clip00.wav", tone, rate)
    (root / "run").mkdir()
    return root
