"""The backoff policy, with a fixed ``now``: no clock is read anywhere."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from yuqing.crawlers.health import is_due, next_attempt, should_disable

NOW = datetime(2024, 7, 12, 1, 30, tzinfo=UTC)
MIN = timedelta(minutes=1)
HOUR = timedelta(hours=1)


@pytest.mark.parametrize("kind", ["temporary", "soft"])
def test_temporary_and_soft_double_from_15_minutes_to_a_day(kind):
    delays = [next_attempt(NOW, n, kind) - NOW for n in range(1, 11)]

    assert delays == [
        15 * MIN,
        30 * MIN,
        1 * HOUR,
        2 * HOUR,
        4 * HOUR,
        8 * HOUR,
        16 * HOUR,
        24 * HOUR,
        24 * HOUR,
        24 * HOUR,
    ]


def test_hard_failures_reach_the_cap_faster():
    delays = [next_attempt(NOW, n, "hard") - NOW for n in range(1, 7)]

    assert delays == [15 * MIN, 1 * HOUR, 4 * HOUR, 16 * HOUR, 24 * HOUR, 24 * HOUR]
    for n in range(2, 5):
        assert next_attempt(NOW, n, "hard") > next_attempt(NOW, n, "temporary")


@pytest.mark.parametrize("kind", ["temporary", "soft", "hard"])
def test_a_long_streak_stays_at_the_cap(kind):
    assert next_attempt(NOW, 10_000, kind) == NOW + 24 * HOUR


def test_next_attempt_is_relative_to_the_given_now():
    past = datetime(2001, 1, 1, tzinfo=UTC)
    assert next_attempt(past, 1, "temporary") == datetime(2001, 1, 1, 0, 15, tzinfo=UTC)
    beijing = datetime(2024, 7, 12, 9, 30, tzinfo=timezone(timedelta(hours=8)))
    assert next_attempt(beijing, 1, "temporary") == NOW + 15 * MIN  # same instant as NOW


@pytest.mark.parametrize(
    ("kind", "last_kept", "first_disabled"),
    [("hard", 4, 5), ("soft", 9, 10)],
)
def test_should_disable(kind, last_kept, first_disabled):
    assert not should_disable(1, kind)
    assert not should_disable(last_kept, kind)
    assert should_disable(first_disabled, kind)
    assert should_disable(first_disabled + 100, kind)


def test_temporary_failures_never_disable():
    assert not should_disable(10_000, "temporary")


def test_is_due():
    assert is_due(None, True, NOW)  # never attempted
    assert is_due(NOW - MIN, True, NOW)
    assert is_due(NOW, True, NOW)
    assert not is_due(NOW + MIN, True, NOW)
    assert not is_due(None, False, NOW)
    assert not is_due(NOW - HOUR, False, NOW)


def test_naive_datetimes_are_refused_with_a_clear_message():
    naive = datetime(2024, 7, 12, 1, 30)
    with pytest.raises(ValueError, match="next_attempt_at must be a timezone-aware"):
        is_due(naive, True, NOW)
    with pytest.raises(ValueError, match="now must be a timezone-aware"):
        is_due(NOW, True, naive)
    with pytest.raises(ValueError, match="now must be a timezone-aware"):
        next_attempt(naive, 1, "soft")


@pytest.mark.parametrize(("failures", "kind"), [(0, "soft"), (-1, "hard"), (1, "gone"), (1, "")])
def test_bad_arguments(failures, kind):
    with pytest.raises(ValueError, match=r"consecutive_failures|failure kind"):
        next_attempt(NOW, failures, kind)
    with pytest.raises(ValueError, match=r"consecutive_failures|failure kind"):
        should_disable(failures, kind)
