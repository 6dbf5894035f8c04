"""Polypheny DDL parsed into small commands (:func:`parse_ddl`); the store runs them against
its catalog (:mod:`polynom.stores.sqlite.ddl_runner`), since what a DDL statement does
depends on the tables that exist."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

from polynom.errors import StoreError
from polynom.stores.sqlite.refusals import DDL, PolyphenyRefusal, parse_error
from polynom.stores.sqlite.translate.literals import default_sql
from polynom.stores.sqlite.translate.names import (
    DEFAULT_NAMESPACE,
    check_entity_name,
    check_namespace_name,
    mangle,
)
from polynom.stores.sqlite.translate.parser import Parser
from polynom.stores.sqlite.translate.tables import ColumnDef, ForeignKey, TableDef
from polynom.stores.sqlite.translate.tokens import OP, Token, first_line
from polynom.stores.sqlite.translate.types import ColumnType


@dataclass(slots=True)
class CreateNamespace:
    name: str
    if_not_exists: bool = False
    model: str = "RELATIONAL"


@dataclass(slots=True)
class DropNamespace:
    name: str
    if_exists: bool = False


@dataclass(slots=True)
class CreateTable:
    namespace: str
    entity: str
    table: TableDef
    if_not_exists: bool = False


@dataclass(slots=True)
class DropTable:
    namespace: str
    entity: str
    if_exists: bool = False


@dataclass(slots=True)
class RenameTable:
    new_entity: str


@dataclass(slots=True)
class AddColumn:
    column: ColumnDef
    default_value: Any = None  # the parsed literal (for messages)
    primary_key: bool = False
    unique: bool = False
    foreign_key: ForeignKey | None = None


@dataclass(slots=True)
class DropColumn:
    name: str


@dataclass(slots=True)
class RenameColumn:
    old: str
    new: str


@dataclass(slots=True)
class ModifyColumn:
    """``MODIFY COLUMN c SET NOT NULL | DROP NOT NULL | SET DEFAULT v | DROP DEFAULT |
    SET TYPE T`` (``op`` is one of those, lower-case with underscores)."""

    name: str
    op: str
    default_value: Any = None
    new_type: ColumnType | None = None


@dataclass(slots=True)
class AddConstraint:
    kind: str  # "primary_key" | "unique" | "foreign_key"
    columns: list[str]
    foreign_key: ForeignKey | None = None
    name: str | None = None


AlterAction = RenameTable | AddColumn | DropColumn | RenameColumn | ModifyColumn | AddConstraint


@dataclass(slots=True)
class AlterTable:
    namespace: str
    entity: str
    action: AlterAction


DdlCommand = CreateNamespace | DropNamespace | CreateTable | DropTable | AlterTable

_DDL_FORMS = (
    "CREATE [RELATIONAL|DOCUMENT|GRAPH] NAMESPACE [IF NOT EXISTS] n; DROP NAMESPACE [IF EXISTS] "
    "n; CREATE TABLE [IF NOT EXISTS] n (...); DROP TABLE [IF EXISTS] n; ALTER TABLE n RENAME "
    "TO | ADD [COLUMN] | DROP [COLUMN] | RENAME COLUMN a TO b | MODIFY [COLUMN] c SET NOT NULL |"
    " DROP NOT NULL | SET DEFAULT v | DROP DEFAULT | SET TYPE t | ADD [CONSTRAINT n] "
    "PRIMARY KEY|UNIQUE|FOREIGN KEY (...)"
)


def _refuse(p: Parser, expected: str) -> PolyphenyRefusal:
    """Polypheny's parser refusing the next token (its grammar: ``Parser.jj`` in
    Polypheny-DB's ``plugins/sql-language/src/main/codegen``)."""
    t = p.peek()
    return parse_error(p.sql, p.offset(), "" if t is None else t.text, expected)


def _references(
    p: Parser, columns: list[str], default_ns: str, *, in_create: bool = False
) -> ForeignKey:
    """After REFERENCES: table [(cols)] [ON DELETE|UPDATE action] [[NOT] DEFERRABLE ...].

    Polypheny's grammar (``strict``) takes exactly one referenced column in parentheses
    inside CREATE TABLE, and no actions there; ALTER TABLE takes ON UPDATE/DELETE."""
    ns, entity = p.table_name(default_ns)
    if p.strict and p.peek() != Token(OP, "("):
        raise _refuse(p, '"("')
    ref_cols = p.name_list() if p.peek() == Token(OP, "(") else None
    fk = ForeignKey(columns, mangle(ns, entity), ref_cols)
    if p.strict and in_create:
        if ref_cols is not None and len(ref_cols) != 1:
            raise parse_error(p.sql, p.offset(), ",", '")"')
        return fk
    while True:
        if p.accept("ON", "DELETE"):
            fk.on_delete = _fk_action(p)
        elif p.accept("ON", "UPDATE"):
            fk.on_update = _fk_action(p)
        elif p.accept("NOT", "DEFERRABLE") or p.accept("DEFERRABLE"):
            # always deferred here, whatever is asked: Polypheny checks at commit
            if p.accept("INITIALLY") and not (p.accept("DEFERRED") or p.accept("IMMEDIATE")):
                raise p.error("expected DEFERRED or IMMEDIATE")
        elif p.accept("MATCH") and not p.strict:
            p.name()
        else:
            return fk


