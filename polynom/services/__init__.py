"""Polydatum services for polynom models.

:class:`ModelService` gives one model class the usual service methods (``get`` returning
``None`` when missing, ``get_or_raise``, ``create``, ``update``, ``delete``, ``count``,
``list``, ``page``, ``history``); subclass it for business methods. Services are plain
polydatum services: register them on a ``DataManager``, nest them with
``register_services``, reach them as ``ctx.dal.bikes.get(...)`` or ``ctx.dal["bikes.get"]``.
"""

from __future__ import annotations

from polynom.services._model_service import ModelService, Page

__all__ = ["ModelService", "Page"]
