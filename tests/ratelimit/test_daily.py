"""Daily counters follow the calendar of America/Los_Angeles: reset at midnight, DST included."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from gemgate.clock import FakeClock
from gemgate.ratelimit import DailySpec, Dimension, Grant, MemoryStore
from gemgate.ratelimit.store.base import pacific_day

UTC = ZoneInfo("UTC")
SCOPE = "k:1a2b3c4d:gemini-2.5-flash"


def utc_us(year: int, month: int, day: int, hour: int, minute: int) -> int:
    return int(datetime(year, month, day, hour, minute, tzinfo=UTC).timestamp()) * 1_000_000


def test_a_winter_day_runs_from_08_00_utc_for_24_hours() -> None:
    day, start, end = pacific_day(utc_us(2026, 1, 15, 20, 0))
    assert day == date(2026, 1, 15)
    assert (start, end) == (utc_us(2026, 1, 15, 8, 0), utc_us(2026, 1, 16, 8, 0))


def test_before_08_00_utc_it_is_still_yesterday_in_pacific_time() -> None:
    assert pacific_day(utc_us(2026, 1, 15, 7, 59))[0] == date(2026, 1, 14)


def test_the_day_daylight_saving_starts_has_23_hours() -> None:
    _, start, end = pacific_day(utc_us(2026, 3, 8, 12, 0))
    assert end - start == 23 * 3_600_000_000


def test_the_day_daylight_saving_ends_has_25_hours() -> None:
    _, start, end = pacific_day(utc_us(2026, 11, 1, 12, 0))
    assert end - start == 25 * 3_600_000_000


def test_a_summer_midnight_is_07_00_utc() -> None:
    assert pacific_day(utc_us(2026, 7, 1, 12, 0))[2] == utc_us(2026, 7, 2, 7, 0)


async def test_a_spent_counter_grants_again_right_after_midnight_pacific() -> None:
    one_second_to_midnight = utc_us(2026, 1, 2, 8, 0) / 1e6 - 1  # 23:59:59 PST
    clock = FakeClock(wall_start=one_second_to_midnight)
    store = MemoryStore(clock)
    rpd = Dimension("requests_per_day", DailySpec(2), 1)
    assert (await store.acquire(SCOPE, [rpd])).granted
    assert (await store.acquire(SCOPE, [rpd])).granted
    assert await store.acquire(SCOPE, [rpd]) == Grant(False, 1.0, daily=True)
    clock.advance(1.0)
    assert (await store.acquire(SCOPE, [rpd])).granted


async def test_a_counter_spent_as_daylight_saving_starts_waits_23_hours() -> None:
    clock = FakeClock(wall_start=utc_us(2026, 3, 8, 8, 0) / 1e6)  # midnight PST
    store = MemoryStore(clock)
    rpd = Dimension("requests_per_day", DailySpec(1), 1)
    assert (await store.acquire(SCOPE, [rpd])).granted
    assert (await store.acquire(SCOPE, [rpd])).wait_s == 23 * 3_600
