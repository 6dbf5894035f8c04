"""``@polynom_model``: register a model so relationships can name it by dotted path."""

from __future__ import annotations

import importlib
from typing import Any, TypeVar

from polynom.errors import RelationshipError, SchemaError

__all__ = ["polynom_model", "registered_models", "resolve_model"]

T = TypeVar("T", bound=type)

_models: dict[str, type] = {}


def polynom_model(cls: T) -> T:
    """Class decorator: register a model under ``module.ClassName``."""
    from polynom.model.model import BaseModel

    if not (isinstance(cls, type) and issubclass(cls, BaseModel)):
        raise SchemaError(f"@polynom_model applies to BaseModel subclasses, got {cls!r}")
    _models[f"{cls.__module__}.{cls.__qualname__}"] = cls
    return cls


def registered_models() -> dict[str, type]:
    """Registered models by dotted name."""
    return dict(_models)


def _snapshot() -> tuple[dict[str, type], dict[Any, Any]]:
    """Copies of the model registries -- by dotted name, and by schema (``model.py``) -- for
    :func:`_restore` (``polynom.testing.isolated_registry``)."""
    from polynom.model.model import _models_by_schema

    return dict(_models), dict(_models_by_schema)


def _restore(snapshot: tuple[dict[str, type], dict[Any, Any]]) -> None:
    """Make both model registries what ``snapshot`` holds, in place (the dicts are shared)."""
    from polynom.model.model import _models_by_schema

    by_name, by_schema = snapshot
    _models.clear()
    _models.update(by_name)
    _models_by_schema.clear()
    _models_by_schema.update(by_schema)


def resolve_model(name: str, where: str) -> type:
    """The model registered (or importable) under ``name``."""
    if name in _models:
        return _models[name]
    module_name, _, attr = name.rpartition(".")
    if module_name:
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            module = None
        if module is not None and hasattr(module, attr):
            cls: type = getattr(module, attr)
            return cls
    matches = [cls for dotted, cls in _models.items() if dotted.rsplit(".", 1)[-1] == name]
    if len(matches) == 1:
        return matches[0]
    raise RelationshipError(
        f"{where}: no model named {name!r}; register it with @polynom_model and use its "
        "dotted path (module.ClassName)"
    )
