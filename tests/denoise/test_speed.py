"""Speed report: what it measures and what it refuses (no timing thresholds)."""

import numpy as np
import pytest

from thesis_lib.denoise.speed import measure_speed


def test_the_report_is_consistent_with_the_call():
    shapes = []

    def denoiser(audio, rate):
        shapes.append((audio.shape, rate))
        return np.tanh(audio)

    report = measure_speed(denoiser, seconds=2.0, channels=2, sample_rate=8000)
    # warm-up on one second, then the whole recording, both stereo at the given rate
    assert shapes == [((8000, 2), 8000), ((16_000, 2), 8000)]
    assert report["real_time_factor"] == pytest.approx(2.0 / report["wall_s"])
    assert report["real_time_factor_from_cpu_time"] == pytest.approx(
        report["threads"] * 2.0 / max(report["cpu_s"], 1e-9))


@pytest.mark.parametrize("bad", [dict(seconds=0.0), dict(channels=0)])
def test_empty_requests_are_refused(bad):
    with pytest.raises(ValueError, match="need seconds > 0 and channels >= 1"):
        measure_speed(lambda a, r: a, **bad)


def test_the_shape_warm_up_replaces_the_one_second_call():
    calls = []

    class Recorder:
        def warm_up(self, samples, rate):
            calls.append(("warm_up", samples, rate))

        def __call__(self, audio, rate):
            calls.append(("call", audio.shape, rate))
            return audio

    measure_speed(Recorder(), seconds=2.0, channels=2, sample_rate=8000,
                  warm_up="every_batch_shape")
    assert calls == [("warm_up", 16_000, 8000), ("call", (16_000, 2), 8000)]


def test_an_unknown_warm_up_is_named():
    with pytest.raises(ValueError, match="unknown warm_up 'twice'; pass one of one_second"):
        measure_speed(lambda a, r: a, warm_up="twice")
