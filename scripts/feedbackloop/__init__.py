"""feedbackloop: user interviews kept in git, and everything that must happen after the call."""

from __future__ import annotations

__version__ = "0.1.0"
