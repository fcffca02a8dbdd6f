"""The README's promises stay true: its two opening commands, its copy of the read-only policy, and every
command it shows, run in order after the demo."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from seenby.scanners.aws import print_policy

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()


def test_readme_policy_is_the_generated_one():
    """The IAM policy shown in the README is exactly what `seenby scan aws --print-policy` prints."""
    shown = re.search(r"<!-- print-policy:start -->\n```json\n(.*?)\n```\n<!-- print-policy:end -->", README, re.S)
    assert shown is not None
    assert shown.group(1) == print_policy().rstrip()


def test_readme_opens_with_the_demo_and_the_test_command():
    """The first code block holds the demo command, then the install-and-test command CI runs."""
    first = re.search(r"```sh\n(.*?)```", README, re.S).group(1)
    commands = [line for line in first.splitlines() if line and not line.startswith("#")]
    assert commands[0].endswith("seenby demo")
    assert commands[1].endswith("python -m pytest -q")
    ci = (Path(__file__).resolve().parents[2] / ".ci" / "run").read_text()
    assert "python -m pytest -q" in ci


ROOT = Path(__file__).resolve().parents[2]


def readme_commands() -> list[tuple[str, int]]:
    """Every command of the README's ``sh`` blocks, in order, with the exit code its comment states
    (``# exits N``; else 0).  The opening block's install steps are left to CI: only its `seenby demo`."""
    blocks = re.findall(r"```sh\n(.*?)```", README, re.S)
    commands: list[tuple[str, int]] = []
    for i, block in enumerate(blocks):
        for line in block.splitlines():
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            if i == 0:
                if line.endswith("seenby demo"):
                    commands.append(("seenby demo", 0))
                continue
            stated = re.search(r"#\s*exits (\d+)", line)
            commands.append((line, int(stated.group(1)) if stated else 0))
    return commands


def test_readme_commands_all_work_in_order_right_after_the_demo(tmp_path):
    """Each README command, in order, in the repository after `seenby demo`, exits as the README says."""
    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    env |= {"XDG_DATA_HOME": str(tmp_path / "data"), "PATH": f"{Path(sys.executable).parent}:{env['PATH']}"}
    commands = readme_commands()
    assert [c.split("#")[0].strip() for c, _ in commands][:2] == ["seenby demo", "seenby scans --store demo"]
    failed = []
    for command, expected in commands:
        proc = subprocess.run(["bash", "-c", command], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
        if proc.returncode != expected:
            failed.append((command, proc.returncode, proc.stderr[-400:]))
    (ROOT / "report.html").unlink(missing_ok=True)
    assert failed == []
