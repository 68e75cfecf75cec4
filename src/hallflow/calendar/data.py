"""Declarative national calendar data: one TOML file per year, each citing its notices.

The file format (``format = 1``)::

    format = 1
    year = 2024

    [[notices]]                      # the yearly notice first, amendments after it
    number = "国办发明电〔2023〕7号"
    issued = 2023-10-25
    title = "国务院办公厅关于2024年部分节假日安排的通知"

    [[festivals]]
    name = "spring_festival"         # a Festival value
    holidays = [2024-02-10, 2024-02-11]
    workdays = [2024-02-04]          # make-up working days that belong to this festival
    notice = "国办发明电〔2023〕7号"  # optional; defaults to the first notice

A year file may list days of a neighbouring year (a New Year holiday that starts on 30
December). The data is the final official state: amendments (the 2020 Spring Festival
extension) are written as further ``festivals`` entries citing the amending notice, and a
day an amendment turned from a working day into a holiday appears only as a holiday.
"""

from __future__ import annotations

import datetime as dt
import enum
import tomllib
from collections.abc import Iterable, Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import attrs
import tomli_w

from hallflow.errors import CalendarDataError

__all__ = [
    "FORMAT_VERSION",
    "Festival",
    "FestivalDays",
    "Notice",
    "YearData",
    "dump_year",
    "dumps_year",
    "load_year",
    "loads_year",
    "national_years",
]

FORMAT_VERSION = 1


class Festival(enum.StrEnum):
    """A national festival (节日) to which holidays and make-up working days belong.

    The values are stable identifiers used in data files; ``chinese`` gives the name the
    notices use.
    """

    NEW_YEAR = "new_year"
    SPRING_FESTIVAL = "spring_festival"
    QINGMING = "qingming"
    LABOUR_DAY = "labour_day"
    DRAGON_BOAT = "dragon_boat"
    MID_AUTUMN = "mid_autumn"
    NATIONAL_DAY = "national_day"
    VICTORY_DAY_70TH = "victory_day_70th"

    @property
    def chinese(self) -> str:
        """The festival's name as the State Council notices write it."""
        return _CHINESE[self]

    @property
    def english(self) -> str:
        """A readable English name."""
        return _ENGLISH[self]


_CHINESE = {
    Festival.NEW_YEAR: "元旦",
    Festival.SPRING_FESTIVAL: "春节",
    Festival.QINGMING: "清明节",
    Festival.LABOUR_DAY: "劳动节",
    Festival.DRAGON_BOAT: "端午节",
    Festival.MID_AUTUMN: "中秋节",
    Festival.NATIONAL_DAY: "国庆节",
    Festival.VICTORY_DAY_70TH: "中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日",
}
_ENGLISH = {
    Festival.NEW_YEAR: "New Year's Day",
    Festival.SPRING_FESTIVAL: "Spring Festival",
    Festival.QINGMING: "Qingming Festival",
    Festival.LABOUR_DAY: "Labour Day",
    Festival.DRAGON_BOAT: "Dragon Boat Festival",
    Festival.MID_AUTUMN: "Mid-Autumn Festival",
    Festival.NATIONAL_DAY: "National Day",
    Festival.VICTORY_DAY_70TH: "70th anniversary of the victory in the War of Resistance",
}


@attrs.define(frozen=True, slots=True)
class Notice:
    """A State Council notice that a year's data comes from.

    Attributes:
        number: the document number, e.g. ``国办发明电〔2023〕7号`` (empty when the published
            text carries none).
        issued: the date the notice was signed.
        title: the notice's title.
    """

    number: str
    issued: dt.date
    title: str


def _sorted_dates(value: Iterable[dt.date]) -> tuple[dt.date, ...]:
    return tuple(sorted(set(value)))


