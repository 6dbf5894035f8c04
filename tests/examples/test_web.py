"""The bike shop's API over real HTTP: every endpoint, its 404s and its validation errors.

Every error is a problem (RFC 9457): a validation failure names each refused value as the
client sent it (``errors[].name``, ``errors[].in``).
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import httpx
import pytest

SEEDED_BIKES = 10


def brand() -> str:
    """A brand no other test uses, so tests sharing the server stay independent."""
    return f"B-{uuid.uuid4().hex[:10]}"


def new_bike(client: httpx.Client, user: str = "tester", **fields: Any) -> dict[str, Any]:
    body = {"brand": brand(), "model": "Test", "price": "1000.00", **fields}
    response = client.post("/bikes", json=body, headers={"X-User": user})
    assert response.status_code == 201, response.text
    return response.json()


def error_fields(response: httpx.Response) -> list[str]:
    """The parameters a 422 problem names, as the client sent them."""
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["type"] == "tag:polynom-dal,2025:validation" and body["status"] == 422
    return [str(error["name"]) for error in body["errors"]]


def problem(response: httpx.Response, status: int) -> dict[str, Any]:
    """The problem body of an error answer with ``status``."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    return body


def total(client: httpx.Client) -> int:
    """How many bikes there are."""
    count: int = client.get("/bikes", params={"limit": 1}).json()["total"]
    return count


@pytest.fixture
def client(shop: SimpleNamespace) -> httpx.Client:
    return shop.client


def owners_of(client: httpx.Client) -> list[dict[str, Any]]:
    """Every owner (the first page of 100)."""
    items: list[dict[str, Any]] = client.get("/owners", params={"limit": 100}).json()["items"]
    return items


# -- the site ---------------------------------------------------------------------------------


def test_the_admin_is_home_and_the_api_has_its_docs(shop: SimpleNamespace) -> None:
    home = httpx.get(f"{shop.url}/")
    assert home.status_code == 200 and "Bike shop" in home.text
    for page in ("/bike/list", "/owner/list", "/changelog/list"):
        assert httpx.get(f"{shop.url}{page}").status_code == 200, page
    paths = httpx.get(f"{shop.url}/api/openapi.json").json()["paths"]
    assert {"/bikes", "/bikes/{bike_id}", "/bikes/{bike_id}/history", "/owners"} <= set(paths)


@pytest.mark.parametrize("page", ["/api/docs", "/api/redoc", "/"])
def test_pages_load_their_assets_from_this_server(shop: SimpleNamespace, page: str) -> None:
    """Every script and style a page names is served here: none comes from another host."""
    import re

    html = httpx.get(f"{shop.url}{page}").text
    assets = re.findall(r'(?:src|href)="([^"]+\.(?:js|css)[^"]*)"', html)
    assert assets, f"{page} names no scripts or styles"
    for asset in assets:
        assert asset.startswith("/") or asset.startswith(shop.url), f"{page} loads {asset}"
        url = asset if asset.startswith("http") else f"{shop.url}{asset}"
        assert httpx.get(url).status_code == 200, asset
    assert "@import url('http" not in html


# -- listing bikes ----------------------------------------------------------------------------


def seeded(client: httpx.Client, **params: Any) -> dict[str, Any]:
    """A listing restricted to the seeded bikes (they were added before any test ran)."""
    response = client.get("/bikes", params={"limit": 100, **params})
    assert response.status_code == 200, response.text
    body = response.json()
    body["items"] = [b for b in body["items"] if not b["brand"].startswith("B-")]
    return body


def test_list_pages_through_every_bike_in_order(client: httpx.Client) -> None:
    everything = seeded(client)["items"]
    assert len(everything) == SEEDED_BIKES
    assert [b["brand"] for b in everything] == sorted(b["brand"] for b in everything)
    first = client.get("/bikes", params={"limit": 3}).json()
    assert first["limit"] == 3 and first["offset"] == 0 and len(first["items"]) == 3
    ids: list[str] = []
    offset = 0
    while True:
        page = client.get("/bikes", params={"limit": 3, "offset": offset}).json()
        ids += [b["id"] for b in page["items"]]
        offset += 3
        if offset >= page["total"]:
            break
    assert len(ids) == len(set(ids)) == page["total"] >= SEEDED_BIKES


