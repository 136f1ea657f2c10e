"""The dialogues: one module per flow, with its keyboards and texts."""
