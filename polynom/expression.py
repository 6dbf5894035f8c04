"""Filter and ordering expressions: a face kept at this path for imports written against it.

They live in :mod:`polynom.sql.expression`, with the rest of the SQL polynom writes.
"""

from polynom.sql.expression import Column, Expr, Ordering, and_, not_, or_

__all__ = ["Column", "Expr", "Ordering", "and_", "not_", "or_"]
