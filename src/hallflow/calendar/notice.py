"""Turn the text of a State Council holiday notice into a year of calendar data.

Every year the General Office of the State Council publishes a notice that arranges the
next year's public holidays (放假) and the weekend days worked in exchange (调休上班).
:func:`parse_notice` reads such a notice, as plain text copied from the official site or a
newspaper, and returns a :class:`~hallflow.calendar.data.YearData` ready to be written with
:func:`~hallflow.calendar.data.dump_year`.

The wording changed over the years, so the parser does not follow one template. It reads:

* the title (which gives the year; ``year=`` is only for a text without a title, and must
  agree with the title when there is one), the document number if the text carries one
  (the 2026 notice does not) and the signing date at the end;
* one numbered section per festival (``一、元旦:``), or per pair of festivals that share a
  break (``六、中秋节、国庆节:``); anything before the first section, such as the statement
  of principles that opens the 2025 notice, is not read for dates;
* in each section, sentences split into clauses at commas and semicolons. A clause that
  says ``上班`` lists make-up working days; a clause that says ``放假`` or ``补休`` lists
  days off. Other clauses (the explanations of the 2008-era notices: which day is the
  statutory one, which weekend was moved where) only have their dates checked. Sentences
  that merely encourage employers to give more rest (``鼓励``) are skipped entirely;
* single days, lists and ranges (``至``, ``到`` or a dash), with or without month and year
  (a day without a month takes the month, and year, of the date before it; a date without a
  year takes the notice's year, except a December date in the New Year section, which takes
  the year before), in ASCII, full-width or Chinese numerals;
* the bracketed remark after a date: a weekday (``星期日``, ``星期天``, ``周日`` ...) is
  checked against the date, lunar remarks (``农历除夕``) are ignored.

Days off are recorded as the whole block: when the days listed are separated only by a
weekend (``6月20日放假,6月22日(星期一)补休``) the weekend is part of the block. A weekend
the text merely joins (``与周末连休``) is not listed, as the shipped data does not list it.

**Combined festivals.** When the Mid-Autumn Festival and National Day share one section, the
Mid-Autumn day itself (lunar 8th month, 15th day) is listed under ``mid_autumn`` and every
other day off, and every make-up working day, under ``national_day``. When the Mid-Autumn
day is one of the statutory National Day holidays (1-3 October, as in 2009 and 2020) the
whole block is ``national_day`` and no ``mid_autumn`` entry is made. The entries follow the
order in which the section heading names the festivals. This is the rule the shipped data
(``hallflow/calendar/data/cn``) and :mod:`hallflow.calendar.provisional` follow.

**Encodings.** :func:`decode_notice` turns the bytes of a saved notice into text: UTF-8
(with or without a byte-order mark) first, then GB18030, the national standard that
contains GBK and GB2312 and that Chinese Windows tools save in. :func:`import_notice`
reads a file with it.

Everything the parser cannot reconcile raises :class:`~hallflow.errors.NoticeParseError`
with the name of the rule, a message and the 1-based number and text of the line at fault.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
import unicodedata
from collections.abc import Callable, Iterator
from pathlib import Path

import attrs

from hallflow.calendar.data import Festival, FestivalDays, Notice, YearData
from hallflow.calendar.lunar import mid_autumn
from hallflow.errors import CalendarDataError, NoticeParseError

__all__ = ["ENCODINGS", "RULES", "decode_notice", "import_notice", "parse_notice"]

RULES: tuple[str, ...] = (
    "unknown-encoding",
    "not-a-notice",
    "missing-year",
    "year-mismatch",
    "missing-issued-date",
    "unknown-festival",
    "unsupported-combination",
    "no-holidays",
    "count-mismatch",
    "weekday-mismatch",
    "workday-not-weekend",
    "invalid-date",
    "invalid-range",
    "ambiguous-date",
    "inconsistent-data",
)
"""The rule names a :class:`~hallflow.errors.NoticeParseError` from this module can carry."""

_CODECS: tuple[tuple[str, str], ...] = (("UTF-8", "utf-8-sig"), ("GB18030", "gb18030"))

ENCODINGS: tuple[str, ...] = tuple(name for name, _ in _CODECS)
"""The encodings :func:`decode_notice` tries, in order: UTF-8 (with or without a byte-order
mark), then GB18030 (which contains GBK and GB2312)."""


def decode_notice(data: bytes, *, source: str | None = None) -> str:
    """The text of a notice saved as bytes: UTF-8 (with or without BOM), else GB18030.

    GB18030 is a superset of GBK and GB2312, so a notice saved by a Chinese Windows tool
    decodes too; ASCII reads the same in both. Bytes that start with the UTF-8 byte-order
    mark are read as UTF-8 only.

    Args:
        data: the bytes of the file.
        source: where the bytes come from (a file name), for the error message.

    Returns:
        The decoded text, without a byte-order mark.

    Raises:
        NoticeParseError: no encoding tried decodes the bytes (rule ``unknown-encoding``);
            the message names the source, each encoding tried and where it failed.
    """
    bom = data.startswith(b"\xef\xbb\xbf")
    failures: list[str] = []
    for name, codec in _CODECS[:1] if bom else _CODECS:
        try:
            return data.decode(codec)
        except UnicodeDecodeError as exc:
            offset = exc.start + len(data) - len(exc.object)  # utf-8-sig drops the BOM
            failures.append(f"{name} (byte 0x{data[offset : offset + 1].hex()} at offset {offset})")
    where = f"{source}: " if source is not None else ""
    if bom:
        what = f"a UTF-8 byte-order mark, then bytes that are not {failures[0]}"
    else:
        what = f"neither {' nor '.join(failures)} text"
    raise NoticeParseError(
        "unknown-encoding",
        f"{where}{what}; encodings tried: {', '.join(ENCODINGS[: len(failures)])}; "
        f"save the notice as UTF-8",
    )


# --- normalisation -----------------------------------------------------------------------

_CN_DIGITS = {
    "〇": 0,
    "○": 0,
    "零": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_CN_NUMBER = re.compile(r"[〇○零一二两三四五六七八九十]+(?=\s*[年月日天号])")


def _cn_value(run: str) -> int | None:
    """The value of a run of Chinese numerals, or None when it is not a plain number."""
    if "十" in run:
        tens, _, ones = run.partition("十")
        if len(tens) > 1 or len(ones) > 1 or "十" in ones:
            return None
        high = _CN_DIGITS.get(tens, -1) if tens else 1
        low = _CN_DIGITS.get(ones, -1) if ones else 0
        if high < 0 or low < 0:
            return None
        return high * 10 + low
    # Years are written digit by digit (二〇二四), small numbers as one digit.
    if len(run) > 4:
        return None
    return int("".join(str(_CN_DIGITS[c]) for c in run))


def _cn_replace(match: re.Match[str]) -> str:
    value = _cn_value(match.group(0))
    return match.group(0) if value is None else str(value)


def _normalise(line: str) -> str:
    """One line in a canonical form: half-width punctuation and ASCII digits."""
    line = unicodedata.normalize("NFKC", line.replace("\ufeff", ""))
    line = line.replace("〜", "~")
    return _CN_NUMBER.sub(_cn_replace, line)


# --- vocabulary ----------------------------------------------------------------------------

_ALIASES: dict[str, Festival] = {f.chinese: f for f in Festival}
_ALIASES.update(
    {
        "新年": Festival.NEW_YEAR,
        "清明": Festival.QINGMING,
        "五一": Festival.LABOUR_DAY,
        "五一劳动节": Festival.LABOUR_DAY,
        "五一国际劳动节": Festival.LABOUR_DAY,
        "国际劳动节": Festival.LABOUR_DAY,
        "端午": Festival.DRAGON_BOAT,
        "中秋": Festival.MID_AUTUMN,
        "国庆": Festival.NATIONAL_DAY,
        "十一": Festival.NATIONAL_DAY,
    }
)
_QUOTES = str.maketrans("", "", "“”‘’\"'「」『』《》")
_WEEKDAY = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6, "七": 6}
_WEEKDAY_NAMES = ("一", "二", "三", "四", "五", "六", "日")

_TITLE = re.compile(
    r"(?P<title>(?:国务院办公厅|国务院)?\s*关于\s*(?P<year>\d{4})\s*年\s*(?:部分)?\s*"
    r"节\s*假\s*日\s*安\s*排\s*的\s*通\s*知)"
)
_NUMBER = re.compile(
    r"(?P<org>[\u4e00-\u9fff]{2,8})\s*[〔\[【(]\s*(?P<year>\d{4})\s*[〕\]】)]\s*"
    r"(?P<no>\d+)\s*号"
)
_SIGNED = re.compile(r"^\s*(?P<y>\d{4})\s*年\s*(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*日\s*$")
_HEADER = re.compile(
    r"(?:^|(?<=。))[ \t\u3000]*(?:——)?[ \t\u3000]*(?P<num>[一二三四五六七八九十]+|\d{1,2})"
    r"[ \t\u3000]*[、.][ \t\u3000]*(?P<names>[^:\n。,()、]{1,40}(?:、[^:\n。,()、]{1,40})*?)"
    r"[ \t\u3000]*:",
    re.MULTILINE,
)
_DATE = re.compile(
    r"(?:(?P<y>\d{4})\s*年\s*)?(?:(?P<m>\d{1,2})\s*月\s*)?(?P<d>\d{1,2})\s*日"
    r"(?:\s*\((?P<note>[^()\n]*)\))?"
)
_CONNECTOR = re.compile(r"^\s*(?:至|到|—+|―+|–|-+|~)\s*$")
_BRACKET = re.compile(r"\(([^()\n]*)\)")
_WEEKDAY_NOTE = re.compile(r"(?:星期|礼拜|周)([一二三四五六日天七])")
_COUNT = re.compile(r"(?:共|放假|连休)\s*(?P<n>\d{1,4})\s*天")
_SKIP = ("鼓励", "提倡", "倡导")
_WORK = "上班"
_OFF = ("放假", "补休")


# --- the text and its positions --------------------------------------------------------


@attrs.define(frozen=True, slots=True)
class _Text:
    """The notice, normalised, with a way back to the original lines."""

    original: tuple[str, ...]
    text: str
    starts: tuple[int, ...]

    @classmethod
    def of(cls, raw: str) -> _Text:
        lines = raw.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        normal = [_normalise(line) for line in lines]
        starts = []
        pos = 0
        for line in normal:
            starts.append(pos)
            pos += len(line) + 1
        text = "\n".join(normal)
        # Blank out brackets that do not follow a date (a date inside them, like the eve in
        # an encouragement to rest, is not part of the arrangement).
        text = _BRACKET.sub(_mask_unattached(text), text)
        return cls(original=tuple(lines), text=text, starts=tuple(starts))

    def line_no(self, offset: int) -> int:
        """The 1-based line number of a position in :attr:`text`."""
        lo, hi = 0, len(self.starts) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if self.starts[mid] <= offset:
                lo = mid
            else:
                hi = mid - 1
        return lo + 1

    def error(self, rule: str, message: str, offset: int | None) -> NoticeParseError:
        """A parse error pointing at the line holding ``offset`` (the whole text if None)."""
        if offset is None:
            return NoticeParseError(rule, message)
        number = self.line_no(offset)
        return NoticeParseError(rule, message, number, self.original[number - 1])


def _mask_unattached(text: str) -> Callable[[re.Match[str]], str]:
    def replace(match: re.Match[str]) -> str:
        before = text[max(0, match.start() - 16) : match.start()].rstrip(" \t")
        if before.endswith("日"):
            return match.group(0)
        return "(" + " " * len(match.group(1)) + ")"

    return replace


# --- dates -----------------------------------------------------------------------------------


@attrs.define(frozen=True, slots=True)
class _Token:
    """A date written in the text, resolved to a calendar day."""

    day: dt.date
    start: int
    end: int
    note: str


@attrs.define(slots=True)
class _Context:
    """What a date without month or year inherits."""

    year: int
    new_year_section: bool
    last: dt.date | None = None


def _resolve(text: _Text, match: re.Match[str], base: int, ctx: _Context) -> _Token:
    start = base + match.start()
    y, m, d = match.group("y"), match.group("m"), int(match.group("d"))
    if y is not None and m is None:
        raise text.error("ambiguous-date", f"{match.group(0)!r} gives a year but no month", start)
    if m is None:
        if ctx.last is None:
            raise text.error(
                "ambiguous-date", f"{match.group(0)!r} has no month and no date before it", start
            )
        year, month = ctx.last.year, ctx.last.month
    else:
        month = int(m)
        if y is not None:
            year = int(y)
        else:
            year = ctx.year - 1 if ctx.new_year_section and month == 12 else ctx.year
    try:
        day = dt.date(year, month, d)
    except ValueError:
        raise text.error(
            "invalid-date", f"{match.group(0)!r} is not a date in {year}", start
        ) from None
    ctx.last = day
    note = match.group("note") or ""
    for name in _WEEKDAY_NOTE.findall(note):
        if _WEEKDAY[name] != day.weekday():
            raise text.error(
                "weekday-mismatch",
                f"{day} is a 星期{_WEEKDAY_NAMES[day.weekday()]} ({day:%A}), but the text "
                f"says {name!r}",
                start,
            )
    return _Token(day=day, start=start, end=base + match.end(), note=note)


def _dates(text: _Text, clause: str, base: int, ctx: _Context) -> list[tuple[_Token, _Token]]:
    """The dates of a clause as (first, last) pairs; a single day has first == last."""
    tokens = [_resolve(text, m, base, ctx) for m in _DATE.finditer(clause)]
    spans: list[tuple[_Token, _Token]] = []
    i = 0
    while i < len(tokens):
        first = tokens[i]
        if i + 1 < len(tokens):
            gap = text.text[first.end : tokens[i + 1].start]
            if _CONNECTOR.match(gap):
                last = tokens[i + 1]
                if last.day < first.day:
                    raise text.error(
                        "invalid-range",
                        f"the range {first.day}..{last.day} ends before it starts",
                        first.start,
                    )
                if (last.day - first.day).days > 31:
                    raise text.error(
                        "invalid-range",
                        f"the range {first.day}..{last.day} is longer than a month",
                        first.start,
                    )
                spans.append((first, last))
                i += 2
                continue
        spans.append((first, first))
        i += 1
    return spans


def _days(first: dt.date, last: dt.date) -> Iterator[dt.date]:
    for i in range((last - first).days + 1):
        yield first + dt.timedelta(days=i)


def _fill_weekends(days: set[dt.date]) -> set[dt.date]:
    """Add the weekend days that alone separate listed days off."""
    out = set(days)
    ordered = sorted(days)
    for a, b in itertools.pairwise(ordered):
        between = list(_days(a + dt.timedelta(days=1), b - dt.timedelta(days=1)))
        if between and all(d.weekday() >= 5 for d in between):
            out.update(between)
    return out


# --- splitting -------------------------------------------------------------------------------


def _split(text: str, base: int, separators: str) -> Iterator[tuple[str, int]]:
    """Pieces of ``text`` cut at ``separators`` outside brackets, with their offsets."""
    depth = 0
    start = 0
    for i, ch in enumerate(text):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth = max(0, depth - 1)
        elif ch in separators and depth == 0:
            yield text[start:i], base + start
            start = i + 1
    yield text[start:], base + start


@attrs.define(frozen=True, slots=True)
class _Section:
    festivals: tuple[Festival, ...]
    header: int
    body_start: int
    body_end: int


def _sections(text: _Text) -> list[_Section]:
    headers = list(_HEADER.finditer(text.text))
    out: list[_Section] = []
    for i, match in enumerate(headers):
        names = [
            n.strip().translate(_QUOTES).replace(" ", "")
            for n in re.split(r"[、和及与/]", match.group("names"))
        ]
        festivals: list[Festival] = []
        for name in names:
            if name not in _ALIASES:
                raise text.error(
                    "unknown-festival",
                    f"{name!r} is not a festival of the national holiday regulations "
                    f"(known: {', '.join(f.chinese for f in Festival)})",
                    match.start("names"),
                )
            festivals.append(_ALIASES[name])
        end = headers[i + 1].start() if i + 1 < len(headers) else _body_end(text, match.end())
        out.append(_Section(tuple(festivals), match.start("names"), match.end(), end))
    return out


def _body_end(text: _Text, start: int) -> int:
    """Where the last section stops: at the first later line that holds no date."""
    first_line = text.line_no(start)
    for number in range(first_line + 1, len(text.starts) + 1):
        begin = text.starts[number - 1]
        end = text.starts[number] - 1 if number < len(text.starts) else len(text.text)
        line = text.text[begin:end]
        if line.strip() and not _DATE.search(line):
            return begin
    return len(text.text)


# --- the festival sections ---------------------------------------------------------------


@attrs.define(slots=True)
class _Parsed:
    holidays: set[dt.date] = attrs.field(factory=set)
    workdays: set[dt.date] = attrs.field(factory=set)


def _parse_section(text: _Text, section: _Section, year: int) -> _Parsed:
    ctx = _Context(year=year, new_year_section=Festival.NEW_YEAR in section.festivals)
    out = _Parsed()
    body = text.text[section.body_start : section.body_end]
    for sentence, s_base in _split(body, section.body_start, "。"):
        if any(word in sentence for word in _SKIP):
            continue
        off: set[dt.date] = set()
        for clause, c_base in _split(sentence, s_base, ",;:"):
            spans = _dates(text, clause, c_base, ctx)
            days = {d for first, last in spans for d in _days(first.day, last.day)}
            if _WORK in clause:
                for first, last in spans:
                    for day in _days(first.day, last.day):
                        if day.weekday() < 5:
                            raise text.error(
                                "workday-not-weekend",
                                f"make-up working day {day} is a {day:%A}; only a Saturday "
                                f"or a Sunday can be moved to a working day",
                                first.start,
                            )
                out.workdays |= days
            elif any(word in clause for word in _OFF):
                off |= days
        off = _fill_weekends(off)
        count = _COUNT.search(sentence)
        if count is not None and off:
            stated = int(count.group("n"))
            if stated != len(off):
                raise text.error(
                    "count-mismatch",
                    f"the text says {stated} days off but lists {len(off)} "
                    f"({min(off)}..{max(off)})",
                    s_base + count.start(),
                )
        out.holidays |= off
    out.holidays = _fill_weekends(out.holidays)
    if not out.holidays:
        names = "、".join(f.chinese for f in section.festivals)
        raise text.error("no-holidays", f"the section for {names} lists no day off", section.header)
    return out


def _festival_days(
    text: _Text, section: _Section, parsed: _Parsed, year: int
) -> list[FestivalDays]:
    if len(section.festivals) == 1:
        return [FestivalDays(section.festivals[0], parsed.holidays, parsed.workdays)]
    if (
        set(section.festivals) != {Festival.MID_AUTUMN, Festival.NATIONAL_DAY}
        or len(section.festivals) != 2
    ):
        names = "、".join(f.chinese for f in section.festivals)
        raise text.error(
            "unsupported-combination",
            f"{names} share a section; only 中秋节 and 国庆节 can share one",
            section.header,
        )
    try:
        autumn = mid_autumn(year)
    except CalendarDataError as exc:
        raise text.error("inconsistent-data", str(exc), section.header) from exc
    statutory = autumn.month == 10 and autumn.day <= 3
    if autumn not in parsed.holidays or statutory:
        return [FestivalDays(Festival.NATIONAL_DAY, parsed.holidays, parsed.workdays)]
    entries = {
        Festival.MID_AUTUMN: FestivalDays(Festival.MID_AUTUMN, (autumn,)),
        Festival.NATIONAL_DAY: FestivalDays(
            Festival.NATIONAL_DAY, parsed.holidays - {autumn}, parsed.workdays
        ),
    }
    return [entries[f] for f in section.festivals]


# --- the notice --------------------------------------------------------------------------


def _notice(text: _Text, sections: list[_Section], year: int | None) -> tuple[int, Notice]:
    head = text.text[: sections[0].header]
    title_match = _TITLE.search(head) or _TITLE.search(text.text)
    title = re.sub(r"\s+", "", title_match.group("title")) if title_match else ""
    if year is not None and title_match is not None and int(title_match["year"]) != year:
        stated = int(title_match["year"])
        raise text.error(
            "year-mismatch",
            f"the title states the year {stated}, but year={year} was given (year= is only "
            f"for a text without a title)",
            title_match.start("title"),
        )
    if year is None:
        if title_match is None:
            first = next((i for i, line in enumerate(text.original) if line.strip()), 0)
            raise text.error(
                "missing-year",
                "no title naming the year (关于YYYY年部分节假日安排的通知) was found; "
                "pass year= to parse a text without one",
                text.starts[first],
            )
        year = int(title_match.group("year"))
    number_match = _NUMBER.search(head)
    number = ""
    if number_match is not None:
        number = f"{number_match.group('org')}〔{number_match.group('year')}〕"
        number += f"{number_match.group('no')}号"
    tail_start = sections[-1].body_end
    issued: dt.date | None = None
    for line in reversed(text.text[tail_start:].split("\n")):
        signed = _SIGNED.match(line)
        if signed is not None:
            try:
                issued = dt.date(int(signed["y"]), int(signed["m"]), int(signed["d"]))
            except ValueError:
                offset = tail_start + text.text[tail_start:].rfind(line)
                raise text.error(
                    "invalid-date", f"the signing date {line.strip()!r} is not a date", offset
                ) from None
            break
    if issued is None:
        raise text.error(
            "missing-issued-date",
            "no signing date (a line YYYY年M月D日 after the arrangement) was found",
            None,
        )
    return year, Notice(number=number, issued=issued, title=title)


def parse_notice(text: str, *, year: int | None = None) -> YearData:
    """Parse the text of a State Council notice arranging a year's holidays.

    Args:
        text: the notice as plain text: title, document number (optional), one section per
            festival, and the signing date on a line of its own at the end.
        year: the year the notice arranges, for a text whose title does not state it (a
            text with a title must state the same year; the title decides).

    Returns:
        The year's data, citing the notice (number, signing date, title).

    Raises:
        NoticeParseError: the text has no festival sections, names an unknown festival, or
            contradicts itself (a stated count of days, a weekday, a make-up working day
            that is not a weekend day, a ``year`` the title does not state); ``rule``,
            ``line_no`` and ``line`` say where.
    """
    parsed_text = _Text.of(text)
    sections = _sections(parsed_text)
    if not sections:
        raise parsed_text.error(
            "not-a-notice",
            "no festival section (a numbered heading like 一、元旦:) was found; this does not "
            "look like a holiday notice",
            None,
        )
    year, notice = _notice(parsed_text, sections, year)
    festivals: list[FestivalDays] = []
    for section in sections:
        parsed = _parse_section(parsed_text, section, year)
        festivals.extend(_festival_days(parsed_text, section, parsed, year))
    try:
        return YearData(year=year, notices=(notice,), festivals=festivals)
    except CalendarDataError as exc:
        raise parsed_text.error("inconsistent-data", str(exc), None) from exc


def import_notice(path: Path | str, *, year: int | None = None) -> YearData:
    """Read a notice from a text file and parse it with :func:`parse_notice`.

    Args:
        path: the file holding the notice text, UTF-8 (with or without BOM) or GB18030
            (see :func:`decode_notice`).
        year: the year the notice arranges, for a text whose title does not state it.

    Returns:
        The year's data.

    Raises:
        NoticeParseError: the file is neither UTF-8 nor GB18030 text, or the text is not a
            valid holiday notice (see :func:`parse_notice`).
        OSError: the file cannot be read.
    """
    path = Path(path)
    return parse_notice(decode_notice(path.read_bytes(), source=str(path)), year=year)
