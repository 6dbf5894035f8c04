"""The ``polynom`` command: check and migrate schemas, dump and load data, read the changelog.

Every command needs three things, as options or from the environment:

- ``--url`` / ``POLYNOM_URL``: the store address (``sqlite:///shop.db``,
  ``polypheny://pa:@localhost:20590``...);
- ``--app`` / ``POLYNOM_APP``: the application's uuid;
- ``--models`` / ``POLYNOM_MODELS``: the module(s) declaring the application's models;
  importing them registers the schemas. The working directory is importable.

Exit codes: 0 success, 1 schema differences or a failed operation, 2 wrong usage or
configuration (bad address, missing module), 3 the store cannot be reached.
"""

from __future__ import annotations

import base64
import contextlib
import importlib
import json
import logging
import os
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, NoReturn

import click

if TYPE_CHECKING:
    from polynom.application import Application
    from polynom.changelog import ChangeRecord
    from polynom.schema.schema import BaseSchema

__all__ = ["EXIT_DIFFERENCES", "EXIT_UNREACHABLE", "EXIT_USAGE", "main"]

#: Schema differences found, or an operation (migration, dump, load) failed.
EXIT_DIFFERENCES = 1
#: Wrong usage or configuration: a bad address, a module that cannot be imported.
EXIT_USAGE = 2
#: The store cannot be reached.
EXIT_UNREACHABLE = 3


class CliError(click.ClickException):
    """An expected failure: printed as one line on stderr, exits with ``exit_code``."""

    exit_code = EXIT_DIFFERENCES

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(message.split()))  # always one line

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(f"polynom: error: {self.format_message()}", err=True, file=file)


class UsageFailure(CliError):
    """Wrong usage or configuration."""

    exit_code = EXIT_USAGE


class UnreachableStore(CliError):
    """The store cannot be reached."""

    exit_code = EXIT_UNREACHABLE


@dataclass(frozen=True)
class Target:
    """Where a command works: the store address, the application, its models and (when
    given) the entities it manages."""

    url: str | None
    app_uuid: str
    models: tuple[str, ...]
    echo: bool
    entities: tuple[str, ...] = ()

    def schemas(self) -> list[type[BaseSchema]]:
        """The application's schemas: the ``--entities`` named, else every registered one."""
        from polynom.schema.schema_registry import registered_schemas, sort_by_dependency

        registered = registered_schemas()
        if not self.entities:
            return sort_by_dependency(registered)
        by_name = {s.qualified_name(): s for s in registered}
        unknown = [name for name in self.entities if name not in by_name]
        if unknown:
            known = ", ".join(sorted(by_name)) or "none"
            raise UsageFailure(
                f"--entities names {', '.join(unknown)}, which the models do not declare "
                f"(they declare {known})"
            )
        return sort_by_dependency(by_name[name] for name in self.entities)

    def application(self, migrate: bool = False) -> Application:
        from polynom.application import Application

        return Application(
            self.app_uuid,
            self.url,
            migrate=migrate,
            log_statements=self.echo,
            schemas=self.schemas() if self.entities else None,
        )

    @property
    def where(self) -> str:
        return self.url or os.environ.get("POLYNOM_URL") or "sqlite:///polynom.db"


# -- shared options -------------------------------------------------------------------------


def _split_modules(values: tuple[str, ...]) -> tuple[str, ...]:
    names = [n for value in values for n in value.replace(",", " ").split()]
    return tuple(dict.fromkeys(names))


