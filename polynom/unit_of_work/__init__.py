"""The unit of work: what a session holds and changed, and how a flush writes it.

- :mod:`~polynom.unit_of_work.identity`: the identity map (one object per entry);
- :mod:`~polynom.unit_of_work.tracking`: :class:`UnitOfWork`, pending inserts, updates and
  deletes, adoption of store rows;
- :mod:`~polynom.unit_of_work.ordering`: the flush order, as a :class:`FlushPlan`;
- :mod:`~polynom.unit_of_work.persistence`: writing a plan through an executor;
- :mod:`~polynom.unit_of_work.changes`: the changelog rows of a plan, as data;
- :mod:`~polynom.unit_of_work.executor`: the narrow executor persistence runs statements on.

Like SQLAlchemy's ``orm/unitofwork.py`` and ``orm/persistence.py``, none of it sees the
session: the session hands down a unit of work, a plan and an executor.
"""

from polynom.unit_of_work.executor import ConnectionExecutor, Executor, Statements
from polynom.unit_of_work.identity import IdentityMap
from polynom.unit_of_work.ordering import FlushPlan, UpdateBatch, plan_flush
from polynom.unit_of_work.tracking import UnitOfWork

__all__ = [
    "ConnectionExecutor",
    "Executor",
    "FlushPlan",
    "IdentityMap",
    "Statements",
    "UnitOfWork",
    "UpdateBatch",
    "plan_flush",
]
