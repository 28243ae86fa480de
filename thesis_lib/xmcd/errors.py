"""Errors raised on bad XMCD input.

Every error names the offending file (and dataset or frame where that helps)
and says what to do about it. All derive from :class:`XMCDDataError`, itself a
``ValueError``, so the ``thesis`` command prints them as one line without a
traceback.
"""

from __future__ import annotations


class XMCDDataError(ValueError):
    """Base class: an XMCD acquisition that cannot be used as it is."""


class CorruptFileError(XMCDDataError):
    """The HDF5 container cannot be opened (truncated copy, not HDF5 at all)."""


class MissingCombinationError(XMCDDataError):
    """One of the four (helicity, magnetisation) frame stacks is absent."""


class FrameShapeError(XMCDDataError):
    """Frame stacks of one file (or files of one series) disagree in shape."""


class NonFiniteFrameError(XMCDDataError):
    """A frame holds NaN or infinite values."""


class InvalidFrameError(XMCDDataError):
    """A frame has no valid pixel at all (all saturated, dead or masked)."""


class MissingDatasetError(XMCDDataError):
    """A dataset the reader needs (position, integration time, ...) is absent."""


class UnknownSeriesError(XMCDDataError):
    """A series id that the manifest does not define."""


class SeriesLayoutError(XMCDDataError):
    """A series folder without its ``series.yml`` or without any NeXus file."""


class UnitsError(MissingDatasetError):
    """A dataset's ``units`` attribute names a unit the reader does not convert."""


class LayoutError(XMCDDataError):
    """A layout description (``--layout L.yml``) with an unknown key or an invalid value."""
