"""``load`` is a parser of untrusted input: a hostile-dump corpus, in both formats.

Each file of the corpus is a good dump of the application spoiled in one way. Loading it
must raise ``DumpError`` naming the line (``exc.line`` and ``", line N:"`` in the message)
and the problem -- never another exception -- and leave the store exactly as it was, even
though a load replaces the application's entries by default (the delete is in the same
transaction). On every store kind.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from polynom.changelog import ChangeLog
from polynom.errors import DumpError
from polynom.session import Session
from tests.models import Bike, Everything, Owner
from tests.schema.test_polytypes import SAMPLE

Spoil = Callable[[list[str]], list[str]]


def fill(app) -> None:
    with Session(app, log_user="dumper") as s:
        owner = Owner(name="o", email="o@x")
        s.add_all([owner, Bike(brand="b", owner=owner, price=3), Everything(**SAMPLE)])
        s.commit()


def state(app) -> dict[str, list[str]]:
    """What the store holds: the entries of each entity and the changelog, by id."""
    with Session(app) as s:
        return {
            model.__name__: sorted(repr(m.to_dict()) for m in model.query(s).all())
            for model in (Owner, Bike, Everything, ChangeLog)
        }


@pytest.fixture
def dumped(app, tmp_path):
    """The application filled and dumped in our format; its lines, and what the store holds."""
    fill(app)
    path = tmp_path / "good.jsonl"
    app.dump(path)
    return path.read_text(encoding="utf-8").splitlines(keepends=True), state(app)


def _entry(lines: list[str], entity: str) -> int:
    return next(i for i, line in enumerate(lines) if f'"e": "{entity}"' in line)


def _set_value(entity: str, field: str, value: object) -> Spoil:
    """Put ``value`` (any JSON) in ``field`` of the first entry of ``entity``."""

    def spoil(lines: list[str]) -> list[str]:
        header = json.loads(lines[0])
        fields = next(e["fields"] for e in header["entities"] if e["entity"] == entity)
        i = _entry(lines, entity)
        item = json.loads(lines[i])
        item["v"][fields.index(field)] = value
        lines[i] = json.dumps(item) + "\n"
        return lines

    return spoil


def _raw_value(entity: str, field: str, raw_json: str) -> Spoil:
    """Like :func:`_set_value`, with the value as raw JSON text (what json.dumps won't write)."""

    def spoil(lines: list[str]) -> list[str]:
        lines = _set_value(entity, field, "@@PLACEHOLDER@@")(lines)
        i = _entry(lines, entity)
        lines[i] = lines[i].replace('"@@PLACEHOLDER@@"', raw_json)
        return lines

    return spoil


def _header(change: Callable[[dict], None]) -> Spoil:
    def spoil(lines: list[str]) -> list[str]:
        header = json.loads(lines[0])
        change(header)
        lines[0] = json.dumps(header) + "\n"
        return lines

    return spoil


def _duplicate(entity: str) -> Spoil:
    def spoil(lines: list[str]) -> list[str]:
        i = _entry(lines, entity)
        return [*lines[: i + 1], lines[i], *lines[i + 1 :]]

    return spoil


def _other_apps_changelog(lines: list[str]) -> list[str]:
    i = _entry(lines, "polynom_internal.change_log")
    item = json.loads(lines[i])
    item["v"][1] = "someone-elses-app"  # app_uuid
    lines[i] = json.dumps(item) + "\n"
    return lines


ENT = "polynom_entities.everything"

#: (name, how the good dump is spoiled, what the message says): the native format
NATIVE: list[tuple[str, Spoil, str]] = [
    ("header not JSON", lambda ls: ["{not json\n", *ls[1:]], "header is not JSON"),
    ("header a list", lambda ls: ["[1, 2]\n", *ls[1:]], "is not a polynom dump"),
    ("header without format", _header(lambda h: h.pop("format")), "no 'polynom-dump' header"),
    ("version a string", _header(lambda h: h.update(version="1")), "format version '1'"),
    ("version true", _header(lambda h: h.update(version=True)), "format version True"),
    ("no app_uuid", _header(lambda h: h.pop("app_uuid")), "'app_uuid' is missing"),
    ("no schema", _header(lambda h: h.pop("schema")), "'schema' is missing"),
    ("entities not a list", _header(lambda h: h.update(entities={})), "'entities' is missing"),
    (
        "unknown entity in the header",
        _header(lambda h: h["entities"].append({"entity": "x.y", "fields": [], "count": 0})),
        "unknown entity 'x.y'",
    ),
    (
        "count not an int",
        _header(lambda h: h["entities"][0].update(count="3")),
        "fields or count of",
    ),
    ("bad JSON line", lambda ls: [*ls[:2], '{"e": "x"\n', *ls[2:]], "invalid JSON"),
    ("entry not an object", lambda ls: [*ls[:2], "[1]\n", *ls[2:]], "no entity 'e'"),
    ("unknown entity", lambda ls: [*ls[:2], '{"e": "a.b", "v": []}\n', *ls[2:]], "unknown entity"),
    ("v not a list", _set_value(ENT, "_entry_id", None), "is required but null"),
    ("varchar a number", _set_value(ENT, "varchar", 5), "varchar: 5 is not a valid VarChar"),
    ("varchar too long", _set_value(ENT, "varchar", "x" * 6), "is not a valid VarChar"),
    ("integer a string", _set_value(ENT, "integer", "x"), "integer: 'x' is not a valid Integer"),
    ("integer out of range", _set_value(ENT, "integer", 10**30), "is not a valid Integer"),
    ("integer of 5000 digits", _raw_value(ENT, "bigint", "1" * 5000), "invalid JSON"),
    ("decimal not a number", _set_value(ENT, "decimal", "abc"), "decimal: 'abc'"),
    ("decimal huge", _set_value(ENT, "decimal", "1E+100000"), "decimal: Decimal('1E+100000')"),
    ("decimal too precise", _set_value(ENT, "decimal", "1." + "1" * 40), "decimal"),
    ("boolean a string", _set_value(ENT, "boolean", "yes"), "boolean: 'yes'"),
    ("date invalid", _set_value(ENT, "date", "2020-13-01"), "date: '2020-13-01'"),
    ("time a number", _set_value(ENT, "time", 5), "time: 5"),
    ("timestamp invalid", _set_value(ENT, "timestamp", "soon"), "timestamp: 'soon'"),
    ("timestamp a list", _set_value(ENT, "timestamp", [1]), "timestamp: [1]"),
    ("enum unknown member", _set_value(ENT, "enum", "PURPLE"), "enum: 'PURPLE'"),
    ("enum a number", _set_value(ENT, "enum", 3), "enum: 3"),
    ("file invalid base64", _set_value(ENT, "file", "!!not base64!!"), "file: '!!not base64!!'"),
    ("file a number", _set_value(ENT, "file", 12), "file: 12"),
    ("geometry not GeoJSON", _set_value(ENT, "geometry", "nope"), "geometry: 'nope'"),
    ("geometry a dict", _set_value(ENT, "geometry", {"type": "Nope"}), "geometry"),
    ("lone surrogate", _raw_value(ENT, "text", '"\\ud800"'), "text"),
    ("json nested too deep", _raw_value(ENT, "json", "[" * 100000 + "]" * 100000), "JSON"),
    ("duplicate entry", _duplicate(ENT), "is in the dump twice (first on line"),
    ("other app's changelog", _other_apps_changelog, "changelog entry of application"),
    ("truncated at a line", lambda ls: ls[:-1], "but the file holds"),
    ("empty file", lambda ls: [], "empty"),
]


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(lines), encoding="utf-8")
    return path