def target_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Add ``--url``, ``--app``, ``--models`` and ``--echo`` to a command."""
    options = [
        click.option(
            "--url",
            envvar="POLYNOM_URL",
            metavar="ADDRESS",
            help="Store address, e.g. sqlite:///shop.db or polypheny://pa:@localhost:20590 "
            "[env POLYNOM_URL; default sqlite:///polynom.db].",
        ),
        click.option(
            "--app",
            "app_uuid",
            envvar="POLYNOM_APP",
            required=True,
            metavar="UUID",
            help="The application's uuid [env POLYNOM_APP].",
        ),
        click.option(
            "--models",
            "models",
            envvar="POLYNOM_MODELS",
            multiple=True,
            required=True,
            metavar="MODULE",
            help="Module declaring the models, e.g. myproj.models; repeat or separate with "
            "commas for several [env POLYNOM_MODELS].",
        ),
        click.option(
            "--entities",
            "entities",
            envvar="POLYNOM_ENTITIES",
            multiple=True,
            metavar="NAMESPACE.ENTITY",
            help="Only these entities (the application's schemas=[...]); repeat or separate "
            "with commas [env POLYNOM_ENTITIES; default every entity the models declare].",
        ),
        click.option(
            "--echo", is_flag=True, help="Log every statement sent to the store on stderr."
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _target(
    url: str | None,
    app_uuid: str,
    models: tuple[str, ...],
    echo: bool,
    entities: tuple[str, ...] = (),
) -> Target:
    target = Target(url or None, app_uuid, _split_modules(models), echo, _split_modules(entities))
    if echo:
        _echo_statements()
    _check_address(target)
    import_models(target.models)
    from polynom.errors import PolynomError

    try:
        target.schemas()  # refuse unknown --entities (or a foreign-key cycle) before opening
    except PolynomError as exc:
        raise UsageFailure(str(exc)) from None
    return target


class _EchoHandler(logging.StreamHandler):
    """Prints statements on the current stderr (looked up per record, as click swaps it)."""

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stderr
        super().emit(record)


def _echo_statements() -> None:
    log = logging.getLogger("polynom.statements")
    if not any(isinstance(h, _EchoHandler) for h in log.handlers):
        handler = _EchoHandler()
        handler.setFormatter(logging.Formatter("%(message)s"))
        log.addHandler(handler)
    log.setLevel(logging.INFO)


def _check_address(target: Target) -> None:
    from polynom.errors import ConfigurationError
    from polynom.stores import parse_address

    try:
        parse_address(target.url)
    except ConfigurationError as exc:
        raise UsageFailure(str(exc)) from None


def _require_existing_store(target: Target) -> None:
    """Refuse to read a SQLite file that does not exist (a typo would create an empty one)."""
    from polynom.stores import SqliteAddress, parse_address

    address = parse_address(target.url)
    if isinstance(address, SqliteAddress) and address.path and not address.path.exists():
        raise UsageFailure(
            f"no database file at {address.path} (from {target.where}); check --url or POLYNOM_URL"
        )


def import_models(modules: tuple[str, ...]) -> None:
    """Import the user's model modules, with the working directory importable."""
    from polynom.schema.schema_registry import registered_schemas

    cwd = os.getcwd()
    if cwd not in sys.path and "" not in sys.path:
        sys.path.insert(0, cwd)
    for name in modules:
        try:
            importlib.import_module(name)
        except Exception as exc:
            missing = exc.name if isinstance(exc, ModuleNotFoundError) else None
            if missing and (name == missing or name.startswith(missing + ".")):
                raise UsageFailure(
                    f"cannot import the models module {name!r}: no module named {missing!r} "
                    f"(run polynom from the project directory, or check --models)"
                ) from None
            raise UsageFailure(
                f"importing the models module {name!r} failed: {type(exc).__name__}: {exc}"
            ) from None
    if not registered_schemas():
        raise UsageFailure(f"the models module(s) {', '.join(modules)} declare no schemas")


def _cli_error(exc: Exception, target: Target) -> CliError:
    """The one-line CLI error for a polynom error."""
    from polynom.errors import ConfigurationError, SchemaMismatchError, StoreConnectionError

    if isinstance(exc, SchemaMismatchError):
        return CliError(
            f"the models differ from the schema stored for application {target.app_uuid} "
            f"({len(exc.differences)} difference(s)); run 'polynom check' to list them and "
            "'polynom migrate' to apply them"
        )
    if isinstance(exc, StoreConnectionError):
        return UnreachableStore(str(exc))
    if isinstance(exc, ConfigurationError):
        return UsageFailure(str(exc))
    return CliError(f"{type(exc).__name__}: {exc}")


@contextlib.contextmanager
def open_application(target: Target, migrate: bool = False) -> Iterator[Application]:
    """The active application, with polynom's errors turned into one-line CLI errors."""
    from polynom.errors import PolynomError

    try:
        with target.application(migrate=migrate) as app:
            yield app
    except PolynomError as exc:
        raise _cli_error(exc, target) from None


@dataclass(frozen=True)
class SchemaReport:
    """How the models compare with what the store holds for the application."""

    has_snapshot: bool
    differences: list[str]
    creations: list[str]

    @property
    def changes(self) -> list[str]:
        """Everything ``migrate`` would do, one line each."""
        return [f"new entity {name}" for name in self.creations] + self.differences


