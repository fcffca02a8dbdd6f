"""``python -m seenby`` runs the command line."""

from seenby.cli import main

main()
