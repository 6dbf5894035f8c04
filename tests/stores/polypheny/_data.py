"""What the Polypheny store's tests share: a small shop table, and a free port."""

from __future__ import annotations

import socket

SETUP = [
    'CREATE RELATIONAL NAMESPACE IF NOT EXISTS "shop"',
    'CREATE TABLE IF NOT EXISTS "shop"."item" ("_entry_id" VARCHAR(36) NOT NULL, '
    '"name" VARCHAR(100) NOT NULL, "qty" INTEGER, PRIMARY KEY ("_entry_id"), UNIQUE ("name"))',
]
INSERT = 'INSERT INTO "shop"."item" ("_entry_id", "name", "qty") VALUES (?, ?, ?)'
COUNT = 'SELECT COUNT(*) FROM "shop"."item"'


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
