"""`dsr audit report`: deadline compliance per request and step, as CSV or one HTML page.

Which requests: those with any deadline STARTED in [start, end), and of them the steps
whose deadline started in the range. A deadline is judged in the period it started in, so
consecutive reports count every step exactly once, and a request submitted late in one
month whose work runs into the next is still reported where its steps began. Figures come
from the deadline events (the hash-chained record): the store keeps each step's record,
folded from its events, in `deadline_compliance` (a trigger on every append), and the
report reads the steps started in the range (`store.compliance_report`) and judges them by
`domain.compliance`, so a month's report does not fold every event of the month again.
`kept_compliance_problem` checks those rows against a fold of the events themselves.

The page is `templates/report.html`, autoescaped; this module gives it the report, the
formats of times and spans, and the chart's geometry (`audit.chart`).
"""

from __future__ import annotations

import contextlib
import csv
import gc
import html
import io
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import jinja2
from markupsafe import Markup

from audit.chart import COLOURS, chart, span
from domain.compliance import compliance_from_records
from domain.compliance_report import ComplianceReport, ReportRange, Verdict
from store.compliance_report import kept_and_folded, steps_started_in

CSV_COLUMNS = (
    "request_id",
    "kind",
    "step",
    "party",
    "started_at",
    "due_at",
    "finished_at",
    "verdict",
    "extensions",
    "last_extension_reason",
    "time_to_handle_hours",
    "paused_for_subject_hours",
)


def _utc(moment: datetime) -> datetime:
    # A date from the command line without a zone means UTC, as every time in the report.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


async def build_report(
    pool: asyncpg.Pool, start: datetime, end: datetime, *, as_of: datetime | None = None
) -> ComplianceReport:
    """The report for deadlines started in [start, end), judged at `as_of` (default now)."""
    start, end = _utc(start), _utc(end)
    if end <= start:
        raise ValueError(
            f"the range is empty: the end ({end.isoformat()}) must be after "
            f"the start ({start.isoformat()})"
        )
    as_of = _utc(as_of) if as_of is not None else datetime.now(UTC)
    with _no_collection():
        steps = await steps_started_in(pool, start, end)
        return compliance_from_records(
            steps.records,
            steps.kinds,
            as_of,
            reasons=steps.reasons,
            period=ReportRange(start=start, end=end),
        )


@contextlib.contextmanager
def _no_collection() -> Iterator[None]:
    """Reading and judging a month builds tens of thousands of small objects and frees
    none: the cyclic collector would walk them, and the rest of the process's heap, again
    and again (a fifth of the time or more) to find no garbage. Objects are still freed
    as they go; only the cycle search waits the second the report takes."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


async def kept_compliance_problem(pool: asyncpg.Pool, request_id: str) -> str | None:
    """None when the request's `deadline_compliance` rows are what its deadline events
    fold to; otherwise the first step that differs. The rows are a projection the report
    trusts, so one changed by hand must show here, as a changed event shows in the chain."""
    shown, folded = await kept_and_folded(pool, request_id)
    for step in sorted(shown.keys() | folded.keys()):
        if shown.get(step) != folded.get(step):
            return (
                f"the deadline_compliance row of step {step} shows {shown.get(step)}, "
                f"the events fold to {folded.get(step)}"
            )
    return None


def _iso(moment: datetime | None) -> str:
    return "" if moment is None else _utc(moment).isoformat().replace("+00:00", "Z")


def _hours(duration: timedelta | None) -> str:
    return "" if duration is None else f"{duration.total_seconds() / 3600:.2f}"


def _cell(text: str) -> str:
    # Operators' free text opened in a spreadsheet must not run as a formula.
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def render_csv(report: ComplianceReport) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for row in report.rows:
        last_reason = row.extensions[-1].reason if row.extensions else None
        writer.writerow(
            [
                row.request_id,
                row.kind,
                row.step,
                row.party.value,
                _iso(row.started_at),
                _iso(row.due_at),
                _iso(row.finished_at),
                row.verdict.value,
                len(row.extensions),
                _cell(last_reason or ""),
                _hours(row.time_to_handle),
                _hours(row.paused_for_subject),
            ]
        )
    return out.getvalue()


def _rate(rate: float | None) -> str:
    return "n/a" if rate is None else f"{rate:.1%}"


def _when(moment: datetime | None) -> str:
    """Readable UTC time for the page; the CSV keeps full ISO 8601."""
    if moment is None:
        return ""
    moment = _utc(moment)
    return moment.strftime("%Y-%m-%d %H:%M:%S" if moment.second else "%Y-%m-%d %H:%M")


def _escaped(value: object) -> object:
    # Autoescaping spelled as `html.escape` spells it (&#x27;, &quot;), as the page always
    # has been: markup the template marks safe passes as it is.
    return value if isinstance(value, Markup) else Markup(html.escape(str(value), quote=True))


_PAGES = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=True,
    finalize=_escaped,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=False,
)
_PAGES.filters.update(rate=_rate, span=span, when=_when, iso=_iso)


def render_html(report: ComplianceReport) -> str:
    scope = (
        "all deadlines"
        if report.range is None
        else f"deadlines started from {_iso(report.range.start)} to before {_iso(report.range.end)}"
    )
    cards = [
        (report.steps_total, "steps"),
        (report.met, "met"),
        (report.breached, "breached (incl. late, overdue)"),
        (report.lapsed, "lapsed (subject)"),
        (report.open, "open, not yet due"),
        (_rate(report.on_time_rate), "on time (organisation's steps)"),
        (span(report.paused_for_subject) or "0.0 h", "paused for the subject"),
    ]
    return _PAGES.get_template("report.html").render(
        report=report,
        scope=scope,
        cards=cards,
        verdicts=list(Verdict),
        colours=COLOURS,
        chart=chart(report),
    )