def _assert_refused(app, path: Path, before: dict, says: str) -> None:
    with pytest.raises(DumpError) as caught:
        app.load(path)  # replace=True by default: the delete is rolled back as well
    message = str(caught.value)
    assert says.lower() in message.lower(), message
    assert caught.value.line is None or f"line {caught.value.line}:" in message
    assert "nothing was written" in message
    assert state(app) == before


@pytest.mark.parametrize(("spoil", "says"), [c[1:] for c in NATIVE], ids=[c[0] for c in NATIVE])
def test_a_spoiled_native_dump_is_refused_and_nothing_changes(app, dumped, tmp_path, spoil, says):
    lines, before = dumped
    path = _write(tmp_path / "bad.jsonl", spoil(list(lines)))
    _assert_refused(app, path, before, says)


def test_refusals_name_the_line(app, dumped, tmp_path):
    lines, _ = dumped
    spoiled = _set_value(ENT, "integer", "x")(list(lines))
    number = next(i for i, line in enumerate(spoiled, 1) if '"x"' in line)
    with pytest.raises(DumpError) as caught:
        app.load(_write(tmp_path / "bad.jsonl", spoiled))
    assert caught.value.line == number and f", line {number}:" in str(caught.value)


def test_a_truncated_gzip_stream_is_refused(app, dumped, tmp_path):
    lines, before = dumped
    whole = gzip.compress("".join(lines).encode())
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(whole[: len(whole) * 2 // 3])
    _assert_refused(app, path, before, "the compressed stream is cut off")


def test_bytes_that_are_not_utf8_are_refused(app, dumped, tmp_path):
    lines, before = dumped
    path = tmp_path / "binary.jsonl"
    path.write_bytes("".join(lines[:2]).encode() + b'{"e": "\xff\xfe"}\n')
    _assert_refused(app, path, before, "UnicodeDecodeError")


def test_a_foreign_file_is_refused(app, dumped, tmp_path):
    _, before = dumped
    path = tmp_path / "notes.txt"
    path.write_text("hello, world\n")
    _assert_refused(app, path, before, "is not a polynom dump, nor a PolyNOM 0.3 dump")
    path.write_bytes(b"\x00\x01\x02")
    _assert_refused(app, path, before, "is not a polynom dump")


# -- PolyNOM 0.3's format ---------------------------------------------------------------------


@pytest.fixture
def dumped03(app, tmp_path):
    """The application (without line breaks in its texts) dumped in PolyNOM 0.3's format."""
    fill(app)
    path = tmp_path / "good.sql"
    app.dump(path, format="polynom03")
    return path.read_text(encoding="utf-8").splitlines(keepends=True), state(app)


def _replace_in(entity: str, old: str, new: str) -> Spoil:
    def spoil(lines: list[str]) -> list[str]:
        i = next(k for k, line in enumerate(lines) if f"INSERT INTO {entity}" in line)
        assert old in lines[i], (old, lines[i][:200])
        lines[i] = lines[i].replace(old, new, 1)
        return lines

    return spoil


EVERY = '"polynom_entities"."everything"'
BIKE = '"shop"."bike"'
LOG = '"polynom_internal"."change_log"'

#: (name, spoil, what the message says): PolyNOM's format
POLYNOM03: list[tuple[str, Spoil, str]] = [
    ("first line not /*", lambda ls: ["-- dump\n", *ls[1:]], "not a polynom dump"),
    ("format version 2", lambda ls: [ls[0], "@format_version: 2\n", *ls[2:]], "format version '2'"),
    ("no @snapshot", lambda ls: [*ls[:3], "@schema: {}\n", *ls[4:]], "must be '@snapshot:'"),
    ("@snapshot not JSON", lambda ls: [*ls[:3], "@snapshot: {oops\n", *ls[4:]], "not JSON"),
    (
        "@snapshot without schemas",
        lambda ls: [*ls[:3], '@snapshot: {"version": 1}\n', *ls[4:]],
        "no 'schemas' list",
    ),
    ("header not closed", lambda ls: [*ls[:4], "/*sql@None*/ x\n", *ls[5:]], "must be '*/'"),
    ("a line without a prefix", lambda ls: [*ls, "DROP TABLE x\n"], "not a statement line"),
    (
        "an UPDATE",
        lambda ls: [*ls, '/*sql@shop*/ UPDATE "shop"."bike" SET "brand" = \'x\'\n'],
        "no 'UPDATE' statements",
    ),
    (
        "a DROP TABLE",
        lambda ls: [*ls, '/*sql@shop*/ DROP TABLE "shop"."bike"\n'],
        "no 'DROP' statements",
    ),
    ("another language", lambda ls: [*ls, "/*mongo@shop*/ db.bike.drop()\n"], "a mongo statement"),
    (
        "an unknown entity",
        lambda ls: [*ls, '/*sql@shop*/ INSERT INTO "shop"."nope" (a) VALUES (1)\n'],
        "unknown entity shop.nope",
    ),
    (
        "an unknown namespace",
        lambda ls: [*ls, '/*sql@None*/ CREATE RELATIONAL NAMESPACE IF NOT EXISTS "evil"\n'],
        "namespace evil is not this app's",
    ),
    (
        "a string never closed",
        lambda ls: [*ls, f"/*sql@shop*/ INSERT INTO {BIKE} (a) VALUES ('x\n"],
        "never ends",
    ),
    ("an integer as text", _replace_in(EVERY, "-2147483648", "'lots'"), "expected a number"),
    (
        "a date that is not one",
        _replace_in(EVERY, "DATE '1969-07-20'", "DATE '1969-13-20'"),
        "1969-13-20",
    ),
    ("a boolean as a number", _replace_in(BIKE, "TRUE", "1"), "expected TRUE or FALSE"),
    ("bytes that are not hex", _replace_in(EVERY, "X'00", "X'ZZ"), "not hexadecimal"),
    ("an unknown column", _replace_in(BIKE, '"brand"', '"colour"'), "has no column colour"),
    ("a value too many", _replace_in(BIKE, "VALUES (", "VALUES (1, "), "columns but"),
    ("text after the statement", _replace_in(BIKE, "')", "') ; DROP"), "unexpected text"),
    (
        "duplicate entry",
        lambda ls: [*ls, next(x for x in ls if f"INSERT INTO {BIKE}" in x)],
        "twice",
    ),
]


def _other_app_log(lines: list[str]) -> list[str]:
    """A changelog row whose app_uuid (its second value) is another application's."""
    i = next(k for k, line in enumerate(lines) if f"INSERT INTO {LOG}" in line)
    head, values = lines[i].split(" VALUES (", 1)
    entry_id, _app, rest = values.split(", ", 2)
    lines[i] = f"{head} VALUES ({entry_id}, 'another-app', {rest}"
    return lines


POLYNOM03.append(("other app's changelog", _other_app_log, "changelog entry of application"))


@pytest.mark.parametrize(
    ("spoil", "says"), [c[1:] for c in POLYNOM03], ids=[c[0] for c in POLYNOM03]
)
def test_a_spoiled_polynom03_dump_is_refused_and_nothing_changes(
    app, dumped03, tmp_path, spoil, says
):
    lines, before = dumped03
    path = _write(tmp_path / "bad.sql", spoil(list(lines)))
    _assert_refused(app, path, before, says)


def test_the_good_dumps_load(app, dumped, tmp_path):
    """The corpus is spoiled on purpose: unspoiled, both formats load and change nothing
    (but the two changelog columns PolyNOM's format does not have)."""
    lines, before = dumped
    assert app.load(_write(tmp_path / "a.jsonl", lines)) == sum(map(len, before.values()))
    assert state(app) == before
    app.dump(tmp_path / "b.sql", format="polynom03")
    assert app.load(tmp_path / "b.sql") == sum(map(len, before.values()))
    after = state(app)
    assert {k: v for k, v in after.items() if k != "ChangeLog"} == {
        k: v for k, v in before.items() if k != "ChangeLog"
    }
    with Session(app) as s:
        rows = ChangeLog.query(s).all()
        assert len(rows) == len(before["ChangeLog"])
        assert all(r.change_type is None and r.change_seq is None for r in rows)
