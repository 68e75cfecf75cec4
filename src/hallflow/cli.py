"""The ``hallflow`` command line.

``hallflow calendar due 2026-09-28 20`` answers the question a window clerk is asked most:
when does a case accepted on that day with a 20-working-day limit fall due, and why.

Every refusal ends the command with exit status 2 and one line on standard error that names
the option or argument, the rule and the value:

* a value that cannot be an option's (not a number, not finite, outside the option's range,
  a date outside the years the calendar can cover) is refused while the arguments are
  parsed, in argparse's form (its usage line, then ``hallflow ...: error: argument --volume:
  'inf': must be a finite number from 0 to 1000``);
* a file or folder the command cannot use (a missing ``--data`` folder, a notice that is
  neither UTF-8 nor GB18030) and any refusal of the library (a :class:`HallflowError`: a
  date outside ``--until``, a malformed notice) is one line,
  ``hallflow: error: <message>``.

Anything else is a bug in hallflow and is not hidden.
"""

from __future__ import annotations

import argparse
import calendar as months
import datetime as dt
import math
import os
import shlex
import stat
import sys
import unicodedata
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

from hallflow import __version__
from hallflow.calendar import WorkCalendar
from hallflow.calendar.data import YearData, load_year
from hallflow.calendar.lunar import LAST_LUNAR_YEAR
from hallflow.calendar.national import FIRST_YEAR, china
from hallflow.errors import CalendarDataError, CalendarRangeError, HallflowError, NoticeParseError

__all__ = ["CommandLineError", "main"]

# ---- the ranges the options accept (docs/calendar.md lists them; so does each --help)

LAST_YEAR = LAST_LUNAR_YEAR
"""The last year a calendar can be compiled for (the lunar conversion ends in 2100)."""

MAX_LIMIT = 36_500
"""The largest working-day count ``calendar due`` takes, either way (a century of days)."""

DEMO_FIRST_DAY = dt.date(2020, 1, 1)
"""The demo hall's written authorities are valid from this day."""

DEMO_LAST_DAY = dt.date(2030, 9, 30)
"""The last day the demo simulates: its calendar ends on 31 December 2030 and a case opened
in the period falls due up to 45 working days (plus an extension) later."""

DEMO_MAX_DAYS = 366
"""The longest period ``demo --days`` simulates: a year."""

DEMO_MAX_VOLUME = 1000.0
"""The largest ``demo --volume``: applications per working day (a month is then ~20,000
cases, about half a minute)."""

MAX_SEED = 2**63 - 1
"""The largest ``demo --seed``."""

MAX_NOTICE_BYTES = 1 << 20
"""The largest notice file ``import-notice`` reads (a notice is a few kilobytes)."""

_SQLITE_HEADER = b"SQLite format 3\x00"


class CommandLineError(HallflowError, ValueError):
    """A command-line argument names something the command cannot use.

    A missing file or folder, a folder without year files, a notice in an unknown encoding,
    a period that leaves the range the demo covers...

    Attributes:
        option: the option or argument at fault, e.g. ``"--data"`` or ``"FILE"``.
        rule: what was wrong with it.
        value: the value given.
    """

    def __init__(self, option: str, rule: str, value: object) -> None:
        self.option = option
        self.rule = rule
        self.value = value
        super().__init__(f"{option}={_quoted(value, 240)}: {rule}")


# ---- output


def _quoted(value: object, limit: int = 60) -> str:
    """``repr(value)``, cut short after ``limit`` characters."""
    shown = repr(value)
    return shown if len(shown) <= limit else f"{shown[: limit - 4]}...{shown[-1]}"


def _one_line(text: str) -> str:
    """``text`` with line breaks, other control characters and lone surrogates escaped."""
    if text.isprintable():
        return text
    return "".join(
        ascii(ch)[1:-1] if unicodedata.category(ch) in ("Cc", "Cs", "Zl", "Zp") else ch
        for ch in text
    )