def test_list_filters(client: httpx.Client) -> None:
    moots = seeded(client, brand="Moots")
    assert {b["model"] for b in moots["items"]} == {"Vamoots RSL", "Routt YBB"}
    assert moots["total"] == 2
    gravel = seeded(client, kind="gravel")["items"]
    assert {b["brand"] for b in gravel} == {"Moots", "Canyon", "Surly"}
    assert all(b["kind"] == "gravel" for b in gravel)
    window = seeded(client, min_price="1650", max_price="2199")["items"]
    assert sorted(Decimal(b["price"]) for b in window) == [
        Decimal("1650.00"),
        Decimal("1675.50"),
        Decimal("2199.00"),
    ]
    out_of_stock = seeded(client, in_stock="false")["items"]
    assert {b["model"] for b in out_of_stock} == {"Trance X 29", "Ultimate CF SLX"}
    combined = seeded(client, brand="Giant", in_stock="true", order="-price")["items"]
    assert [b["model"] for b in combined] == ["Defy Advanced 2", "Escape 3"]


def test_list_by_owner_and_ordering(client: httpx.Client) -> None:
    ada = next(o for o in owners_of(client) if o["name"] == "Ada Lovelace")
    bikes = seeded(client, owner_id=ada["id"], order="price")["items"]
    assert [b["model"] for b in bikes] == ["C Line Explore", "Vamoots RSL"]
    prices = [Decimal(b["price"]) for b in seeded(client, order="-price")["items"]]
    assert prices == sorted(prices, reverse=True)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 101}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"offset": -1}, "offset"),
        ({"kind": "bmx"}, "kind"),
        ({"order": "colour"}, "order"),
        ({"min_price": "cheap"}, "min_price"),
        ({"max_price": "-5"}, "max_price"),
        ({"in_stock": "maybe"}, "in_stock"),
    ],
)
def test_list_rejects_bad_parameters_naming_them(
    client: httpx.Client, params: dict[str, Any], field: str
) -> None:
    assert error_fields(client.get("/bikes", params=params)) == [field]


# -- one bike ---------------------------------------------------------------------------------


def test_create_then_get(client: httpx.Client) -> None:
    owner = owners_of(client)[0]
    created = new_bike(
        client, kind="gravel", price="1234.5", weight_kg=9.5, in_stock=False, owner_id=owner["id"]
    )
    assert created["price"] == "1234.50"  # exact decimals, quantized to the field's scale
    assert created["kind"] == "gravel" and created["in_stock"] is False
    assert created["owner_id"] == owner["id"]
    assert created["added_at"].endswith("Z") or created["added_at"].endswith("+00:00")
    fetched = client.get(f"/bikes/{created['id']}")
    assert fetched.status_code == 200
    assert fetched.json() == created


def test_create_uses_defaults(client: httpx.Client) -> None:
    created = new_bike(client)
    assert (created["kind"], created["in_stock"], created["weight_kg"]) == ("road", True, None)
    assert created["owner_id"] is None


def test_get_unknown_bike_is_404(client: httpx.Client) -> None:
    body = problem(client.get(f"/bikes/{uuid.uuid4()}"), 404)
    assert body["type"] == "tag:polynom-dal,2025:not-found" and "Bike" in body["detail"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"brand": None}, "brand"),  # required (pydantic: not a str)
        ({"brand": "x" * 41}, "brand"),  # longer than VarChar(40): polynom's check
        ({"model": "y" * 61}, "model"),
        ({"price": "12.345"}, "price"),  # more digits than Decimal(10, 2) keeps
        ({"price": "123456789.00"}, "price"),  # more than 10 digits
        ({"price": "-1"}, "price"),
        ({"price": "a lot"}, "price"),
        ({"kind": "bmx"}, "kind"),
        ({"weight_kg": 0}, "weight_kg"),
        ({"in_stock": "perhaps"}, "in_stock"),
        ({"colour": "red"}, "colour"),  # unknown field
    ],
)
def test_create_rejects_bad_values_naming_the_field(
    client: httpx.Client, change: dict[str, Any], field: str
) -> None:
    before = total(client)
    body = {"brand": brand(), "model": "Test", "price": "10", **change}
    response = client.post("/bikes", json=body)
    assert field in error_fields(response)
    assert total(client) == before


def test_create_requires_the_required_fields(client: httpx.Client) -> None:
    assert set(error_fields(client.post("/bikes", json={}))) == {"brand", "model", "price"}
    malformed = client.post(
        "/bikes", content=b"not json", headers={"Content-Type": "application/json"}
    )
    assert "not valid JSON" in problem(malformed, 400)["detail"]


