"""The stand-in answers as a default-configured Polypheny does, row by row of issue 8's table,
through the real ``polypheny`` driver. Each test cites the Polypheny-DB source it models."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import polypheny
import pytest

from polynom.stores.polypheny import PolyphenyStore
from polynom.testing import PrismServer
from tests.testing.prism._clients import SETUP, connect, insert

PARENT = [
    'CREATE TABLE "app"."owner" ("_entry_id" VARCHAR(36) NOT NULL, "name" VARCHAR(50), '
    'PRIMARY KEY ("_entry_id"), UNIQUE ("name"))',
    'CREATE TABLE "app"."bike" ("_entry_id" VARCHAR(36) NOT NULL, "owner" VARCHAR(36), '
    'PRIMARY KEY ("_entry_id"), FOREIGN KEY ("owner") REFERENCES "app"."owner" ("_entry_id"))',
]


def _setup(server: PrismServer, *extra: str) -> None:
    con = connect(server)
    cur = con.cursor()
    for sql in [*SETUP, *extra]:
        cur.execute(sql)
    con.commit()
    con.close()


def _count(cur, table: str = "item") -> int:
    cur.execute(f'SELECT COUNT(*) FROM "app"."{table}"')
    return cur.fetchone()[0]


# -- batches ---------------------------------------------------------------------------------


def test_a_batch_answers_the_rows_sent_not_the_rows_matched(server):
    """plugins/jdbc-adapter-framework/.../ResultSetEnumerable.java: a JDBC batch answers
    PolyLong.of( count.length ); a batch of one parameter set is no JDBC batch and answers
    its real count (PIPreparedIndexedStatement.executeBatch)."""
    store = PolyphenyStore(server.url)
    try:
        with store.connection() as conn:
            insert_sql = 'INSERT INTO "app"."item" ("_entry_id", "name", "qty") VALUES (?, ?, ?)'
            conn.execute_many(insert_sql, [("a", "x", 1), ("b", "y", 2)])
            update = 'UPDATE "app"."item" SET "qty" = ? WHERE "_entry_id" = ?'
            rows = [(5, "a"), (5, "nobody"), (5, "no one")]
            assert conn.execute_many(update, rows) == 3  # one matched
            assert conn.execute_each(update, rows) == [1, 0, 0]  # single statements count
            assert conn.execute_many(update, [(6, "nobody")]) == 0
            conn.commit()
        assert server.request_counts["execute_indexed_statement_batch_request"] == 2
    finally:
        store.close()


# -- keys ------------------------------------------------------------------------------------


def test_no_key_is_enforced_by_default(server):
    """core/.../config/RuntimeConfig.java: uniqueConstraintEnforcement and
    foreignKeyEnforcement are false; the default store holds no physical key
    (plugins/jdbc-adapter-framework/.../stores/AbstractJdbcStore.java)."""
    _setup(server, *PARENT)
    con = connect(server)
    cur = con.cursor()
    insert(cur, 1)
    insert(cur, 1)  # the same primary key twice
    cur.execute('INSERT INTO "app"."owner" VALUES (?, ?)', ("o1", "Ada"))
    cur.execute('INSERT INTO "app"."owner" VALUES (?, ?)', ("o2", "Ada"))  # unique twice
    cur.execute('INSERT INTO "app"."bike" VALUES (?, ?)', ("b1", "nobody"))  # dangling
    con.commit()
    assert (_count(cur), _count(cur, "owner"), _count(cur, "bike")) == (2, 2, 1)
    con.close()


def test_unique_enforcement_checks_after_the_write_and_keeps_it():
    """core/.../algebra/logical/common/LogicalConstraintEnforcer.java: the ON_QUERY control
    groups the whole table by each key (the primary key is named PRIMARY KEY); Functions.java
    raises, and nobody rolls the write back."""
    with PrismServer(unique_constraint_enforcement=True) as server:
        _setup(server, *PARENT)
        con = connect(server)
        cur = con.cursor()
        insert(cur, 1)
        with pytest.raises(polypheny.Error) as info:
            insert(cur, 1)
        assert str(info.value) == "Insert violates unique constraint `item`.`PRIMARY KEY`"
        assert _count(cur) == 2  # the violating row stays in the open transaction
        cur.execute('INSERT INTO "app"."owner" VALUES (?, ?)', ("o1", None))
        cur.execute('INSERT INTO "app"."owner" VALUES (?, ?)', ("o2", None))  # NULLs never clash
        cur.execute('INSERT INTO "app"."owner" VALUES (?, ?)', ("o3", "Ada"))
        with pytest.raises(
            polypheny.Error, match=r"^Insert violates unique constraint `owner`\.`auto_c_0`$"
        ):
            cur.execute('INSERT INTO "app"."owner" VALUES (?, ?)', ("o4", "Ada"))
        con.rollback()
        con.close()


def test_foreign_key_enforcement_checks_at_commit_and_rolls_back():
    """dbms/.../processing/ConstraintEnforceAttacher.java and TransactionImpl.java: foreign
    keys of the tables a transaction wrote are checked when it commits; a violation rolls
    it back (plugins/prism-interface/.../PIClient.java words the failed commit)."""
    with PrismServer(foreign_key_enforcement=True) as server:
        _setup(server, *PARENT)
        con = connect(server)
        cur = con.cursor()
        cur.execute('INSERT INTO "app"."owner" VALUES (?, ?)', ("o1", "Ada"))
        cur.execute('INSERT INTO "app"."bike" VALUES (?, ?)', ("b1", "nobody"))
        cur.execute('INSERT INTO "app"."bike" VALUES (?, ?)', ("b2", None))
        with pytest.raises(polypheny.Error) as info:
            con.commit()
        assert str(info.value) == (
            "Committing current transaction failed: Transaction violates foreign key "
            "constraint `bike`.`auto_c_0`\n"
            "There are violated constraints, the transaction was rolled back!"
        )
        assert _count(cur, "owner") == 0
        cur.execute('INSERT INTO "app"."owner" VALUES (?, ?)', ("o1", "Ada"))
        cur.execute('INSERT INTO "app"."bike" VALUES (?, ?)', ("b1", "o1"))
        con.commit()
        cur.execute('DELETE FROM "app"."owner"')  # the parent side is checked too
        with pytest.raises(polypheny.Error, match=r"foreign key constraint `owner`"):
            con.commit()
        assert _count(cur, "owner") == 1
        con.close()


# -- locks -----------------------------------------------------------------------------------


def test_a_writer_blocks_readers_until_it_ends(server):
    """Strict two-phase locking on entities (core/.../config/RuntimeConfig.java
    S2PL_LOCKING_LEVEL = ENTITY; dbms/.../transaction/locking/LockableImpl.java): a write's
    exclusive lock is held to commit, and waits never time out."""
    a, b = connect(server), connect(server)
    insert(a.cursor(), 1)
    with ThreadPoolExecutor(1) as pool:
        read = pool.submit(_count, b.cursor())
        time.sleep(0.3)
        assert not read.done()
        a.rollback()
        assert read.result(timeout=10) == 0
    a.close()
    b.close()


def test_a_deadlock_aborts_the_transaction_whose_wait_closes_the_cycle(server):
    """dbms/.../transaction/deadlocks/GraphDeadlockDetector.java and DeadlockHandler.java:
    edges from each waiter to the owners; the requester that closes a cycle is aborted with
    LockableImpl's message, and rolled back (core/.../languages/LanguageManager.java)."""
    _setup(server, *PARENT)
    a, b = connect(server), connect(server)
    ca, cb = a.cursor(), b.cursor()
    _count(ca, "owner")  # a reads owner, b reads item: both hold shared locks
    _count(cb, "item")
    with ThreadPoolExecutor(1) as pool:
        waiting = pool.submit(insert, ca, 1)  # a waits for b's lock on item
        time.sleep(0.3)
        assert not waiting.done()
        with pytest.raises(polypheny.Error) as info:
            cb.execute('INSERT INTO "app"."owner" VALUES (?, ?)', ("o1", "Ada"))
        message = str(info.value)  # b waits for a: the cycle is closed, b is aborted
        assert message.startswith("Transaction ")
        assert (
            "encountered a deadlock while acquiring a lock of type EXCLUSIVE on entry " in message
        )
        assert message.endswith("name='owner'}.")
        waiting.result(timeout=10)  # b's locks went with its rollback: a goes on
    a.commit()
    assert (_count(cb, "item"), _count(cb, "owner")) == (1, 0)
    a.close()
    b.close()


