"""How Polypheny's names live in one SQLite database.

SQLite has one database per file and foreign keys cannot cross attached databases, so
Polypheny's ``"ns"."t"`` is the single table ``"ns.t"``; the namespaces themselves are rows
of :data:`NAMESPACE_TABLE`.
"""

from __future__ import annotations

from polynom.errors import StoreError

#: Polypheny's default namespace: where one-part table names live unless told otherwise.
DEFAULT_NAMESPACE = "public"
#: The table that records which namespaces exist (a table name without a dot, so it can
#: never collide with a namespaced ``"ns.t"`` table).
NAMESPACE_TABLE = "polynom$namespaces"
#: Suffix of the temporary table an ALTER rebuild copies into.
REBUILD_SUFFIX = "$rebuild"


def quote(name: str) -> str:
    """Quote an identifier for SQLite (and Polypheny): ``a"b`` -> ``"a""b"``."""
    if "\x00" in name:
        raise StoreError(f"an identifier may not contain NUL: {name!r}")
    return '"' + name.replace('"', '""') + '"'


def backquote(name: str) -> str:
    """An identifier SQLite can never mistake for a string: ``a`b`` -> ```a``b```."""
    if "\x00" in name:
        raise StoreError(f"an identifier may not contain NUL: {name!r}")
    return "`" + name.replace("`", "``") + "`"


def mangle(namespace: str, entity: str) -> str:
    """The SQLite table that holds Polypheny's ``"namespace"."entity"``."""
    return f"{namespace}.{entity}"


def unmangle(table: str) -> tuple[str, str]:
    """``"ns.t"`` -> ``("ns", "t")`` (namespaces never contain a dot)."""
    ns, _, entity = table.partition(".")
    return ns, entity


def check_namespace_name(name: str) -> str:
    """``name`` if it can name a namespace here (non-empty, no dot, not ``sqlite_...``)."""
    if not name or "\x00" in name or "." in name:
        raise StoreError(f"invalid namespace name {name!r}: it must be non-empty, without '.'")
    if name.lower().startswith("sqlite_"):
        raise StoreError(f"invalid namespace name {name!r}: names starting 'sqlite_' are reserved")
    return name


def check_entity_name(name: str) -> str:
    """``name`` if it can name a table or column here (non-empty, not a rebuild's name)."""
    if not name or "\x00" in name or name.endswith(REBUILD_SUFFIX):
        raise StoreError(f"invalid entity or column name {name!r}")
    return name