def _fk_action(p: Parser) -> str:
    actions = (("CASCADE",), ("RESTRICT",), ("SET", "NULL"), ("SET", "DEFAULT"), ("NO", "ACTION"))
    for words in actions:
        if p.accept(*words):
            return " ".join(words)
    raise p.error("expected CASCADE, RESTRICT, SET NULL, SET DEFAULT or NO ACTION")


class _ColumnSpec(NamedTuple):
    column: ColumnDef
    default_value: Any
    primary_key: bool
    unique: bool
    foreign_key: ForeignKey | None


def _column_def(p: Parser, default_ns: str) -> _ColumnSpec:
    name = check_entity_name(p.name())
    ptype = p.type()
    col = ColumnDef(name, ptype)
    default_value: Any = None
    primary_key = unique = False
    fk: ForeignKey | None = None
    if p.strict:
        return _strict_column_def(p, col, name)
    while not p.at_end() and p.peek() not in (Token(OP, ","), Token(OP, ")")):
        if p.accept("NOT", "NULL"):
            col.not_null = True
        elif p.accept("NULL"):
            col.not_null = False
        elif p.accept("DEFAULT"):
            default_value = p.literal()
            col.default = default_sql(default_value, ptype)
        elif p.accept("PRIMARY", "KEY"):
            primary_key = True
            col.not_null = True
        elif p.accept("UNIQUE"):
            unique = True
        elif p.accept("REFERENCES"):
            fk = _references(p, [name], default_ns)
        elif p.accept("CONSTRAINT"):
            p.name()
        else:
            raise p.error(f"unexpected text in the definition of column {name!r}")
    return _ColumnSpec(col, default_value, primary_key, unique, fk)


def _strict_column_def(p: Parser, col: ColumnDef, name: str) -> _ColumnSpec:
    """A column as Polypheny's CREATE TABLE and ADD COLUMN take it: ``Type [PRIMARY KEY |
    NULL | NOT NULL] [DEFAULT literal] [COLLATE CASE SENSITIVE|INSENSITIVE]``, in that
    order; no column-level UNIQUE or REFERENCES (``Parser.jj``, ``TableElement``)."""
    primary_key = False
    default_value: Any = None
    if p.accept("PRIMARY", "KEY"):
        primary_key = col.not_null = True
    elif p.accept("NOT", "NULL"):
        col.not_null = True
    else:
        p.accept("NULL")
    if p.accept("DEFAULT"):
        default_value = p.literal()
        col.default = default_sql(default_value, col.type)
    if p.accept("COLLATE"):
        p.accept("CASE")
        if not (p.accept("SENSITIVE") or p.accept("INSENSITIVE")):
            raise _refuse(p, '"SENSITIVE" ... "INSENSITIVE"')
    if not p.at_end() and p.peek() not in (Token(OP, ","), Token(OP, ")")):
        raise _refuse(p, '"," ... ")" ... "DEFAULT" ... "NOT" ...')
    return _ColumnSpec(col, default_value, primary_key, False, None)


def _table_constraint(p: Parser, table: TableDef, default_ns: str) -> bool:
    """Parse a table constraint into ``table``; False if the next item is a column."""
    start = p.i
    name = p.name() if p.accept("CONSTRAINT") else None
    if p.accept("PRIMARY", "KEY"):
        if table.primary_key:
            raise p.error("a table has one primary key")
        table.primary_key = p.name_list()
    elif p.accept("UNIQUE"):
        table.uniques.append(p.name_list())
        table.unique_names.extend([None] * (len(table.uniques) - 1 - len(table.unique_names)))
        table.unique_names.append(name)
    elif p.accept("FOREIGN", "KEY"):
        cols = p.name_list()
        p.expect("REFERENCES")
        fk = _references(p, cols, default_ns, in_create=True)
        fk.name = name
        table.foreign_keys.append(fk)
    else:
        p.i = start
        return False
    return True