def test_create_with_an_unknown_owner_is_404_and_writes_nothing(client: httpx.Client) -> None:
    name = brand()
    body = {"brand": name, "model": "m", "price": "5", "owner_id": str(uuid.uuid4())}
    response = client.post("/bikes", json=body)
    assert response.status_code == 404
    assert "Owner" in response.json()["detail"]
    assert client.get("/bikes", params={"brand": name}).json()["total"] == 0


def test_update_changes_only_the_fields_sent(client: httpx.Client) -> None:
    bike = new_bike(client, weight_kg=10.0)
    change = {"price": "999.99", "weight_kg": None}
    response = client.patch(f"/bikes/{bike['id']}", json=change, headers={"X-User": "kim"})
    assert response.status_code == 200, response.text
    updated = response.json()
    assert updated["price"] == "999.99" and updated["weight_kg"] is None
    assert {k: v for k, v in updated.items() if k not in ("price", "weight_kg")} == {
        k: v for k, v in bike.items() if k not in ("price", "weight_kg")
    }
    assert client.get(f"/bikes/{bike['id']}").json() == updated


def test_a_rejected_update_changes_nothing(client: httpx.Client) -> None:
    bike = new_bike(client)
    response = client.patch(f"/bikes/{bike['id']}", json={"price": "5.00", "brand": "z" * 50})
    assert error_fields(response) == ["brand"]
    assert client.get(f"/bikes/{bike['id']}").json() == bike  # rolled back, price included


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"brand": None}, "brand"),  # brand is required: clearing it is refused
        ({"kind": None}, "kind"),
        ({"price": "1.001"}, "price"),
        ({"owner": "someone"}, "owner"),
    ],
)
def test_update_rejects_bad_values_naming_the_field(
    client: httpx.Client, change: dict[str, Any], field: str
) -> None:
    bike = new_bike(client)
    assert error_fields(client.patch(f"/bikes/{bike['id']}", json=change)) == [field]
    assert client.get(f"/bikes/{bike['id']}").json() == bike


def test_update_unknown_bike_or_owner_is_404(client: httpx.Client) -> None:
    assert client.patch(f"/bikes/{uuid.uuid4()}", json={"price": "1"}).status_code == 404
    bike = new_bike(client)
    response = client.patch(f"/bikes/{bike['id']}", json={"owner_id": str(uuid.uuid4())})
    assert response.status_code == 404
    assert client.get(f"/bikes/{bike['id']}").json()["owner_id"] is None


def test_delete(client: httpx.Client) -> None:
    bike = new_bike(client)
    response = client.delete(f"/bikes/{bike['id']}", headers={"X-User": "rita"})
    assert response.status_code == 204 and response.content == b""
    assert client.get(f"/bikes/{bike['id']}").status_code == 404
    assert client.delete(f"/bikes/{bike['id']}").status_code == 404


# -- history ----------------------------------------------------------------------------------


def test_history_records_who_changed_what(client: httpx.Client) -> None:
    bike = new_bike(client, user="ann", price="100.00")
    client.patch(f"/bikes/{bike['id']}", json={"price": "90.00"}, headers={"X-User": "bob"})
    client.patch(f"/bikes/{bike['id']}", json={"in_stock": False})  # no X-User: "system"
    client.delete(f"/bikes/{bike['id']}", headers={"X-User": "cy"})

    response = client.get(f"/bikes/{bike['id']}/history")
    assert response.status_code == 200, response.text
    history = response.json()
    assert [(h["user"], h["change_type"]) for h in history] == [
        ("ann", "insert"),
        ("bob", "update"),
        ("system", "update"),
        ("cy", "delete"),
    ]
    assert history[0]["changes"]["brand"] == [None, bike["brand"]]
    assert history[1]["changes"] == {"price": ["100.00", "90.00"]}
    assert history[2]["changes"] == {"in_stock": [True, False]}
    assert history[3]["changes"]["price"] == ["90.00", None]
    assert history[0]["date"] <= history[-1]["date"]


def test_history_of_an_unknown_bike_is_404(client: httpx.Client) -> None:
    assert client.get(f"/bikes/{uuid.uuid4()}/history").status_code == 404