@attrs.define(frozen=True, slots=True)
class FestivalDays:
    """The holidays and make-up working days (调休上班) one notice gives one festival.

    Attributes:
        festival: the festival.
        holidays: days off, in order.
        workdays: weekend days that become working days, in order.
        notice: the number of the notice that set these days; empty means the year's first notice.
    """

    festival: Festival = attrs.field(converter=Festival)
    holidays: tuple[dt.date, ...] = attrs.field(converter=_sorted_dates, factory=tuple)
    workdays: tuple[dt.date, ...] = attrs.field(converter=_sorted_dates, factory=tuple)
    notice: str = ""

    def __attrs_post_init__(self) -> None:
        both = set(self.holidays) & set(self.workdays)
        if both:
            day = min(both)
            raise CalendarDataError(
                f"festivals[{self.festival.value}]: {day} is listed both as a holiday and as "
                f"a make-up working day"
            )


def _notice_tuple(value: Iterable[Notice]) -> tuple[Notice, ...]:
    return tuple(value)


def _festival_tuple(value: Iterable[FestivalDays]) -> tuple[FestivalDays, ...]:
    return tuple(value)


@attrs.define(frozen=True, slots=True)
class YearData:
    """One year of the national calendar, as the State Council published it.

    Attributes:
        year: the year the notice arranges.
        notices: the yearly notice first, then any amending notices.
        festivals: the festival entries, in the order of the notice.
        provisional: True for a year generated from the statutory rules because its notice is
            not yet published (see :mod:`hallflow.calendar.provisional`).
    """

    year: int
    notices: tuple[Notice, ...] = attrs.field(converter=_notice_tuple)
    festivals: tuple[FestivalDays, ...] = attrs.field(converter=_festival_tuple)
    provisional: bool = False

    def __attrs_post_init__(self) -> None:
        if not self.provisional and not self.notices:
            raise CalendarDataError(f"year {self.year}: a published year must cite its notice")
        known = {n.number for n in self.notices}
        seen: dict[dt.date, tuple[str, Festival]] = {}
        for entry in self.festivals:
            if entry.notice and entry.notice not in known:
                raise CalendarDataError(
                    f"year {self.year}: festivals[{entry.festival.value}].notice="
                    f"{entry.notice!r} is not one of the year's notices"
                )
            for kind, days in (("holiday", entry.holidays), ("workday", entry.workdays)):
                for day in days:
                    if abs(day.year - self.year) > 1:
                        raise CalendarDataError(
                            f"year {self.year}: festivals[{entry.festival.value}] lists {day}, "
                            f"which is not in or next to the year"
                        )
                    if day in seen:
                        raise CalendarDataError(
                            f"year {self.year}: {day} is listed twice "
                            f"({seen[day][0]} of {seen[day][1].value} and {kind} of "
                            f"{entry.festival.value})"
                        )
                    seen[day] = (kind, entry.festival)
                    if kind == "workday" and day.weekday() < 5:
                        raise CalendarDataError(
                            f"year {self.year}: make-up working day {day} of "
                            f"{entry.festival.value} is a {day:%A}, not a weekend day"
                        )

    @property
    def holidays(self) -> dict[dt.date, Festival]:
        """Every holiday of the year with its festival, in date order."""
        return dict(sorted((d, e.festival) for e in self.festivals for d in e.holidays))

    @property
    def workdays(self) -> dict[dt.date, Festival]:
        """Every make-up working day of the year with its festival, in date order."""
        return dict(sorted((d, e.festival) for e in self.festivals for d in e.workdays))

    def notice_for(self, entry: FestivalDays) -> Notice | None:
        """The notice an entry cites (the year's first notice unless it names another)."""
        for notice in self.notices:
            if notice.number == entry.notice:
                return notice
        return self.notices[0] if self.notices else None


def _as_dict(data: YearData) -> dict[str, Any]:
    out: dict[str, Any] = {"format": FORMAT_VERSION, "year": data.year}
    if data.provisional:
        out["provisional"] = True
    out["notices"] = [
        {"number": n.number, "issued": n.issued, "title": n.title} for n in data.notices
    ]
    festivals = []
    for e in data.festivals:
        item: dict[str, Any] = {
            "name": e.festival.value,
            "holidays": list(e.holidays),
            "workdays": list(e.workdays),
        }
        if e.notice:
            item["notice"] = e.notice
        festivals.append(item)
    out["festivals"] = festivals
    return out


