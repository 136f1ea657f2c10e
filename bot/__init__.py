"""Assistant ENT: the application (settings, Application factory, CLI, background workers)."""
