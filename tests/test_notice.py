"""The notice parser: real notices of several years, the forms they use, and every refusal."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import chinese_calendar
import pytest

from hallflow.calendar.data import (
    Festival,
    FestivalDays,
    Notice,
    YearData,
    dumps_year,
    load_year,
    loads_year,
)
from hallflow.calendar.notice import ENCODINGS, RULES, decode_notice, import_notice, parse_notice
from hallflow.errors import HallflowError, NoticeParseError

NOTICES = Path(__file__).parent / "data" / "notices"
SHIPPED = Path(__file__).parents[1] / "src" / "hallflow" / "calendar" / "data" / "cn"

CURRENT = (2024, 2025, 2026)
OLDER = tuple(sorted(int(p.stem) for p in NOTICES.glob("*.txt") if int(p.stem) not in CURRENT))
ALL = OLDER + CURRENT

# Days on which the yearly notice is not the final word, so chinesecalendar (which has the
# final state) disagrees with a parse of the yearly notice alone. date -> why.
AMENDED: dict[dt.date, str] = {
    dt.date(2020, 2, 1): (
        "the 2020 notice made Saturday 1 February a make-up working day; 国办发明电〔2020〕1号 "
        "extended the Spring Festival break over it"
    ),
}


def _d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def _days(first: str, last: str) -> list[dt.date]:
    a, b = _d(first), _d(last)
    return [a + dt.timedelta(days=i) for i in range((b - a).days + 1)]


@pytest.fixture(scope="module")
def parsed() -> dict[int, YearData]:
    return {year: import_notice(NOTICES / f"{year}.txt") for year in ALL}


def test_the_notice_files_are_there() -> None:
    assert set(CURRENT) <= set(ALL)
    assert len(OLDER) >= 5


# --- real notices ------------------------------------------------------------------------


@pytest.mark.parametrize("year", CURRENT)
def test_current_notices_equal_the_shipped_data(year: int, parsed: dict[int, YearData]) -> None:
    assert parsed[year] == load_year(SHIPPED / f"{year}.toml")


@pytest.mark.parametrize("year", ALL)
def test_every_listed_day_agrees_with_chinesecalendar(
    year: int, parsed: dict[int, YearData]
) -> None:
    data = parsed[year]
    assert data.holidays and data.year == year
    for day in data.holidays:
        assert chinese_calendar.is_holiday(day), (day, "listed as a holiday")
    for day in data.workdays:
        if day in AMENDED:
            assert chinese_calendar.is_holiday(day), day
            continue
        assert chinese_calendar.is_workday(day), (day, "listed as a make-up working day")


@pytest.mark.parametrize("year", ALL)
def test_every_notice_agrees_with_the_shipped_data(year: int, parsed: dict[int, YearData]) -> None:
    """The shipped data is the final state: amendments add entries citing another notice."""
    data, shipped = parsed[year], load_year(SHIPPED / f"{year}.toml")
    assert data.notices[0] == shipped.notices[0]
    yearly = [e for e in shipped.festivals if not e.notice]
    amended = {d for e in shipped.festivals if e.notice for d in e.holidays}
    assert data.holidays == {d: e.festival for e in yearly for d in e.holidays}
    expected_workdays = {d: e.festival for e in yearly for d in e.workdays}
    assert {d: f for d, f in data.workdays.items() if d not in amended} == expected_workdays
    assert {d for d in data.workdays if d in amended} == {d for d in AMENDED if d.year == year}


@pytest.mark.parametrize("year", ALL)
def test_round_trip_through_toml(year: int, parsed: dict[int, YearData]) -> None:
    data = parsed[year]
    assert loads_year(dumps_year(data)) == data


def test_2026_notice_has_no_number(parsed: dict[int, YearData]) -> None:
    assert parsed[2026].notices == (
        Notice("", dt.date(2025, 11, 4), "国务院办公厅关于2026年部分节假日安排的通知"),
    )


def test_encouragement_to_rest_on_the_eve_is_not_a_holiday(parsed: dict[int, YearData]) -> None:
    assert _d("2024-02-09") not in parsed[2024].holidays
    assert parsed[2024].holidays[_d("2024-02-10")] is Festival.SPRING_FESTIVAL


def test_2025_preamble_of_principles_is_not_read(parsed: dict[int, YearData]) -> None:
    # The preamble mentions 1 January and 1 October; only the sections count.
    data = parsed[2025]
    assert len(data.holidays) == 1 + 8 + 3 + 5 + 3 + 8
    assert data.holidays[_d("2025-01-01")] is Festival.NEW_YEAR


def test_explanatory_clauses_of_2008_are_not_days(parsed: dict[int, YearData]) -> None:
    data = parsed[2008]
    assert [d for d, f in data.holidays.items() if f is Festival.NEW_YEAR] == _days(
        "2007-12-30", "2008-01-01"
    )
    assert [d for d, f in data.workdays.items() if f is Festival.NEW_YEAR] == [_d("2007-12-29")]
    assert [d for d, f in data.workdays.items() if f is Festival.NATIONAL_DAY] == _days(
        "2008-09-27", "2008-09-28"
    )


def test_days_without_month_inherit_it_2007(parsed: dict[int, YearData]) -> None:
    data = parsed[2007]
    spring = [d for d, f in data.workdays.items() if f is Festival.SPRING_FESTIVAL]
    assert spring == [_d("2007-02-17"), _d("2007-02-25")]
    assert [d for d, f in data.workdays.items() if f is Festival.NEW_YEAR] == _days(
        "2006-12-30", "2006-12-31"
    )


def test_weekend_inside_a_make_up_pair_is_part_of_the_block(parsed: dict[int, YearData]) -> None:
    # 2015: Saturday 20 June off, Monday 22 June 补休: Sunday 21 June is in the block.
    dragon = [d for d, f in parsed[2015].holidays.items() if f is Festival.DRAGON_BOAT]
    assert dragon == _days("2015-06-20", "2015-06-22")
    # 与周末连休 alone does not list the weekend.
    assert [d for d, f in parsed[2016].holidays.items() if f is Festival.NEW_YEAR] == [
        _d("2016-01-01")
    ]


# --- combined Mid-Autumn and National Day --------------------------------------------------


def _festival(data: YearData, festival: Festival) -> list[FestivalDays]:
    return [e for e in data.festivals if e.festival is festival]


@pytest.mark.parametrize(
    ("year", "autumn"),
    [(2012, "2012-09-30"), (2017, "2017-10-04"), (2023, "2023-09-29"), (2025, "2025-10-06")],
)
def test_combined_block_gives_the_festival_day_to_mid_autumn(
    year: int, autumn: str, parsed: dict[int, YearData]
) -> None:
    data = parsed[year]
    (mid,) = _festival(data, Festival.MID_AUTUMN)
    (national,) = _festival(data, Festival.NATIONAL_DAY)
    assert mid.holidays == (_d(autumn),) and mid.workdays == ()
    assert len(national.holidays) == 7 and national.workdays
    assert _d(autumn) not in national.holidays


@pytest.mark.parametrize("year", [2020])
def test_combined_block_on_a_statutory_national_day_is_all_national_day(
    year: int, parsed: dict[int, YearData]
) -> None:
    data = parsed[year]
    assert _festival(data, Festival.MID_AUTUMN) == []
    (national,) = _festival(data, Festival.NATIONAL_DAY)
    assert len(national.holidays) == 8


def test_combined_entries_follow_the_heading_order(parsed: dict[int, YearData]) -> None:
    def order(data: YearData) -> list[Festival]:
        return [
            e.festival
            for e in data.festivals
            if e.festival in (Festival.MID_AUTUMN, Festival.NATIONAL_DAY)
        ]

    assert order(parsed[2025]) == [Festival.NATIONAL_DAY, Festival.MID_AUTUMN]  # 国庆节、中秋节
    assert order(parsed[2023]) == [Festival.MID_AUTUMN, Festival.NATIONAL_DAY]  # 中秋节、国庆节


# --- forms of writing (crafted texts) ----------------------------------------------------

TITLE = "国务院办公厅关于2030年部分节假日安排的通知"


def _text(*sections: str, title: str = TITLE, signed: str = "2029年11月1日") -> str:
    """A crafted notice: title on line 1, number line 2, blank, sections from line 4."""
    head = [title, "国办发明电〔2029〕9号", ""] if title else ["", "", ""]
    tail = ["", "国务院办公厅", signed] if signed else []
    return "\n".join([*head, *sections, *tail])


def test_half_width_and_full_width_punctuation_read_alike() -> None:
    full = _text(
        "一、元旦：1月1日（星期二）放假，共1天。",
        "二、春节：2月2日（星期六）至8日放假调休，共7天。",
    )
    half = _text(
        "一、元旦:1月1日(星期二)放假,共1天。", "二、春节:2月2日(星期六)至8日放假调休,共7天。"
    )
    assert parse_notice(full) == parse_notice(half)
    assert parse_notice(full).holidays[_d("2030-02-08")] is Festival.SPRING_FESTIVAL


def test_chinese_and_full_width_numerals() -> None:
    text = _text(
        "一、国庆节：十月一日（星期二）至七日放假调休，共七天。九月廿九日照常。",
        "二、劳动节：５月１日（周三）至５日放假，共５天。４月２８日（星期天）上班。",
        title="国务院办公厅关于二〇三〇年部分节假日安排的通知",
        signed="二〇二九年十一月一日",
    )
    data = parse_notice(text)
    assert data.year == 2030
    assert data.notices[0].issued == _d("2029-11-01")
    assert data.notices[0].title == TITLE
    assert list(data.holidays) == _days("2030-05-01", "2030-05-05") + _days(
        "2030-10-01", "2030-10-07"
    )
    assert list(data.workdays) == [_d("2030-04-28")]


def test_month_crossing_range_explicit_years_and_lunar_remarks() -> None:
    text = _text(
        "一、元旦：2029年12月30日（周日）至2030年1月1日（周二）放假调休，共3天。",
        "二、春节：2月2日（农历除夕、星期六）至8日（农历正月初七、周五）放假，共7天。",
        "三、端午节：5月31日（周五）至6月2日（周日）放假，共3天。",
    )
    data = parse_notice(text)
    assert list(data.holidays)[:3] == _days("2029-12-30", "2030-01-01")
    assert [d for d, f in data.holidays.items() if f is Festival.DRAGON_BOAT] == _days(
        "2030-05-31", "2030-06-02"
    )


def test_december_make_up_day_in_the_new_year_section_is_the_year_before() -> None:
    data = parse_notice(_text("一、元旦：1月1日至3日放假调休，共3天。12月29日（星期六）上班。"))
    assert list(data.workdays) == [_d("2029-12-29")]


def test_year_argument_and_text_without_title_or_number() -> None:
    text = _text("一、元旦：1月1日放假，与周末连休。", title="")
    data = parse_notice(text, year=2030)
    assert data.notices == (Notice("", _d("2029-11-01"), ""),)
    assert parse_notice(_text("一、元旦：1月1日放假。"), year=2030).year == 2030


def test_crlf_and_a_single_paragraph() -> None:
    one_line = (
        f"{TITLE}\r\n经国务院批准，现将有关安排通知如下。一、元旦：1月1日放假。"
        "二、春节：2月2日至8日放假调休，共7天。1月27日（星期日）上班。"
        "节假日期间，要妥善安排好值班工作。\r\n国务院办公厅\r\n2029年11月1日\r\n"
    )
    data = parse_notice(one_line)
    assert len(data.holidays) == 8 and list(data.workdays) == [_d("2030-01-27")]


def test_import_notice_reads_a_file_with_a_bom(tmp_path: Path) -> None:
    path = tmp_path / "notice.txt"
    path.write_text("\ufeff" + _text("一、元旦：1月1日放假。"), encoding="utf-8")
    assert import_notice(path).holidays == {_d("2030-01-01"): Festival.NEW_YEAR}
    assert import_notice(str(path), year=2030).year == 2030


# --- encodings ---------------------------------------------------------------------------


@pytest.mark.parametrize("codec", ["gb18030", "gbk"])
@pytest.mark.parametrize("year", ALL)
def test_a_notice_saved_as_gb18030_or_gbk_reads_as_its_utf8_original(
    year: int, codec: str, parsed: dict[int, YearData], tmp_path: Path
) -> None:
    text = (NOTICES / f"{year}.txt").read_text(encoding="utf-8")
    raw = text.encode(codec)
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")  # the test is only worth something if the bytes are not UTF-8
    assert decode_notice(raw) == text
    path = tmp_path / f"{year}-{codec}.txt"
    path.write_bytes(raw)
    assert import_notice(path) == parsed[year]


def test_the_gb18030_fixture_file_parses_as_the_utf8_notice(parsed: dict[int, YearData]) -> None:
    path = NOTICES / "gb18030" / "2025.txt"
    assert path.read_bytes() == (NOTICES / "2025.txt").read_text(encoding="utf-8").encode("gb18030")
    assert import_notice(path) == parsed[2025]


def test_utf8_with_and_without_bom_and_ascii() -> None:
    text = _text("一、元旦：1月1日放假。")
    assert decode_notice(text.encode("utf-8")) == text
    assert decode_notice(b"\xef\xbb\xbf" + text.encode("utf-8")) == text
    assert decode_notice(b"plain ascii\n") == "plain ascii\n"
    assert ENCODINGS == ("UTF-8", "GB18030")


@pytest.mark.parametrize(
    ("raw", "tried"),
    [
        ("国务院".encode("utf-16"), ("UTF-8", "GB18030")),  # Notepad's "Unicode"
        (b"\x89PNG\r\n\x1a\n\x00\x00\xff\xff", ("UTF-8", "GB18030")),
        (b"\xef\xbb\xbf" + "国务院".encode("gb18030"), ("UTF-8",)),  # a BOM, then not UTF-8
    ],
)
def test_bytes_in_no_known_encoding_are_refused_naming_the_file_and_the_encodings(
    raw: bytes, tried: tuple[str, ...], tmp_path: Path
) -> None:
    path = tmp_path / "notice.txt"
    path.write_bytes(raw)
    with pytest.raises(NoticeParseError) as info:
        import_notice(path)
    err = info.value
    assert err.rule == "unknown-encoding" and err.rule in RULES
    assert str(path) in str(err)
    assert f"encodings tried: {', '.join(tried)};" in str(err)
    assert "\n" not in str(err)


# --- refusals ----------------------------------------------------------------------------


def _refusal(text: str, **kwargs: int) -> NoticeParseError:
    with pytest.raises(NoticeParseError) as info:
        parse_notice(text, **kwargs)
    err = info.value
    assert isinstance(err, HallflowError)
    assert err.rule in RULES
    assert f"[{err.rule}]" in str(err)
    if err.line_no:
        assert err.line == text.replace("\r\n", "\n").split("\n")[err.line_no - 1]
    return err


@pytest.mark.parametrize(
    ("sections", "rule", "line_no"),
    [
        (["一、元旦：1月1日放假。", "二、春节：2月2日至8日放假调休，共8天。"], "count-mismatch", 5),
        (["一、元旦：1月1日放假，共2天。"], "count-mismatch", 4),
        (["一、元旦：1月1日（星期一）放假。"], "weekday-mismatch", 4),
        (
            ["一、元旦：1月1日放假。", "二、春节：2月2日至8日放假。1月27日（周六）上班。"],
            "weekday-mismatch",
            5,
        ),
        (
            ["一、元旦：1月1日放假。", "", "二、春节：2月2日至8日放假。1月28日上班。"],
            "workday-not-weekend",
            6,
        ),
        (["一、元旦：1月1日放假。", "八、植树节：3月12日放假。"], "unknown-festival", 5),
        (["一、元旦、春节：1月1日放假。"], "unsupported-combination", 4),
        (["一、元旦：另行通知。"], "no-holidays", 4),
        (["一、元旦：1月1日放假。", "二、春节：2月30日放假。"], "invalid-date", 5),
        (["一、春节：2月8日至2日放假。"], "invalid-range", 4),
        (["一、春节：2日放假。"], "ambiguous-date", 4),
    ],
)
def test_refusals_name_the_rule_and_the_line(sections: list[str], rule: str, line_no: int) -> None:
    err = _refusal(_text(*sections))
    assert (err.rule, err.line_no) == (rule, line_no)


def test_not_a_notice() -> None:
    err = _refusal("国务院办公厅关于印发某某规划的通知\n\n各部门：请认真贯彻执行。\n")
    assert (err.rule, err.line_no) == ("not-a-notice", 0)


def test_missing_year() -> None:
    err = _refusal(_text("一、元旦：1月1日放假。", title=""))
    assert (err.rule, err.line_no) == ("missing-year", 4)


def test_missing_signing_date() -> None:
    err = _refusal(_text("一、元旦：1月1日放假。", signed=""))
    assert (err.rule, err.line_no) == ("missing-issued-date", 0)


def test_a_day_in_two_sections_is_inconsistent() -> None:
    err = _refusal(_text("一、元旦：1月1日放假。", "二、春节：1月1日放假。"))
    assert err.rule == "inconsistent-data"
    assert "listed twice" in str(err)


def test_year_far_from_the_dates_is_inconsistent() -> None:
    err = _refusal(_text("一、元旦：2020年1月1日放假。"))
    assert err.rule == "inconsistent-data"


def test_the_2024_text_with_a_wrong_count_points_at_its_line() -> None:
    text = (NOTICES / "2024.txt").read_text(encoding="utf-8")
    broken = text.replace("共8天", "共9天")
    err = _refusal(broken)
    assert err.rule == "count-mismatch"
    assert err.line.startswith("二、春节")
    assert err.line_no == broken.split("\n").index(err.line) + 1 == 10


def test_a_year_argument_must_agree_with_the_title() -> None:
    text = (NOTICES / "2026.txt").read_text(encoding="utf-8")
    assert parse_notice(text, year=2026) == parse_notice(text)
    err = _refusal(text, year=2099)
    assert (err.rule, err.line_no) == ("year-mismatch", 1)
    assert "2026" in str(err) and "year=2099" in str(err)


def test_runs_of_digits_too_long_for_a_number_are_text() -> None:
    text = (NOTICES / "2026.txt").read_text(encoding="utf-8")
    assert parse_notice(text.replace("共3天", "共" + "9" * 5000 + "天", 1)).year == 2026
    err = _refusal(text.replace("1月1日", "一" * 5000 + "月1日", 1))
    assert err.rule == "ambiguous-date"
