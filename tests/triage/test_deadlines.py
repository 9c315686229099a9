from datetime import UTC, datetime, timedelta

import pytest

from yuqing.triage.categories import EMERGENCY, POLICY_MISREADING, PUBLIC_INTEREST, RUMOUR
from yuqing.triage.deadlines import (
    PRESS_CONFERENCE,
    RESPONSE,
    deadline,
    format_time_left,
    surfaced_at,
    time_left,
)

SURFACED = datetime(2026, 11, 27, 2, 15, tzinfo=UTC)  # 10:15 in Beijing


@pytest.mark.parametrize("severity", ["特别重大", "重大"])
def test_grave_incidents_need_a_press_conference_within_24_hours(severity):
    d = deadline(EMERGENCY, severity, SURFACED)
    assert d.form == PRESS_CONFERENCE
    assert d.due_at == datetime(2026, 11, 28, 2, 15, tzinfo=UTC)


@pytest.mark.parametrize(
    ("category", "severity"),
    [
        (EMERGENCY, "较大"),
        (EMERGENCY, "一般"),
        (PUBLIC_INTEREST, "一般"),
        (POLICY_MISREADING, "重大"),  # only a sudden incident earns the 24-hour rule
        (RUMOUR, "一般"),
    ],
)
def test_everything_else_needs_a_response_within_48_hours(category, severity):
    d = deadline(category, severity, SURFACED)
    assert d.form == RESPONSE
    assert d.due_at - SURFACED == timedelta(hours=48)


def test_the_clock_runs_from_publication_but_never_from_the_future():
    fetched = SURFACED + timedelta(hours=30)
    assert surfaced_at(SURFACED, fetched) == SURFACED
    assert surfaced_at(None, fetched) == fetched
    assert surfaced_at(fetched + timedelta(days=1), fetched) == fetched


def test_time_left_and_its_wording_with_a_fixed_now():
    due = deadline(EMERGENCY, "重大", SURFACED).due_at
    assert format_time_left(time_left(due, SURFACED + timedelta(hours=18, minutes=48))) == (
        "剩余 5小时12分"
    )
    assert format_time_left(time_left(due, SURFACED + timedelta(hours=51))) == "超期 1天3小时"
    assert format_time_left(time_left(due, due - timedelta(minutes=7))) == "剩余 7分"


def test_the_sql_form_of_surfaced_at_agrees_with_the_python_rule():
    from sqlalchemy import Column, Integer, MetaData, Table, create_engine, insert, select

    from yuqing.storage.schema import UTCDateTime
    from yuqing.triage.deadlines import surfaced_at_sql

    fetched = SURFACED + timedelta(hours=3)
    published = [None, SURFACED, fetched, fetched + timedelta(minutes=1)]  # the last: future
    table = Table(
        "t",
        MetaData(),
        Column("id", Integer),
        Column("pub", UTCDateTime),
        Column("got", UTCDateTime),
    )
    engine = create_engine("sqlite://")
    table.metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(
            insert(table), [{"id": i, "pub": p, "got": fetched} for i, p in enumerate(published)]
        )
        rows = conn.execute(
            select(table.c.id, surfaced_at_sql(table.c.pub, table.c.got).label("s")).order_by(
                table.c.id
            )
        ).all()
    from_sql = [s for _, s in rows]  # read back through the column type, as aware UTC
    assert from_sql == [surfaced_at(p, fetched) for p in published]
    assert from_sql == [fetched, SURFACED, fetched, fetched]
