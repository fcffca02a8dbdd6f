"""seenby's command line: the group from ``seenby.cli_base`` and one module per command.

To add a command, write ``seenby/commands/NAME.py`` (decorate with ``@cli.command``
from ``seenby.cli_base``) and import it below.
"""

from __future__ import annotations

from seenby.cli_base import cli
from seenby.commands import audit, demo, gate, history, import_cmd, scan, scan_gcp, who_can_read, why  # noqa: F401  (each registers its commands)
from seenby.gcpolicy import bulk_allocation, leave_for_exit

__all__ = ["cli", "main"]


def main() -> None:
    # a command is one bulk job (load, evaluate, audit, render): see seenby.gcpolicy
    try:
        with bulk_allocation():
            cli(prog_name="seenby")
    finally:
        leave_for_exit()


if __name__ == "__main__":
    main()