def test_a_rejected_request_leaves_no_history(client: httpx.Client) -> None:
    bike = new_bike(client)
    client.patch(f"/bikes/{bike['id']}", json={"price": "1.00", "model": "m" * 100})
    assert len(client.get(f"/bikes/{bike['id']}/history").json()) == 1


# -- reprice ----------------------------------------------------------------------------------


def test_reprice_a_brand(client: httpx.Client) -> None:
    name = brand()
    a = new_bike(client, brand=name, price="100.00")
    b = new_bike(client, brand=name, price="19.99")
    other = new_bike(client, price="100.00")
    response = client.post(
        "/bikes/reprice", json={"brand": name, "percent": "12.5"}, headers={"X-User": "boss"}
    )
    assert response.status_code == 200, response.text
    assert response.json() == {"brand": name, "ran": "inline", "repriced": 2, "task_id": None}
    assert client.get(f"/bikes/{a['id']}").json()["price"] == "112.50"
    assert client.get(f"/bikes/{b['id']}").json()["price"] == "22.49"  # 22.48875, half up
    assert client.get(f"/bikes/{other['id']}").json()["price"] == "100.00"
    last = client.get(f"/bikes/{a['id']}/history").json()[-1]
    assert (last["user"], last["changes"]) == ("boss", {"price": ["100.00", "112.50"]})


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"brand": "Moots", "percent": "-100"}, "percent"),
        ({"brand": "Moots", "percent": "1e9"}, "percent"),
        ({"brand": "Moots", "percent": "ten"}, "percent"),
        ({"percent": "5"}, "brand"),
    ],
)
def test_reprice_rejects_bad_values(client: httpx.Client, body: dict[str, Any], field: str) -> None:
    assert error_fields(client.post("/bikes/reprice", json=body)) == [field]


# -- owners -----------------------------------------------------------------------------------


def test_owners_list_in_name_order_with_paging(client: httpx.Client) -> None:
    page = client.get("/owners", params={"limit": 100}).json()
    owners = page["items"]
    names = [o["name"] for o in owners]
    assert {"Ada Lovelace", "Alan Turing", "Grace Hopper"} <= set(names)
    assert names == sorted(names) and page["total"] == len(owners)
    second = client.get("/owners", params={"limit": 1, "offset": 1}).json()
    assert second == {"items": owners[1:2], "total": page["total"], "limit": 1, "offset": 1}
    assert error_fields(client.get("/owners", params={"limit": 0})) == ["limit"]
    assert error_fields(client.get("/owners", params={"offset": 10**20})) == ["offset"]
    assert [
        o["name"] for o in client.get("/owners", params={"name": "Hopper"}).json()["items"]
    ] == ["Grace Hopper"]
    descending = client.get("/owners", params={"order": "-name", "limit": 100}).json()["items"]
    assert [o["name"] for o in descending] == sorted(names, reverse=True)


def test_owner_with_their_bikes(client: httpx.Client) -> None:
    grace = next(o for o in owners_of(client) if o["name"] == "Grace Hopper")
    response = client.get(f"/owners/{grace['id']}")
    assert response.status_code == 200
    detail = response.json()
    assert detail["email"] == "grace@example.org"
    assert [b["model"] for b in detail["bikes"]] == ["Ultimate CF SLX", "Defy Advanced 2"]
    assert all(b["owner_id"] == grace["id"] for b in detail["bikes"])


def test_unknown_owner_is_404(client: httpx.Client) -> None:
    body = problem(client.get(f"/owners/{uuid.uuid4()}"), 404)
    assert body["type"] == "tag:polynom-dal,2025:not-found"


def test_create_owner_and_a_taken_email(client: httpx.Client) -> None:
    email = f"{uuid.uuid4().hex[:8]}@example.org"
    response = client.post("/owners", json={"name": "Mary Shelley", "email": email})
    assert response.status_code == 201, response.text
    created = response.json()
    assert client.get(f"/owners/{created['id']}").json() == {**created, "bikes": []}
    taken = problem(client.post("/owners", json={"name": "Someone Else", "email": email}), 409)
    assert taken["type"] == "tag:polynom-dal,2025:integrity" and "email" in taken["detail"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "n"}, "email"),
        ({"email": "e@x"}, "name"),
        ({"name": "n" * 61, "email": "e@x"}, "name"),
        ({"name": "n", "email": 5}, "email"),
    ],
)
def test_create_owner_rejects_bad_values(
    client: httpx.Client, body: dict[str, Any], field: str
) -> None:
    assert error_fields(client.post("/owners", json=body)) == [field]


