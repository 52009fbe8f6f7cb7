"""Shared fixtures: a migrated database per test on SQLite, and on PostgreSQL when GUTWISE_TEST_DATABASE_URL is set.

Tests that take the ``uow``/``engine`` fixtures run once per backend. PostgreSQL is migrated once per session (from
an empty schema) and emptied with TRUNCATE between tests; SQLite gets a fresh copy of a migrated file per test.
"""

from __future__ import annotations

import os

# Real argon2id, with tiny costs: the suite creates hundreds of accounts (see gutwise.core.security).
os.environ.setdefault("GUTWISE_PASSWORD_HASH_PROFILE", "fast-insecure-for-tests")

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from gutwise.core import migrate
from gutwise.core.authz import Actor, Role
from gutwise.core.db import Base, make_engine
from gutwise.core.settings import Settings
from gutwise.core.uow import UnitOfWork

SHARED = Path(__file__).resolve().parents[1].parent / "shared"


def _pg_url() -> str | None:
    return Settings().test_database_url


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "backend" in metafunc.fixturenames:
        backends = ["sqlite"] + (["postgresql"] if _pg_url() else [])
        metafunc.parametrize("backend", backends, scope="session")


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "gutwise.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def _pg_engine(backend: str) -> Iterator[Engine | None]:
    if backend != "postgresql":
        yield None
        return
    url = _pg_url()
    assert url is not None
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    migrate.upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def engine(backend: str, _pg_engine: Engine | None, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Engine]:
    if backend == "sqlite":
        template = request.getfixturevalue("_sqlite_template")
        path = tmp_path / "gutwise.db"
        shutil.copy(template, path)
        eng = make_engine(f"sqlite:///{path}")
        yield eng
        eng.dispose()
        return
    assert _pg_engine is not None
    yield _pg_engine
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with _pg_engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture
def uow(engine: Engine) -> UnitOfWork:
    return UnitOfWork(engine)


@pytest.fixture
def system() -> Actor:
    return Actor.system("test")


def make_user(uow: UnitOfWork, role: Role, email: str, password: str = "correct horse battery") -> int:
    from gutwise.accounts import service

    user = service.register_user(uow=uow, actor=Actor.system("test"),
                                 data={"email": email, "password": password, "role": role, "display_name": email})
    return user.id


def actor_for(user_id: int, role: Role) -> Actor:
    return Actor(user_id=user_id, role=role, label=f"user:{user_id}")


@pytest.fixture
def app(engine: Engine):
    from gutwise.web.app import create_app

    return create_app(Settings(), engine)


@pytest.fixture
def client(app):
    from fastapi.testclient import TestClient

    with TestClient(app, follow_redirects=False) as c:
        yield c


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """../shared/data: real outside test data, read in place, never copied into the repository."""
    path = SHARED / "data"
    assert path.is_dir(), f"{path} is missing: the project expects ../shared beside the checkout"
    return path