def test_create_namespace_waits_for_every_open_transaction(server):
    """plugins/sql-language/.../ddl/SqlCreateNamespace.java takes the global lock
    exclusively, even with IF NOT EXISTS on a namespace that exists; every entity lock
    holds it shared (dbms/.../transaction/locking/LockablesRegistry.java)."""
    reader, ddl = connect(server), connect(server)
    _count(reader.cursor())
    with ThreadPoolExecutor(1) as pool:
        created = pool.submit(
            ddl.cursor().execute, 'CREATE RELATIONAL NAMESPACE IF NOT EXISTS "app"'
        )
        time.sleep(0.3)
        assert not created.done()
        reader.commit()
        created.result(timeout=10)
    reader.close()
    ddl.close()


# -- DDL -------------------------------------------------------------------------------------


def test_ddl_commits_the_transaction_and_a_failed_one_rolls_it_back(server):
    """core/.../processing/Processor.java: prepareDdl runs the DDL and commits the
    transaction it is in; a DDL that fails rolls all of it back (LanguageManager.java)."""
    con = connect(server)
    cur = con.cursor()
    insert(cur, 1)
    cur.execute(
        'CREATE TABLE "app"."other" ("_entry_id" VARCHAR(36) NOT NULL, PRIMARY KEY ("_entry_id"))'
    )
    con.rollback()
    assert _count(cur) == 1  # committed with the DDL
    insert(cur, 1, start=1)
    with pytest.raises(
        polypheny.Error, match=r"^Column is not nullable and does not have a default"
    ):
        cur.execute('ALTER TABLE "app"."item" ADD COLUMN "x" INTEGER NOT NULL')
    assert _count(cur) == 1  # the insert before it was rolled back
    con.close()


