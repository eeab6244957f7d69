"""`dsr audit report`: deadline compliance per request and step, as CSV or one HTML page.

Which requests: those with any deadline STARTED in [start, end), and of them the steps
whose deadline started in the range. A deadline is judged in the period it started in, so
consecutive reports count every step exactly once, and a request submitted late in one
month whose work runs into the next is still reported where its steps began. Figures come
from the deadline events (the hash-chained record): the store keeps each step's record,
folded from its events, in `deadline_compliance` (a trigger on every append), and the
report reads the steps started in the range and judges them by `domain.compliance`, so a
month's report does not fold every event of the month again. `kept_compliance_problem`
checks those rows against a fold of the events themselves. Extension reasons are the
operators' notes, read here because the events carry only ids, and opened with the vault
(an erased one shows as erased).
"""

from __future__ import annotations

import contextlib
import csv
import gc
import html
import io
import math
import uuid
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta

import asyncpg

from domain.compliance import ExtensionRecord, StepRecord, compliance_from_records, step_records
from domain.compliance_report import ComplianceReport, ReportRange, StepCompliance, Tally, Verdict
from domain.events import RecordedEvent
from store.sealing import vault_of

CSV_COLUMNS = (
    "request_id", "kind", "step", "party", "started_at", "due_at", "finished_at", "verdict",
    "extensions", "last_extension_reason", "time_to_handle_hours", "paused_for_subject_hours",
)
# The columns of `deadline_compliance`, in the order of a StepRecord's fields.
_KEPT_COLUMNS = ", ".join(StepRecord._fields)
_KEPT_COLUMNS_OF_K = ", ".join(f"k.{name}" for name in StepRecord._fields)


def _utc(moment: datetime) -> datetime:
    # A date from the command line without a zone means UTC, as every time in the report.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


async def build_report(
    pool: asyncpg.Pool, start: datetime, end: datetime, *, as_of: datetime | None = None
) -> ComplianceReport:
    """The report for deadlines started in [start, end), judged at `as_of` (default now)."""
    start, end = _utc(start), _utc(end)
    if end <= start:
        raise ValueError(f"the range is empty: the end ({end.isoformat()}) must be after "
                         f"the start ({start.isoformat()})")
    as_of = _utc(as_of) if as_of is not None else datetime.now(UTC)
    with _no_collection():
        async with pool.acquire() as connection:
            rows = await connection.fetch(
                f"""SELECT {_KEPT_COLUMNS_OF_K}, r.kind FROM deadline_compliance k
                      JOIN requests r USING (request_id)
                     WHERE k.started_at >= $1 AND k.started_at < $2""",
                start, end,
            )
            records = [_kept(row[:-1]) for row in rows]
            kinds = {row["request_id"]: row["kind"] for row in rows}
            reasons = await _reasons(connection, records)
        return compliance_from_records(records, kinds, as_of, reasons=reasons,
                                       period=ReportRange(start=start, end=end))


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


def _kept(row: asyncpg.Record) -> StepRecord:
    """A step's record as `deadline_compliance` keeps it (the row as it is, but for the
    extensions, which it keeps as JSON)."""
    record = StepRecord._make(row)
    if record.extensions is None:
        return record
    return record._replace(extensions=tuple(
        ExtensionRecord(at=datetime.fromisoformat(granted["at"]), due_at=granted["due_at"],
                        previous_due_at=granted["previous_due_at"],
                        reason_note_id=granted["reason_note_id"], by=granted["by"])
        for granted in record.extensions))


