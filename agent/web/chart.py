"""The contact-history chart as geometry for an inline SVG: stacked monthly bars by channel.

Server-side and dependency-free: the template draws rectangles and lines from these numbers,
so the page needs no script, no build step and nothing from the internet.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from touchbase.agent.service import Moment

WIDTH, HEIGHT = 720, 220
LEFT, RIGHT, TOP, BOTTOM = 36, 12, 12, 40
COLOURS = {"sent": "#2b6cb0", "received": "#38a169", "meeting": "#d69e2e"}
CHANNELS = tuple(COLOURS)  # the directions the rules give an interaction, stacked in this order


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    fill: str
    title: str


@dataclass(frozen=True)
class Label:
    x: float
    y: float
    text: str


@dataclass(frozen=True)
class Marker:
    """A life event on the chart (issue 18): a line at its day, its words as the tooltip."""

    x: float
    kind: str
    title: str


EVENT_COLOUR = "#805ad5"


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    bars: tuple[Bar, ...]
    months: tuple[Label, ...]
    ticks: tuple[Label, ...]
    gridlines: tuple[float, ...]
    now_x: float | None
    due_x: float | None
    due_label: str
    due_label_x: float | None
    due_anchor: str
    colours: dict[str, str]
    total: int
    events: tuple[Marker, ...] = ()


def _month_index(at: datetime) -> int:
    return at.year * 12 + at.month - 1


def build_chart(
    history: list[Moment], now: datetime, due: datetime | None, months: int = 24
) -> Chart:
    """Bars for the last `months` months up to `now` (one segment per channel: the moment's
    kind), plus a marker for the next due date and one per life event in `history` (a move, a
    new role, a dead address: moments whose rule is a life event)."""
    last = _month_index(now)
    if due is not None:
        last = max(last, min(_month_index(due), _month_index(now) + 6))
    first = last - months + 1
    # Each moment's month worked out once (35,117 moments for the busiest person at 1M).
    counts: Counter[tuple[int, str]] = Counter(
        (month, kind)
        for month, kind in ((e.at.year * 12 + e.at.month - 1, e.kind) for e in history)
        if kind in COLOURS and first <= month <= last
    )
    per_month = Counter[int]()
    for (month, _), n in counts.items():
        per_month[month] += n
    peak = max([*per_month.values(), 1])
    top = max(2, peak + (peak % 2))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / months
    bars, labels = [], []
    for i in range(months):
        month = first + i
        x = LEFT + i * slot + slot * 0.15
        base: float = TOP + plot_h
        for channel in CHANNELS:
            n = counts.get((month, channel), 0)
            if not n:
                continue
            h = plot_h * n / top
            base -= h
            name = f"{month // 12}-{month % 12 + 1:02d}"
            bars.append(Bar(x, base, slot * 0.7, h, COLOURS[channel], f"{name}: {n} {channel}"))
        if i % 3 == 0 or i == months - 1:
            centre = LEFT + i * slot + slot / 2
            labels.append(Label(centre, HEIGHT - BOTTOM + 16, _month_name(month)))
    ticks = tuple(
        Label(LEFT - 6, TOP + plot_h - plot_h * v / top + 4, str(v)) for v in (0, top // 2, top)
    )
    grid = tuple(TOP + plot_h - plot_h * v / top for v in (top // 2, top))

    def x_of(at: datetime) -> float | None:
        index = _month_index(at) - first
        if not 0 <= index < months:
            return None
        return LEFT + (index + (at.day - 1) / 31) * slot

    markers = []
    for moment in history:
        spot = x_of(moment.at) if moment.event else None
        if spot is not None:
            when = moment.at.date().isoformat()
            markers.append(Marker(spot, moment.kind, f"{when}: {moment.subject or moment.kind}"))
    due_x = x_of(due) if due else None
    # Near the right edge the label goes to the left of its line, so it is never cut off.
    right = due_x is not None and due_x > WIDTH - 110
    label_x = None if due_x is None else (due_x - 4 if right else due_x + 4)
    return Chart(
        WIDTH,
        HEIGHT,
        tuple(bars),
        tuple(labels),
        ticks,
        grid,
        x_of(now),
        due_x,
        f"due {due.date().isoformat()}" if due else "",
        label_x,
        "end" if right else "start",
        COLOURS,
        sum(counts.values()),
        tuple(markers),
    )


def _month_name(month: int) -> str:
    names = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    return f"{names[month % 12]} {month // 12 % 100:02d}"
