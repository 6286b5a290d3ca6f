"""The batched audit writer: rows reach the file in call order, and none is lost on a clean close."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from bonemet.stores.store import AuditEntry, Store


def _entry(n: int) -> AuditEntry:
    return AuditEntry("POST", "/cds-services/{service_id}", 200, float(n), hook="order-select", cards=n)


def test_rows_are_written_in_call_order_and_survive_close(tmp_path: Path) -> None:
    store = Store(tmp_path / "a.sqlite3")
    for n in range(500):
        store.audit(_entry(n))
    store.close()
    reopened = Store(tmp_path / "a.sqlite3")
    rows = reopened.execute("SELECT cards FROM audit ORDER BY id")
    assert [r[0] for r in rows] == list(range(500))


def test_reading_the_log_sees_every_row_queued_before(tmp_path: Path) -> None:
    store = Store(tmp_path / "a.sqlite3")
    store.audit(_entry(7))
    assert store.audit_rows()[0]["cards"] == 7  # no waiting for the writer thread


def test_concurrent_callers_lose_no_row(tmp_path: Path) -> None:
    store = Store(tmp_path / "a.sqlite3")

    def burst(base: int) -> None:
        for n in range(200):
            store.audit(_entry(base + n))

    threads = [threading.Thread(target=burst, args=(k * 1000,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    cards = sorted(r["cards"] for r in store.audit_rows(limit=10_000))
    assert cards == sorted(k * 1000 + n for k in range(4) for n in range(200))
    store.close()


def test_batched_rows_stay_append_only(tmp_path: Path) -> None:
    store = Store(tmp_path / "a.sqlite3")
    store.audit(_entry(1))
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        store.execute("DELETE FROM audit")
    store.close()
