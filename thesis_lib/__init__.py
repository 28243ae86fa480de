"""thesis_lib — the library behind the XMCD tape-audio recovery compendium.

Subpackages are layered: ``metrics``, ``provenance`` and ``emulator``
depend on nothing of ours; ``xmcd``, ``data`` and ``calibration`` build on
them; ``mask`` on ``xmcd``; ``denoise`` on ``data``; ``bayes`` on ``denoise``
and ``emulator``; ``cli`` sits on top.
"""

__version__ = "0.1.0"
