"""The ``hallflow`` command line.

``hallflow calendar due 2026-09-28 20`` answers the question a window clerk is asked most:
when does a case accepted on that day with a 20-working-day limit fall due, and why.
Every refusal (a date outside the calendar, a malformed notice) is reported as one line on
standard error with exit status 2.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Sequence
from pathlib import Path

from hallflow import __version__
from hallflow.calendar import WorkCalendar
from hallflow.calendar.national import china, load_years
from hallflow.errors import CalendarRangeError, HallflowError

__all__ = ["main"]


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date in YYYY-MM-DD form") from None


def _calendar(args: argparse.Namespace) -> WorkCalendar:
    years = load_years(args.data) if args.data else ()
    return china(until=args.until, years=years)


def _closing(calendar: WorkCalendar, day: dt.date) -> str:
    closing = calendar.hours.closing_on(day.weekday())
    return f"{day:%Y-%m-%d %a} at {closing:%H:%M} ({calendar.hours.zone})"


def _cmd_due(args: argparse.Namespace) -> int:
    calendar = _calendar(args)
    count = calendar.explain_working_days(args.date, args.days)
    if not args.brief:
        print(count.describe())
        print()
    print(f"due: {_closing(calendar, count.result)}")
    if count.provisional:
        print("note: provisional — a day in this count is not yet published by the State Council")
    return 0


def _cmd_day(args: argparse.Namespace) -> int:
    calendar = _calendar(args)
    for day in args.dates:
        print(calendar.day_info(day).describe())
    return 0


def _cmd_between(args: argparse.Namespace) -> int:
    calendar = _calendar(args)
    count = calendar.working_days_between(args.start, args.end)
    print(f"{count} working days in ({args.start}, {args.end}]")
    if calendar.any_provisional(args.start, args.end):
        print("note: provisional — the span reaches a year not yet published")
    return 0


def _cmd_import_notice(args: argparse.Namespace) -> int:
    from hallflow.calendar.data import dump_year
    from hallflow.calendar.notice import parse_notice

    text = Path(args.file).read_text(encoding="utf-8")
    data = parse_notice(text, year=args.year)
    out_dir = Path(args.output)
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"{data.year}.toml"
    dump_year(data, target)
    holidays = len(data.holidays)
    workdays = len(data.workdays)
    notice = data.notices[0] if data.notices else None
    cite = (notice.number or f"notice of {notice.issued}") if notice else "no notice"
    print(f"{target}: {data.year}, {holidays} holidays, {workdays} make-up working days ({cite})")
    print(f"use it with: hallflow calendar due --data {out_dir} DATE DAYS")
    return 0


def _cmd_plugins(args: argparse.Namespace) -> int:
    from hallflow.plugins import loaded_plugins, plugin_manager

    pm = plugin_manager(load_entry_points=not args.no_entry_points)
    for name, version in loaded_plugins(pm):
        print(f"{name} {version}".rstrip())
    return 0


def _month(text: str) -> dt.date:
    try:
        return dt.datetime.strptime(text, "%Y-%m").date()
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a month in YYYY-MM form") from None


def _cmd_demo(args: argparse.Namespace) -> int:
    import calendar as months

    from hallflow.demo import DEFAULT_DAYS, DEFAULT_START, DemoOptions, run

    start: dt.date = args.start or args.month or DEFAULT_START
    days: int = args.days
    if days is None:
        days = months.monthrange(start.year, start.month)[1] if args.month else DEFAULT_DAYS
    options = DemoOptions(
        locality=args.locality,
        start=start,
        days=days,
        volume=args.volume,
        seed=args.seed,
        db=args.db,
    )
    result = run(options, progress=None if args.quiet else sys.stderr)
    print(result.render())
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hallflow", description="hallflow: the back office of a government service hall."
    )
    parser.add_argument("--version", action="version", version=f"hallflow {__version__}")
    groups = parser.add_subparsers(dest="group", required=True)

    plugins = groups.add_parser("plugins", help="list the loaded plugins, with versions")
    plugins.add_argument(
        "--no-entry-points",
        action="store_true",
        help="only the built-in plugin (skip plugins installed under the 'hallflow' group)",
    )
    plugins.set_defaults(run=_cmd_plugins)

    demo = groups.add_parser(
        "demo",
        help="simulate a month in a hall on SQLite and print its supervision summary",
        description=(
            "Simulate a hall's working days (by default 2026-09-21 for 31 days, across the "
            "Mid-Autumn and National Day holidays) on a SQLite file, then print the "
            "supervision summary, counted from the stored events, and one case's timeline."
        ),
    )
    demo.add_argument(
        "--locality",
        metavar="NAME",
        help="load the installed locality plugin of that entry-point name (e.g. zhenlai); "
        "default: the embedded national demo",
    )
    when = demo.add_mutually_exclusive_group()
    when.add_argument("--start", type=_date, metavar="DATE", help="first day simulated")
    when.add_argument(
        "--month", type=_month, metavar="YYYY-MM", help="simulate this calendar month"
    )
    demo.add_argument(
        "--days", type=int, metavar="N", help="calendar days simulated (default 31, or the month)"
    )
    demo.add_argument(
        "--volume",
        type=float,
        default=20.0,
        metavar="N",
        help="mean applications per working day (default 20)",
    )
    demo.add_argument("--seed", type=int, default=2026, help="random seed (default 2026)")
    demo.add_argument(
        "--db", type=Path, metavar="PATH", help="SQLite file to write (default: a temp file)"
    )
    demo.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    demo.set_defaults(run=_cmd_demo)

    cal = groups.add_parser("calendar", help="China's working-day calendar")
    commands = cal.add_subparsers(dest="command", required=True)

    def calendar_options(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--data",
            type=Path,
            metavar="DIR",
            help="folder of year files from import-notice; replaces shipped or provisional years",
        )
        p.add_argument(
            "--until",
            type=int,
            default=2030,
            metavar="YEAR",
            help="last year compiled; unpublished years are provisional (default 2030)",
        )

    due = commands.add_parser(
        "due", help="the due date of a working-day limit, with every day explained"
    )
    due.add_argument("date", type=_date, help="the day the case was accepted (not counted)")
    due.add_argument("days", type=int, help="the limit in working days (negative counts back)")
    due.add_argument("--brief", action="store_true", help="print only the due date")
    calendar_options(due)
    due.set_defaults(run=_cmd_due)

    day = commands.add_parser("day", help="what the calendar says about days, and why")
    day.add_argument("dates", type=_date, nargs="+", metavar="DATE")
    calendar_options(day)
    day.set_defaults(run=_cmd_day)

    between = commands.add_parser("between", help="count the working days in (START, END]")
    between.add_argument("start", type=_date)
    between.add_argument("end", type=_date)
    calendar_options(between)
    between.set_defaults(run=_cmd_between)

    imp = commands.add_parser(
        "import-notice", help="turn a State Council holiday notice into a year data file"
    )
    imp.add_argument("file", type=Path, help="the notice text (UTF-8)")
    imp.add_argument(
        "-o", "--output", default=".", metavar="DIR", help="folder to write YEAR.toml into"
    )
    imp.add_argument("--year", type=int, help="the year, when the text does not say it")
    imp.set_defaults(run=_cmd_import_notice)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (0 ok, 2 refused)."""
    args = _parser().parse_args(argv)
    try:
        status: int = args.run(args)
    except CalendarRangeError as exc:
        print(f"hallflow: error: {exc} (command line: pass --until YEAR)", file=sys.stderr)
        return 2
    except HallflowError as exc:
        print(f"hallflow: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"hallflow: error: {exc}", file=sys.stderr)
        return 2
    return status


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
