"""`python -m sandbox.demo`: the real bot in a browser, without Telegram (what `make run` does with no token)."""

import sys

from sandbox.demo.launcher import main

sys.exit(main())
