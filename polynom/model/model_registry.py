"""``@polynom_model``: register a model so relationships can name it by dotted path."""

from __future__ import annotations

import importlib
from typing import Any, TypeVar

from polynom.errors import RelationshipError, SchemaError
from polynom.model.model import BaseModel, models_by_schema

__all__ = ["polynom_model", "registered_models", "resolve_model", "restore", "snapshot"]

T = TypeVar("T", bound=type)

_models: dict[str, type] = {}


def polynom_model(cls: T) -> T:
    """Class decorator: register a model under ``module.ClassName``."""
    if not (isinstance(cls, type) and issubclass(cls, BaseModel)):
        raise SchemaError(f"@polynom_model applies to BaseModel subclasses, got {cls!r}")
    _models[f"{cls.__module__}.{cls.__qualname__}"] = cls
    _models[f"{cls.__module__}.{cls.__name__}"] = cls  # PolyNOM's key, for a nested class
    return cls


def registered_models() -> dict[str, type]:
    """Registered models by dotted name."""
    return dict(_models)


# PolyNOM 0.3's names
_registered_models_by_fqname = _models
_get_registered_models = registered_models


def _get_model_by_fqname(fq_name: str) -> type | None:
    """The model registered under ``fq_name``, or None (PolyNOM 0.3's lookup)."""
    return _models.get(fq_name)


def snapshot() -> tuple[dict[str, type], dict[Any, Any]]:
    """Copies of the model registries -- by dotted name, and by schema -- for
    :func:`restore` (``polynom.testing.isolated_registry``)."""
    return dict(_models), dict(models_by_schema)


def restore(saved: tuple[dict[str, type], dict[Any, Any]]) -> None:
    """Make both model registries what ``saved`` holds, in place (the dicts are shared)."""
    by_name, by_schema = saved
    _models.clear()
    _models.update(by_name)
    models_by_schema.clear()
    models_by_schema.update(by_schema)


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
