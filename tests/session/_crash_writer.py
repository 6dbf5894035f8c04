"""The writer process of ``test_kill_mid_commit``: commits batches until it is killed.

    python -m tests.session._crash_writer DB_PATH APP_UUID FIRST_BATCH

Each transaction ``n`` inserts ``ROWS`` ledger entries of batch ``n`` and sets the one tally
entry to ``n``, with a changelog (``log_user``). It prints ``begin n`` before building the
transaction and ``done n`` once ``commit()`` has returned, so the test knows which commits
were acknowledged, and kills the process while one is under way.

The schemas are not registered (``FlexModel``), so importing this module changes nothing
for the rest of the test suite.
"""

from __future__ import annotations

import sys

from polynom.application import Application
from polynom.model.model import FlexModel
from polynom.schema.field import Field
from polynom.schema.polytypes import Integer, Json, Text
from polynom.schema.schema import BaseSchema
from polynom.session import Session

#: Entries per transaction.
ROWS = 40
TALLY_ID = "tally"


class LedgerSchema(BaseSchema):
    entity_name = "ledger"
    namespace_name = "crash"
    fields = [
        Field("batch", Integer(), nullable=False),
        Field("seq", Integer(), nullable=False),
        Field("payload", Json()),
        Field("note", Text()),
    ]


class TallySchema(BaseSchema):
    entity_name = "tally"
    namespace_name = "crash"
    fields = [Field("last", Integer(), nullable=False)]


Ledger = FlexModel.from_schema(LedgerSchema)
Tally = FlexModel.from_schema(TallySchema)
SCHEMAS = [LedgerSchema, TallySchema]


def open_app(path: str, app_uuid: str) -> Application:
    return Application(app_uuid, f"sqlite:///{path}", schemas=SCHEMAS)


def write(path: str, app_uuid: str, first: int) -> None:
    with open_app(path, app_uuid) as app:
        batch = first
        while True:
            print(f"begin {batch}", flush=True)
            with Session(app, log_user="writer") as session:
                tally = session.get(Tally, TALLY_ID)
                if tally is None:
                    tally = Tally(TALLY_ID, last=batch)
                    session.add(tally)
                tally.last = batch
                session.add_all(
                    Ledger(batch=batch, seq=i, payload={"i": i, "of": [batch]}, note="n" * 300)
                    for i in range(ROWS)
                )
                session.commit()
            print(f"done {batch}", flush=True)
            batch += 1


if __name__ == "__main__":
    write(sys.argv[1], sys.argv[2], int(sys.argv[3]))