def inspect_schemas(target: Target) -> SchemaReport:
    """Compare the registered schemas with the stored snapshot, without writing anything.

    Unlike opening the ``Application`` (which creates whatever is missing), this only reads.
    """
    from polynom import config
    from polynom.errors import PolynomError, StoreConnectionError, StoreError
    from polynom.migration import check_schemas, plan, read_snapshot
    from polynom.stores import open_store

    try:
        schemas = target.schemas()
        check_schemas(schemas)
        store = open_store(
            target.url,
            user=config.get(config.DEFAULT_USER),
            password=config.get(config.DEFAULT_PASS),
            transport=config.get(config.DEFAULT_TRANSPORT),
        )
        try:
            with store.connection() as conn:
                try:
                    stored = read_snapshot(conn, target.app_uuid)
                except StoreConnectionError:
                    raise
                except StoreError:
                    stored = None  # the internal entities do not exist yet: nothing is stored
        finally:
            store.close()
        the_plan = plan(stored, schemas)
    except PolynomError as exc:
        raise _cli_error(exc, target) from None
    return SchemaReport(
        has_snapshot=stored is not None,
        differences=list(the_plan.differences),
        creations=[s.qualified_name() for s in the_plan.creations],
    )


def _fail(message: str) -> NoReturn:
    raise CliError(message)


# -- commands -------------------------------------------------------------------------------


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="polynom-dal", prog_name="polynom")
def main() -> None:
    """Manage a polynom application's store: schemas, data and changelog."""


@main.command()
@target_options
def check(
    url: str | None,
    app_uuid: str,
    models: tuple[str, ...],
    entities: tuple[str, ...],
    echo: bool,
) -> None:
    """List the differences between the models and the store (exit 1 if any).

    Only reads: nothing is created or changed.
    """
    target = _target(url, app_uuid, models, echo, entities)
    _require_existing_store(target)
    report = inspect_schemas(target)
    changes = report.changes
    if not changes:
        click.echo(f"application {app_uuid}: the models match the stored schema")
        return
    if report.has_snapshot:
        click.echo(f"application {app_uuid}: {len(changes)} difference(s) to migrate:")
    else:
        click.echo(f"application {app_uuid}: no schema stored yet; 'polynom migrate' will:")
    for change in changes:
        click.echo(f"  - {change}")
    raise click.exceptions.Exit(EXIT_DIFFERENCES)


@main.command()
@target_options
def migrate(
    url: str | None,
    app_uuid: str,
    models: tuple[str, ...],
    entities: tuple[str, ...],
    echo: bool,
) -> None:
    """Create what is missing and apply the differences, keeping the data."""
    target = _target(url, app_uuid, models, echo, entities)
    changes = inspect_schemas(target).changes
    if not changes:
        click.echo(f"application {app_uuid}: nothing to migrate")
        return
    with open_application(target, migrate=True):
        pass
    click.echo(f"application {app_uuid}: applied {len(changes)} change(s):")
    for change in changes:
        click.echo(f"  - {change}")


@main.command()
@click.argument("file", type=click.Path(dir_okay=False, writable=True, path_type=Path))
@click.option(
    "--format",
    "dump_format",
    type=click.Choice(["polynom-dump", "polynom03"]),
    default="polynom-dump",
    show_default=True,
    help="polynom's own format (lossless), or PolyNOM 0.3's SQL format, which PolyNOM loads.",
)
@target_options
def dump(
    file: Path,
    dump_format: str,
    url: str | None,
    app_uuid: str,
    models: tuple[str, ...],
    entities: tuple[str, ...],
    echo: bool,
) -> None:
    """Write every entry of the application to FILE (gzip-compressed if it ends in .gz)."""
    from polynom.errors import PolynomError

    target = _target(url, app_uuid, models, echo, entities)
    _require_existing_store(target)
    with open_application(target) as app:
        try:
            total = app.count_entries()
            with _Progress(total, f"dumping to {file.name}") as progress:
                written = app.dump(file, progress=progress, format=dump_format)
        except PolynomError as exc:
            _fail(f"dump to {file} failed: {exc}")
        except OSError as exc:
            _fail(f"cannot write {file}: {exc.strerror or exc}")
    click.echo(f"dumped {written} entries of application {app_uuid} to {file}")