async def _reasons(
    connection: asyncpg.Connection, records: Iterable[StepRecord]
) -> dict[str, str]:
    note_ids: set[uuid.UUID] = set()
    for granted in (e for record in records for e in record.extensions or ()):
        if granted.reason_note_id:
            try:
                note_ids.add(uuid.UUID(str(granted.reason_note_id)))
            except ValueError:
                continue  # not a note id the store could hold; the row shows no reason
    if not note_ids:
        return {}
    notes = await connection.fetch(
        "SELECT note_id, body FROM operator_notes WHERE note_id = ANY($1::uuid[])",
        list(note_ids),
    )
    vault = vault_of(connection)  # a note whose key was destroyed shows as erased
    return {str(note["note_id"]): vault.open(note["body"]) for note in notes}


async def kept_compliance_problem(pool: asyncpg.Pool, request_id: str) -> str | None:
    """None when the request's `deadline_compliance` rows are what its deadline events
    fold to; otherwise the first step that differs. The rows are a projection the report
    trusts, so one changed by hand must show here, as a changed event shows in the chain."""
    async with pool.acquire() as connection, connection.transaction(
        isolation="repeatable_read", readonly=True
    ):
        kept = await connection.fetch(
            f"SELECT {_KEPT_COLUMNS} FROM deadline_compliance WHERE request_id = $1",
            request_id,
        )
        events = await connection.fetch(
            """SELECT request_id, seq, type, payload, occurred_at, actor, idempotency_key,
                      prev_hash, hash
                 FROM request_events
                WHERE request_id = $1 AND type LIKE 'deadline.%'
                ORDER BY seq""",
            request_id,
        )
    shown = {record.step: record for record in map(_kept, kept)}
    folded = {record.step: record for record in step_records(request_id, (
        # As stored, unvalidated: the fold reads only type, payload, time and actor.
        RecordedEvent.model_construct(**dict(row)) for row in events))}
    for step in sorted(shown.keys() | folded.keys()):
        if shown.get(step) != folded.get(step):
            return (f"the deadline_compliance row of step {step} shows {shown.get(step)}, "
                    f"the events fold to {folded.get(step)}")
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
        writer.writerow([
            row.request_id, row.kind, row.step, row.party.value, _iso(row.started_at),
            _iso(row.due_at), _iso(row.finished_at), row.verdict.value, len(row.extensions),
            _cell(last_reason or ""), _hours(row.time_to_handle),
            _hours(row.paused_for_subject),
        ])
    return out.getvalue()


COLOURS = {
    Verdict.MET: "#2e7d32", Verdict.COMPLETED_LATE: "#c62828", Verdict.BREACHED: "#8e0000",
    Verdict.OPEN_OVERDUE: "#ef6c00", Verdict.LAPSED: "#757575", Verdict.OPEN: "#1565c0",
}
_CSS = """
body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",sans-serif;color:#1a1a1a;margin:24px;
background:#fff}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px}
.meta{color:#555;margin:0 0 16px}
table{border-collapse:collapse;margin:4px 0 8px}
th,td{border:1px solid #d0d0d0;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f3f3f3;font-weight:600}td.n{text-align:right;font-variant-numeric:tabular-nums}
.badge{display:inline-block;padding:1px 7px;border-radius:9px;color:#fff;font-size:12px;
white-space:nowrap}
.cards{display:flex;flex-wrap:wrap;gap:10px}
.card{border:1px solid #d0d0d0;border-radius:6px;padding:8px 14px;min-width:110px}
.card b{display:block;font-size:22px}.card span{color:#555;font-size:12px}
ul.ext{margin:0;padding-left:16px}svg{max-width:100%;height:auto;display:block}
.note{color:#555;font-size:12px;max-width:1100px}.t{white-space:nowrap}
table.steps{font-size:13px}table.steps td.x{min-width:230px}
"""


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _rate(rate: float | None) -> str:
    return "n/a" if rate is None else f"{rate:.1%}"


def _badge(verdict: Verdict) -> str:
    return (f'<span class="badge" style="background:{COLOURS[verdict]}">'
            f"{_e(verdict.value.replace('_', ' '))}</span>")


