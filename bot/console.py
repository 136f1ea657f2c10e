"""How every `entbot` command says an error: one line on standard error, in French, and an exit code."""

from __future__ import annotations

import sys


def fail(message: str, code: int = 2) -> int:
    print(f"entbot : {message}", file=sys.stderr)
    return code