def new_owner(client: httpx.Client, user: str = "tester", **fields: Any) -> dict[str, Any]:
    body = {"name": "Mary Shelley", "email": f"{uuid.uuid4().hex[:8]}@example.org", **fields}
    response = client.post("/owners", json=body, headers={"X-User": user})
    assert response.status_code == 201, response.text
    return response.json()


def test_update_an_owner_changes_only_what_was_sent(client: httpx.Client) -> None:
    owner = new_owner(client, user="ann")
    response = client.patch(
        f"/owners/{owner['id']}", json={"name": "M. Shelley"}, headers={"X-User": "bob"}
    )
    assert response.status_code == 200, response.text
    assert response.json() == {**owner, "name": "M. Shelley"}
    history = client.get(f"/owners/{owner['id']}/history").json()
    assert [(h["user"], h["change_type"]) for h in history] == [
        ("ann", "insert"),
        ("bob", "update"),
    ]
    assert history[1]["changes"] == {"name": ["Mary Shelley", "M. Shelley"]}
    assert error_fields(client.patch(f"/owners/{owner['id']}", json={"name": "n" * 61})) == ["name"]
    assert error_fields(client.patch(f"/owners/{owner['id']}", json={"age": 3})) == ["age"]
    assert problem(client.patch(f"/owners/{uuid.uuid4()}", json={"name": "x"}), 404)
    assert client.get(f"/owners/{owner['id']}").json()["name"] == "M. Shelley"


def test_deleting_an_owner_keeps_their_bikes(client: httpx.Client) -> None:
    owner = new_owner(client)
    bike = new_bike(client, owner_id=owner["id"])
    response = client.delete(f"/owners/{owner['id']}", headers={"X-User": "rita"})
    assert response.status_code == 204, response.text
    problem(client.get(f"/owners/{owner['id']}"), 404)
    assert client.get(f"/bikes/{bike['id']}").json()["owner_id"] is None
    last = client.get(f"/owners/{owner['id']}/history").json()[-1]
    assert (last["user"], last["change_type"]) == ("rita", "delete")
    problem(client.delete(f"/owners/{owner['id']}"), 404)
    problem(client.get(f"/owners/{uuid.uuid4()}/history"), 404)


# -- bad input is never a 500 (issue 10): each names the parameter the client sent -----------


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "name"),
    [
        ("get", "/bikes", {"params": {"offset": "100000000000000000000"}}, "offset"),
        ("get", "/owners", {"params": {"offset": "100000000000000000000"}}, "offset"),
        ("get", "/bikes", {"params": {"max_price": "1e30"}}, "max_price"),
        ("get", "/bikes", {"params": {"min_price": "123456789012.00"}}, "min_price"),
        ("get", "/bikes", {"params": {"brand": "b" * 41}}, "brand"),  # polynom's filter check
        (
            "post",
            "/bikes",
            {"json": {"brand": "b", "model": "m", "price": "123456789012.00"}},
            "price",
        ),
        ("post", "/bikes", {"json": {"brand": "b", "model": "m", "price": "1e20"}}, "price"),
        (
            "post",
            "/bikes",
            {"json": {"brand": "b", "model": "m", "price": "1", "weight_kg": 1e308}},
            "weight_kg",
        ),
        ("post", "/owners", {"json": {"name": "n", "email": "e" * 121}}, "email"),
    ],
)
def test_out_of_range_values_are_422_naming_the_parameter(
    client: httpx.Client, method: str, path: str, kwargs: dict[str, Any], name: str
) -> None:
    assert error_fields(getattr(client, method)(path, **kwargs)) == [name]


def test_a_bad_price_in_an_update_is_422(client: httpx.Client) -> None:
    bike = new_bike(client)
    assert error_fields(client.patch(f"/bikes/{bike['id']}", json={"price": "1e20"})) == ["price"]
    assert client.get(f"/bikes/{bike['id']}").json() == bike


def test_unknown_routes_and_methods_are_problems(client: httpx.Client) -> None:
    assert problem(client.get("/no/such/route"), 404)["title"] == "Not Found"
    assert problem(client.put("/bikes"), 405)["title"] == "Method Not Allowed"


def test_without_a_queue_the_task_endpoint_says_so(client: httpx.Client) -> None:
    body = problem(client.get(f"/tasks/{uuid.uuid4()}"), 404)
    assert "no task queue" in body["detail"]
