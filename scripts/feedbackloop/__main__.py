from __future__ import annotations

from feedbackloop.cli import main

main()
