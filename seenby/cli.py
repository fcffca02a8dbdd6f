"""seenby's command line: the group from ``seenby.cli_base`` and one module per command.

To add a command, write ``seenby/commands/NAME.py`` (decorate with ``@cli.command``
from ``seenby.cli_base``) and import it below.
"""

from __future__ import annotations

import sys

from seenby.cli_base import cli, run_cli
from seenby.commands import audit, demo, gate, history, import_cmd, scan, scan_gcp, scan_superset, who_can_read, why  # noqa: F401  (each registers its commands)
from seenby.commands import fix as fix_command  # noqa: F401  (seenby fix, docs/fixes.md)
from seenby.gcpolicy import bulk_allocation, leave_for_exit

__all__ = ["cli", "main"]


def main() -> None:
    """The ``seenby`` console script: exit codes as in ``seenby.cli_base.ExitCode``."""
    # a command is one bulk job (load, evaluate, audit, render): see seenby.gcpolicy
    try:
        with bulk_allocation():
            code = run_cli()
    finally:
        leave_for_exit()
    sys.exit(code)


if __name__ == "__main__":
    main()