def _span(duration: timedelta | None) -> str:
    if duration is None:
        return ""
    hours = duration.total_seconds() / 3600
    return f"{hours / 24:.1f} d" if abs(hours) >= 48 else f"{hours:.1f} h"


def _tally_cells(tally: Tally) -> str:
    figures = (tally.total, tally.met, tally.breached, tally.lapsed, tally.open)
    return "".join(f'<td class="n">{n}</td>' for n in figures) + (
        f'<td class="n">{_rate(tally.on_time_rate)}</td>')


_TALLY_HEAD = ("<th>steps</th><th>met</th><th>breached</th><th>lapsed</th><th>open</th>"
               "<th>on time</th>")


def _summary(report: ComplianceReport) -> str:
    cards = [
        (report.steps_total, "steps"), (report.met, "met"),
        (report.breached, "breached (incl. late, overdue)"), (report.lapsed, "lapsed (subject)"),
        (report.open, "open, not yet due"),
        (_rate(report.on_time_rate), "on time (organisation's steps)"),
        (_span(report.paused_for_subject) or "0.0 h", "paused for the subject"),
    ]
    parts = ['<div class="cards">', *(f'<div class="card"><b>{_e(v)}</b><span>{_e(k)}</span>'
                                      "</div>" for v, k in cards), "</div>"]
    parts.append("<h2>By verdict</h2><table><tr>" + "".join(
        f"<th>{_badge(v)}</th>" for v in Verdict) + "</tr><tr>" + "".join(
        f'<td class="n">{report.verdicts.get(v, 0)}</td>' for v in Verdict) + "</tr></table>")
    parts.append(f"<h2>By step</h2><table><tr><th>step</th><th>party</th>{_TALLY_HEAD}</tr>")
    parts += [f"<tr><td>{_e(s.step)}</td><td>{_e(s.party.value)}</td>{_tally_cells(s)}</tr>"
              for s in report.per_step]
    parts.append(f"</table><h2>By kind</h2><table><tr><th>kind</th><th>requests</th>"
                 f"{_TALLY_HEAD}</tr>")
    parts += [f'<tr><td>{_e(k.kind)}</td><td class="n">{k.requests}</td>{_tally_cells(k)}</tr>'
              for k in report.per_kind]
    parts.append("</table>")
    return "\n".join(parts)


def _tick_step(span_hours: float, unit: float) -> float:
    for candidate in (1, 2, 3, 6, 12, 24, 48, 72, 168, 336, 720, 1440, 4320, 8760):
        if candidate % unit == 0 and span_hours / candidate <= 10:
            return candidate
    return 8760 * math.ceil(span_hours / 8760 / 10)


def _legend(x: float, y: float, items: list[tuple[str, str]]) -> tuple[list[str], float]:
    out = []
    for name, fill in items:
        mark = (f'<line x1="{x + 7}" y1="{y - 2}" x2="{x + 7}" y2="{y + 12}" stroke="#222" '
                'stroke-width="2"/>' if fill == "due" else
                f'<rect x="{x}" y="{y}" width="14" height="10" fill="{fill}"/>')
        out.append(f'{mark}<text x="{x + 19}" y="{y + 9}">{_e(name)}</text>')
        x += 32 + 6.5 * len(name)
    return out, x


