"""The demo: the real bot against the sandbox, used from a web page as parents, staff and the channel."""
