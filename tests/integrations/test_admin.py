"""The admin over real HTTP: lists with search, filters, ordering and pages; forms whose
values the model checks; writes committed and logged under the admin's user; the changelog
page filtered by who and when."""

from __future__ import annotations

import datetime as dt
import enum
import re
from collections.abc import Iterator, Sequence
from decimal import Decimal
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from polynom.model.model import BaseModel
from polynom.model.relationship import Relationship
from polynom.schema.field import Field, ForeignKeyField
from polynom.schema.polytypes import Boolean, PolyEnum, Timestamp, VarChar
from polynom.schema.polytypes import Decimal as DecimalType
from polynom.schema.schema import BaseSchema
from polynom.services import ModelService
from tests.integrations._servers import asgi_server


class Size(enum.Enum):
    SMALL = "small"
    LARGE = "large"


class RiderSchema(BaseSchema):
    entity_name = "rider"
    namespace_name = "admin_tests"
    fields = [Field("name", VarChar(30), nullable=False, unique=True)]


class FrameSchema(BaseSchema):
    entity_name = "frame"
    namespace_name = "admin_tests"
    fields = [
        Field("label", VarChar(20), nullable=False),
        Field("size", PolyEnum(Size), nullable=False, default=Size.SMALL),
        Field("price", DecimalType(8, 2), nullable=False),
        Field("stock", Boolean(), nullable=False, default=True),
        Field("built", Timestamp(0)),
        ForeignKeyField("rider_id", RiderSchema),
    ]


class Rider(BaseModel):
    schema = RiderSchema
    frames = Relationship("tests.integrations.test_admin.Frame", back_populates="rider")


class Frame(BaseModel):
    schema = FrameSchema
    rider = Relationship(Rider, back_populates="frames")


FRAMES = [  # label, size, price, in stock, built (day of 2024-05), rider
    ("alpha", Size.SMALL, "100.00", True, 1, "ann"),
    ("bravo", Size.LARGE, "250.50", False, 2, "ann"),
    ("charlie", Size.LARGE, "999.99", True, 3, None),
    ("delta", Size.SMALL, "10.00", True, 4, "bob"),
    ("echo", Size.LARGE, "500.00", True, 5, "bob"),
]


@pytest.fixture
def polynom_schemas() -> Sequence[Any]:
    return [RiderSchema, FrameSchema]


@pytest.fixture
def polynom_services() -> dict[str, Any]:
    return {"riders": ModelService(Rider), "frames": ModelService(Frame)}


@pytest.fixture
def admin_url(polynom_data_manager: Any) -> Iterator[str]:
    from polynom.integrations.admin import PolynomAdmin

    with polynom_data_manager.context(meta={"user": "seed"}) as ctx:
        riders = {n: ctx.dal.riders.create(name=n) for n in ("ann", "bob")}
        for label, size, price, stock, day, rider in FRAMES:
            ctx.dal.frames.create(
                label=label,
                size=size,
                price=Decimal(price),
                stock=stock,
                built=dt.datetime(2024, 5, day, 12, tzinfo=dt.UTC),
                rider_id=riders[rider]._entry_id if rider else None,
            )
    admin = PolynomAdmin(
        polynom_data_manager,
        base_url="/admin",
        secret_key="test",
        user_from=lambda request: request.headers.get("x-admin", "admin"),
    )
    _, frames = admin.add_models(Rider, Frame, services={Frame: "frames"})
    frames.page_size_options = [2, 20]  # small pages, to page through five frames
    site = Starlette()
    admin.mount_to(site)
    with asgi_server(site) as url:
        yield f"{url}/admin"


def labels(page: httpx.Response) -> list[str]:
    """The frame labels of a list page, in the order shown."""
    assert page.status_code == 200, page.text[:2000]
    return [m for m in re.findall(r">\s*([a-z]+)\s*<", page.text) if m in {f[0] for f in FRAMES}]


def test_the_list_searches_filters_orders_and_pages(admin_url: str) -> None:
    url = f"{admin_url}/frame/list"
    assert labels(httpx.get(url)) == ["alpha", "bravo", "charlie", "delta", "echo"]
    assert labels(httpx.get(url, params={"q": "ha"})) == ["alpha", "charlie"]
    cheap_to_dear = labels(httpx.get(url, params={"sort": "price__asc"}))
    assert cheap_to_dear == ["delta", "alpha", "bravo", "echo", "charlie"]
    assert labels(httpx.get(url, params={"sort": "price__desc", "page_size": 2, "page": 2})) == [
        "bravo",
        "alpha",
    ]
    between = httpx.get(url, params={"filter": "price__between=100..500"})
    assert labels(between) == ["alpha", "bravo", "echo"]  # exact decimals, both ends in
    large_in_stock = httpx.get(url, params={"filter": "size__in=large AND stock__is_true"})
    assert labels(large_in_stock) == ["charlie", "echo"]
    either = httpx.get(url, params={"filter": "(label__eq=alpha OR label__startswith=d)"})
    assert labels(either) == ["alpha", "delta"]
    built = httpx.get(url, params={"filter": "built__between=2024-05-02T00:00..2024-05-03T23:59"})
    assert labels(built) == ["bravo", "charlie"]
    assert labels(httpx.get(url, params={"filter": "rider__is_null"})) == ["charlie"]


