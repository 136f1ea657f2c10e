"""The application: settings, Application factory, workers and the `entbot` command."""

import os

# PTB 23 will give RetryAfter.retry_after as a timedelta; we read it either way, and opting in now
# spares the log a deprecation warning at every 429.
os.environ.setdefault("PTB_TIMEDELTA", "1")