@pytest.mark.parametrize(
    ("ddl", "message"),
    [
        # dbms/.../ddl/DdlManagerImpl.java, createColumn: even on an empty table
        (
            'ALTER TABLE "app"."item" ADD COLUMN "x" INTEGER NOT NULL',
            "^Column is not nullable and does not have a default value defined.$",
        ),
        # core/.../catalog/impl/logical/RelationalCatalog.java, addForeignKey
        (
            'CREATE TABLE "app"."tree" ("_entry_id" VARCHAR(36) NOT NULL, "up" VARCHAR(36), '
            'PRIMARY KEY ("_entry_id"), FOREIGN KEY ("up") REFERENCES "app"."tree" ("_entry_id"))',
            "^A foreign key can not reference the same table.$",
        ),
        # plugins/jdbc-adapter-framework/.../stores/AbstractJdbcStore.java, the fill UPDATE
        (
            'ALTER TABLE "app"."item" ADD COLUMN "note" TEXT DEFAULT \'-\'',
            "^Not yet supported default value type: TEXT$",
        ),
        # plugins/sql-language/src/main/codegen/Parser.jj: ADD needs COLUMN; a primary key
        # is added unnamed, a unique key only named
        ('ALTER TABLE "app"."item" ADD "x" INTEGER', 'NodeParseException: Encountered "ADD"'),
        (
            'ALTER TABLE "app"."item" ADD CONSTRAINT "pk" PRIMARY KEY ("qty")',
            'NodeParseException: Encountered "PRIMARY"',
        ),
        ('ALTER TABLE "app"."item" ADD UNIQUE ("qty")', 'NodeParseException: Encountered "ADD"'),
        # plugins/sql-language/.../SqlDdl.java: the namespace is looked up first
        ('DROP TABLE IF EXISTS "nowhere"."item"', "^No value present$"),
    ],
)
def test_ddl_polypheny_refuses_in_its_words(server, ddl, message):
    con = connect(server)
    with pytest.raises(polypheny.Error, match=message):
        con.cursor().execute(ddl)
    con.close()


