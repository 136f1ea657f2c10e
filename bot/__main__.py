"""`python -m bot`: the same as the `entbot` command."""

import sys

from bot.cli import main

sys.exit(main())
