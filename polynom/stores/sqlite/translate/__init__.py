"""Polypheny SQL -> SQLite: the one place that knows how the two spell things differently.

The mapper (and the Prism stand-in) write Polypheny SQL only. This package turns it into
SQLite SQL without ever generating SQL of its own from scratch: it tokenizes the statement
(strings, quoted identifiers and comments are tokens, so nothing inside a literal is ever
touched) and rewrites the few spots that differ. One module per concern, each importing only
those listed before it:

* :mod:`.tokens` -- SQL text as tokens.
* :mod:`.names` -- namespaces: ``"ns"."t"`` lives as the single SQLite table ``"ns.t"``.
* :mod:`.types` -- Polypheny's column types and the SQLite declarations that keep them.
* :mod:`.values` -- Python values to SQLite storage and back; decimals compare by value.
* :mod:`.literals` -- coercion to a column's type, SQLite literals, DEFAULT clauses.
* :mod:`.parser` -- a recursive-descent parser for names, types and literals.
* :mod:`.tables` -- table definitions, their SQLite DDL, and table rebuilds.
* :mod:`.ddl` -- DDL parsed into commands the store runs against its catalog.
* :mod:`.dml` -- DML and queries: table names rewritten in place.
* :mod:`.translation` -- :func:`~.translation.translate`, the cached entry point.
"""
