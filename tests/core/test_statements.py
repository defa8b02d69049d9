"""Statements built once a process, then given each call's values (REQ NFR-4)."""

import datetime

import pytest

from core import statements

MOMENT = datetime.datetime(2026, 11, 16, 1, 0, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def _fresh():
    statements.forget()
    yield
    statements.forget()


def _stand_ins(n: int) -> dict:
    return {"office": -1000 - n, "now": datetime.datetime(1901, 1, n, tzinfo=datetime.UTC)}


class Builder:
    """A build that counts its calls, like the ORM's: the office twice, a constant status."""

    def __init__(self, sql=lambda given: "SELECT %s, %s, %s, %s"):
        self.calls = 0
        self.sql = sql

    def __call__(self, given: dict):
        self.calls += 1
        return self.sql(given), (given["office"], "confirmed", given["now"], given["office"])


def test_a_kept_statement_is_built_for_the_stand_ins_and_checked_once_then_only_filled():
    # REQ NFR-4
    build = Builder()
    for office in (7, 8, 9):
        inputs = {"office": office, "now": MOMENT}
        assert statements.kept_statement("k", build, inputs, stand_ins=_stand_ins) == (
            "SELECT %s, %s, %s, %s",
            [office, "confirmed", MOMENT, office],
        )
    assert build.calls == 3  # two stand-in builds, one check on the first real call
    assert statements.kept("k") is not None


def test_a_value_worked_out_from_an_input_unnamed_is_built_each_call():
    # REQ NFR-4: the next day is no input's value, so its place can't be known
    def build(given):
        return "SELECT %s", (given["now"] + datetime.timedelta(days=1),)

    for day in (1, 2):
        now = MOMENT + datetime.timedelta(days=day)
        _sql, params = statements.kept_statement("k", build, {"now": now}, stand_ins=_stand_ins)
        assert params == [now + datetime.timedelta(days=1)]
    assert statements.kept("k") is None


def test_a_statement_the_stand_ins_did_not_show_falls_back_to_the_orms_for_good():
    # REQ NFR-4: a real call whose statement differs from the kept text gets its own, and
    # from then on every call is built
    build = Builder(sql=lambda given: "SELECT %s, %s, %s, %s" + (" -- own" * (given["office"] > 0)))
    sql, params = statements.kept_statement(
        "k", build, {"office": 5, "now": MOMENT}, stand_ins=_stand_ins
    )
    assert sql.endswith("-- own") and params == [5, "confirmed", MOMENT, 5]
    assert statements.kept("k") is None
    sql, _params = statements.kept_statement(
        "k", build, {"office": 6, "now": MOMENT}, stand_ins=_stand_ins
    )
    assert sql.endswith("-- own")
