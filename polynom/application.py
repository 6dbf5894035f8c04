"""``Application``: one per app; owns the connection pool to a store and its schemas.

Entering the application (``with app:``) opens the store, creates what is missing,
compares the registered schemas with the stored snapshot and migrates or refuses to start,
and locks :mod:`polynom.config`. Sessions are made inside it.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Sequence
from enum import Enum, auto
from pathlib import Path
from typing import TYPE_CHECKING, Any

from polynom import config
from polynom.changelog import upgrade_statements
from polynom.container import deploy_polypheny, remove_container, stop_container
from polynom.dump import FORMAT as DUMP_FORMAT
from polynom.dump import count_entries
from polynom.dump import dump as write_dump
from polynom.dump import load as load_dump
from polynom.errors import (
    ApplicationStateError,
    ConfigurationError,
    PolynomError,
    SchemaMismatchError,
    SessionError,
    StoreConnectionError,
    StoreError,
)
from polynom.migration import SchemaSnapshot, check_schemas, plan, snapshot_of
from polynom.migration_steps import apply_steps
from polynom.schema.internal import internal_schemas
from polynom.schema.schema import ENTRY_ID, BaseSchema, schema_class
from polynom.schema.schema_registry import registered_schemas, sort_by_dependency
from polynom.session import Session
from polynom.sql import ddl
from polynom.sql import select as sql_select
from polynom.sql.names import quote, schema_entity
from polynom.stores import PolyphenyAddress, open_store, parse_address

if TYPE_CHECKING:
    from types import TracebackType

    from polynom.stores.base import Result, Store

__all__ = ["Application"]

_statements = logging.getLogger("polynom.statements")


class _ApplicationState(Enum):
    INITIALIZED = auto()
    ACTIVE = auto()
    COMPLETED = auto()


#: Read on every session opened: a module constant, as reading a member off an Enum class
#: costs ten times as much.
_ACTIVE = _ApplicationState.ACTIVE


class Application:
    """An application working on one store.

    ``address`` picks the store: ``("host", 20590)`` or ``"polypheny://user:pass@host:port"``
    for Polypheny, ``"sqlite:///file.db"`` or ``"sqlite://"`` (in memory) for the embedded
    store; omitted, ``POLYNOM_URL`` or else ``sqlite:///polynom.db``. ``schemas`` limits the
    entities the application manages (default: every registered schema).

    ``use_docker=True`` starts (or creates) a Polypheny container through the Docker SDK when
    the application starts, as PolyNOM 0.3 does; ``stop_container`` / ``remove_container``
    stop / remove it when it closes (:mod:`polynom.container`).
    """

    def __init__(
        self,
        app_uuid: str,
        address: Any = None,
        user: str | None = None,
        password: str | None = None,
        transport: str | None = None,
        use_docker: bool = False,
        migrate: bool = False,
        stop_container: bool = False,
        remove_container: bool = False,
        log_statements: bool = False,
        schemas: Sequence[type[BaseSchema] | BaseSchema] | None = None,
    ) -> None:
        if not isinstance(app_uuid, str) or not 0 < len(app_uuid) <= 36:
            raise ConfigurationError(
                f"app_uuid must be a string of 1-36 characters, got {app_uuid!r}"
            )
        self.use_docker = use_docker
        self.stop_container = stop_container
        self.remove_container = remove_container
        self.app_uuid = app_uuid
        self.address = address
        self.user = user if user is not None else config.get(config.DEFAULT_USER)
        self.password = password if password is not None else config.get(config.DEFAULT_PASS)
        self.transport = transport or config.get(config.DEFAULT_TRANSPORT)
        self._docker_address: PolyphenyAddress | None = None
        if use_docker:
            parsed = parse_address(
                address, user=self.user, password=self.password, transport=self.transport
            )
            if not isinstance(parsed, PolyphenyAddress):
                raise ConfigurationError(
                    f"use_docker=True starts a Polypheny container; {address!r} is not a "
                    "Polypheny address (give its host and port, e.g. ('localhost', 20590))"
                )
            self._docker_address = parsed
        self.migrate = migrate
        self.log_statements = log_statements
        self._schemas = [schema_class(s) for s in schemas] if schemas is not None else None
        #: ``schemas`` sorted, and what was sorted (see there).
        self._sorted: list[type[BaseSchema]] = []
        self._sorted_for: tuple[tuple[type[BaseSchema], int], ...] | None = None
        self._store: Store | None = None
        self._state = _ApplicationState.INITIALIZED
        self._locked = False

    # -- lifecycle -----------------------------------------------------------------------

    @property
    def is_active(self) -> bool:
        return self._state is _ACTIVE

    @property
    def store(self) -> Store:
        """The store the application works on (its connection pool)."""
        if self._store is None:
            self._require_active()
        assert self._store is not None
        return self._store

    def _require_active(self) -> None:
        if self._state is not _ACTIVE or self._store is None:
            raise SessionError(
                f'Application {self.app_uuid} must first be activated by using it in a "with" block'
            )

    @property
    def schemas(self) -> list[type[BaseSchema]]:
        """The schemas this application manages, parents before children."""
        chosen = self._schemas if self._schemas is not None else registered_schemas()
        # every flush asks: sorted again only when the schemas or their fields changed
        key = tuple((s, id(s.fields)) for s in chosen)
        if key != self._sorted_for:
            self._sorted = sort_by_dependency(chosen)
            self._sorted_for = key
        return list(self._sorted)

    def __enter__(self) -> Application:
        if self._state is not _ApplicationState.INITIALIZED:
            raise ApplicationStateError("an Application can be entered once; create a new one")
        config.lock()
        self._locked = True
        try:
            docker = self._docker_address
            if docker is not None:  # as PolyNOM 0.3: start the container, wait for Prism
                deploy_polypheny(docker.target, docker.user, docker.password, docker.transport)
            self._store = open_store(
                self.address,
                user=self.user,
                password=self.password,
                transport=self.transport,
                pool_size=config.get(config.POOL_SIZE),
                timeout=config.get(config.POOL_TIMEOUT),
            )
            self._state = _ApplicationState.ACTIVE
            self._prepare()
        except BaseException:
            self._close()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._close()

    def _close(self) -> None:
        self._state = _ApplicationState.COMPLETED
        store, self._store = self._store, None
        try:
            if store is not None:
                store.close()
        finally:
            try:
                if self.use_docker and self.stop_container:
                    stop_container()
                if self.use_docker and self.remove_container:
                    remove_container()
            finally:
                if self._locked:
                    self._locked = False
                    config.unlock()

    def create_session(self, log_user: str | None = None) -> Session:
        """A new session of this application."""
        return Session(self, log_user=log_user)

    # -- statements ----------------------------------------------------------------------

    def log_statement(self, statement: str, params: Sequence[Any] = ()) -> None:
        """Log a statement on ``polynom.statements`` when ``log_statements`` is on."""
        if self.log_statements:
            _statements.info(
                "[%s] %s %r",
                self.app_uuid,
                statement,
                list(params),
                extra={"app_uuid": self.app_uuid},
            )

    def execute_ddl(self, statements: Sequence[str]) -> None:
        """Run DDL outside any data transaction."""
        for statement in statements:
            self.log_statement(statement)
        self.store.execute_ddl(statements)

    # -- schemas -------------------------------------------------------------------------

    def _prepare(self) -> None:
        """Create what is missing, compare with the snapshot, migrate (or refuse to start).

        DDL runs only when something is missing or changes: on Polypheny ``CREATE NAMESPACE``
        takes the global lock exclusively, even with ``IF NOT EXISTS`` (Polypheny-DB's
        ``plugins/sql-language/.../ddl/SqlCreateNamespace.java``), so it would wait for every
        open transaction of the server."""
        self._create_missing(internal_schemas())
        with self.store.connection() as conn:  # a change_log PolyNOM 0.3 made: add our columns
            upgrade = upgrade_statements(conn)
        if upgrade:
            self.execute_ddl(upgrade)
        schemas = self.schemas
        check_schemas(schemas)
        with Session(self) as session:
            stored = SchemaSnapshot.query(session).get(self.app_uuid)
            stored_snapshot = stored.snapshot if stored else None
        the_plan = plan(stored_snapshot, schemas)
        if stored is not None and the_plan.needs_migration and not self.migrate:
            raise SchemaMismatchError(
                f"the schemas of application {self.app_uuid} differ from the stored "
                "snapshot; open it with migrate=True to apply:\n  - "
                + "\n  - ".join(the_plan.differences),
                the_plan.differences,
            )
        runner = _Runner(self)
        steps = the_plan.prepare(runner)  # every check against the data, before any change
        undo = apply_steps(steps, runner, f"migrating application {self.app_uuid}")
        try:
            self._create_missing(the_plan.creations)
            current = snapshot_of(schemas)
            if stored_snapshot != current:
                with Session(self) as session:
                    stored = SchemaSnapshot.query(session).get(self.app_uuid)
                    if stored is None:
                        session.add(SchemaSnapshot(_entry_id=self.app_uuid, snapshot=current))
                    else:
                        stored.snapshot = current
                    session.commit()
        except PolynomError:
            undo()  # the schema and the data as they were; the snapshot was not written
            raise

    def _missing(self, schemas: Sequence[type[BaseSchema]]) -> list[type[BaseSchema]]:
        """The schemas whose entity the store lacks (one cheap query each)."""
        missing = []
        for schema in schemas:
            probe = sql_select.select(quote(ENTRY_ID), schema_entity(schema), limit=1)
            with self.store.connection() as conn:
                try:
                    conn.execute(probe)
                except StoreConnectionError:
                    raise
                except StoreError:
                    missing.append(schema)
                finally:
                    with contextlib.suppress(StoreError):
                        conn.rollback()
        return missing

    def _create_missing(self, schemas: Sequence[type[BaseSchema]]) -> None:
        """Create the entities of ``schemas`` the store lacks (and their namespaces)."""
        missing = self._missing(schemas)
        if not missing:
            return
        self_references = self.store.capabilities.self_referencing_fk
        namespaces = dict.fromkeys(s.namespace() for s in missing)
        self.execute_ddl(
            [ddl.create_namespace(ns) for ns in namespaces]
            + [ddl.create_table(s, self_references=self_references) for s in missing]
        )

    def check(self) -> list[str]:
        """The differences between the registered schemas and the stored snapshot."""
        self._require_active()
        with Session(self) as session:
            stored = SchemaSnapshot.query(session).get(self.app_uuid)
        return plan(stored.snapshot if stored else None, self.schemas).differences

    # -- dump / load ---------------------------------------------------------------------

    def dump(
        self,
        path: str | Path,
        progress: Callable[[str, int], None] | None = None,
        format: str = DUMP_FORMAT,
    ) -> int:
        """Write every entry of the application (and its changelog) to ``path``; returns how
        many. ``format="polynom03"`` writes PolyNOM 0.3's SQL format, which it can load."""
        self._require_active()
        with Session(self) as session:
            return write_dump(session, self.app_uuid, self.schemas, Path(path), progress, format)

    def count_entries(self) -> int:
        """How many entries a dump of the application holds (its changelog rows included)."""
        self._require_active()
        with Session(self) as session:
            return sum(count_entries(session, self.app_uuid, self.schemas))

    def load(
        self,
        path: str | Path,
        replace: bool = True,
        progress: Callable[[str, int], None] | None = None,
    ) -> int:
        """Load a dump -- polynom's or PolyNOM 0.3's -- all or nothing; returns how many
        entries.

        As in PolyNOM, the application's entries and changelog are replaced by the dump's
        (in the same transaction, so a dump that fails to load changes nothing);
        ``replace=False`` keeps them and refuses entries that exist already.
        """
        self._require_active()
        with Session(self) as session:
            return load_dump(session, self.app_uuid, self.schemas, Path(path), replace, progress)

    def __repr__(self) -> str:
        return f"<Application {self.app_uuid} {self._state.name.lower()}>"


class _Runner:
    """What a migration's steps run on: the application's DDL path, and sessions of its own
    for the data (each statement committed)."""

    def __init__(self, application: Application) -> None:
        self._app = application

    def ddl(self, statement: str) -> None:
        self._app.execute_ddl([statement])

    def dml(self, statement: str, params: Sequence[Any] = ()) -> Result:
        with Session(self._app) as session:
            result = session.execute(statement, params)
            session.commit()
        return result

    def dml_many(self, statement: str, rows: Sequence[Sequence[Any]]) -> None:
        with Session(self._app) as session:
            executor = session.executor
            if len(rows) == 1:
                executor.execute(statement, rows[0])
            elif rows:
                executor.execute_many(statement, rows)
            session.commit()