def dumps_year(data: YearData) -> str:
    """Serialise a year to the TOML data format."""
    return tomli_w.dumps(_as_dict(data))


def dump_year(data: YearData, path: Path) -> None:
    """Write a year to ``path`` in the TOML data format."""
    path.write_text(dumps_year(data), encoding="utf-8")


def _require(table: dict[str, Any], key: str, kind: type, where: str) -> Any:
    if key not in table:
        raise CalendarDataError(f"{where}: missing key {key!r}")
    value = table[key]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise CalendarDataError(
            f"{where}.{key}={value!r} must be a {kind.__name__}, not {type(value).__name__}"
        )
    return value


def _tables(raw: dict[str, Any], key: str, source: str) -> list[dict[str, Any]]:
    value = raw.get(key, [])
    if not isinstance(value, list) or not all(isinstance(t, dict) for t in value):
        raise CalendarDataError(f"{source}.{key}={value!r} must be an array of tables")
    return value


def _dates(value: Any, where: str) -> list[dt.date]:
    if not isinstance(value, list):
        raise CalendarDataError(f"{where}={value!r} must be a list of dates")
    for item in value:
        if not isinstance(item, dt.date) or isinstance(item, dt.datetime):
            raise CalendarDataError(f"{where} holds {item!r}, which is not a TOML local date")
    return value


def loads_year(text: str, source: str = "<string>") -> YearData:
    """Parse a year from the TOML data format.

    Raises:
        CalendarDataError: the text is not valid TOML or breaks a rule of the format.
    """
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CalendarDataError(f"{source}: not valid TOML: {exc}") from exc
    version = _require(raw, "format", int, source)
    if version != FORMAT_VERSION:
        raise CalendarDataError(
            f"{source}: format={version} is not supported (this hallflow reads {FORMAT_VERSION})"
        )
    year = _require(raw, "year", int, source)
    notices = []
    for i, table in enumerate(_tables(raw, "notices", source)):
        where = f"{source}: notices[{i}]"
        notices.append(
            Notice(
                number=_require(table, "number", str, where),
                issued=_require(table, "issued", dt.date, where),
                title=_require(table, "title", str, where),
            )
        )
    festivals = []
    for i, table in enumerate(_tables(raw, "festivals", source)):
        where = f"{source}: festivals[{i}]"
        name = _require(table, "name", str, where)
        try:
            festival = Festival(name)
        except ValueError:
            raise CalendarDataError(
                f"{where}.name={name!r} is not a known festival "
                f"({', '.join(f.value for f in Festival)})"
            ) from None
        festivals.append(
            FestivalDays(
                festival=festival,
                holidays=_dates(table.get("holidays", []), f"{where}.holidays"),
                workdays=_dates(table.get("workdays", []), f"{where}.workdays"),
                notice=_require(table, "notice", str, where) if "notice" in table else "",
            )
        )
    provisional = raw.get("provisional", False)
    if not isinstance(provisional, bool):
        raise CalendarDataError(f"{source}.provisional={provisional!r} must be true or false")
    return YearData(year=year, notices=notices, festivals=festivals, provisional=provisional)


def load_year(path: Path) -> YearData:
    """Read a year file written by :func:`dump_year` or ``hallflow calendar import-notice``.

    Raises:
        CalendarDataError: the file is not UTF-8, not valid TOML or breaks a rule of the
            format.
        OSError: the file cannot be read.
    """
    raw = Path(path).read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CalendarDataError(
            f"{path}: not UTF-8 text (byte 0x{raw[exc.start : exc.start + 1].hex()} at offset "
            f"{exc.start}); a year file is TOML, which is UTF-8"
        ) from None
    return loads_year(text, source=str(path))


def national_years() -> Iterator[YearData]:
    """The published national years shipped with hallflow, in year order."""
    folder = resources.files("hallflow.calendar") / "data" / "cn"
    entries = sorted(
        (p for p in folder.iterdir() if p.name.endswith(".toml")), key=lambda p: p.name
    )
    for entry in entries:
        yield loads_year(entry.read_text(encoding="utf-8"), source=f"cn/{entry.name}")
