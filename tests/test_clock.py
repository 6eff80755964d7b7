"""kis_client.clock: KIS's "today" in Korean time and an exchange's local date, clocks pinned."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from kisgen.model import Spec
from kis_client import Exchange, exchange_now, exchange_today, kis_now, kis_today
from kis_client.enums import EXCHANGE_MARKET, KIS_TIMEZONE, MARKET_TIMEZONES

UTC = timezone.utc


def test_kis_today_is_the_date_in_korea_not_the_servers() -> None:
    # 20:00 UTC on 30 November is 05:00 on 1 December in Seoul: date.today() on a UTC server is a day behind.
    evening_utc = datetime(2026, 11, 30, 20, 0, tzinfo=UTC)
    assert kis_today(now=evening_utc) == date(2026, 12, 1)
    assert kis_today(now=datetime(2026, 11, 30, 14, 59, 59, tzinfo=UTC)) == date(2026, 11, 30)
    assert kis_today(now=datetime(2026, 11, 30, 15, 0, tzinfo=UTC)) == date(2026, 12, 1)
    moment = kis_now(now=evening_utc)
    assert (moment.hour, moment.utcoffset()) == (5, timedelta(hours=9))
    assert kis_today(now=evening_utc).strftime("%Y%m%d") == "20261201"  # KIS's YYYYMMDD


def test_the_same_instant_in_any_zone_is_the_same_kis_day() -> None:
    instant = datetime(2026, 7, 1, 23, 30, tzinfo=UTC)
    for zone in ("America/Los_Angeles", "Europe/Berlin", "Asia/Tokyo", "Pacific/Kiritimati"):
        assert kis_today(now=instant.astimezone(ZoneInfo(zone))) == date(2026, 7, 2)


@pytest.mark.parametrize(
    ("exchange", "now", "local"),
    [
        # A US session runs through Korea's night: 09:30 New York is 23:30 (22:30 in summer) in Seoul.
        (Exchange.NASD, datetime(2026, 12, 1, 3, 0, tzinfo=UTC), date(2026, 11, 30)),  # EST, UTC-5
        ("NYSE", datetime(2026, 7, 1, 3, 30, tzinfo=UTC), date(2026, 6, 30)),  # EDT, UTC-4
        ("NYSE", datetime(2026, 7, 1, 4, 30, tzinfo=UTC), date(2026, 7, 1)),
        (Exchange.SEHK, datetime(2026, 11, 30, 16, 30, tzinfo=UTC), date(2026, 12, 1)),  # UTC+8
        ("TKSE", datetime(2026, 11, 30, 14, 59, tzinfo=UTC), date(2026, 11, 30)),  # UTC+9
        ("HASE", datetime(2026, 11, 30, 17, 0, tzinfo=UTC), date(2026, 12, 1)),  # UTC+7
    ],
)
def test_exchange_today_is_the_exchanges_local_date(exchange: str, now: datetime, local: date) -> None:
    assert exchange_today(exchange, now=now) == local  # type: ignore[arg-type]
    assert exchange_now(exchange, now=now).date() == local  # type: ignore[arg-type]


def test_every_exchange_has_its_markets_zone_from_the_spec(spec: Spec) -> None:
    assert KIS_TIMEZONE == spec.timezone == "Asia/Seoul"
    assert MARKET_TIMEZONES == {market.code: market.timezone for market in spec.markets}
    instant = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
    for code, market in EXCHANGE_MARKET.items():
        assert exchange_now(code, now=instant).tzinfo == ZoneInfo(MARKET_TIMEZONES[market])  # type: ignore[arg-type]


def test_a_naive_now_or_an_unknown_exchange_is_refused() -> None:
    with pytest.raises(ValueError, match="aware datetime"):
        kis_today(now=datetime(2026, 11, 30, 20, 0))
    with pytest.raises(ValueError, match="aware datetime"):
        exchange_today(Exchange.NASD, now=datetime(2026, 11, 30, 20, 0))
    with pytest.raises(ValueError, match="'NAS' is not an exchange"):
        exchange_today("NAS", now=datetime(2026, 11, 30, tzinfo=UTC))  # type: ignore[arg-type]
