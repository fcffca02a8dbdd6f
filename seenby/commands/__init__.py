"""One module per command (or command group); each is imported once by ``seenby/cli.py``."""
