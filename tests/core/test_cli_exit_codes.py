"""The exit-code contract, driven through the real command line: 0 clean, 1 findings, 2 bad usage
or input, 3 incomplete with --strict, 4 a scan could not start, 70 an internal error, 130 Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "telemetry-incident" / "snapshot.json"
RULES = ROOT / "rules.yaml"


def seenby(*args: str, env: dict[str, str] | None = None, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "seenby", *args], cwd=cwd, capture_output=True, text=True, timeout=300,
        env={**os.environ, **(env or {})},
    )


def error_lines(proc: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in proc.stderr.splitlines() if line.strip()]


def no_aws_config(tmp_path: Path) -> dict[str, str]:
    """An AWS credential chain with no profiles at all."""
    (tmp_path / "aws-config").write_text("")
    return {
        "AWS_CONFIG_FILE": str(tmp_path / "aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "aws-config"),
    }


# Every command that writes a report or a snapshot, with arguments that are otherwise valid.
WRITING_COMMANDS = {
    "audit": ["audit", str(EXAMPLE), "--rules", str(RULES)],
    "who-can-read": ["who-can-read", "corp-employee-telemetry-raw", "--snapshot", str(EXAMPLE)],
    "what-can-read": ["what-can-read", "aws-org:o-a1b2c3d4e5", "--snapshot", str(EXAMPLE)],
    "why": ["why", "aws-org:o-a1b2c3d4e5", "corp-employee-telemetry-raw", "--snapshot", str(EXAMPLE)],
    "diff": ["diff", str(EXAMPLE), str(EXAMPLE)],
    "exposure": ["exposure", "corp-employee-telemetry-raw"],
    "demo": ["demo"],
    "import gcp-cai": ["import", "gcp-cai", str(EXAMPLE)],
    "scan aws": ["scan", "aws"],
    "scan gcp": ["scan", "gcp", "--project", "p"],
    "gate": ["gate", str(EXAMPLE)],
    "fix": ["fix", str(EXAMPLE), "--rules", str(RULES)],
}


@pytest.mark.parametrize("command", sorted(WRITING_COMMANDS))
def test_output_into_a_missing_directory_exits_2_before_any_work(command: str, tmp_path: Path) -> None:
    """-o into a directory that does not exist is one line and exit 2, within seconds, for every command."""
    target = tmp_path / "missing" / "out.txt"
    started = time.monotonic()

    proc = seenby(*WRITING_COMMANDS[command], "-o", str(target), env=no_aws_config(tmp_path))

    assert proc.returncode == 2, proc.stderr
    assert error_lines(proc) == [f"seenby: error: --output {target}: the directory {target.parent} does not exist"]
    assert time.monotonic() - started < 10
    assert not target.parent.exists()


def test_output_into_an_unwritable_directory_exits_2(tmp_path: Path) -> None:
    """-o where no file can be created (/proc) is one line naming the directory, exit 2."""
    proc = seenby("audit", str(EXAMPLE), "--rules", str(RULES), "-o", "/proc/seenby-report.txt")

    assert proc.returncode == 2
    assert len(error_lines(proc)) == 1
    assert error_lines(proc)[0].startswith("seenby: error: --output /proc/seenby-report.txt: cannot write in /proc")


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only directories")
def test_output_into_a_read_only_directory_exits_2(tmp_path: Path) -> None:
    """-o into a directory without write permission is exit 2 with one line."""
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)

    proc = seenby("audit", str(EXAMPLE), "--rules", str(RULES), "-o", str(locked / "r.txt"))

    assert proc.returncode == 2
    assert "cannot write in" in proc.stderr and "Traceback" not in proc.stderr


def test_output_that_is_a_directory_exits_2(tmp_path: Path) -> None:
    """-o naming a directory is exit 2 with one line."""
    proc = seenby("audit", str(EXAMPLE), "--rules", str(RULES), "-o", str(tmp_path))

    assert proc.returncode == 2
    assert "is a directory" in proc.stderr and "Traceback" not in proc.stderr


def test_unknown_aws_profile_exits_4_with_one_line(tmp_path: Path) -> None:
    """`scan aws --profile typo` is exit 4 (a scan could not start) with one line, no traceback."""
    proc = seenby("scan", "aws", "--profile", "typo", "-o", str(tmp_path / "s.json"), env=no_aws_config(tmp_path))

    assert proc.returncode == 4
    assert error_lines(proc) == [
        "seenby: error: cannot start the AWS scan: The config profile (typo) could not be found"
    ]
    assert not (tmp_path / "s.json").exists()


def test_unknown_option_exits_2() -> None:
    """A mistyped option is click's usage message and exit 2."""
    proc = seenby("audit", "--bogus")

    assert proc.returncode == 2
    assert "No such option" in proc.stderr


def test_internal_error_exits_70_with_one_line_and_the_traceback_in_a_file(tmp_path: Path) -> None:
    """An unexpected exception (here from the JSON library) is exit 70, one line naming a file with the traceback."""
    crash = (
        "import json, sys\n"
        "def broken(*a, **k):\n"
        "    raise RuntimeError('the JSON parser broke')\n"
        "json.loads = broken\n"
        "from seenby.cli import main\n"
        "sys.argv = ['seenby', *sys.argv[1:]]\n"
        "main()\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", crash, "audit", str(EXAMPLE), "--rules", str(RULES)],
        capture_output=True, text=True, timeout=120, env={**os.environ, "TMPDIR": str(tmp_path)}, cwd=ROOT,
    )

    assert proc.returncode == 70
    lines = error_lines(proc)
    assert len(lines) == 1 and "Traceback" not in proc.stderr
    assert lines[0].startswith("seenby: internal error: RuntimeError: the JSON parser broke; the traceback is in ")
    reports = list(tmp_path.glob("seenby-crash-*.txt"))
    assert [str(p) for p in reports] == [lines[0].split("the traceback is in ")[1].split(" (please report")[0]]
    assert "Traceback (most recent call last)" in reports[0].read_text()
    assert proc.stdout == ""