def _create_table(p: Parser, default_ns: str) -> CreateTable:
    if_not_exists = p.accept("IF", "NOT", "EXISTS")
    ns, entity = p.table_name(default_ns)
    table = TableDef(mangle(ns, entity), [])
    p.expect_op("(")
    while True:
        if not _table_constraint(p, table, default_ns):
            spec = _column_def(p, default_ns)
            table.columns.append(spec.column)
            if spec.primary_key:
                if table.primary_key:
                    raise p.error("a table has one primary key")
                table.primary_key = [spec.column.name]
            if spec.unique:
                table.uniques.append([spec.column.name])
            if spec.foreign_key is not None:
                table.foreign_keys.append(spec.foreign_key)
        if p.accept_op(")"):
            break
        p.expect_op(",")
    if p.accept("ON", "STORE"):  # Polypheny's placement clause: meaningless here
        p.name()
    if p.strict and not p.at_end():
        raise _refuse(p, '<EOF> ... "ON" ... "PARTITION" ...')
    p.expect_end("CREATE TABLE")
    table.validate(p.sql)
    pk = {c.lower() for c in table.primary_key}
    if p.strict:
        # core/.../catalog/impl/logical/RelationalCatalog.java (addPrimaryKey) and
        # dbms/.../ddl/DdlManagerImpl.java (createTable: "No primary key defined")
        if any(c.name.lower() in pk and not c.not_null for c in table.columns):
            raise PolyphenyRefusal("Primary key is not allowed to use nullable columns.", DDL)
        if not pk:
            raise PolyphenyRefusal(
                f"DDL constraints not met: \nNo primary key defined for table: {entity}.\n"
                "There are violated constraints, the transaction was rolled back!",
                DDL,
            )
    for col in table.columns:
        if col.name.lower() in pk:
            col.not_null = True
    return CreateTable(ns, entity, table, if_not_exists)


def _strict_alter_table(p: Parser, default_ns: str) -> AlterTable:
    """ALTER TABLE as Polypheny's grammar has it (``Parser.jj``, ``SqlAlterTable``): every
    keyword is required (``ADD COLUMN``, ``DROP COLUMN``, ``MODIFY COLUMN``, ``RENAME
    COLUMN``), a primary key is added unnamed, a unique or foreign key only named."""
    ns, entity = p.table_name(default_ns)
    action: AlterAction
    if p.accept("RENAME", "TO"):
        action = RenameTable(check_entity_name(p.name()))
    elif p.accept("RENAME", "COLUMN"):
        old = p.name()
        if not p.accept("TO"):
            raise _refuse(p, '"TO"')
        action = RenameColumn(old, check_entity_name(p.name()))
    elif p.accept("ADD", "COLUMN"):
        spec = _column_def(p, default_ns)
        if p.accept("BEFORE") or p.accept("AFTER"):
            p.name()
        action = AddColumn(*spec)
    elif p.accept("ADD", "PRIMARY", "KEY"):
        cols = p.name_list() if p.peek() == Token(OP, "(") else [p.name()]
        action = AddConstraint("primary_key", cols)
    elif p.accept("ADD", "CONSTRAINT"):
        name = p.name()
        if p.accept("UNIQUE"):
            cols = p.name_list() if p.peek() == Token(OP, "(") else [p.name()]
            action = AddConstraint("unique", cols, name=name)
        elif p.accept("FOREIGN", "KEY"):
            cols = p.name_list() if p.peek() == Token(OP, "(") else [p.name()]
            if not p.accept("REFERENCES"):
                raise _refuse(p, '"REFERENCES"')
            fk = _references(p, cols, default_ns)
            fk.name = name
            action = AddConstraint("foreign_key", cols, fk, name=name)
        else:
            raise _refuse(p, '"UNIQUE" ... "FOREIGN" ...')
    elif p.accept("DROP", "COLUMN"):
        action = DropColumn(p.name())
    elif p.accept("MODIFY", "COLUMN"):
        col = p.name()
        if p.accept("SET", "NOT", "NULL"):
            action = ModifyColumn(col, "set_not_null")
        elif p.accept("DROP", "NOT", "NULL"):
            action = ModifyColumn(col, "drop_not_null")
        elif p.accept("SET", "DEFAULT"):
            action = ModifyColumn(col, "set_default", default_value=p.literal())
        elif p.accept("DROP", "DEFAULT"):
            action = ModifyColumn(col, "drop_default")
        elif p.accept("SET", "TYPE"):
            action = ModifyColumn(col, "set_type", new_type=p.type())
        else:
            raise _refuse(p, '"SET" ... "DROP" ...')
    else:
        raise _refuse(
            p, '"RENAME" ... "ADD" ... "DROP" ... "MODIFY" ... "OWNER" ... "PARTITION" ...'
        )
    if not p.at_end():
        raise _refuse(p, "<EOF>")
    return AlterTable(ns, entity, action)


