"""An admin for people: browse and edit any polynom models, and read who changed what.

Built on `starlette-admin <https://github.com/jowilf/starlette-admin>`_ (its custom-backend
views), mounted into any Starlette or FastAPI app::

    from polynom.integrations.admin import PolynomAdmin

    admin = PolynomAdmin(dm, title="Bike shop", base_url="/admin")
    admin.add_models(Owner, Bike, services={Bike: "bikes"})
    admin.mount_to(app)                 # Flask: admin.wsgi_app() (see there)

Each model gets a list (search, filters, ordering, pages), a detail page with the entry's
changelog as a timeline (who, when, each field's old and new value), and create, edit and
delete forms whose values the model checks like any other write. ``Changelog`` lists every
change of the application, filtered by who and when. Every read and write runs in a DAL
context of ``dm``, so writes are committed, rolled back and logged (under the admin's
user) like any other request. Every asset -- styles, scripts, fonts -- is served by the
admin itself: nothing is loaded from another host.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from jinja2 import PackageLoader
from starlette.requests import Request
from starlette_admin.base import BaseAdmin
from starlette_admin.views import BaseView

from polynom.integrations.admin._changelog import ChangeLogView
from polynom.integrations.admin._views import ModelView
from polynom.schema.schema import schema_class

__all__ = ["ChangeLogView", "ModelView", "PolynomAdmin", "default_user"]


def default_user(request: Request) -> str:
    """The changelog's user for an admin request: the signed-in admin user, else ``admin``."""
    user = getattr(request.state, "admin_user", None)
    name = getattr(user, "username", None)
    return str(name) if name else "admin"


class PolynomAdmin(BaseAdmin):
    """starlette-admin's admin site over the models of one DAL ``data_manager``.

    ``user_from(request)`` names the user every write is recorded under (default: the
    signed-in user of ``auth_provider``, else ``"admin"``). ``changelog=False`` leaves out
    the application-wide changelog page. Every other option is starlette-admin's
    (``title``, ``base_url``, ``auth_provider``, ``secret_key``...).
    """

    def __init__(
        self,
        data_manager: Any,
        *,
        user_from: Callable[[Request], str] = default_user,
        changelog: bool = True,
        title: str = "polynom admin",
        base_url: str = "/admin",
        additional_loaders: Sequence[Any] = (),
        **options: Any,
    ) -> None:
        loaders = [PackageLoader("polynom.integrations.admin", "templates"), *additional_loaders]
        super().__init__(title=title, base_url=base_url, additional_loaders=loaders, **options)
        self.data_manager = data_manager
        self.user_from = user_from
        self._polynom_views: list[ModelView] = []
        if changelog:
            self.add_view(ChangeLogView())

    def add_models(
        self,
        *models: type,
        services: Mapping[type, str] | None = None,
        label_fields: Mapping[type, Sequence[str]] | None = None,
    ) -> list[ModelView]:
        """A :class:`ModelView` for each model, linked to each other's through their
        relationships. ``services`` names the DAL service that writes a model (its business
        rules then apply to the admin's writes too); ``label_fields`` the fields that say
        which entry a row is."""
        keys = {model: model.__name__.lower() for model in [*self._models(), *models]}
        views = [
            ModelView(
                model,
                key=keys[model],
                related=keys,
                service=(services or {}).get(model),
                label_fields=(label_fields or {}).get(model),
            )
            for model in models
        ]
        for view in views:
            self.add_view(view)
        return views

    def add_view(self, view: type[BaseView] | BaseView) -> None:
        if isinstance(view, ModelView | ChangeLogView):
            view.site = self
        if isinstance(view, ModelView):
            # the model views come before the changelog in the menu
            self._polynom_views.append(view)
        super().add_view(view)
        changelog = [v for v in self._views if isinstance(v, ChangeLogView)]
        if changelog and self._views[-1] is not changelog[0]:
            self._views.remove(changelog[0])
            self._views.append(changelog[0])

    def view_of(self, model: type) -> ModelView | None:
        """The admin view of a model class, if it has one."""
        return next((v for v in self._polynom_views if v.model is model), None)

    def view_for_entity(self, namespace: str, entity: str) -> ModelView | None:
        """The admin view of the model stored in ``namespace.entity``, if any."""
        for view in self._polynom_views:
            schema = schema_class(view.model.schema)  # type: ignore[attr-defined]
            if schema.entity_name == entity and schema.namespace() == namespace:
                return view
        return None

    def wsgi_app(self) -> Any:
        """The admin as a WSGI application, to serve from Flask or any WSGI app.

        Mount it under a prefix with Werkzeug's dispatcher (give the admin
        ``base_url="/"``: the prefix comes from the mount)::

            from werkzeug.middleware.dispatcher import DispatcherMiddleware

            app.wsgi_app = DispatcherMiddleware(app.wsgi_app, {"/admin": admin.wsgi_app()})

        The admin stays one (ASGI) application, run by ``a2wsgi`` on an event loop of its
        own; its writes go through contexts of the admin's data manager as always.
        """
        from a2wsgi import ASGIMiddleware
        from starlette.applications import Starlette

        site = Starlette()
        self.mount_to(site)
        return ASGIMiddleware(site)  # type: ignore[arg-type]

    def _models(self) -> list[type]:
        return [view.model for view in self._polynom_views]