@main.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--replace", is_flag=True, help="Delete the application's current entries first.")
@target_options
def load(
    file: Path,
    replace: bool,
    url: str | None,
    app_uuid: str,
    models: tuple[str, ...],
    entities: tuple[str, ...],
    echo: bool,
) -> None:
    """Load a dump -- written by 'polynom dump' or by PolyNOM 0.3 -- all or nothing.

    Without --replace, a store that holds entries of the dump already is left alone.
    """
    from polynom.dump import inspect
    from polynom.errors import ExistingEntriesError, PolynomError

    target = _target(url, app_uuid, models, echo, entities)
    try:
        info = inspect(file)
    except PolynomError as exc:
        _fail(str(exc))
    with open_application(target) as app:
        try:
            with _Progress(info.total or 0, f"loading {file.name}") as progress:
                loaded = app.load(file, replace=replace, progress=progress)
        except ExistingEntriesError as exc:
            _fail(
                f"{file}: the store holds entries of this dump already ({exc.detail}), so "
                f"nothing was written; run 'polynom load {file} --replace' to replace "
                f"application {app_uuid}'s entries with the dump's"
            )
        except PolynomError as exc:
            _fail(str(exc))
    click.echo(f"loaded {loaded} entries into application {app_uuid} from {file}")


@main.command()
@click.argument("entry_id")
@click.option(
    "--json", "as_json", is_flag=True, help="Print the records as JSON lines instead of a table."
)
@target_options
def history(
    entry_id: str,
    as_json: bool,
    url: str | None,
    app_uuid: str,
    models: tuple[str, ...],
    entities: tuple[str, ...],
    echo: bool,
) -> None:
    """Show who changed the entry ENTRY_ID, when, and what."""
    from polynom.changelog import history as read_history

    target = _target(url, app_uuid, models, echo, entities)
    _require_existing_store(target)
    with open_application(target) as app, app.create_session() as session:
        records = read_history(session, entry_id)
    if as_json:
        for record in records:
            click.echo(json.dumps(_record_json(record)))
        return
    if not records:
        click.echo(f"no changes recorded for entry {entry_id}")
        return
    rows = [_record_row(r) for r in records]
    click.echo(f"{records[0].namespace}.{records[0].entity} {entry_id}")
    click.echo(_table(["WHEN (UTC)", "WHO", "WHAT", "CHANGES"], rows))


# -- output helpers -------------------------------------------------------------------------


class _Progress:
    """A progress bar on stderr, shown from the first entry on (so early errors stay alone)."""

    def __init__(self, total: int, label: str) -> None:
        self.total = max(total, 1)
        self.label = label
        self._bar: Any = None

    def __call__(self, entity: str, n: int) -> None:
        if self._bar is None:
            self._bar = click.progressbar(length=self.total, label=self.label, file=sys.stderr)
            self._bar.__enter__()
        self._bar.update(n)

    def __enter__(self) -> _Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)


def _short(value: Any, width: int = 40) -> str:
    if value is None:
        text = "-"
    elif isinstance(value, bytes):
        text = f"<{len(value)} bytes>"
    else:
        shown = _jsonable(value)
        text = shown if isinstance(shown, str) else json.dumps(shown)
    return text if len(text) <= width else text[: width - 1] + "…"


def _record_row(record: ChangeRecord) -> list[str]:
    changes = "; ".join(
        f"{name}: {_short(old)} -> {_short(new)}" for name, (old, new) in record.changes.items()
    )
    when = record.date.strftime("%Y-%m-%d %H:%M:%S")
    return [when, record.user, record.change_type or "change", changes]


def _jsonable(value: Any) -> Any:
    """A value in the form the JSON API shows it: an enum by its value, a decimal exactly,
    bytes in base64, a geometry as GeoJSON, dates in ISO form."""
    if value is None or (
        isinstance(value, (bool, int, float, str)) and not isinstance(value, Enum)
    ):
        return value
    if isinstance(value, Enum):
        return _jsonable(value.value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, dict | list):
        return value
    geo = getattr(value, "__geo_interface__", None)
    if geo is not None:
        return geo
    return str(value)


def _record_json(record: ChangeRecord) -> dict[str, Any]:
    return {
        "entry_id": record.entry_id,
        "entity": f"{record.namespace}.{record.entity}",
        "user": record.user,
        "date": record.date.isoformat(),
        "change_type": record.change_type,
        "changes": {k: [_jsonable(o), _jsonable(n)] for k, (o, n) in record.changes.items()},
    }


def _table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
        for row in [header, ["-" * w for w in widths], *rows]
    ]
    return "\n".join(lines)


if __name__ == "__main__":  # pragma: no cover
    main()
