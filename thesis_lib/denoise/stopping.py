"""Stopping a training loop on a signal, resumably."""

from __future__ import annotations

import signal

__all__ = ["StopFlag"]


class StopFlag:
    """Set by any of ``signals`` (default SIGTERM); restores the previous handlers on exit.

    A training loop checks ``raised`` after each step, saves and returns, so a
    scheduler's wall-time signal ends a run resumably instead of killing it.
    """

    def __init__(self, signals=(signal.SIGTERM,)):
        self.raised = False
        self._signals = tuple(signals)
        self._previous = {}

    def __enter__(self):
        try:
            self._previous = {s: signal.signal(s, self._handle) for s in self._signals}
        except ValueError:  # not in the main thread: no signal handling possible
            self._previous = {}
        return self

    def _handle(self, signum, frame):
        self.raised = True

    def __exit__(self, *exc):
        for s, handler in self._previous.items():
            signal.signal(s, handler)
