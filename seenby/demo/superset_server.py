"""A local Apache Superset for the live tests and ``seenby demo --live-superset``.

Superset lives in its own virtual environment (its dependencies never enter seenby's):
``SEENBY_SUPERSET_VENV`` (default ``./.venv-superset``) holds ``apache-superset==6.1.0``,
``flask-caching<2.5``, ``rich``, ``cachetools`` and ``sqlalchemy-bigquery`` (see
docs/superset.md).  The metadata database is SQLite, initialised once (``db upgrade``,
``fab create-admin``, ``init``: about 35 s) and kept as a template under the venv, so
later starts copy it; the server listens on a free loopback port and is ready when
``/health`` answers.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

__all__ = ["ADMIN_USER", "LocalSuperset", "local_superset", "superset_venv"]

ADMIN_USER = "seenby-admin"
_CONFIG = """\
SECRET_KEY = {secret!r}
SQLALCHEMY_DATABASE_URI = "sqlite:///{db}"
PREVENT_UNSAFE_DB_CONNECTIONS = False
FAB_ADD_SECURITY_API = True
FEATURE_FLAGS = {{"DASHBOARD_RBAC": True, "EMBEDDED_SUPERSET": True}}
WTF_CSRF_ENABLED = False
TALISMAN_ENABLED = False
"""


def superset_venv() -> Path | None:
    """The Superset virtual environment, if it holds a ``superset`` command."""
    venv = Path(os.environ.get("SEENBY_SUPERSET_VENV", ".venv-superset")).resolve()
    return venv if (venv / "bin" / "superset").exists() else None


@dataclass(frozen=True, kw_only=True, slots=True)
class LocalSuperset:
    url: str
    admin_password: str  # generated per start, held in memory only
    work: Path  # holds the SQLite warehouse files the seeded connections point at


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _env(config: Path) -> dict[str, str]:
    return {**os.environ, "SUPERSET_CONFIG_PATH": str(config), "FLASK_APP": "superset"}


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=1) as response:
            return response.status == 200
    except OSError:
        return False


def _initialise(venv: Path, work: Path, password: str) -> None:
    """The metadata database: a copy of the venv's template, or made (and kept as the template) now."""
    template = venv / "seenby-metadata-template.db"
    db = work / "superset.db"
    secret_file = venv / "seenby-template-secret"
    if template.exists() and secret_file.exists():
        shutil.copy(template, db)
    else:
        superset = str(venv / "bin" / "superset")
        env = _env(work / "superset_config.py")
        for args in (["db", "upgrade"], ["init"]):
            subprocess.run([superset, *args], env=env, cwd=work, check=True, capture_output=True, timeout=600)
        shutil.copy(db, template)
        shutil.copy(work / "secret", secret_file)
    superset = str(venv / "bin" / "superset")
    # a fresh admin with a fresh password on every start (the template holds none)
    subprocess.run(
        [
            superset,
            "fab",
            "create-admin",
            "--username",
            ADMIN_USER,
            "--firstname",
            "seenby",
            "--lastname",
            "admin",
            "--email",
            "admin@seenby.invalid",
            "--password",
            password,
        ],
        env=_env(work / "superset_config.py"),
        cwd=work,
        check=True,
        capture_output=True,
        timeout=300,
    )


@contextmanager
def local_superset(venv: Path, *, timeout: float = 120.0) -> Iterator[LocalSuperset]:
    """Start Superset on a free loopback port; always stop it and remove its files."""
    with tempfile.TemporaryDirectory(prefix="seenby-superset-") as tmp:
        work = Path(tmp)
        template_secret = venv / "seenby-template-secret"
        secret = template_secret.read_text() if template_secret.exists() else secrets.token_urlsafe(32)
        (work / "secret").write_text(secret)
        (work / "superset_config.py").write_text(_CONFIG.format(secret=secret, db=work / "superset.db"))
        password = secrets.token_urlsafe(16)
        _initialise(venv, work, password)
        port = _free_port()
        proc = subprocess.Popen(
            [str(venv / "bin" / "superset"), "run", "-h", "127.0.0.1", "-p", str(port), "--with-threads"],
            env=_env(work / "superset_config.py"),
            cwd=work,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + timeout
            while not _healthy(url):
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"Superset did not answer /health on {url}")
                time.sleep(0.25)
            yield LocalSuperset(url=url, admin_password=password, work=work)
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
