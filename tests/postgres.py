"""A fresh PostgreSQL database per test, on the server named by TEST_DATABASE_URL.

CI (.ci/run) installs Debian's postgresql package, starts a throwaway cluster on 127.0.0.1 with
.ci/postgres and sets TEST_DATABASE_URL. Elsewhere, without it, these tests are skipped with one
line that says how to run them; under CI=true a missing server is a failure, not a skip."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

import pytest

SKIP_REASON = (
    "PostgreSQL tests need a server: TEST_DATABASE_URL=$(.ci/postgres) make test "
    "(CI starts one itself)"
)


def server_url() -> str:
    url = os.environ.get("TEST_DATABASE_URL", "").strip()
    if not url:
        if os.environ.get("CI") == "true":
            pytest.fail("CI must provide TEST_DATABASE_URL (see .ci/run)")
        pytest.skip(SKIP_REASON)
    return url


@pytest.fixture
def database_url() -> Iterator[str]:
    """The URL of a new, empty database, dropped after the test."""
    psycopg = pytest.importorskip("psycopg", reason="pip install '.[postgres]'")
    server = server_url()
    name = f"faqbot_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    parts = urlsplit(server)
    try:
        yield urlunsplit(parts._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(server, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