def create_form(admin_url: str, client: httpx.Client) -> str:
    """The create page's CSRF token."""
    page = client.get(f"{admin_url}/frame/create")
    assert page.status_code == 200
    match = re.search(r'name="csrftoken"[^>]*value="([^"]+)"', page.text)
    assert match, "no CSRF token on the form"
    return match.group(1)


def test_a_form_writes_through_the_service_as_the_admin_user(
    admin_url: str, polynom_data_manager: Any
) -> None:
    with httpx.Client(headers={"X-Admin": "carol"}) as client:
        token = create_form(admin_url, client)
        form = {"csrftoken": token, "label": "foxtrot", "size": "large", "price": "42.5"}
        created = client.post(f"{admin_url}/frame/create", data=form)
        assert created.status_code in (200, 303), created.text[:2000]
    with polynom_data_manager.context() as ctx:
        [frame] = ctx.dal.frames.list(filters={"label": "foxtrot"})
        assert (frame.size, frame.price, frame.stock) == (Size.LARGE, Decimal("42.50"), False)
        [change] = ctx.dal.frames.history(frame._entry_id)
        assert (change.user, change.change_type) == ("carol", "insert")


def test_a_value_the_model_refuses_comes_back_to_the_form(
    admin_url: str, polynom_data_manager: Any
) -> None:
    with httpx.Client() as client:
        token = create_form(admin_url, client)
        form = {"csrftoken": token, "label": "x" * 21, "size": "small", "price": "1"}
        refused = client.post(f"{admin_url}/frame/create", data=form)
    assert refused.status_code == 422
    assert "longer than VarChar(20) allows" in refused.text
    with httpx.Client() as client:  # a number its Decimal(8, 2) cannot even hold: no crash
        token = create_form(admin_url, client)
        form = {"csrftoken": token, "label": "ok", "size": "small", "price": "1e20"}
        too_big = client.post(f"{admin_url}/frame/create", data=form)
    assert too_big.status_code == 422 and "invalid value Decimal(&#39;1E+20&#39;)" in too_big.text
    with polynom_data_manager.context() as ctx:
        assert ctx.dal.frames.count() == len(FRAMES)  # nothing written


def test_the_detail_page_shows_the_entrys_history(admin_url: str, polynom_data_manager) -> None:
    with polynom_data_manager.context(meta={"user": "dave"}) as ctx:
        [alpha] = ctx.dal.frames.list(filters={"label": "alpha"})
        ctx.dal.frames.update(alpha._entry_id, price=Decimal("120.00"))
    page = httpx.get(f"{admin_url}/frame/detail", params={"pk": alpha._entry_id})
    assert page.status_code == 200
    history = page.text[page.text.index('id="polynom-history"') :]
    assert history.index("dave") < history.index("seed")  # newest first
    assert re.search(r"100\.00</td>\s*<td>&rarr;</td>\s*<td>120\.00", history)
    assert ">ann<" in page.text.replace("\n", "") or "ann" in page.text  # the rider, by name


def test_the_changelog_page_filters_by_who_and_when(admin_url: str, polynom_data_manager) -> None:
    with polynom_data_manager.context(meta={"user": "erin"}) as ctx:
        [echo] = ctx.dal.frames.list(filters={"label": "echo"})
        ctx.dal.frames.update(echo._entry_id, stock=False)
    url = f"{admin_url}/changelog/list"
    everything = httpx.get(url)
    assert everything.status_code == 200
    assert everything.text.count("<tr") >= len(FRAMES) + 2
    by_erin = httpx.get(url, params={"filter": "user__eq=erin"}).text
    assert "erin" in by_erin and ">seed<" not in by_erin
    assert "stock" in by_erin and "False" in by_erin
    now = dt.datetime.now(dt.UTC)
    since = (now - dt.timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M")
    until = (now + dt.timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M")
    recent = httpx.get(url, params={"filter": f"date__between={since}..{until}"}).text
    assert "erin" in recent
    old = httpx.get(url, params={"filter": "date__between=2000-01-01T00:00..2000-01-02T00:00"})
    assert "erin" not in old.text and "seed" not in old.text
    assert httpx.get(f"{admin_url}/changelog/create").status_code in (403, 404, 405)


def test_a_flask_app_serves_the_same_admin(polynom_data_manager: Any) -> None:
    """Flask gets the admin through WSGI (a2wsgi), next to its own routes."""
    from flask import Flask
    from werkzeug.middleware.dispatcher import DispatcherMiddleware

    from polynom.integrations.admin import PolynomAdmin
    from polynom.integrations.flask import PolynomFlask, dal
    from tests.integrations._servers import wsgi_server

    web = Flask("with_admin")
    PolynomFlask(web, polynom_data_manager)

    @web.get("/riders")
    def riders() -> Any:
        return sorted(r.name for r in dal.riders.list())

    admin = PolynomAdmin(polynom_data_manager, base_url="/", secret_key="test")
    admin.add_models(Rider, Frame)
    web.wsgi_app = DispatcherMiddleware(web.wsgi_app, {"/admin": admin.wsgi_app()})  # type: ignore[method-assign]
    with polynom_data_manager.context(meta={"user": "seed"}) as ctx:
        ctx.dal.riders.create(name="zoe")
    with wsgi_server(web) as url:
        assert httpx.get(f"{url}/riders").json() == ["zoe"]
        page = httpx.get(f"{url}/admin/rider/list")
        assert page.status_code == 200 and "zoe" in page.text
        assert f"{url}/admin/static/" in page.text  # its assets, under the mount
        assert httpx.get(f"{url}/admin/changelog/list").status_code == 200
