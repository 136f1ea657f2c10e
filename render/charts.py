"""The /stats chart: one PNG a secretary reads at a glance, drawn by matplotlib (Agg, no display) off the event loop."""

from __future__ import annotations

import io
import json
from datetime import date, datetime
from typing import Protocol

import matplotlib

matplotlib.use("Agg")  # a server has no display; must precede pyplot's import

from matplotlib.figure import Figure
from matplotlib.layout_engine import ConstrainedLayoutEngine
from matplotlib.ticker import MaxNLocator

from render import texts


class ChartFigures(Protocol):
    """The plain values the chart draws (storage.stats.ChartFigures has them): render/ knows no database."""

    @property
    def steps(self) -> dict[int, int]: ...  # activation step number (1-6) -> Telegram users at it now
    @property
    def daily_activations(self) -> list[tuple[date, int]]: ...  # oldest first, one entry per day
    @property
    def open_tickets(self) -> int: ...
    @property
    def taken_tickets(self) -> int: ...
    @property
    def active(self) -> int: ...
    @property
    def imported(self) -> int: ...


WIDTH, HEIGHT, DPI = 12, 8, 100  # inches at DPI: a 1200 x 800 image, legible on a phone held sideways
PIXELS = (WIDTH * DPI, HEIGHT * DPI)
STUCK = "#d9534f"
CALM = "#5b8def"


def as_json(figures: ChartFigures) -> str:
    """The chart's numbers, stored in the PNG's metadata so the image carries the data it was drawn from."""
    return json.dumps({"steps": figures.steps,
                       "daily_activations": [[d.isoformat(), n] for d, n in figures.daily_activations],
                       "open_tickets": figures.open_tickets, "taken_tickets": figures.taken_tickets,
                       "active": figures.active, "imported": figures.imported}, sort_keys=True)


def render_png(figures: ChartFigures, school: str, moment: datetime) -> bytes:
    """Families per step (the busiest in red: where they get stuck), activations per day, open tickets."""
    # A constrained layout leaves room for the labels: nothing is cut, whatever the school's name.
    fig = Figure(figsize=(WIDTH, HEIGHT), dpi=DPI, layout=ConstrainedLayoutEngine(h_pad=0.15, hspace=0.06))
    grid = fig.add_gridspec(2, 3)
    title = texts.CHART_TITLE.format(school=school, when=moment.strftime("%d/%m/%Y %H:%M"))
    fig.suptitle(title, fontsize=15, fontweight="bold")

    steps = fig.add_subplot(grid[0, :2])
    numbers = list(figures.steps)
    counts = [figures.steps[n] for n in numbers]
    most = max(counts, default=0)
    colours = [STUCK if most and c == most else CALM for c in counts]
    bars = steps.barh([texts.chart_step(n) for n in numbers], counts, color=colours)
    steps.invert_yaxis()  # step 1 on top, as the parent meets them
    steps.bar_label(bars, padding=3, fontsize=11)
    steps.set_title(texts.CHART_STEPS, fontsize=13, loc="left")
    steps.set_xlim(0, max(most * 1.2, 1))
    steps.xaxis.set_major_locator(MaxNLocator(integer=True))
    for side in ("top", "right"):
        steps.spines[side].set_visible(False)

    tickets = fig.add_subplot(grid[0, 2])
    tickets.axis("off")
    tickets.set_title(texts.CHART_TICKETS, fontsize=13)
    tickets.text(0.5, 0.55, str(figures.open_tickets), ha="center", va="center", fontsize=64, fontweight="bold",
                 color=STUCK if figures.open_tickets else CALM, transform=tickets.transAxes)
    tickets.text(0.5, 0.08, texts.CHART_TICKETS_DETAIL.format(taken=figures.taken_tickets,
                                                              new=figures.open_tickets - figures.taken_tickets),
                 ha="center", va="center", fontsize=11, transform=tickets.transAxes)

    daily = fig.add_subplot(grid[1, :])
    days = [d for d, _ in figures.daily_activations]
    values = [n for _, n in figures.daily_activations]
    daily.bar(range(len(days)), values, color=CALM)
    daily.set_xticks(range(len(days)), [d.strftime("%d/%m") for d in days], rotation=60, fontsize=8)
    daily.set_title(texts.CHART_DAILY.format(days=len(days)) + "   —   "
                    + texts.CHART_ACTIVE.format(active=figures.active, imported=figures.imported),
                    fontsize=13, loc="left")
    daily.set_ylim(0, max(max(values, default=0) * 1.2, 1))
    daily.yaxis.set_major_locator(MaxNLocator(integer=True))
    for side in ("top", "right"):
        daily.spines[side].set_visible(False)

    out = io.BytesIO()
    fig.savefig(out, format="png", dpi=DPI, metadata={"Description": as_json(figures), "Title": title})
    return out.getvalue()
