"""Times as Chinese government pages print them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from yuqing.crawlers.spiders.times import parse_printed_time, parse_w3c_time


@pytest.mark.parametrize(
    ("printed", "utc"),
    [
        ("发布时间：2026-11-20 09:30 来源：市政府办公室", datetime(2026, 11, 20, 1, 30)),
        ("2026年11月20日 09:30", datetime(2026, 11, 20, 1, 30)),
        ("2026年11月20日16时40分", datetime(2026, 11, 20, 8, 40)),
        ("日期：2026/11/5", datetime(2026, 11, 4, 16, 0)),
        ("2026.11.20 9:05:07", datetime(2026, 11, 20, 1, 5, 7)),
        ("2026-11-20T09:30:00+00:00", datetime(2026, 11, 20, 9, 30)),
    ],
)
def test_printed_times_are_beijing_unless_they_say_otherwise(printed, utc):
    assert parse_printed_time(printed) == utc.replace(tzinfo=UTC)


@pytest.mark.parametrize("printed", ["", "昨天", "2026-02-30", "2026-11-20 25:61", "第2026期"])
def test_no_date_or_an_impossible_one_is_none(printed):
    assert parse_printed_time(printed) is None


def test_w3c_dates_without_a_zone_are_beijing():
    assert parse_w3c_time("2026-11-21") == datetime(2026, 11, 20, 16, tzinfo=UTC)
    assert parse_w3c_time("not a date") is None
