"""``isolated_registry``: schemas and models declared in a test do not outlive it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from polynom.model import model_registry
from polynom.schema import schema_registry

__all__ = ["isolated_registry"]


@contextmanager
def isolated_registry(*, empty: bool = False) -> Iterator[Callable[[], None]]:
    """Put the process-wide schema and model registries back as they were when it ends.

    Declaring a model registers its schema for the whole process, and an ``Application``
    without ``schemas=`` manages every registered schema: a model a test declares would
    otherwise show up in every later test's application. With ``empty=True`` the block
    starts from empty registries, as a fresh process does. The value it gives empties them
    again, to start over within the block.

    What it does not undo: a module imported inside stays in ``sys.modules``, so importing it
    again later registers nothing -- drop it from ``sys.modules`` to import it afresh.
    """
    schemas = schema_registry.snapshot()
    models = model_registry.snapshot()

    def clear() -> None:
        schema_registry.restore({})
        model_registry.restore(({}, {}))

    if empty:
        clear()
    try:
        yield clear
    finally:
        schema_registry.restore(schemas)
        model_registry.restore(models)