def test_findings_exit_1_and_clean_exit_0() -> None:
    """Findings at or above --fail-on are exit 1; with --fail-on never the same audit is exit 0."""
    assert seenby("audit", str(EXAMPLE), "--rules", str(RULES), "--fail-on", "high").returncode == 1
    assert seenby("audit", str(EXAMPLE), "--rules", str(RULES), "--fail-on", "never").returncode == 0


def test_strict_with_a_coverage_gap_exits_3() -> None:
    """--strict on a snapshot with a denied read, nothing failing --fail-on, is exit 3."""
    assert seenby("audit", str(EXAMPLE), "--rules", str(RULES), "--fail-on", "never", "--strict").returncode == 3


def test_ctrl_c_exits_130_and_writes_nothing(tmp_path: Path) -> None:
    """SIGINT in the middle of `seenby demo -o FILE` is exit 130, one line, no report and no temporary file."""
    out = tmp_path / "report.html"
    proc = subprocess.Popen(
        [sys.executable, "-m", "seenby", "demo", "--rules", str(RULES), "--format", "html", "-o", str(out), "--store",
         str(tmp_path / "h.sqlite3")],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    assert proc.stderr is not None
    first = proc.stderr.readline()  # the demo's first message: its endpoint is up, work is under way
    proc.send_signal(signal.SIGINT)
    code = proc.wait(timeout=120)
    rest = proc.stderr.read()

    assert first.startswith("seenby: local AWS endpoint on")
    assert code == 130
    assert rest.strip().splitlines()[-1] == "seenby: interrupted; nothing was written"
    assert "Traceback" not in rest and "Aborted!" not in rest
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != "h.sqlite3") == []


# Every command that reads a file a user names, given one that does not exist.
MISSING = "no-such-file.json"
READING_COMMANDS = {
    "audit": ["audit", MISSING],
    "who-can-read": ["who-can-read", "corp-employee-telemetry-raw", "--snapshot", MISSING],
    "what-can-read": ["what-can-read", "aws-org:o-a1b2c3d4e5", "--snapshot", MISSING],
    "why": ["why", "aws-org:o-a1b2c3d4e5", "corp-employee-telemetry-raw", "--snapshot", MISSING],
    "diff": ["diff", MISSING, str(EXAMPLE)],
    "exposure": ["exposure", "corp-employee-telemetry-raw", "--store", MISSING],
    "scans": ["scans", "--store", MISSING],
    "record": ["record", MISSING],
    "import gcp-cai": ["import", "gcp-cai", MISSING, "-o", "out.json"],
    "gate": ["gate", MISSING],
    "demo": ["demo", "--rules", MISSING],
}


@pytest.mark.parametrize("command", sorted(READING_COMMANDS))
def test_a_missing_input_file_exits_2_with_one_line(command: str, tmp_path: Path) -> None:
    """A named input file that does not exist is exit 2, no traceback, nothing on stdout, for every command."""
    proc = seenby(*READING_COMMANDS[command], cwd=tmp_path, env={"XDG_DATA_HOME": str(tmp_path / "data")})

    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr and MISSING in proc.stderr
    assert proc.stdout == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_aws_scan_without_credentials_exits_4(tmp_path: Path) -> None:
    """`scan aws` with no credentials anywhere is exit 4 with one line naming the identity call."""
    env = {**no_aws_config(tmp_path), "AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "", "AWS_SESSION_TOKEN": ""}
    proc = seenby("scan", "aws", "-o", str(tmp_path / "s.json"), "-q", env=env)

    assert proc.returncode == 4
    assert error_lines(proc) == [
        "seenby: error: sts:GetCallerIdentity: cannot identify the caller: NoCredentialsError: "
        "Unable to locate credentials"
    ]


def test_gcp_scan_without_credentials_exits_4(tmp_path: Path) -> None:
    """`scan gcp` without Application Default Credentials is exit 4 with one line."""
    env = {"GOOGLE_APPLICATION_CREDENTIALS": str(tmp_path / "none.json"), "HOME": str(tmp_path)}
    proc = seenby("scan", "gcp", "--project", "my-project-1", "-o", str(tmp_path / "g.json"), "-q", env=env)

    assert proc.returncode == 4
    assert len(error_lines(proc)) == 1 and "no Application Default Credentials" in proc.stderr


def test_a_shards_directory_that_cannot_be_made_exits_2_before_scanning(tmp_path: Path) -> None:
    """`scan aws --shards-dir` where no directory can be made is exit 2 before any AWS call (no credentials needed)."""
    proc = seenby("scan", "aws", "--shards-dir", "/proc/seenby/shards", env=no_aws_config(tmp_path))

    assert proc.returncode == 2
    assert error_lines(proc) == [
        "seenby: error: --shards-dir /proc/seenby/shards: cannot create it (No such file or directory)"
    ]
