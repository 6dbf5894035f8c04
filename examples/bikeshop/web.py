"""The bike shop's web site: the admin for people at ``/``, the JSON API at ``/api``.

The API (FastAPI, its interactive docs at ``/api/docs`` and ``/api/redoc``, served from
the installed ``fastapi-offline`` package, never from another host) gets each request's
DAL from ``polynom.integrations.fastapi``: the context commits after the endpoint returns
and before the response is sent, and rolls back when the endpoint raises. The ``X-User``
header names who makes the request; the changelog records every change under that name
(``system`` without the header). Every error is an ``application/problem+json`` answer.

The app's lifespan opens the application (unless it is open already) and closes it:
``uvicorn --factory examples.bikeshop.web:create_app`` serves it as well as
``python -m examples.bikeshop``.

Models are turned into response bodies *inside* the endpoint, while the request's session
is open.
"""

# No ``from __future__ import annotations`` here: FastAPI reads the endpoints' annotations
# at run time, and some of them (``Dal``) are local to ``create_app``.

import datetime as dt
import os
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import Depends, FastAPI, Header, Query, Response, status
from fastapi_offline import FastAPIOffline
from pydantic import BaseModel as Schema
from pydantic import ConfigDict, Field

from examples.bikeshop.admin import create_admin
from examples.bikeshop.models import SCHEMAS, Bike, BikeSchema, Kind, Owner
from examples.bikeshop.services import make_services
from polynom.application import Application
from polynom.errors import NotFound
from polynom.integrations.fastapi import PolynomFastAPI, install_error_handlers

__all__ = ["APP_UUID", "create_app", "open_application", "queue_configured"]

#: The bike shop's application uuid (its schema snapshot and changelog are kept under it).
APP_UUID = "5f0c2b8e-1d3a-4e5b-9c7d-0a1b2c3d4e5f"
#: Where the demo keeps its data unless ``POLYNOM_URL`` says otherwise.
DEFAULT_URL = "sqlite:///bikeshop.db"
#: The largest offset a page may start at (the stores count entries in 64 bits).
MAX_OFFSET = 2**63 - 1


def open_application(url: str | None = None, *, migrate: bool = True) -> Application:
    """The bike shop's application on ``url``, ``$POLYNOM_URL`` or ``bikeshop.db`` (not entered)."""
    address = url or os.environ.get("POLYNOM_URL") or DEFAULT_URL
    return Application(APP_UUID, address, schemas=SCHEMAS, migrate=migrate)


def queue_configured() -> bool:
    """True when a Celery broker is configured (``CELERY_BROKER_URL``): reprices are queued."""
    return bool(os.environ.get("CELERY_BROKER_URL"))


# -- request and response bodies ------------------------------------------------------------

# A price is checked here as the schema declares it (Decimal(10, 2)), so that a value with
# too many digits is refused naming the parameter, before the model sees it.
_PRICE = BikeSchema.field_by_python_name("price")
assert _PRICE is not None
_DIGITS = {"max_digits": _PRICE.polytype.precision, "decimal_places": _PRICE.polytype.scale}  # type: ignore[attr-defined]
Price = Annotated[Decimal, Field(ge=0, **_DIGITS)]


class OwnerIn(Schema):
    model_config = ConfigDict(extra="forbid")

    name: str
    email: str


