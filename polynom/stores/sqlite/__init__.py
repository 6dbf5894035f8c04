"""The embedded store: Polypheny SQL run on Python's own ``sqlite3``, no server.

* ``sqlite:///file.db``: a database file in WAL mode (readers never block the writer).
* ``sqlite://``: a private database that lives in memory (on ``/dev/shm`` where there is one)
  and is deleted when the store closes. It is the same WAL database as a file, so several
  pooled connections share it with exactly the file store's locking and isolation.

Each connection's transaction is explicit and starts at its first write (``BEGIN
IMMEDIATE``, which takes SQLite's one write lock): reads before it see the latest committed
data, as under READ COMMITTED, and a writer never fails because it read an older snapshot.
Lost updates are caught by the mapper, which checks each updated value against the one it
replaced. Foreign keys are checked at commit.

The modules: :mod:`.store` (the store and its pool), :mod:`.connection` (one connection and
its results), :mod:`.catalog` (what connections ask of SQLite's catalog), :mod:`.ddl_runner`
(DDL run against the catalog), :mod:`.errors` (SQLite's errors as polynom errors, one table)
and :mod:`.translate` (Polypheny SQL -> SQLite, the one place that translates).
"""

from polynom.stores.sqlite.connection import SqliteConnection, SqliteResult
from polynom.stores.sqlite.store import SqliteStore

__all__ = ["SqliteConnection", "SqliteResult", "SqliteStore"]