def _chart(report: ComplianceReport) -> str:
    """Per row, the step's window from its start (grey, extensions hatched) with its due
    time marked, and the time taken over it as a bar coloured by verdict. All lanes share
    one axis of elapsed time since the step started, so windows of any length compare."""
    rows = report.rows
    if not rows:
        return '<p class="note">No deadline started in this range.</p>'

    def taken(row: StepCompliance) -> timedelta:
        return row.time_to_handle or max(report.as_of - row.started_at, timedelta(0))

    longest = max(max(r.allowed, r.original_due_at - r.started_at) for r in rows)
    # An open step in an old range would stretch the axis for decades; cap it and let the
    # lane's label give the figure.
    span = max(longest, min(max(taken(r) for r in rows), longest * 2)).total_seconds() / 3600
    unit = 24.0 if span >= 48 else 1.0
    tick_every = _tick_step(span, unit)
    span = tick_every * math.ceil(span / tick_every)
    labels = [f"{r.request_id} · {r.step}" for r in rows]
    # No text measuring in SVG without script: 7 px a character is wide enough at 12 px.
    label_w = 16 + 7 * max(len(label) for label in labels)
    plot_w, text_w, lane, top = 760, 190, 24, 62
    width, height = label_w + plot_w + text_w, top + lane * len(rows) + 28

    def x(duration: timedelta) -> float:
        hours = min(duration.total_seconds() / 3600, span)
        return round(label_w + plot_w * max(hours, 0) / span, 1)

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
           f'width="{width}" height="{height}" role="img" font-family="system-ui,sans-serif" '
           'font-size="12"><title>Time to handle against the due time, per step</title>',
           '<defs><pattern id="ext" width="6" height="6" patternUnits="userSpaceOnUse" '
           'patternTransform="rotate(45)"><rect width="6" height="6" fill="#e8e8e8"/>'
           '<line x1="0" y1="0" x2="0" y2="6" stroke="#a0a0a0" stroke-width="2"/></pattern>'
           "</defs>"]
    marks, after = _legend(label_w, 6, [("window allowed", "#e0e0e0"),
                                        ("extension", "url(#ext)"), ("due time", "due")])
    out += marks
    out.append(f'<text x="{after + 10}" y="15" fill="#555">bar: time taken (pale: still '
               "running, up to the report time)</text>")
    out += _legend(label_w, 24, [(v.value.replace("_", " "), c) for v, c in COLOURS.items()])[0]
    suffix = "d" if unit == 24 else "h"
    tick = 0.0
    while tick <= span + 1e-9:
        tx = x(timedelta(hours=tick))
        out.append(f'<line x1="{tx}" y1="{top - 4}" x2="{tx}" y2="{height - 24}" '
                   f'stroke="#e4e4e4"/><text x="{tx}" y="{height - 8}" text-anchor="middle" '
                   f'fill="#555">{tick / unit:g} {suffix}</text>')
        tick += tick_every
    out.append(f'<text x="{label_w - 22}" y="{height - 8}" text-anchor="end" fill="#555">'
               "time since the step started →</text>")
    for i, (row, label) in enumerate(zip(rows, labels, strict=True)):
        y = top + i * lane
        colour = COLOURS[row.verdict]
        done = taken(row)
        original = row.original_due_at - row.started_at
        tip = (f"{label}: {row.verdict.value}, took {_span(done)} of {_span(row.allowed)} "
               "allowed")
        out.append(f"<g><title>{_e(tip)}</title>")
        out.append(f'<text x="{label_w - 8}" y="{y + 15}" text-anchor="end">{_e(label)}</text>')
        out.append(f'<rect x="{label_w}" y="{y + 3}" width="{x(original) - label_w}" '
                   'height="16" fill="#e0e0e0"/>')
        if row.due_at != row.original_due_at:
            out.append(f'<rect x="{x(original)}" y="{y + 3}" '
                       f'width="{max(x(row.allowed) - x(original), 0)}" height="16" '
                       'fill="url(#ext)"/>')
        opacity = "0.5" if row.finished_at is None else "1"
        out.append(f'<rect x="{label_w}" y="{y + 7}" width="{max(x(done) - label_w, 1.5)}" '
                   f'height="8" fill="{colour}" fill-opacity="{opacity}"/>')
        if done.total_seconds() / 3600 > span:
            end = label_w + plot_w
            out.append(f'<path d="M{end} {y + 4} l8 7 l-8 7 z" fill="{colour}"/>')
        out.append(f'<line x1="{x(row.allowed)}" y1="{y + 1}" x2="{x(row.allowed)}" '
                   f'y2="{y + 21}" stroke="#222" stroke-width="2"/>')
        status = "" if row.finished_at is not None else " so far"
        out.append(f'<text x="{label_w + plot_w + 14}" y="{y + 15}" fill="{colour}">'
                   f"{_e(_span(done))}{status} / {_e(_span(row.allowed))}</text></g>")
    out.append("</svg>")
    return "\n".join(out)


