"""Receipt statistics: per-department aggregation of an issue's ledger, the CSV export, and the PNG chart.

Pure functions over `storage.receipts_repo.LedgerLine` values; nothing here touches the database or Telegram.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from storage.push_models import DeliveryState
from storage.receipts_repo import LedgerLine

# Families that carry Chinese glyphs; the first one installed draws the department names on the chart.
_CJK_FONTS = (
    "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "Source Han Sans CN", "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei", "Microsoft YaHei", "SimHei", "PingFang SC", "Heiti SC", "AR PL UMing CN",
    "Droid Sans Fallback",
)

_PENDING_STATES = (DeliveryState.PENDING.value, DeliveryState.SENDING.value)


@dataclass(frozen=True, slots=True)
class DepartmentStats:
    """One department's line of /stats ISSUE (counts of chats, except `articles_opened`)."""

    department: str | None
    delivered: int
    acknowledged: int
    articles_opened: int  # distinct (chat, article) pairs opened
    not_reached: int  # failed or skipped (blocked the bot, chat gone, ...)
    pending: int  # still queued while the push runs

    @property
    def total(self) -> int:
        return self.delivered + self.not_reached + self.pending


def department_stats(lines: Sequence[LedgerLine], departments: Sequence[str]) -> list[DepartmentStats]:
    """Per-department counts: the configured DEPARTMENTS first (in order, zeros included), then others by name,
    then chats with no department."""
    counts: dict[str | None, list[int]] = {d: [0, 0, 0, 0, 0] for d in departments}
    for line in lines:
        c = counts.setdefault(line.department, [0, 0, 0, 0, 0])
        if line.delivered:
            c[0] += 1
            if line.acked_at is not None:
                c[1] += 1
        elif line.delivery_state in _PENDING_STATES:
            c[4] += 1
        else:
            c[3] += 1
        c[2] += len(line.articles_opened)
    configured = list(departments)
    others = sorted(d for d in counts if d is not None and d not in set(configured))
    order: list[str | None] = [*configured, *others]
    if None in counts:
        order.append(None)
    return [
        DepartmentStats(
            d, delivered=counts[d][0], acknowledged=counts[d][1], articles_opened=counts[d][2],
            not_reached=counts[d][3], pending=counts[d][4],
        )
        for d in order
    ]


def totals(rows: Sequence[DepartmentStats]) -> DepartmentStats:
    """The sum over ROWS (department None)."""
    return DepartmentStats(
        None,
        sum(r.delivered for r in rows),
        sum(r.acknowledged for r in rows),
        sum(r.articles_opened for r in rows),
        sum(r.not_reached for r in rows),
        sum(r.pending for r in rows),
    )


# ---- CSV export

CSV_HEADER = (
    "chat_id", "chat_type", "name", "department", "delivery", "sent_at_utc", "failure_reason", "push_id",
    "acknowledged_at_utc", "acknowledged_by", "articles_opened", "reminded_at_utc",
)


def _iso(value: object) -> str:
    return "" if value is None else value.isoformat(timespec="seconds")  # type: ignore[attr-defined]


def ledger_csv(lines: Sequence[LedgerLine]) -> bytes:
    """The ledger as CSV (UTF-8 with a BOM, so that Excel shows the Chinese names), one row per chat."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for line in lines:
        writer.writerow(
            (
                line.chat_id, line.chat_type, _csv_safe(line.display_name), _csv_safe(line.department or ""),
                line.delivery_state, _iso(line.sent_at), _csv_safe(line.reason or ""), line.push_id,
                _iso(line.acked_at), line.ack_users, " ".join(str(p) for p in line.articles_opened),
                _iso(line.reminded_at),
            )
        )
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _csv_safe(text: str) -> str:
    """Neutralise spreadsheet formulas in user-chosen text (names and departments come from Telegram users)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


# ---- the chart


@dataclass(frozen=True, slots=True)
class IssueAcks:
    """One issue's bars on the chart: its short label (ASCII, e.g. "2024-3") and its per-department stats."""

    label: str
    rows: Sequence[DepartmentStats]


@dataclass(frozen=True, slots=True)
class Chart:
    """The PNG, and the department each axis label stands for (labels are numbers when no Chinese font exists)."""

    png: bytes
    legend: tuple[tuple[str, str], ...]  # (axis label, department name); empty when names are drawn as they are


def cjk_font() -> str | None:
    """The first installed font of _CJK_FONTS (Chinese glyphs for the chart), or None."""
    from matplotlib import font_manager

    installed = {f.name for f in font_manager.fontManager.ttflist}
    return next((name for name in _CJK_FONTS if name in installed), None)


def ack_chart(
    issues: Sequence[IssueAcks], *, no_department: str, title: str, ylabel: str, ascii_title: str, ascii_ylabel: str
) -> Chart:
    """A grouped bar chart: per department, the share of delivered chats that acknowledged, one bar per issue.

    Departments are those with any delivery in ISSUES (in the order of the first issue's rows); NO_DEPARTMENT
    names chats without one. When no font with Chinese glyphs is installed, departments are drawn as D1, D2, ...
    and `Chart.legend` maps them back (the caller prints it), and ASCII_TITLE / ASCII_YLABEL replace TITLE / YLABEL.
    """
    # Imported here: matplotlib takes a noticeable time to import, and only /stats needs it.
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    names: list[str | None] = []
    for issue in issues:
        for row in issue.rows:
            if row.delivered and row.department not in names:
                names.append(row.department)
    shown = [no_department if n is None else n for n in names]
    font = cjk_font()
    legend: tuple[tuple[str, str], ...] = ()
    if font is None and any(not s.isascii() for s in shown):
        legend = tuple((f"D{i}", s) for i, s in enumerate(shown, start=1))
        axis = [key for key, _ in legend]
    else:
        axis = shown
    figure = Figure(figsize=(max(6.0, 1.2 * len(axis) + 2), 4.0), dpi=100)
    FigureCanvasAgg(figure)
    ax = figure.add_subplot()
    family = [font, "DejaVu Sans"] if font is not None else ["DejaVu Sans"]
    if font is None:
        title, ylabel = ascii_title, ascii_ylabel
    width = 0.8 / max(1, len(issues))
    for k, issue in enumerate(issues):
        by_name = {row.department: row for row in issue.rows}
        values: list[float] = []
        counts: list[str] = []
        for n in names:
            found = by_name.get(n)
            delivered = found.delivered if found else 0
            acknowledged = found.acknowledged if found else 0
            values.append(100.0 * acknowledged / delivered if delivered else 0.0)
            # "read/delivered" over each bar: a 100% of 1 chat and of 40 chats look the same otherwise.
            counts.append(f"{acknowledged}/{delivered}" if delivered else "")
        positions = [i + (k - (len(issues) - 1) / 2) * width for i in range(len(names))]
        bars = ax.bar(positions, values, width=width, label=issue.label)
        ax.bar_label(bars, labels=counts, fontsize="x-small", padding=2)
    # Department names are typed by subscribers: "$...$" is text, never math or TeX (a bad formula raises).
    plain: dict[str, Any] = {"fontfamily": family, "parse_math": False, "usetex": False}
    ax.set_xticks(range(len(names)), axis, **plain)
    ax.set_ylim(0, 110)  # room for the counts over a 100% bar
    ax.set_yticks(range(0, 101, 20))
    ax.set_ylabel(ylabel, **plain)
    ax.set_title(title, **plain)
    if issues:
        ax.legend(fontsize="small")
    figure.tight_layout()
    out = io.BytesIO()
    figure.savefig(out, format="png")
    return Chart(out.getvalue(), legend)
