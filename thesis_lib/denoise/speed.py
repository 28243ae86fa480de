"""How fast a denoiser restores audio on this CPU: wall and CPU-time real-time factors.

The wall-clock real-time factor is what a user waits for, but on a shared
machine it also counts the time other processes held the cores. The CPU-time
factor — audio seconds per CPU second of this process, times the threads it
may use — is what the same call would achieve on dedicated cores, and barely
moves when the machine is busy. Both are reported, with the load average seen,
so a reader can tell which to trust. A chapter calls :func:`measure_speed` on a
short signal; ``benchmarks/denoise.py`` calls it on the 3-minute stereo case,
each network in a fresh process so that its peak memory is its own.
"""

from __future__ import annotations

import os
import resource
import time

import numpy as np
import torch

#: The warm-ups :func:`measure_speed` offers.
WARM_UPS = ("one_second", "every_batch_shape")


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def measure_speed(denoiser, *, seconds: float = 20.0, channels: int = 2,
                  sample_rate: int = 44_100, seed: int = 0,
                  warm_up: str = "one_second") -> dict:
    """Restore ``seconds`` of random ``channels``-channel audio once, after a warm-up.

    Parameters
    ----------
    denoiser : callable
        ``denoiser(audio, sample_rate)`` with ``audio`` of shape ``(T, channels)``,
        such as :class:`~thesis_lib.denoise.inference.Denoiser`.
    seconds, channels, sample_rate, seed
        The test signal: uniform noise in [−0.5, 0.5] (speed does not depend on content).
    warm_up : {"one_second", "every_batch_shape"}
        What runs before the clock starts: one call on the first second of the
        signal, or ``denoiser.warm_up(samples, sample_rate)`` (a
        :class:`~thesis_lib.denoise.inference.Denoiser`'s), one network call of
        every batch shape the whole signal will use, so no tracing is timed.

    Returns
    -------
    dict
        ``wall_s``, ``cpu_s``, ``threads``, ``real_time_factor`` (audio seconds
        per wall second), ``real_time_factor_from_cpu_time`` (``threads`` ×
        audio seconds per CPU second) and ``load_average`` (1-minute, at the end).

    Notes
    -----
    The CPU-time factor assumes the call would use all ``torch.get_num_threads()``
    threads fully; for single-threaded work on a multi-thread setting it is an
    upper bound.
    """
    if seconds <= 0 or channels < 1:
        raise ValueError(f"need seconds > 0 and channels >= 1, got {seconds} and {channels}")
    if warm_up not in WARM_UPS:
        raise ValueError(f"unknown warm_up {warm_up!r}; pass one of {', '.join(WARM_UPS)}")
    rng = np.random.default_rng(seed)
    audio = rng.uniform(-0.5, 0.5, (int(seconds * sample_rate), channels))
    # warm-up: traces, caches, allocations
    if warm_up == "every_batch_shape":
        denoiser.warm_up(audio.shape[0], sample_rate)
    else:
        denoiser(audio[: sample_rate], sample_rate)
    threads = torch.get_num_threads()
    cpu0, wall0 = _cpu_seconds(), time.perf_counter()
    denoiser(audio, sample_rate)
    wall, cpu = time.perf_counter() - wall0, _cpu_seconds() - cpu0
    return {"audio_s": seconds, "channels": channels, "threads": threads,
            "wall_s": wall, "cpu_s": cpu,
            "real_time_factor": seconds / wall,
            "real_time_factor_from_cpu_time": threads * seconds / max(cpu, 1e-9),
            "load_average": os.getloadavg()[0]}
