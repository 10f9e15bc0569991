"""Every date and time a person reads — page, export, PDF — is Beijing's, through these helpers.

The project's TIME_ZONE is Asia/Shanghai, but a PDF or export written off a request (a batch job, a
command) or a stray `.date()` of an aware UTC datetime would give the UTC day: 01:39 in Beijing is
the previous day in UTC. Convert with these instead.
"""

import datetime
import zoneinfo

BEIJING = zoneinfo.ZoneInfo("Asia/Shanghai")


def beijing(moment: datetime.datetime) -> datetime.datetime:
    """The moment on Beijing's clock (a naive value is taken as already Beijing's)."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=BEIJING)
    return moment.astimezone(BEIJING)


def beijing_date(value: datetime.date | datetime.datetime) -> datetime.date:
    """The Beijing calendar day of a moment; a plain date is returned as it is."""
    if isinstance(value, datetime.datetime):
        return beijing(value).date()
    return value


def date_cn(value: datetime.date | datetime.datetime) -> str:
    """2026年3月21日, on Beijing's calendar."""
    day = beijing_date(value)
    return f"{day.year}年{day.month}月{day.day}日"


def datetime_text(value: datetime.datetime | None) -> str:
    """2026-03-21 01:39 on Beijing's clock, for exports; empty for no value."""
    return beijing(value).strftime("%Y-%m-%d %H:%M") if value else ""
