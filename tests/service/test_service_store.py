"""The SQLite store: migrations, append-only audit, idempotent feedback, replay memory."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bonemet.stores.store import MIGRATIONS, SCHEMA_VERSION, AuditEntry, Store, StoreError


def test_new_store_is_at_the_latest_version_in_wal_mode(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.sqlite3")
    assert store.version() == SCHEMA_VERSION
    assert store.execute("PRAGMA journal_mode")[0][0] == "wal"
    assert store.migrate() == 0  # idempotent


def test_an_older_store_is_migrated_in_place(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)")
    db.executescript(MIGRATIONS[0][1])
    db.execute("INSERT INTO schema_version VALUES (1, '2025-01-01')")
    db.execute("INSERT INTO cases VALUES ('c1', '{}', '2025-01-01')")
    db.commit()
    db.close()
    store = Store(path)
    assert store.version() == SCHEMA_VERSION
    assert store.case_ids() == ["c1"]  # data kept
    assert store.remember_jti("iss", "j", 10, 0)  # table of migration 2 exists


def test_a_store_from_a_newer_bonemet_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "new.sqlite3"
    Store(path).execute("INSERT INTO schema_version VALUES (?, 'future')", (SCHEMA_VERSION + 1,))
    with pytest.raises(StoreError, match="newer than this bonemet"):
        Store(path)


def test_audit_log_is_append_only(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.sqlite3")
    store.audit(AuditEntry("POST", "/api/assess", 200, 1.5))
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        store.execute("UPDATE audit SET status = 500")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        store.execute("DELETE FROM audit")
    assert store.audit_rows()[0]["status"] == 200


def test_feedback_is_idempotent_whatever_the_key_order(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.sqlite3")
    item = {"card": "c-1", "outcome": "overridden", "outcomeTimestamp": "2025-01-01T10:00:00Z"}
    assert store.add_feedback("svc", item)
    assert not store.add_feedback("svc", dict(reversed(list(item.items()))))
    assert store.add_feedback("svc", {**item, "outcomeTimestamp": "2025-01-01T10:05:00Z"})
    assert len(store.feedback_for("c-1")) == 2


def test_jti_is_remembered_per_issuer_until_expiry(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.sqlite3")
    assert store.remember_jti("a", "j1", exp=100, now=50)
    assert not store.remember_jti("a", "j1", exp=100, now=60)
    assert store.remember_jti("b", "j1", exp=100, now=60)  # another issuer's id space
    assert store.remember_jti("a", "j1", exp=300, now=200)  # expired entries are purged


def test_unwritable_path_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(StoreError, match="cannot open the store"):
        Store(blocker / "sub" / "s.sqlite3")