def test_set_not_null_does_not_look_at_the_data(server):
    """dbms/.../ddl/DdlManagerImpl.java, setColumnNullable: the catalog changes, the data
    is not checked (so a migration must check it first)."""
    con = connect(server)
    cur = con.cursor()
    cur.execute('INSERT INTO "app"."item" ("_entry_id", "name") VALUES (?, ?)', ("a", None))
    cur.execute('ALTER TABLE "app"."item" MODIFY COLUMN "name" SET NOT NULL')
    cur.execute('SELECT "name" FROM "app"."item"')
    assert cur.fetchall() == [[None]]
    with pytest.raises(polypheny.Error, match=r"^Null in not nullable column$"):
        cur.execute('UPDATE "app"."item" SET "name" = ?', (None,))
    con.close()


# -- queries ---------------------------------------------------------------------------------


def test_distinct_orders_only_by_what_it_selects(server):
    """plugins/sql-language/.../validate/SqlValidatorImpl.java (notSelectDistinctExpr)."""
    con = connect(server)
    cur = con.cursor()
    with pytest.raises(polypheny.Error) as info:
        cur.execute('SELECT DISTINCT "name" FROM "app"."item" ORDER BY "qty"')
    assert str(info.value) == (
        "Exception while validating query: From line 1, column 51 to line 1, column 55: "
        "Expression 'qty' is not in the select clause"
    )
    cur.execute('SELECT DISTINCT "name", "qty" FROM "app"."item" ORDER BY "qty"')
    con.close()


def test_nulls_come_first_both_ways_as_the_default_store_sorts_them(server):
    """plugins/hsqldb-adapter/.../HsqldbSqlDialect.java declares NullCollation.HIGH, so the
    SQL generator (plugins/jdbc-adapter-framework/.../rel2sql/SqlImplementor.java) drops an
    ASC NULLS LAST; HSQLDB sorts NULLs first either way. DESC NULLS LAST is written out."""
    con = connect(server)
    cur = con.cursor()
    for i, qty in enumerate([2, None, 1]):
        cur.execute('INSERT INTO "app"."item" ("_entry_id", "qty") VALUES (?, ?)', (f"i{i}", qty))

    def order(by: str) -> list:
        cur.execute(f'SELECT "qty" FROM "app"."item" ORDER BY {by}')
        return [r[0] for r in cur.fetchall()]

    assert order('"qty"') == order('"qty" ASC NULLS LAST') == [None, 1, 2]
    assert order('"qty" DESC') == [None, 2, 1]
    assert order('"qty" DESC NULLS LAST') == [2, 1, None]
    assert order('"qty" ASC NULLS FIRST') == [None, 1, 2]
    con.close()


def test_names_are_lower_cased_and_found_whatever_their_case(server):
    """dbms/.../ddl/DdlManagerImpl.java: namespace names, and table and column names in a
    (default, case-insensitive) relational namespace, are lower-cased, quoted or not."""
    con = connect(server)
    cur = con.cursor()
    cur.execute('CREATE RELATIONAL NAMESPACE "Shop"')
    cur.execute(
        'CREATE TABLE "Shop"."OrderItem" ("_entry_id" VARCHAR(36) NOT NULL, "Qty" INTEGER, '
        'PRIMARY KEY ("_entry_id"))'
    )
    cur.execute('INSERT INTO "shop"."orderitem" VALUES (?, ?)', ("a", 1))
    cur.execute('SELECT * FROM "SHOP"."ORDERITEM"')
    assert [d[0] for d in cur.description] == ["_entry_id", "qty"]
    con.close()