def _printable(text: str) -> str:
    """``text`` with lone surrogates (undecodable bytes of a file name) escaped."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


# ---- option values: the syntax and range of each, checked while parsing


def _whole(low: int, high: int) -> Callable[[str], int]:
    def whole(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or not low <= value <= high:
            raise argparse.ArgumentTypeError(
                f"{_quoted(text)}: must be a whole number from {low} to {high}"
            )
        return value

    return whole


def _number(low: float, high: float) -> Callable[[str], float]:
    def number(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not (math.isfinite(value) and low <= value <= high):
            raise argparse.ArgumentTypeError(
                f"{_quoted(text)}: must be a finite number from {low:g} to {high:g}"
            )
        return value

    return number


def _day(first: dt.date, last: dt.date) -> Callable[[str], dt.date]:
    def day(text: str) -> dt.date:
        try:
            value = dt.date.fromisoformat(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{_quoted(text)} is not a date in YYYY-MM-DD form"
            ) from None
        if not first <= value <= last:
            raise argparse.ArgumentTypeError(
                f"{_quoted(text)}: must be a day from {first} to {last}"
            )
        return value

    return day


def _month(first: dt.date, last: dt.date) -> Callable[[str], dt.date]:
    def month(text: str) -> dt.date:
        try:
            value = dt.datetime.strptime(text, "%Y-%m").date()
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{_quoted(text)} is not a month in YYYY-MM form"
            ) from None
        end = value.replace(day=months.monthrange(value.year, value.month)[1])
        if value < first or end > last:
            raise argparse.ArgumentTypeError(
                f"{_quoted(text)}: must be a month from {first:%Y-%m} to {last:%Y-%m}"
            )
        return value

    return month


def _instant(text: str) -> dt.datetime:
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        value = None
    if value is None or value.tzinfo is None or value.utcoffset() is None:
        raise argparse.ArgumentTypeError(
            f"{_quoted(text)}: must be an ISO 8601 date and time with a UTC offset"
        )
    if not FIRST_YEAR < value.year < LAST_YEAR:
        raise argparse.ArgumentTypeError(
            f"{_quoted(text)}: must lie within {FIRST_YEAR + 1}..{LAST_YEAR - 1}"
        )
    return value


def _path(text: str) -> Path:
    if not text:
        raise argparse.ArgumentTypeError("'': must name a file or folder")
    if "\x00" in text:
        raise argparse.ArgumentTypeError(f"{_quoted(text)}: a path cannot hold a NUL character")
    try:
        os.fsencode(text)
    except UnicodeError:
        raise argparse.ArgumentTypeError(
            f"{_quoted(text)}: not a file name this system can encode"
        ) from None
    return Path(text)


_CALENDAR_DAY = _day(dt.date(FIRST_YEAR, 1, 1), dt.date(LAST_YEAR, 12, 31))
_UNTIL = _whole(FIRST_YEAR, LAST_YEAR)
_LIMIT = _whole(-MAX_LIMIT, MAX_LIMIT)
_YEAR = _whole(FIRST_YEAR, LAST_YEAR)
_DEMO_DAY = _day(DEMO_FIRST_DAY, DEMO_LAST_DAY)
_DEMO_MONTH = _month(DEMO_FIRST_DAY, DEMO_LAST_DAY)
_DEMO_DAYS = _whole(1, DEMO_MAX_DAYS)
_DEMO_VOLUME = _number(0.0, DEMO_MAX_VOLUME)
_SEED = _whole(0, MAX_SEED)


# ---- files and folders: checked when the command runs, before it does anything


def _stat(option: str, path: Path) -> os.stat_result | None:
    """The status of ``path``, or None when nothing is there."""
    try:
        return path.stat()
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as exc:
        raise CommandLineError(option, f"cannot be examined ({exc.strerror})", str(path)) from None


def _year_files(option: str, folder: Path) -> list[YearData]:
    """The year files of a ``--data`` folder: it must exist and hold at least one."""
    found = _stat(option, folder)
    if found is None:
        raise CommandLineError(option, "no such folder", str(folder))
    if not stat.S_ISDIR(found.st_mode):
        raise CommandLineError(option, "is not a folder (of year files)", str(folder))
    try:
        names = sorted(name for name in os.listdir(folder) if name.endswith(".toml"))
    except OSError as exc:
        raise CommandLineError(option, f"cannot be listed ({exc.strerror})", str(folder)) from None
    if not names:
        raise CommandLineError(
            option,
            "holds no year file (YEAR.toml, as written by 'hallflow calendar import-notice')",
            str(folder),
        )
    years: dict[int, str] = {}
    out: list[YearData] = []
    for name in names:
        found = _stat(option, folder / name)
        if found is None or not stat.S_ISREG(found.st_mode):
            raise CommandLineError(option, f"{name} is not a regular file", str(folder))
        try:
            data = load_year(folder / name)
        except OSError as exc:
            raise CommandLineError(
                option, f"{name} cannot be read ({exc.strerror})", str(folder)
            ) from None
        except CalendarDataError as exc:
            raise CommandLineError(option, str(exc), str(folder)) from None
        if data.year in years:
            raise CommandLineError(
                option, f"{years[data.year]} and {name} both give the year {data.year}", str(folder)
            )
        years[data.year] = name
        out.append(data)
    return out


def _calendar(args: argparse.Namespace) -> WorkCalendar:
    years = _year_files("--data", args.data) if args.data is not None else ()
    return china(until=args.until, years=years)


def _read_notice(option: str, path: Path) -> bytes:
    found = _stat(option, path)
    if found is None:
        raise CommandLineError(option, "no such file", str(path))
    if stat.S_ISDIR(found.st_mode):
        raise CommandLineError(option, "is a folder, not a notice file", str(path))
    if not stat.S_ISREG(found.st_mode):
        raise CommandLineError(option, "is not a regular file", str(path))
    if found.st_size > MAX_NOTICE_BYTES:
        raise CommandLineError(
            option,
            f"holds {found.st_size} bytes; a notice is a few kilobytes "
            f"(at most {MAX_NOTICE_BYTES} bytes are read)",
            str(path),
        )
    try:
        return path.read_bytes()
    except OSError as exc:
        raise CommandLineError(option, f"cannot be read ({exc.strerror})", str(path)) from None


def _db_file(option: str, path: Path) -> None:
    """A ``--db`` file must be new or a SQLite database, in a folder that exists."""
    found = _stat(option, path)
    if found is None:
        folder = _stat(option, path.parent)
        if folder is None or not stat.S_ISDIR(folder.st_mode):
            raise CommandLineError(
                option, f"its folder {str(path.parent)!r} does not exist", str(path)
            )
        return
    if stat.S_ISDIR(found.st_mode):
        raise CommandLineError(option, "is a folder, not a database file", str(path))
    if not stat.S_ISREG(found.st_mode):
        raise CommandLineError(option, "is not a regular file", str(path))
    if found.st_size:
        try:
            with path.open("rb") as db:
                header = db.read(len(_SQLITE_HEADER))
        except OSError as exc:
            raise CommandLineError(option, f"cannot be read ({exc.strerror})", str(path)) from None
        if header != _SQLITE_HEADER:
            raise CommandLineError(
                option, "is not a SQLite database; give a new file or an empty one", str(path)
            )


# ---- the commands


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


_NOTICE_HINTS = {
    "missing-year": " (command line: pass --year YEAR)",
    "year-mismatch": " (command line: drop --year)",
}


def _cmd_import_notice(args: argparse.Namespace) -> int:
    from hallflow.calendar.data import dump_year
    from hallflow.calendar.notice import decode_notice, parse_notice

    path: Path = args.file
    raw = _read_notice("FILE", path)
    try:
        data = parse_notice(decode_notice(raw), year=args.year)
    except NoticeParseError as exc:
        raise CommandLineError(
            "FILE", f"{exc}{_NOTICE_HINTS.get(exc.rule, '')}", str(path)
        ) from exc
    if not FIRST_YEAR <= data.year <= LAST_YEAR:
        raise CommandLineError(
            "FILE",
            f"the notice arranges {data.year}; a calendar covers {FIRST_YEAR}..{LAST_YEAR}",
            str(path),
        )
    if args.apply is None:
        for option in ("locality", "at"):
            if getattr(args, option) is not None:
                raise CommandLineError(
                    f"--{option}", "is used only with --apply", getattr(args, option)
                )
    else:  # the store is checked before anything is written
        found = _stat("--apply", args.apply)
        if found is None or not stat.S_ISREG(found.st_mode) or not found.st_size:
            raise CommandLineError(
                "--apply", "must be an existing hallflow SQLite file", str(args.apply)
            )
        _db_file("--apply", args.apply)
        _schema_version(args.apply, "--apply")
        if args.locality is not None:
            from hallflow.demo import installed_localities

            if args.locality not in installed_localities():
                names = ", ".join(sorted(installed_localities())) or "none"
                raise CommandLineError(
                    "--locality", f"no such locality plugin is installed ({names})", args.locality
                )
    out_dir: Path = args.output
    found = _stat("--output", out_dir)
    if found is not None and not stat.S_ISDIR(found.st_mode):
        raise CommandLineError("--output", "is a file, not a folder", str(out_dir))
    target = out_dir / f"{data.year}.toml"
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        dump_year(data, target)
    except OSError as exc:
        raise CommandLineError(
            "--output", f"cannot write {target.name} there ({exc.strerror})", str(out_dir)
        ) from None
    holidays = len(data.holidays)
    workdays = len(data.workdays)
    notice = data.notices[0] if data.notices else None
    cite = (notice.number or f"notice of {notice.issued}") if notice else "no notice"
    print(
        f"{_printable(str(target))}: {data.year}, {holidays} holidays, {workdays} make-up "
        f"working days ({cite})"
    )
    folder = shlex.quote(_printable(str(out_dir)))
    print(f"use it with: hallflow calendar due --data {folder} DATE DAYS")
    if args.apply is not None:
        _apply_notice(args, data, cite)
    return 0


def _apply_notice(args: argparse.Namespace, data: YearData, cite: str) -> None:
    """Recompute the open clocks of ``args.apply`` with ``data`` in force; record the moves."""
    from hallflow.demo import DemoError, build_hall
    from hallflow.store import SQLiteStore
    from hallflow.supervision.calendar_change import apply_calendar_change, with_published_year

    at: dt.datetime = args.at or dt.datetime.now(dt.UTC)
    with SQLiteStore(args.apply) as store:
        try:
            hall, _label = build_hall(store, locality=args.locality)
        except DemoError as exc:
            raise CommandLineError("--locality", str(exc), args.locality) from None
        old = hall.calendar
        hall.calendar = with_published_year(old, data)
        change = apply_calendar_change(hall, old, at, notice=cite)
    for line in change.lines():
        print(_printable(line))


def _cmd_plugins(args: argparse.Namespace) -> int:
    from hallflow.plugins import loaded_plugins, plugin_manager

    pm = plugin_manager(load_entry_points=not args.no_entry_points)
    for name, version in loaded_plugins(pm):
        print(f"{name} {version}".rstrip())
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    from hallflow.demo import DEFAULT_DAYS, DEFAULT_START, DemoOptions, run

    start: dt.date = args.start or args.month or DEFAULT_START
    days: int | None = args.days
    if days is None:
        days = months.monthrange(start.year, start.month)[1] if args.month else DEFAULT_DAYS
    last = start + dt.timedelta(days=days - 1)
    if last > DEMO_LAST_DAY:
        raise CommandLineError(
            "--days",
            f"the period {start}..{last} ends after {DEMO_LAST_DAY}, the last day the demo "
            f"simulates (choose an earlier --start or fewer days)",
            days,
        )
    if args.db is not None:
        _db_file("--db", args.db)
    options = DemoOptions(
        locality=args.locality,
        start=start,
        days=days,
        volume=args.volume,
        seed=args.seed,
        db=args.db,
    )
    result = run(options, progress=None if args.quiet else sys.stderr)
    print(_printable(result.render()))
    return 0


def _small_file(option: str, path: Path, limit: int = 1 << 20) -> bytes:
    """The bytes of a small regular file (a checkpoint, a public key)."""
    found = _stat(option, path)
    if found is None:
        raise CommandLineError(option, "no such file", str(path))
    if not stat.S_ISREG(found.st_mode):
        raise CommandLineError(option, "is not a regular file", str(path))
    if found.st_size > limit:
        raise CommandLineError(option, f"holds more than {limit} bytes", str(path))
    try:
        return path.read_bytes()
    except OSError as exc:
        raise CommandLineError(option, f"cannot be read ({exc.strerror})", str(path)) from None


def _schema_version(path: Path, option: str = "DB") -> int:
    """The hallflow schema of a SQLite file (``PRAGMA user_version``), read without writing."""
    import sqlite3

    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
        finally:
            conn.close()
    except sqlite3.Error as exc:
        raise CommandLineError(option, f"cannot be read as SQLite ({exc})", str(path)) from None
    if version < 1 or "events" not in tables:
        raise CommandLineError(option, "is a SQLite file but not a hallflow store", str(path))
    return version


def _cmd_audit(args: argparse.Namespace) -> int:
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    from hallflow.cases.audit import audit_store
    from hallflow.seals import SealImpression, verify_impression
    from hallflow.store import SQLiteStore
    from hallflow.store.chain import Checkpoint

    found = _stat("DB", args.db)
    if found is None or not stat.S_ISREG(found.st_mode) or not found.st_size:
        raise CommandLineError("DB", "must be an existing hallflow SQLite file", str(args.db))
    _db_file("DB", args.db)  # a SQLite file, by its header
    schema = _schema_version(args.db)
    checkpoints = []
    for path in args.checkpoint:
        text = _small_file("--checkpoint", path)
        try:
            checkpoints.append(Checkpoint.from_json(text.decode("utf-8")))
        except UnicodeDecodeError:
            raise CommandLineError("--checkpoint", "is not UTF-8 JSON", str(path)) from None
    keys: dict[str, bytes] = {}
    for given in args.public_key:
        key_id, sep, file = given.partition("=")
        if not sep or not key_id or not file:
            raise CommandLineError("--public-key", "must be KEY_ID=PEM_FILE", given)
        pem = _small_file("--public-key", _path(file))
        try:
            load_pem_public_key(pem)
        except (ValueError, TypeError):
            raise CommandLineError("--public-key", "is not a PEM public key", file) from None
        keys[key_id] = pem

    def verify_seal(impression: SealImpression, document: object) -> bool | None:
        pem = keys.get(impression.key_id)
        if pem is None:
            return None
        return verify_impression(impression, document, pem)  # type: ignore[arg-type]

    with SQLiteStore(args.db) as store:
        report = audit_store(store, checkpoints=checkpoints, verify_seal=verify_seal)
    if schema < 2:
        print(
            f"note: the file had schema {schema} and was migrated to hash chains now; they "
            f"vouch for its history from this migration on, not before"
        )
    for line in report.lines():
        print(_printable(line))
    chain = report.chain
    verdict = "clean" if report.ok else f"{len(chain.breaks) + len(report.findings)} problem(s)"
    checked = (
        f"signatures checked for keys {', '.join(sorted(keys))}"
        if keys
        else "documents only: give --public-key to check signatures"
    )
    print(
        f"audit {verdict}: {chain.cases} streams, {chain.events} events, {chain.positions} "
        f"appends, {len(checkpoints)} checkpoint(s); {report.cases} cases replayed, "
        f"{report.seals} seals ({checked})"
    )
    return 0 if report.ok else 1


# ---- the parser


# ---- hallflow report (supervision statistics)

_REPORT_FORMATS = ("table", "csv", "json", "parquet")
_REPORT_GROUPS = ("hall", "window", "department", "matter", "staff")


def _is_dsn(target: str) -> bool:
    return target.startswith(("postgresql://", "postgres://"))


def _open_store(
    option: str, target: str, schema: str | None, *, create: bool, timeout: float = 10.0
) -> Any:
    """Open the store ``target`` names: a ``postgresql://`` DSN, else a SQLite file path.

    ``create``: a SQLite file may be new (else it must be an existing hallflow store).
    """
    if _is_dsn(target):
        try:
            from hallflow.store.postgres import PostgresStore
        except ImportError:
            shown = target.split("@", 1)[-1]  # the host and database, never a password
            raise CommandLineError(
                option, "needs psycopg 3: pip install 'hallflow[postgres]'", shown
            ) from None
        return PostgresStore(target, schema=schema, timeout=timeout)
    if schema is not None:
        raise CommandLineError(f"--{option.lower()}-schema", "is only for a PostgreSQL DSN", schema)
    from hallflow.store import SQLiteStore

    path = _path(target)
    _db_file(option, path)
    if not create:  # the source: never created, never migrated by a copy
        from hallflow.store.sqlite import SCHEMA_VERSION

        found = _stat(option, path)
        if found is None or not found.st_size:
            raise CommandLineError(option, "must be an existing hallflow store", target)
        version = _schema_version(path, option)
        if version != SCHEMA_VERSION:
            raise CommandLineError(
                option,
                f"is at hallflow schema {version}, not {SCHEMA_VERSION}: run 'hallflow db "
                f"migrate' on it first",
                target,
            )
    return SQLiteStore(path)


def _cmd_db_migrate(args: argparse.Namespace) -> int:
    if args.schema is not None and not _is_dsn(args.target):
        raise CommandLineError("--schema", "is only for a PostgreSQL DSN", args.schema)
    with _open_store(
        "TARGET", args.target, args.schema, create=True, timeout=args.timeout
    ) as store:
        if _is_dsn(args.target):
            from hallflow.store.postgres import SCHEMA_VERSION as PG_VERSION

            print(f"PostgreSQL schema {store.schema!r}: hallflow schema version {PG_VERSION}")
        else:
            from hallflow.store.sqlite import SCHEMA_VERSION as SQLITE_VERSION

            print(f"SQLite file {args.target}: hallflow schema version {SQLITE_VERSION}")
    return 0


def _cmd_db_copy(args: argparse.Namespace) -> int:
    from hallflow.store.copy import copy_store

    with (
        _open_store("SRC", args.src, args.src_schema, create=False, timeout=args.timeout) as source,
        _open_store("DST", args.dst, args.dst_schema, create=True, timeout=args.timeout) as target,
    ):
        report = copy_store(source, target)
    rows = report.rows
    print(
        f"copied {rows['cases']} cases, {rows['events']} events, {rows['idempotency']} "
        f"idempotency keys and {rows['chain']} hall-chain entries; the copy verifies, "
        f"head {report.head.position} {report.head.link}"
    )
    return 0


def _report_period(text: str) -> object:
    from hallflow.supervision.stats import Period, StatisticsError

    try:
        return Period.parse(text)
    except StatisticsError as exc:
        raise argparse.ArgumentTypeError(f"{_quoted(text)}: {exc.rule}") from None


def _writable(option: str, path: Path) -> None:
    folder = _stat(option, path.parent)
    if folder is None or not stat.S_ISDIR(folder.st_mode):
        raise CommandLineError(option, f"its folder {str(path.parent)!r} does not exist", str(path))
    found = _stat(option, path)
    if found is not None and stat.S_ISDIR(found.st_mode):
        raise CommandLineError(option, "is a folder, not a file", str(path))


def _cmd_report(args: argparse.Namespace) -> int:
    from hallflow.demo import build_hall
    from hallflow.store import SQLiteStore
    from hallflow.supervision.stats import Grouping, StatisticsError, compute

    found = _stat("DB", args.db)
    if found is None or not stat.S_ISREG(found.st_mode) or not found.st_size:
        raise CommandLineError("DB", "must be an existing hallflow SQLite file", str(args.db))
    _db_file("DB", args.db)
    _schema_version(args.db)
    if args.format == "parquet" and args.output is None:
        raise CommandLineError("--format", "parquet is binary: give --output PATH", "parquet")
    for option, path in (("--output", args.output), ("--html", args.html)):
        if path is not None:
            _writable(option, path)
    if args.plots is not None:
        found = _stat("--plots", args.plots)
        if found is not None and not stat.S_ISDIR(found.st_mode):
            raise CommandLineError("--plots", "is a file, not a folder", str(args.plots))
    with SQLiteStore(args.db) as store:
        hall, _ = build_hall(store, locality=args.locality)
        report = compute(hall, args.period, Grouping(args.by))
        by_window = report if args.by == "window" else None
        if args.plots is not None or args.html is not None:
            by_window = by_window or compute(hall, args.period, Grouping.WINDOW)
    from hallflow.supervision import report as out

    text: str | None = None
    if args.format == "table":
        text = out.render_table(report)
    elif args.format == "csv":
        text = out.to_csv(report)
    elif args.format == "json":
        text = out.to_json(report)
    if args.format == "parquet":
        out.write_parquet(report, args.output)
    elif args.output is not None and text is not None:
        try:
            args.output.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise StatisticsError(
                "--output", f"cannot be written ({exc.strerror})", str(args.output)
            ) from None
    elif text is not None:
        sys.stdout.write(_printable(text))
    if args.plots is not None or args.html is not None:
        from hallflow.supervision import plots

        font = plots.cjk_font()
        assert by_window is not None
        if args.plots is not None:
            for path in plots.draw(report, by_window, args.plots, font=font):
                print(f"plot: {_printable(str(path))}", file=sys.stderr)
        if args.html is not None:
            from hallflow.supervision.html import render_html

            try:
                args.html.write_text(render_html(report, by_window, font), encoding="utf-8")
            except OSError as exc:
                raise StatisticsError(
                    "--html", f"cannot be written ({exc.strerror})", str(args.html)
                ) from None
            print(f"html: {_printable(str(args.html))}", file=sys.stderr)
    return 0


class _Parser(argparse.ArgumentParser):
    """argparse, with the error line kept to one line whatever the arguments hold."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: error: {_one_line(message)}\n")

    def parse_known_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        parsed, extras = super().parse_known_args(args, namespace)
        # Python 3.11's argparse drops the value of "--opt=--" (or "-o--") and stores an empty
        # list, without calling the option's type: refuse it as the option's value is missing.
        for action in self._actions:
            value = getattr(parsed, action.dest, None)
            appended = isinstance(action, argparse._AppendAction)
            if action.option_strings and action.nargs is None and isinstance(value, list):
                if appended and all(isinstance(v, str | Path) for v in value):
                    continue
                self.error(f"argument {'/'.join(action.option_strings)}: expected one argument")
        return parsed, extras


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
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
            "supervision summary, counted from the stored events, and one case's timeline. "
            f"The period lies within {DEMO_FIRST_DAY}..{DEMO_LAST_DAY}."
        ),
    )
    demo.add_argument(
        "--locality",
        metavar="NAME",
        help="load the installed locality plugin of that entry-point name (e.g. zhenlai); "
        "default: the embedded national demo",
    )
    when = demo.add_mutually_exclusive_group()
    when.add_argument(
        "--start",
        type=_DEMO_DAY,
        metavar="DATE",
        help=f"first day simulated ({DEMO_FIRST_DAY} to {DEMO_LAST_DAY})",
    )
    when.add_argument(
        "--month",
        type=_DEMO_MONTH,
        metavar="YYYY-MM",
        help=f"simulate this calendar month ({DEMO_FIRST_DAY:%Y-%m} to {DEMO_LAST_DAY:%Y-%m})",
    )
    demo.add_argument(
        "--days",
        type=_DEMO_DAYS,
        metavar="N",
        help=f"calendar days simulated, 1 to {DEMO_MAX_DAYS} (default 31, or the month)",
    )
    demo.add_argument(
        "--volume",
        type=_DEMO_VOLUME,
        default=20.0,
        metavar="N",
        help=f"mean applications per working day, 0 to {DEMO_MAX_VOLUME:g} (default 20)",
    )
    demo.add_argument(
        "--seed", type=_SEED, default=2026, help="random seed, 0 to 2**63-1 (default 2026)"
    )
    demo.add_argument(
        "--db",
        type=_path,
        metavar="PATH",
        help="SQLite file to write: new, empty, or a database without cases (default: a temp file)",
    )
    demo.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    demo.set_defaults(run=_cmd_demo)

    audit = groups.add_parser(
        "audit",
        help="check that a hall's stored history proves itself (chains, replays, seals)",
        description=(
            "Recompute the hash chains of a hallflow SQLite store, replay every case, and check "
            "every seal's document against the decision the events record (and its signature, "
            "given the seal key's public key). Exit 0 when clean, 1 with one line per problem."
        ),
    )
    audit.add_argument("db", type=_path, metavar="DB", help="the hallflow SQLite file")
    audit.add_argument(
        "--checkpoint",
        type=_path,
        action="append",
        default=[],
        metavar="FILE",
        help="a signed checkpoint (JSON) to compare the hall chain with; repeatable",
    )
    audit.add_argument(
        "--public-key",
        action="append",
        default=[],
        metavar="KEY_ID=PEM",
        help="the public key of a seal key, to verify its seals' signatures; repeatable",
    )
    audit.set_defaults(run=_cmd_audit)

    cal = groups.add_parser("calendar", help="China's working-day calendar")
    commands = cal.add_subparsers(dest="command", required=True)

    def calendar_options(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--data",
            type=_path,
            metavar="DIR",
            help="folder of year files from import-notice; replaces shipped or provisional "
            "years (it must exist and hold at least one YEAR.toml)",
        )
        p.add_argument(
            "--until",
            type=_UNTIL,
            default=2030,
            metavar="YEAR",
            help=f"last year compiled, {FIRST_YEAR} to {LAST_YEAR}; unpublished years are "
            f"provisional (default 2030)",
        )

    day_range = f"{FIRST_YEAR}-01-01 to {LAST_YEAR}-12-31, within --until"
    due = commands.add_parser(
        "due", help="the due date of a working-day limit, with every day explained"
    )
    due.add_argument(
        "date", type=_CALENDAR_DAY, help=f"the day the case was accepted (not counted; {day_range})"
    )
    due.add_argument(
        "days",
        type=_LIMIT,
        help=f"the limit in working days, -{MAX_LIMIT} to {MAX_LIMIT} (negative counts back)",
    )
    due.add_argument("--brief", action="store_true", help="print only the due date")
    calendar_options(due)
    due.set_defaults(run=_cmd_due)

    day = commands.add_parser("day", help="what the calendar says about days, and why")
    day.add_argument("dates", type=_CALENDAR_DAY, nargs="+", metavar="DATE", help=day_range)
    calendar_options(day)
    day.set_defaults(run=_cmd_day)

    between = commands.add_parser("between", help="count the working days in (START, END]")
    between.add_argument("start", type=_CALENDAR_DAY, help=day_range)
    between.add_argument("end", type=_CALENDAR_DAY, help=day_range)
    calendar_options(between)
    between.set_defaults(run=_cmd_between)

    imp = commands.add_parser(
        "import-notice", help="turn a State Council holiday notice into a year data file"
    )
    imp.add_argument(
        "file",
        type=_path,
        metavar="FILE",
        help="the notice text: UTF-8 (with or without BOM) or GB18030/GBK",
    )
    imp.add_argument(
        "-o",
        "--output",
        type=_path,
        default=Path("."),
        metavar="DIR",
        help="folder to write YEAR.toml into (made if missing; default: here)",
    )
    imp.add_argument(
        "--year",
        type=_YEAR,
        help=f"the year ({FIRST_YEAR} to {LAST_YEAR}), only for a text whose title does not "
        f"state it; a title's year must agree",
    )
    imp.add_argument(
        "--apply",
        type=_path,
        metavar="DB",
        help="then recompute the open clocks of this hallflow SQLite store on the calendar "
        "with the notice, and record a due_moved event on every case whose due date moves",
    )
    imp.add_argument(
        "--locality",
        metavar="NAME",
        help="with --apply: the hall's rules, as for 'hallflow demo' (default: national)",
    )
    imp.add_argument(
        "--at",
        type=_instant,
        metavar="DATETIME",
        help="with --apply: the instant the clocks are read at, ISO 8601 with a UTC offset "
        "(default: now)",
    )
    imp.set_defaults(run=_cmd_import_notice)

    report = groups.add_parser(
        "report",
        help="supervision statistics of a period, by window, department, matter or staff",
        description=(
            "Count a period's supervision statistics from the events of a hallflow SQLite "
            "store (a hall assembled as the demo's, with --locality's rules) and print them "
            "as a table, or write CSV, JSON or Parquet; optionally draw the plots (PNG and "
            "SVG) and a single-file HTML report. See docs/reports.md for every formula."
        ),
    )
    report.add_argument("db", type=_path, metavar="DB", help="the hallflow SQLite file")
    report.add_argument(
        "--period",
        type=_report_period,
        required=True,
        metavar="PERIOD",
        help="YYYY-MM (a month), YYYY-MM-DD, or YYYY-MM-DD..YYYY-MM-DD",
    )
    report.add_argument(
        "--by", choices=_REPORT_GROUPS, default="hall", help="the rows (default: hall)"
    )
    report.add_argument("--format", choices=_REPORT_FORMATS, default="table", help="default: table")
    report.add_argument(
        "--output", type=_path, metavar="PATH", help="write there instead of standard output"
    )
    report.add_argument(
        "--plots", type=_path, metavar="DIR", help="draw the plots into DIR (PNG and SVG)"
    )
    report.add_argument("--html", type=_path, metavar="PATH", help="write the HTML report")
    report.add_argument(
        "--locality",
        metavar="NAME",
        help="the installed locality plugin the hall was run with (as for demo)",
    )
    report.set_defaults(run=_cmd_report)
    db = groups.add_parser(
        "db", help="event stores: migrate a schema, copy a hall between SQLite and PostgreSQL"
    )
    db_commands = db.add_subparsers(dest="command", required=True)
    migrate = db_commands.add_parser(
        "migrate",
        help="create or upgrade a store's schema",
        description="Create a hallflow store, or bring its schema to this hallflow's version "
        "(once, however many processes do it at once), and print the version.",
    )
    migrate.add_argument(
        "target", metavar="TARGET", help="a postgresql:// DSN, or a SQLite file path"
    )
    migrate.add_argument("--schema", metavar="NAME", help="the PostgreSQL schema (default: public)")
    timeout_help = "seconds to wait for a PostgreSQL server, 0.1 to 3600 (default 10)"
    migrate.add_argument(
        "--timeout", type=_number(0.1, 3600), default=10.0, metavar="S", help=timeout_help
    )
    migrate.set_defaults(run=_cmd_db_migrate)
    copy = db_commands.add_parser(
        "copy",
        help="copy a whole hall into an empty store, verified by the hash chains",
        description="Copy every event (with its recorded_at and digest), case row, "
        "idempotency key and hall-chain entry of SRC into DST, which must hold no case, then "
        "verify the copy: its chains must be clean and end at SRC's head, so checkpoints "
        "signed on SRC verify on DST. SRC and DST are each a SQLite file path or a "
        "postgresql:// DSN.",
    )
    copy.add_argument("src", metavar="SRC", help="the store to copy (it must verify)")
    copy.add_argument("dst", metavar="DST", help="an empty or new store")
    copy.add_argument("--src-schema", metavar="NAME", help="SRC's PostgreSQL schema")
    copy.add_argument("--dst-schema", metavar="NAME", help="DST's PostgreSQL schema")
    copy.add_argument(
        "--timeout", type=_number(0.1, 3600), default=10.0, metavar="S", help=timeout_help
    )
    copy.set_defaults(run=_cmd_db_copy)

    for choice in (groups, commands, db_commands):  # a missing command is named by its choices
        choice.metavar = "{" + ",".join(choice.choices) + "}"
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (0 done, 2 refused).

    A malformed argument ends in argparse's usage error (``SystemExit(2)``); a refusal while
    the command runs (a :class:`HallflowError`) is printed as one line on standard error.
    Other exceptions are bugs and propagate.
    """
    args = _parser().parse_args(argv)
    try:
        status: int = args.run(args)
    except HallflowError as exc:
        hint = ""
        if isinstance(exc, CalendarRangeError) and args.group == "calendar":
            hint = f" (command line: pass --until YEAR, up to {LAST_YEAR})"
        print(f"hallflow: error: {_one_line(str(exc))}{hint}", file=sys.stderr)
        return 2
    return status


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
