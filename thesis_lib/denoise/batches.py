"""How a training run walks its data: deterministic crops, seeded epoch order, batching.

The crop of an item and the order of an epoch are pure functions of
``(seed, epoch, index)``, so a run interrupted mid-epoch and resumed draws the
same batches as one that never stopped, whatever the number of loader workers.
"""

from __future__ import annotations

import signal
import zlib

import torch
from torch.utils.data import Dataset, Sampler

__all__ = ["CroppedPairs", "EpochSampler", "collate_shortest", "ignore_sigterm"]


def _crop_offset(seed: int, epoch: int, index: int, span: int) -> int:
    # A stateless hash, so the crop does not depend on worker processes or resume points.
    return zlib.crc32(f"{seed}/{epoch}/{index}".encode()) % (span + 1)


class CroppedPairs(Dataset):
    """View of a paired dataset that crops (or zero-pads) both members to one length.

    The crop of item ``i`` in epoch ``e`` is fixed by ``(seed, e, i)``.

    Examples
    --------
    >>> pairs = [(torch.arange(10.0)[None], torch.arange(10.0)[None])]
    >>> y, x = CroppedPairs(pairs, 4, seed=0)[0]
    >>> y.shape, bool(torch.equal(y, x))
    (torch.Size([1, 4]), True)
    """

    def __init__(self, dataset, segment_length: int | None, seed: int = 0):
        self.dataset = dataset
        self.segment_length = segment_length
        self.seed = seed
        self.epoch = 0

    def __len__(self):
        return len(self.dataset)

    def __getitem__(self, index):
        y, x = self.dataset[index]
        y = torch.as_tensor(y, dtype=torch.float32).reshape(1, -1)
        x = torch.as_tensor(x, dtype=torch.float32).reshape(1, -1)
        n = min(y.shape[-1], x.shape[-1])  # safety trim (§4.5)
        y, x = y[..., :n], x[..., :n]
        seg = self.segment_length
        if seg is None:
            return y, x
        if n < seg:
            pad = (0, seg - n)
            return torch.nn.functional.pad(y, pad), torch.nn.functional.pad(x, pad)
        start = _crop_offset(self.seed, self.epoch, index, n - seg)
        return y[..., start:start + seg], x[..., start:start + seg]


class EpochSampler(Sampler):
    """Seeded permutation of ``range(n)`` for one epoch, starting at position ``start``."""

    def __init__(self, n: int, seed: int, epoch: int, start: int = 0):
        self.n, self.seed, self.epoch, self.start = n, seed, epoch, start

    def __iter__(self):
        g = torch.Generator().manual_seed(self.seed * 100_003 + self.epoch)
        return iter(torch.randperm(self.n, generator=g)[self.start:].tolist())

    def __len__(self):
        # a run stopped after the epoch's last, partial batch resumes past the end: nothing left
        return max(0, self.n - self.start)


def collate_shortest(items):
    """Stack ``(y, x)`` pairs into a batch, trimming every clip to the shortest one.

    Whole-clip training (``segment_length=None``) may meet clips that differ by
    a sample after resampling; trimming keeps them stackable.

    Examples
    --------
    >>> y, x = collate_shortest([(torch.ones(1, 5), torch.ones(1, 5)),
    ...                          (torch.ones(1, 4), torch.ones(1, 4))])
    >>> tuple(y.shape), tuple(x.shape)
    ((2, 1, 4), (2, 1, 4))
    """
    n = min(min(y.shape[-1], x.shape[-1]) for y, x in items)
    return (torch.stack([y[..., :n] for y, _ in items]),
            torch.stack([x[..., :n] for _, x in items]))


def ignore_sigterm(worker_id):
    """Loader-worker initialiser: ignore SIGTERM (the main process stops the workers)."""
    # SLURM signals every process of the step; loader workers must not die before the
    # main process has saved its checkpoint (it shuts them down itself).
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
