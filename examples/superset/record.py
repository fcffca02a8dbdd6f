"""Re-record ``seenby/data/superset-responses.json``: start a local Superset, seed it, scan it, keep each GET answer.

Run from the repository root with Superset's venv in ``.venv-superset`` (docs/superset.md)::

    python examples/superset/record.py

The recording holds no password or token (only GET answers are kept; the scanner redacts
connection URIs, and the recording is checked for the admin password before it is written).
"""

from __future__ import annotations

import sys
from pathlib import Path

from seenby.demo.seed_superset import seed_superset
from seenby.demo.superset_server import ADMIN_USER, local_superset, superset_venv
from seenby.scanners.superset import Credentials, SupersetScanConfig, scan_superset
from seenby.scanners.superset.replay import RecordingTransport

HERE = Path(__file__).parent
RECORDED_URL = "http://superset.corp.example:8088"


def main() -> int:
    venv = superset_venv()
    if venv is None:
        print("no Superset venv (.venv-superset or SEENBY_SUPERSET_VENV)", file=sys.stderr)
        return 2
    with local_superset(venv) as server:
        seed_superset(server.url, admin_user=ADMIN_USER, admin_password=server.admin_password, work=server.work)
        recorder = RecordingTransport()
        creds = Credentials(username=ADMIN_USER, password=server.admin_password)
        scan_superset(SupersetScanConfig(url=server.url, credentials=creds, dashboard_rbac=True), transport=recorder)
        text_check = repr(recorder.responses)
        if server.admin_password in text_check:
            print("the recording holds the admin password; not written", file=sys.stderr)
            return 1
        target = HERE.parents[1] / "seenby" / "data" / "superset-responses.json"
        recorder.save(target, RECORDED_URL)
        # the recording names the server it ran on by a stable URL, and its temporary paths by a stable one
        text = target.read_text().replace(server.url, RECORDED_URL).replace(str(server.work), "/srv/warehouse")
        target.write_text(text)
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
