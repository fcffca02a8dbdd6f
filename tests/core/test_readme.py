"""The README's promises stay true: its two opening commands and its copy of the read-only policy."""

from __future__ import annotations

import re
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