def test_limit_and_offset_are_read_as_a_java_int(server):
    """core/.../rex/RexLiteral.java intValue; HSQLDB refuses the pushed-down literal. A bare
    OFFSET is Polypheny's grammar (plugins/sql-language/src/main/codegen/Parser.jj)."""
    con = connect(server)
    cur = con.cursor()
    insert(cur, 3)
    cur.execute('SELECT "qty" FROM "app"."item" ORDER BY "qty" OFFSET 1')
    assert [r[0] for r in cur.fetchall()] == [1, 2]
    cur.execute('SELECT "qty" FROM "app"."item" ORDER BY "qty" LIMIT 2147483647 OFFSET 2')
    assert [r[0] for r in cur.fetchall()] == [2]
    with pytest.raises(polypheny.Error, match=r"^While executing SQL \[.*\] on JDBC sub-namespace"):
        cur.execute('SELECT "qty" FROM "app"."item" LIMIT 2147483648')
    assert _count(cur) == 3  # an error while executing keeps the transaction
    con.close()


def test_an_unknown_column_is_refused_not_read_as_text(server):
    """SQLite reads a double-quoted name that is no column as a string; Polypheny's
    validator refuses it (SqlValidatorImpl, columnNotFound)."""
    con = connect(server)
    cur = con.cursor()
    insert(cur, 1)
    with pytest.raises(polypheny.Error, match="Column 'nope' not found in any table"):
        cur.execute('SELECT "nope" FROM "app"."item"')
    con.close()


# -- what a failed statement does to the transaction ------------------------------------------


def test_which_failures_roll_the_transaction_back(server):
    """core/.../languages/LanguageManager.java: parse and validation errors of a statement
    it runs roll back; plugins/prism-interface/.../statementProcessing/StatementProcessor.java
    parses and validates a prepared statement outside of that (no rollback); an error while
    executing rolls nothing back (RelationalExecutor.java)."""
    con = connect(server)
    cur = con.cursor()
    insert(cur, 1)
    with pytest.raises(polypheny.Error, match="not found in any table"):
        cur.execute('SELECT "nope" FROM "app"."item" WHERE "qty" = ?', (1,))  # prepared
    assert _count(cur) == 1
    with pytest.raises(polypheny.Error, match="While executing SQL"):
        cur.execute('SELECT "qty" FROM "app"."item" LIMIT 3000000000')
    assert _count(cur) == 1
    with pytest.raises(polypheny.Error, match="not found in any table"):
        cur.execute('SELECT "nope" FROM "app"."item"')  # unparameterized
    assert _count(cur) == 0
    con.close()


# -- many clients ------------------------------------------------------------------------------


def test_many_more_clients_than_a_pool_would_hold_are_served():
    with PrismServer() as server:
        _setup(server)
        clients = [connect(server) for _ in range(100)]
        for con in clients:
            assert _count(con.cursor()) == 0
        for con in clients:
            con.close()


def test_a_client_over_max_clients_is_refused_at_once():
    with PrismServer(max_clients=2) as server:
        first, second = connect(server), connect(server)
        started = time.monotonic()
        with pytest.raises(polypheny.Error, match="serves at most 2 clients"):
            connect(server)
        assert time.monotonic() - started < 2
        first.close()
        connect(server).close()  # a place came free
        second.close()


def test_an_idle_client_is_disconnected_and_its_locks_go():
    with PrismServer(idle_timeout=0.3) as server:
        _setup(server)
        idle = connect(server)
        insert(idle.cursor(), 1)  # holds the item exclusively, then idles
        time.sleep(0.8)
        other = connect(server)
        assert _count(other.cursor()) == 0  # the idle one was rolled back and let go
        assert server.client_count == 1
        other.close()
        with pytest.raises((EOFError, OSError, polypheny.Error, AssertionError)):
            _count(idle.cursor())


def test_threads_share_the_stand_in():
    """Writers of one table in many threads: each waits its turn, none is lost."""
    with PrismServer() as server:
        _setup(server)
        errors: list[BaseException] = []

        def work(k: int) -> None:
            try:
                con = connect(server)
                insert(con.cursor(), 5, start=k * 5)
                con.commit()
                con.close()
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)

        threads = [threading.Thread(target=work, args=(k,)) for k in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert not errors
        con = connect(server)
        assert _count(con.cursor()) == 40
        con.close()
