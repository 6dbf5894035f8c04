"""The bike shop's web API (FastAPI), one DAL context per request.

Every endpoint gets the request's DAL from ``polynom.integrations.fastapi``: the context
commits after the endpoint returns and before the response is sent, and rolls back when
the endpoint raises. The ``X-User`` header names who makes the request; the changelog
records every change under that name (``system`` without the header).

Models are turned into response bodies *inside* the endpoint, while the request's session
is open.
"""

# No ``from __future__ import annotations`` here: FastAPI reads the endpoints' annotations
# at run time, and some of them (``Dal``) are local to ``create_app``.

import datetime as dt
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import Depends, FastAPI, Header, Query, Request, status
from fastapi.responses import JSONResponse, RedirectResponse
from pydantic import BaseModel as Schema
from pydantic import ConfigDict, Field

from examples.bikeshop.models import SCHEMAS, Bike, Kind, Owner
from examples.bikeshop.services import create_dal
from polynom.application import Application
from polynom.errors import QueryError, ValidationError
from polynom.integrations.fastapi import PolynomFastAPI

__all__ = ["APP_UUID", "create_app", "open_application"]

#: The bike shop's application uuid (its schema snapshot and changelog are kept under it).
APP_UUID = "5f0c2b8e-1d3a-4e5b-9c7d-0a1b2c3d4e5f"
#: Where the demo keeps its data unless ``POLYNOM_URL`` says otherwise.
DEFAULT_URL = "sqlite:///bikeshop.db"


def open_application(url: str | None = None, *, migrate: bool = True) -> Application:
    """The bike shop's application on ``url``, ``$POLYNOM_URL`` or ``bikeshop.db`` (not entered)."""
    address = url or os.environ.get("POLYNOM_URL") or DEFAULT_URL
    return Application(APP_UUID, address, schemas=SCHEMAS, migrate=migrate)


# -- request and response bodies ------------------------------------------------------------


class OwnerIn(Schema):
    model_config = ConfigDict(extra="forbid")

    name: str
    email: str


class OwnerOut(Schema):
    id: str
    name: str
    email: str


class BikeIn(Schema):
    model_config = ConfigDict(extra="forbid")

    brand: str
    model: str
    kind: Kind = Kind.ROAD
    price: Decimal = Field(ge=0)
    weight_kg: float | None = Field(default=None, gt=0)
    in_stock: bool = True
    owner_id: str | None = None


class BikeUpdate(Schema):
    """A partial update: only the fields sent are changed (``null`` clears a field)."""

    model_config = ConfigDict(extra="forbid")

    brand: str | None = None
    model: str | None = None
    kind: Kind | None = None
    price: Decimal | None = Field(default=None, ge=0)
    weight_kg: float | None = Field(default=None, gt=0)
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
    brand: str
    repriced: int


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


Order = Literal["brand", "-brand", "model", "-model", "price", "-price", "added_at", "-added_at"]


# -- errors -----------------------------------------------------------------------------------


def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    """A value polynom refused (too long, too many digits, missing...): 422 naming the field."""
    assert isinstance(exc, ValidationError)
    where = "query" if request.method == "GET" else "body"
    detail = [
        {
            "loc": [where, exc.field] if exc.field else [where],
            "msg": str(exc),
            "type": "value_error",
        }
    ]
    return JSONResponse({"detail": detail}, status_code=422)


def _bad_query(request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse({"detail": str(exc)}, status_code=status.HTTP_400_BAD_REQUEST)


# -- the application ------------------------------------------------------------------------


def create_app(application: Application | None = None) -> FastAPI:
    """The web API on ``application`` (default: :func:`open_application`).

    An application that is not active yet is opened when the server starts and closed when
    it stops; an active one (tests) is used as it is.
    """
    application = application if application is not None else open_application()
    dm = create_dal(application)

    def current_user(
        x_user: Annotated[str | None, Header(max_length=100)] = None,
    ) -> str | None:
        """Who makes the request (the changelog's user): the ``X-User`` header."""
        return x_user

    polynom = PolynomFastAPI(dm, user_from=current_user)
    Dal = Annotated[Any, Depends(polynom.dal_dependency)]

    @asynccontextmanager
    async def lifespan(api: FastAPI) -> AsyncIterator[None]:
        if application.is_active:
            yield
            return
        with application:
            yield

    api = FastAPI(
        title="Bike shop",
        description="A polynom-dal demo: owners and bikes, with a changelog.",
        version="1.0",
        lifespan=lifespan,
    )
    # NotFound -> 404; a unique value taken, a dangling reference, a concurrent change -> 409
    polynom.init_app(api)
    # Replaces the integration's 422 body with FastAPI's own, so that values pydantic refuses
    # and values polynom refuses look the same to a client.
    api.add_exception_handler(ValidationError, _validation_error)
    api.add_exception_handler(QueryError, _bad_query)
    api.state.data_manager = dm
    api.state.application = application

    @api.get("/", include_in_schema=False)
    def home() -> RedirectResponse:
        return RedirectResponse("/docs")

    # -- bikes --------------------------------------------------------------------------

    @api.get("/bikes", response_model=BikePage, tags=["bikes"])
    def list_bikes(
        dal: Dal,
        brand: str | None = None,
        kind: Kind | None = None,
        min_price: Annotated[Decimal | None, Query(ge=0)] = None,
        max_price: Annotated[Decimal | None, Query(ge=0)] = None,
        in_stock: bool | None = None,
        owner_id: str | None = None,
        order: Order = "brand",
        limit: Annotated[int, Query(ge=1, le=100)] = 20,
        offset: Annotated[int, Query(ge=0)] = 0,
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
        records = dal.bikes.history(bike_id)
        if not records:
            dal.bikes.get_or_raise(bike_id)  # 404 for a bike that never existed
        return [
            Change(date=r.date, user=r.user, change_type=r.change_type, changes=r.changes)
            for r in records
        ]

    @api.post("/bikes/reprice", response_model=Repriced, tags=["bikes"])
    def reprice(body: RepriceIn, dal: Dal) -> Repriced:
        """Change the price of every bike of a brand by ``percent`` (now, in this request)."""
        return Repriced(brand=body.brand, repriced=dal.bikes.reprice(body.brand, body.percent))

    # -- owners -------------------------------------------------------------------------

    @api.get("/owners", response_model=list[OwnerOut], tags=["owners"])
    def list_owners(
        dal: Dal,
        limit: Annotated[int, Query(ge=1, le=100)] = 20,
        offset: Annotated[int, Query(ge=0)] = 0,
    ) -> list[OwnerOut]:
        owners = dal.owners.list(order_by=["name", "_entry_id"], limit=limit, offset=offset)
        return [owner_out(o) for o in owners]

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

    return api