def _when(moment: datetime | None) -> str:
    """Readable UTC time for the page; the CSV keeps full ISO 8601."""
    if moment is None:
        return ""
    moment = _utc(moment)
    return moment.strftime("%Y-%m-%d %H:%M:%S" if moment.second else "%Y-%m-%d %H:%M")


def _cell_time(moment: datetime | None) -> str:
    # Date and time wrap apart, never at the date's hyphens.
    return " ".join(f'<span class="t">{_e(part)}</span>' for part in _when(moment).split())


def _extensions(row: StepCompliance) -> str:
    if not row.extensions:
        return ""
    items = [f"<li>{_e(_when(e.at))} by {_e(e.by)}: due {_e(_when(e.previous_due))} → "
             f"{_e(_when(e.new_due))}<br>{_e(e.reason or '(no reason on record)')}</li>"
             for e in row.extensions]
    return f'<ul class="ext">{"".join(items)}</ul>'


def _breach(row: StepCompliance) -> str:
    if row.breached_at is None:
        return ""
    return f'<br><small class="t">breached {_e(_when(row.breached_at))}</small>'


def _rows(report: ComplianceReport) -> str:
    head = ("<tr><th>request</th><th>kind</th><th>step</th><th>party</th>"
            "<th>started (UTC)</th><th>due (UTC)</th><th>finished (UTC)</th>"
            "<th>verdict</th><th>extensions</th>"
            "<th>time to handle</th><th>paused for subject</th></tr>")
    body = [
        f'<tr><td class="t">{_e(r.request_id)}</td><td>{_e(r.kind)}</td><td>{_e(r.step)}</td>'
        f'<td>{_e(r.party.value)}</td><td>{_cell_time(r.started_at)}</td>'
        f'<td>{_cell_time(r.due_at)}</td><td>{_cell_time(r.finished_at)}</td>'
        f'<td>{_badge(r.verdict)}{_breach(r)}</td><td class="x">{_extensions(r)}</td>'
        f'<td class="n">{_e(_span(r.time_to_handle))}</td>'
        f'<td class="n">{_e(_span(r.paused_for_subject) if r.paused_for_subject else "")}'
        "</td></tr>"
        for r in report.rows
    ]
    return f'<table class="steps">{head}{"".join(body)}</table>'


def render_html(report: ComplianceReport) -> str:
    scope = ("all deadlines" if report.range is None else
             f"deadlines started from {_iso(report.range.start)} to before "
             f"{_iso(report.range.end)}")
    return "\n".join([
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<title>Deadline compliance report</title>", f"<style>{_CSS}</style></head><body>",
        "<h1>Deadline compliance</h1>",
        f'<p class="meta">{_e(scope)}; judged as of {_e(_iso(report.as_of))}. Computed from '
        "the request event log (deadline.* events).</p>",
        _summary(report),
        "<h2>Time to handle against the due time</h2>", _chart(report),
        "<h2>Steps</h2>", _rows(report),
        '<p class="note">A breach on record stays a breach: an extension granted after it '
        "moves the due time for the remaining work, and the step counts as completed late. "
        "Breached figures count steps completed late and steps still open past their due "
        "time as well as breaches still open. "
        "The on-time rate is met ÷ (met + missed) over steps that are finished or past due; "
        "the overall and per-kind rates count the organisation's steps only, since a "
        "subject's window measures the person. Paused time is the organisation's clock "
        "stopped while a step waited on the subject.</p>",
        "</body></html>",
    ])
