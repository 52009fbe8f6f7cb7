"""Charts as self-contained SVG strings: for the web pages and, unchanged, for the PDF reports. Pure.

Accessible by construction: every chart has a <title> and a <desc> that says in words what it shows, points
that are out of range use a different shape (not only a colour), and colours are presentation attributes (no
inline styles, so the pages' Content-Security-Policy holds).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from html import escape

INK, MUTED, ACCENT, BAND, FLAG, GRID = "#1f2a2a", "#55605f", "#2f6f6a", "#dcebe8", "#a1261b", "#d9dedc"
PALETTE = ("#2f6f6a", "#8a5a00", "#5b4a9e", "#a1261b", "#3a6ea5", "#6b6b6b")


@dataclass(frozen=True)
class Series:
    label: str
    points: Sequence[tuple[date, float | None]]  # None = missing: the line breaks there
    flagged: frozenset[date] = field(default_factory=frozenset)


@dataclass(frozen=True)
class Marker:
    day: date
    label: str


@dataclass(frozen=True)
class Shade:
    start: date
    end: date
    label: str


def nice_ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    """About ``n`` round tick values covering [lo, hi]."""
    if hi <= lo:
        hi = lo + 1
    raw = (hi - lo) / max(n - 1, 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    start = math.floor(lo / step) * step
    ticks = []
    t = start
    while t <= hi + step * 1e-9:
        ticks.append(round(t, 10) + 0.0)  # + 0.0 turns -0.0 into 0.0
        t += step
    return ticks


def _fmt(v: float) -> str:
    return f"{v:g}"


def line_chart(series: Sequence[Series], *, title: str, desc: str, y_label: str = "",
               band: tuple[float | None, float | None] | None = None, markers: Sequence[Marker] = (),
               shades: Sequence[Shade] = (), y_min: float | None = None, y_max: float | None = None,
               width: int = 640, height: int = 220, show_points: bool = True) -> str:
    """A time-series chart: lines that break at missing values, an optional shaded reference band, vertical
    markers (plan changes), shaded phases and out-of-range points drawn as triangles."""
    left, right, top, bottom = 52, 16, 14, 34
    values = [v for s in series for _, v in s.points if v is not None]
    days = [d for s in series for d, _ in s.points]
    days += [m.day for m in markers] + [x for sh in shades for x in (sh.start, sh.end)]
    if not values or not days:
        return (f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="60" '
                f'viewBox="0 0 {width} 60"><title>{escape(title)}</title><desc>No data yet.</desc>'
                f'<text x="8" y="34" fill="{MUTED}" font-size="14">No data yet.</text></svg>')
    band_vals = [b for b in (band or ()) if b is not None]
    lo = min([*values, *band_vals]) if y_min is None else y_min
    hi = max([*values, *band_vals]) if y_max is None else y_max
    ticks = nice_ticks(lo, hi)
    lo, hi = min(ticks[0], lo), max(ticks[-1], hi)
    d0, d1 = min(days), max(days)
    span = max((d1 - d0).days, 1)
    plot_w, plot_h = width - left - right, height - top - bottom

    def x(d: date) -> float:
        return left + (d - d0).days / span * plot_w

    def y(v: float) -> float:
        return top + (hi - v) / (hi - lo or 1) * plot_h

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" font-family="sans-serif">',
           f"<title>{escape(title)}</title><desc>{escape(desc)}</desc>"]
    for sh in shades:
        out.append(f'<rect x="{x(sh.start):.1f}" y="{top}" width="{max(x(sh.end) - x(sh.start), 1):.1f}" '
                   f'height="{plot_h}" fill="#f1ece1"><title>{escape(sh.label)}</title></rect>')
    if band is not None:
        b_lo = band[0] if band[0] is not None else lo
        b_hi = band[1] if band[1] is not None else hi
        out.append(f'<rect x="{left}" y="{y(b_hi):.1f}" width="{plot_w}" height="{max(y(b_lo) - y(b_hi), 0):.1f}" '
                   f'fill="{BAND}"><title>reference interval</title></rect>')
    for t in ticks:
        out.append(f'<line x1="{left}" x2="{width - right}" y1="{y(t):.1f}" y2="{y(t):.1f}" stroke="{GRID}"/>')
        out.append(f'<text x="{left - 6}" y="{y(t) + 4:.1f}" text-anchor="end" font-size="11" '
                   f'fill="{MUTED}">{_fmt(t)}</text>')
    for d, anchor in ((d0, "start"), (d1, "end")):
        out.append(f'<text x="{x(d):.1f}" y="{height - 12}" text-anchor="{anchor}" font-size="11" '
                   f'fill="{MUTED}">{d.isoformat()}</text>')
    if y_label:
        out.append(f'<text x="12" y="{top + plot_h / 2:.1f}" font-size="11" fill="{MUTED}" text-anchor="middle" '
                   f'transform="rotate(-90 12 {top + plot_h / 2:.1f})">{escape(y_label)}</text>')
    for m in markers:
        out.append(f'<line x1="{x(m.day):.1f}" x2="{x(m.day):.1f}" y1="{top}" y2="{top + plot_h}" '
                   f'stroke="{INK}" stroke-dasharray="4 3"><title>{escape(m.label)}</title></line>')
        out.append(f'<text x="{x(m.day) + 3:.1f}" y="{top + 10}" font-size="10" fill="{INK}">'
                   f'{escape(m.label[:24])}</text>')
    for i, s in enumerate(series):
        colour = PALETTE[i % len(PALETTE)]
        segment: list[str] = []
        for d, v in [*s.points, (d1, None)]:
            if v is None:
                if len(segment) > 1:
                    out.append(f'<polyline fill="none" stroke="{colour}" stroke-width="1.6" '
                               f'points="{" ".join(segment)}"/>')
                segment = []
            else:
                segment.append(f"{x(d):.1f},{y(v):.1f}")
        if show_points:
            for d, v in s.points:
                if v is None:
                    continue
                label = escape(f"{s.label} {d.isoformat()}: {_fmt(v)}")
                if d in s.flagged:
                    px, py = x(d), y(v)
                    triangle = f"M{px:.1f},{py - 6:.1f} L{px + 5:.1f},{py + 4:.1f} L{px - 5:.1f},{py + 4:.1f} Z"
                    out.append(f'<path d="{triangle}" fill="{FLAG}"><title>{label} (outside the interval)</title>'
                               "</path>")
                else:
                    out.append(f'<circle cx="{x(d):.1f}" cy="{y(v):.1f}" r="3.2" fill="{colour}">'
                               f"<title>{label}</title></circle>")
    if len(series) > 1:
        for i, s in enumerate(series):
            lx = left + 8 + i * 150
            out.append(f'<rect x="{lx}" y="{height - 9}" width="10" height="4" fill="{PALETTE[i % len(PALETTE)]}"/>'
                       f'<text x="{lx + 14}" y="{height - 4}" font-size="10" fill="{INK}">{escape(s.label)}</text>')
    out.append("</svg>")
    return "".join(out)


def scatter_chart(points: Sequence[tuple[float, float, str, bool]], *, title: str, desc: str, x_label: str,
                  y_label: str, width: int = 420, height: int = 320) -> str:
    """A scatter plot (e.g. a PCoA): (x, y, label, highlighted). Highlighted points are larger squares."""
    left, right, top, bottom = 44, 16, 14, 40
    if not points:
        return line_chart([], title=title, desc=desc)
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    xt, yt = nice_ticks(min(xs), max(xs)), nice_ticks(min(ys), max(ys))
    x0, x1, y0, y1 = xt[0], xt[-1], yt[0], yt[-1]
    pw, ph = width - left - right, height - top - bottom

    def sx(v: float) -> float:
        return left + (v - x0) / ((x1 - x0) or 1) * pw

    def sy(v: float) -> float:
        return top + (y1 - v) / ((y1 - y0) or 1) * ph

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" font-family="sans-serif"><title>{escape(title)}</title>'
           f"<desc>{escape(desc)}</desc>"]
    for t in yt:
        out.append(f'<line x1="{left}" x2="{width - right}" y1="{sy(t):.1f}" y2="{sy(t):.1f}" stroke="{GRID}"/>'
                   f'<text x="{left - 6}" y="{sy(t) + 4:.1f}" font-size="10" text-anchor="end" fill="{MUTED}">'
                   f"{_fmt(t)}</text>")
    for t in xt:
        out.append(f'<text x="{sx(t):.1f}" y="{height - 24}" font-size="10" text-anchor="middle" fill="{MUTED}">'
                   f"{_fmt(t)}</text>")
    out.append(f'<text x="{left + pw / 2:.1f}" y="{height - 6}" font-size="11" text-anchor="middle" '
               f'fill="{MUTED}">{escape(x_label)}</text>')
    out.append(f'<text x="12" y="{top + ph / 2:.1f}" font-size="11" text-anchor="middle" fill="{MUTED}" '
               f'transform="rotate(-90 12 {top + ph / 2:.1f})">{escape(y_label)}</text>')
    for px, py, label, highlight in sorted(points, key=lambda p: p[3]):
        if highlight:
            out.append(f'<rect x="{sx(px) - 5:.1f}" y="{sy(py) - 5:.1f}" width="10" height="10" fill="{FLAG}">'
                       f"<title>{escape(label)}</title></rect>")
        else:
            out.append(f'<circle cx="{sx(px):.1f}" cy="{sy(py):.1f}" r="3" fill="{MUTED}" fill-opacity="0.6">'
                       f"<title>{escape(label)}</title></circle>")
    out.append("</svg>")
    return "".join(out)
