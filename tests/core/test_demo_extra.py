"""The lean install: `seenby demo` needs the demo extra, says so in one line, and runs from any directory."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from seenby.demo import demo_rules_path

ROOT = Path(__file__).resolve().parents[2]

# Python with the demo's local endpoints absent (as after `pip install seenby` without the extra)
WITHOUT_EXTRA = (
    "import sys; sys.modules.update(moto=None, flask=None, gcp_storage_emulator=None); "
    "from seenby.cli import main; sys.argv = ['seenby', 'demo']; main()"
)


def test_demo_without_the_extra_is_one_line_and_exit_4(tmp_path: Path):
    """Without moto and the storage emulator, `seenby demo` exits 4 with one line naming the install command."""
    proc = subprocess.run([sys.executable, "-c", WITHOUT_EXTRA], capture_output=True, text=True, cwd=tmp_path)
    assert (proc.returncode, proc.stderr.count("\n"), proc.stdout) == (4, 1, "")
    assert "pip install 'seenby[demo]'" in proc.stderr


def test_packaged_demo_rules_are_the_root_rules():
    """The rules.yaml shipped for the demo is the repository's root rules.yaml, byte for byte."""
    assert demo_rules_path().read_bytes() == (ROOT / "rules.yaml").read_bytes()


def test_auditor_dependencies_leave_out_the_demo_endpoints():
    """pyproject's runtime dependencies name neither moto nor gcp-storage-emulator; the demo extra names both."""
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime = " ".join(project["dependencies"])
    demo = " ".join(project["optional-dependencies"]["demo"])
    assert ("moto" in runtime, "gcp-storage-emulator" in runtime) == (False, False)
    assert ("moto" in demo, "gcp-storage-emulator" in demo) == (True, True)


def test_demo_runs_from_another_directory(tmp_path: Path):
    """`seenby demo` where there is no rules.yaml audits with the shipped rules and finds the example's findings."""
    proc = subprocess.run(
        [sys.executable, "-m", "seenby", "demo", "-q", "--no-record", "--format", "json"],
        capture_output=True, text=True, cwd=tmp_path, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-400:]
    report = json.loads(proc.stdout)
    assert report["findings"]
    assert report["snapshot"]["rules_file"] == str(demo_rules_path())