class OwnerUpdate(Schema):
    """A partial update: only the fields sent are changed."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = None
    email: str | None = None


class OwnerOut(Schema):
    id: str
    name: str
    email: str


class BikeIn(Schema):
    model_config = ConfigDict(extra="forbid")

    brand: str
    model: str
    kind: Kind = Kind.ROAD
    price: Price
    weight_kg: float | None = Field(default=None, gt=0, le=1000)
    in_stock: bool = True
    owner_id: str | None = None


class BikeUpdate(Schema):
    """A partial update: only the fields sent are changed (``null`` clears a field)."""

    model_config = ConfigDict(extra="forbid")

    brand: str | None = None
    model: str | None = None
    kind: Kind | None = None
    price: Price | None = None
    weight_kg: float | None = Field(default=None, gt=0, le=1000)
    in_stock: bool | None = None
    owner_id: str | None = None


class BikeOut(Schema):
    id: str
    brand: str
    model: str
    kind: Kind
    price: Decimal
    weight_kg: float | None
    in_stock: bool
    added_at: dt.datetime | None
    owner_id: str | None


class OwnerDetail(OwnerOut):
    bikes: list[BikeOut]


class BikePage(Schema):
    items: list[BikeOut]
    total: int
    limit: int
    offset: int


class OwnerPage(Schema):
    items: list[OwnerOut]
    total: int
    limit: int
    offset: int


class Change(Schema):
    date: dt.datetime
    user: str
    change_type: str | None
    changes: dict[str, tuple[Any, Any]]


class RepriceIn(Schema):
    model_config = ConfigDict(extra="forbid")

    brand: str
    percent: Decimal = Field(gt=-100, le=1000)


class Repriced(Schema):
    """What a reprice did: ``ran`` says whether it ran in the request or was queued."""

    brand: str
    ran: Literal["inline", "queued"]
    repriced: int | None = None
    task_id: str | None = None


class TaskState(Schema):
    task_id: str
    state: str
    repriced: int | None = None
    error: str | None = None


def bike_out(bike: Bike) -> BikeOut:
    return BikeOut(
        id=bike._entry_id,
        brand=bike.brand,
        model=bike.model,
        kind=bike.kind,
        price=bike.price,
        weight_kg=bike.weight_kg,
        in_stock=bike.in_stock,
        added_at=bike.added_at,
        owner_id=bike.owner_id,
    )


def owner_out(owner: Owner) -> OwnerOut:
    return OwnerOut(id=owner._entry_id, name=owner.name, email=owner.email)


def history_out(service: Any, entry_id: str) -> list[Change]:
    """An entry's changelog, oldest first; ``NotFound`` for an entry that never existed
    (a deleted one keeps its history)."""
    records = service.history(entry_id)
    if not records:
        service.get_or_raise(entry_id)
    return [
        Change(date=r.date, user=r.user, change_type=r.change_type, changes=r.changes)
        for r in records
    ]


BikeOrder = Literal[
    "brand", "-brand", "model", "-model", "price", "-price", "added_at", "-added_at"
]
OwnerOrder = Literal["name", "-name", "email", "-email"]
Limit = Annotated[int, Query(ge=1, le=100)]
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET)]


# -- the site ---------------------------------------------------------------------------------

#: Every page may load from this site only: the browser refuses anything else before
#: asking (ReDoc's bundle, for one, names a logo on another host).
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; font-src 'self' data:; "
    "style-src 'self' 'unsafe-inline'; script-src 'self' 'unsafe-inline' 'unsafe-eval'; "
    "worker-src 'self' blob:; connect-src 'self'; frame-ancestors 'none'"
)


class SameOriginOnly:
    """ASGI middleware: every HTML page gets :data:`CONTENT_SECURITY_POLICY`."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_policy(message: Any) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                types = [v for k, v in headers if k.lower() == b"content-type"]
                if types and types[0].startswith(b"text/html"):
                    headers.append((b"content-security-policy", CONTENT_SECURITY_POLICY.encode()))
                    message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_policy)


