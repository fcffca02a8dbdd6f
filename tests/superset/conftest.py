"""A live Apache Superset for tests/superset/test_superset_live.py, started once per session.

Selected only when ``SEENBY_SUPERSET_TESTS=1`` (``.ci/run`` sets it after installing Superset
into ``.venv-superset``); otherwise those tests are skipped.  When selected and Superset is
missing, they fail: a CI that asked for them must not pass without them.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from seenby.demo.seed_superset import seed_superset
from seenby.demo.superset_server import ADMIN_USER, LocalSuperset, local_superset, superset_venv


@dataclass(frozen=True, kw_only=True, slots=True)
class SeededSuperset:
    server: LocalSuperset
    ids: dict[str, int]


@pytest.fixture(scope="session")
def live_superset() -> Iterator[SeededSuperset]:
    if os.environ.get("SEENBY_SUPERSET_TESTS") != "1":
        pytest.skip("live Superset tests run with SEENBY_SUPERSET_TESTS=1 (see docs/superset.md)")
    venv = superset_venv()
    if venv is None:
        pytest.fail("SEENBY_SUPERSET_TESTS=1 but no Superset venv (.venv-superset or SEENBY_SUPERSET_VENV)")
    with local_superset(venv) as server:
        ids = seed_superset(server.url, admin_user=ADMIN_USER, admin_password=server.admin_password, work=server.work)
        yield SeededSuperset(server=server, ids=ids)