def _alter_table(p: Parser, default_ns: str) -> AlterTable:
    if p.strict:
        return _strict_alter_table(p, default_ns)
    ns, entity = p.table_name(default_ns)
    action: AlterAction
    if p.accept("RENAME", "TO"):
        parts = p.dotted()
        if len(parts) == 2 and parts[0].lower() != ns.lower():
            raise p.error("RENAME TO cannot move a table to another namespace")
        if len(parts) > 2:
            raise p.error("a table is named namespace.table")
        action = RenameTable(check_entity_name(parts[-1]))
    elif p.accept("RENAME", "COLUMN") or p.accept("RENAME"):
        old = p.name()
        p.expect("TO")
        action = RenameColumn(old, check_entity_name(p.name()))
    elif p.word() == "ADD" and p.word(1) in ("CONSTRAINT", "PRIMARY", "UNIQUE", "FOREIGN"):
        p.accept("ADD")
        table = TableDef("", [])
        if not _table_constraint(p, table, default_ns):
            raise p.error("expected PRIMARY KEY, UNIQUE or FOREIGN KEY")
        if table.primary_key:
            action = AddConstraint("primary_key", table.primary_key)
        elif table.uniques:
            action = AddConstraint("unique", table.uniques[0])
        else:
            fk = table.foreign_keys[0]
            action = AddConstraint("foreign_key", fk.columns, fk)
    elif p.accept("ADD"):
        p.accept("COLUMN")
        spec = _column_def(p, default_ns)
        action = AddColumn(*spec)
    elif p.accept("DROP"):
        p.accept("COLUMN")
        action = DropColumn(p.name())
    elif p.accept("MODIFY") or p.accept("ALTER"):
        p.accept("COLUMN")
        col = p.name()
        if p.accept("SET", "NOT", "NULL"):
            action = ModifyColumn(col, "set_not_null")
        elif p.accept("DROP", "NOT", "NULL"):
            action = ModifyColumn(col, "drop_not_null")
        elif p.accept("SET", "DEFAULT"):
            action = ModifyColumn(col, "set_default", default_value=p.literal())
        elif p.accept("DROP", "DEFAULT"):
            action = ModifyColumn(col, "drop_default")
        elif p.accept("SET", "TYPE") or p.accept("SET", "DATA", "TYPE") or p.accept("TYPE"):
            action = ModifyColumn(col, "set_type", new_type=p.type())
        else:
            raise p.error(
                "expected SET NOT NULL, DROP NOT NULL, SET DEFAULT, DROP DEFAULT or SET TYPE"
            )
    else:
        raise p.error(f"unsupported ALTER TABLE; supported forms: {_DDL_FORMS}")
    p.expect_end("ALTER TABLE")
    return AlterTable(ns, entity, action)


def parse_ddl(sql: str, default_ns: str = DEFAULT_NAMESPACE, *, strict: bool = False) -> DdlCommand:
    """Parse one Polypheny DDL statement into a command for the store to run.

    ``strict`` takes Polypheny's grammar only, refusing what it refuses with its parser's
    words (the embedded store is more lenient on its own)."""
    p = Parser(sql)
    p.strict = strict
    if p.accept("CREATE"):
        model = "RELATIONAL"
        for m in ("RELATIONAL", "DOCUMENT", "GRAPH"):
            if p.accept(m):
                model = m
                break
        if p.accept("NAMESPACE") or p.accept("SCHEMA"):
            if_not_exists = p.accept("IF", "NOT", "EXISTS")
            name = check_namespace_name(p.name())
            p.expect_end("CREATE NAMESPACE")
            return CreateNamespace(name, if_not_exists, model)
        if p.accept("TABLE") and model == "RELATIONAL":
            return _create_table(p, default_ns)
    elif p.accept("DROP"):
        if p.accept("NAMESPACE") or p.accept("SCHEMA"):
            if_exists = p.accept("IF", "EXISTS")
            name = check_namespace_name(p.name())
            if not strict:
                p.accept("CASCADE")
            elif not p.at_end():
                raise _refuse(p, "<EOF>")
            p.expect_end("DROP NAMESPACE")
            return DropNamespace(name, if_exists)
        if p.accept("TABLE"):
            if_exists = p.accept("IF", "EXISTS")
            ns, entity = p.table_name(default_ns)
            p.expect_end("DROP TABLE")
            return DropTable(ns, entity, if_exists)
    elif p.accept("ALTER", "TABLE"):
        return _alter_table(p, default_ns)
    if strict:
        p.i = 0
        raise _refuse(p, '"CREATE" ... "DROP" ... "ALTER" ...')
    raise StoreError(
        f"unsupported statement: {first_line(sql)}; the DDL forms supported are: {_DDL_FORMS}"
    )