def create_app(application: Application | None = None, *, queue: bool | None = None) -> FastAPI:
    """The site on ``application`` (default: :func:`open_application`).

    An application that is not open yet is opened when the server starts and closed when it
    stops; an open one (tests) is used as it is. ``queue`` says whether a reprice is queued
    for a Celery worker (default: :func:`queue_configured`) or runs in the request.
    """
    application = application if application is not None else open_application()
    queued = queue_configured() if queue is None else queue

    def current_user(
        x_user: Annotated[str | None, Header(max_length=100)] = None,
    ) -> str | None:
        """Who makes the request (the changelog's user): the ``X-User`` header."""
        return x_user

    polynom = PolynomFastAPI(application, services=make_services(), user_from=current_user)
    dm = polynom.data_manager
    Dal = Annotated[Any, Depends(polynom.dal_dependency)]
    User = Annotated[str | None, Depends(current_user)]

    api = FastAPIOffline(
        title="Bike shop",
        description="A polynom-dal demo: owners and bikes, with a changelog.",
        version="1.0",
        swagger_ui_parameters={"validatorUrl": None},  # Swagger UI asks no other host
    )
    install_error_handlers(api)  # every error an application/problem+json answer

    # -- bikes --------------------------------------------------------------------------

    @api.get("/bikes", response_model=BikePage, tags=["bikes"])
    def list_bikes(
        dal: Dal,
        brand: str | None = None,
        kind: Kind | None = None,
        min_price: Annotated[Price | None, Query()] = None,
        max_price: Annotated[Price | None, Query()] = None,
        in_stock: bool | None = None,
        owner_id: str | None = None,
        order: BikeOrder = "brand",
        limit: Limit = 20,
        offset: Offset = 0,
    ) -> BikePage:
        """Bikes matching every filter given, one page at a time."""
        page = dal.bikes.search(
            brand=brand,
            kind=kind,
            min_price=min_price,
            max_price=max_price,
            in_stock=in_stock,
            owner_id=owner_id,
            order_by=order,
            limit=limit,
            offset=offset,
        )
        items = [bike_out(b) for b in page.items]
        return BikePage(items=items, total=page.total, limit=limit, offset=offset)

    @api.get("/bikes/{bike_id}", response_model=BikeOut, tags=["bikes"])
    def get_bike(bike_id: str, dal: Dal) -> BikeOut:
        return bike_out(dal.bikes.get_or_raise(bike_id))

    @api.post("/bikes", response_model=BikeOut, status_code=status.HTTP_201_CREATED, tags=["bikes"])
    def create_bike(body: BikeIn, dal: Dal) -> BikeOut:
        return bike_out(dal.bikes.create(**body.model_dump()))

    @api.patch("/bikes/{bike_id}", response_model=BikeOut, tags=["bikes"])
    def update_bike(bike_id: str, body: BikeUpdate, dal: Dal) -> BikeOut:
        return bike_out(dal.bikes.update(bike_id, **body.model_dump(exclude_unset=True)))

    @api.delete("/bikes/{bike_id}", status_code=status.HTTP_204_NO_CONTENT, tags=["bikes"])
    def delete_bike(bike_id: str, dal: Dal) -> None:
        dal.bikes.delete(bike_id)

    @api.get("/bikes/{bike_id}/history", response_model=list[Change], tags=["bikes"])
    def bike_history(bike_id: str, dal: Dal) -> list[Change]:
        """Who changed the bike, when, and what (old and new value per field)."""
        return history_out(dal.bikes, bike_id)

    @api.post(
        "/bikes/reprice",
        response_model=Repriced,
        tags=["bikes"],
        responses={202: {"model": Repriced, "description": "Queued for a Celery worker"}},
    )
    def reprice(body: RepriceIn, dal: Dal, user: User, response: Response) -> Repriced:
        """Change the price of every bike of a brand by ``percent``.

        With a Celery broker configured the change is queued for a worker (``202``,
        ``"ran": "queued"`` and the ``task_id`` to ask ``/tasks/{task_id}`` about); without
        one it runs in this request (``200``, ``"ran": "inline"`` and how many bikes).
        """
        if queued:
            from examples.bikeshop.tasks import request_reprice

            result = request_reprice(body.brand, body.percent, requested_by=user or "system")
            response.status_code = status.HTTP_202_ACCEPTED
            return Repriced(brand=body.brand, ran="queued", task_id=result.id)
        repriced = dal.bikes.reprice(body.brand, body.percent)
        return Repriced(brand=body.brand, ran="inline", repriced=repriced)

    @api.get("/tasks/{task_id}", response_model=TaskState, tags=["bikes"])
    def task_state(task_id: str) -> TaskState:
        """Where a queued reprice is: ``PENDING``, ``SUCCESS`` (with how many), ``FAILURE``."""
        if not queued:
            raise NotFound("no task queue is configured: reprices run in the request")
        from examples.bikeshop.tasks import celery_app

        result = celery_app.AsyncResult(task_id)
        state = TaskState(task_id=task_id, state=result.state)
        if result.successful():
            state.repriced = result.result
        elif result.failed():
            state.error = f"{type(result.result).__name__}: {result.result}"
        return state

    # -- owners -------------------------------------------------------------------------

    @api.get("/owners", response_model=OwnerPage, tags=["owners"])
    def list_owners(
        dal: Dal,
        name: str | None = None,
        order: OwnerOrder = "name",
        limit: Limit = 20,
        offset: Offset = 0,
    ) -> OwnerPage:
        """Owners whose name contains ``name``, one page at a time."""
        page = dal.owners.search(name=name, order_by=order, limit=limit, offset=offset)
        items = [owner_out(o) for o in page.items]
        return OwnerPage(items=items, total=page.total, limit=limit, offset=offset)

    @api.get("/owners/{owner_id}", response_model=OwnerDetail, tags=["owners"])
    def get_owner(owner_id: str, dal: Dal) -> OwnerDetail:
        owner = dal.owners.get_or_raise(owner_id)
        bikes = [bike_out(b) for b in dal.owners.bikes_of(owner_id)]
        return OwnerDetail(**owner_out(owner).model_dump(), bikes=bikes)

    @api.post(
        "/owners", response_model=OwnerOut, status_code=status.HTTP_201_CREATED, tags=["owners"]
    )
    def create_owner(body: OwnerIn, dal: Dal) -> OwnerOut:
        return owner_out(dal.owners.create(**body.model_dump()))

    @api.patch("/owners/{owner_id}", response_model=OwnerOut, tags=["owners"])
    def update_owner(owner_id: str, body: OwnerUpdate, dal: Dal) -> OwnerOut:
        return owner_out(dal.owners.update(owner_id, **body.model_dump(exclude_unset=True)))

    @api.delete("/owners/{owner_id}", status_code=status.HTTP_204_NO_CONTENT, tags=["owners"])
    def delete_owner(owner_id: str, dal: Dal) -> None:
        """Delete the owner; their bikes stay, without an owner."""
        dal.owners.delete(owner_id)

    @api.get("/owners/{owner_id}/history", response_model=list[Change], tags=["owners"])
    def owner_history(owner_id: str, dal: Dal) -> list[Change]:
        """Who changed the owner, when, and what."""
        return history_out(dal.owners, owner_id)

    # -- the site: the API under /api, the admin everywhere else ---------------------------

    site = FastAPI(title="Bike shop", docs_url=None, redoc_url=None, openapi_url=None)
    polynom.init_app(site)  # its lifespan opens and closes the application
    site.mount("/api", api)
    create_admin(dm).mount_to(site)
    site.add_middleware(SameOriginOnly)
    site.state.data_manager = dm
    site.state.application = application
    site.state.queued = queued
    return site
