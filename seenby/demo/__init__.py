"""``seenby demo``: the example organisation on a local AWS endpoint, scanned live, audited, reported.

The local endpoints (moto's server, gcp-storage-emulator) come with the ``demo`` extra
(``pip install 'seenby[demo]'``); the auditor itself never needs them.  The demo's
declared audiences ship here as ``rules.yaml`` (a copy of the repository's root
``rules.yaml``, kept equal by a test), so the demo runs from any directory.
"""

from __future__ import annotations

from importlib import resources
from importlib.util import find_spec
from pathlib import Path

from seenby.errors import ScanError

__all__ = ["DEMO_MODULES", "DemoUnavailableError", "demo_rules_path", "require_demo_extra"]

# what the demo's local endpoints import, by the distribution that provides it
DEMO_MODULES = {"moto": "moto[server]", "flask": "moto[server]", "gcp_storage_emulator": "gcp-storage-emulator"}


class DemoUnavailableError(ScanError):
    """The demo's local endpoints are not installed (exit 4: the scan cannot start)."""


def require_demo_extra() -> None:
    """Raise :class:`DemoUnavailableError`, naming the install command, when the demo extra is missing."""
    missing = sorted({dist for module, dist in DEMO_MODULES.items() if find_spec(module) is None})
    if missing:
        raise DemoUnavailableError(
            f"the demo needs the demo extra ({', '.join(missing)} not installed): pip install 'seenby[demo]'"
        )


def demo_rules_path() -> Path:
    """The example organisation's rules.yaml, shipped inside the package."""
    return Path(str(resources.files("seenby.demo").joinpath("rules.yaml")))
