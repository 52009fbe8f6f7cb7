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
    tag: str | None = None  # short text drawn at the line (e.g. a number keyed to a list); the label is its tooltip


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
    if not days or (not values and (y_min is None or y_max is None or not shades)):
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
                   f'{escape(m.tag if m.tag is not None else m.label[:24])}</text>')
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


@dataclass(frozen=True)
class ForestRow:
    label: str
    estimate: float | None
    low: float | None
    high: float | None
    emphasis: bool = False  # a summary row (pooled effect): drawn as a diamond


def forest_chart(rows: Sequence[ForestRow], *, title: str, desc: str, x_label: str, reference: float,
                 log_scale: bool = False, width: int = 640, row_height: int = 26) -> str:
    """Estimates with 95% intervals, one row each, against a reference line (1 for odds ratios, 0 for changes).
    Rows without an estimate say so in words. A log scale keeps odds ratios symmetric around 1."""
    label_w, right, top, bottom = 230, 20, 10, 40
    drawn = [r for r in rows if r.estimate is not None and r.low is not None and r.high is not None]
    if not rows:
        return line_chart([], title=title, desc=desc)

    def tr(v: float) -> float:
        return math.log10(v) if log_scale else v

    vals = [tr(v) for r in drawn for v in (r.low, r.high, r.estimate) if v is not None and (v > 0 or not log_scale)]
    vals.append(tr(reference))
    lo, hi = min(vals), max(vals)
    if hi - lo < 1e-9:
        lo, hi = lo - 1, hi + 1
    pad = (hi - lo) * 0.05
    lo, hi = lo - pad, hi + pad
    height = top + bottom + row_height * len(rows)
    pw = width - label_w - right

    def x(v: float) -> float:
        return label_w + (tr(v) - lo) / (hi - lo) * pw

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" font-family="sans-serif"><title>{escape(title)}</title>'
           f"<desc>{escape(desc)}</desc>"]
    rx = x(reference)
    out.append(f'<line x1="{rx:.1f}" x2="{rx:.1f}" y1="{top}" y2="{height - bottom}" stroke="{MUTED}" '
               f'stroke-dasharray="4 3"/>')
    if log_scale:
        ticks = [10**e for e in range(math.floor(lo), math.ceil(hi) + 1)]
        ticks += [t * m for t in list(ticks) for m in (2, 5)]
        ticks = sorted(t for t in ticks if lo <= math.log10(t) <= hi)
    else:
        ticks = [t for t in nice_ticks(lo, hi) if lo <= t <= hi]
    for t in ticks:
        out.append(f'<text x="{x(t):.1f}" y="{height - bottom + 16}" font-size="10" text-anchor="middle" '
                   f'fill="{MUTED}">{_fmt(t)}</text>')
    out.append(f'<text x="{label_w + pw / 2:.1f}" y="{height - 6}" font-size="11" text-anchor="middle" '
               f'fill="{MUTED}">{escape(x_label)}</text>')
    for i, r in enumerate(rows):
        cy = top + row_height * i + row_height / 2
        weight = "bold" if r.emphasis else "normal"
        out.append(f'<text x="4" y="{cy + 4:.1f}" font-size="11" fill="{INK}" font-weight="{weight}">'
                   f"{escape(r.label[:36])}</text>")
        if r.estimate is None or r.low is None or r.high is None or (log_scale and min(r.low, r.estimate) <= 0):
            out.append(f'<text x="{label_w}" y="{cy + 4:.1f}" font-size="11" fill="{MUTED}">not estimable</text>')
            continue
        words = escape(f"{r.label}: {_fmt(round(r.estimate, 2))} (95% interval {_fmt(round(r.low, 2))} to "
                       f"{_fmt(round(r.high, 2))})")
        x0, x1 = max(x(r.low), label_w), min(x(r.high), width - right)
        out.append(f'<line x1="{x0:.1f}" x2="{x1:.1f}" y1="{cy:.1f}" y2="{cy:.1f}" stroke="{INK}" '
                   f'stroke-width="1.5"><title>{words}</title></line>')
        cx = x(r.estimate)
        if r.emphasis:
            out.append(f'<path d="M{x0:.1f},{cy:.1f} L{cx:.1f},{cy - 7:.1f} L{x1:.1f},{cy:.1f} L{cx:.1f},{cy + 7:.1f} '
                       f'Z" fill="{ACCENT}"><title>{words}</title></path>')
        else:
            out.append(f'<rect x="{cx - 4:.1f}" y="{cy - 4:.1f}" width="8" height="8" fill="{ACCENT}">'
                       f"<title>{words}</title></rect>")
    out.append("</svg>")
    return "".join(out)


def step_chart(times: Sequence[float], values: Sequence[float], *, title: str, desc: str, x_label: str,
               y_label: str, end: float | None = None, width: int = 640, height: int = 240) -> str:
    """A right-continuous step function starting at (0, 1) and drawn to ``end``: a Kaplan-Meier curve."""
    left, right, top, bottom = 52, 16, 14, 40
    if not times:
        return line_chart([], title=title, desc=desc)
    t_max = max([*times, end or 0.0]) or 1.0
    xt = nice_ticks(0, t_max)
    t_hi = max(xt[-1], t_max)
    xt = [t for t in xt if t <= t_hi]
    pw, ph = width - left - right, height - top - bottom

    def x(t: float) -> float:
        return left + t / t_hi * pw

    def y(v: float) -> float:
        return top + (1 - v) * ph

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" font-family="sans-serif"><title>{escape(title)}</title>'
           f"<desc>{escape(desc)}</desc>"]
    for v in (0, 0.25, 0.5, 0.75, 1.0):
        out.append(f'<line x1="{left}" x2="{width - right}" y1="{y(v):.1f}" y2="{y(v):.1f}" stroke="{GRID}"/>'
                   f'<text x="{left - 6}" y="{y(v) + 4:.1f}" font-size="10" text-anchor="end" fill="{MUTED}">'
                   f"{_fmt(v)}</text>")
    for t in xt:
        out.append(f'<text x="{x(t):.1f}" y="{height - 24}" font-size="10" text-anchor="middle" fill="{MUTED}">'
                   f"{_fmt(t)}</text>")
    out.append(f'<text x="{left + pw / 2:.1f}" y="{height - 6}" font-size="11" text-anchor="middle" '
               f'fill="{MUTED}">{escape(x_label)}</text>')
    out.append(f'<text x="12" y="{top + ph / 2:.1f}" font-size="11" text-anchor="middle" fill="{MUTED}" '
               f'transform="rotate(-90 12 {top + ph / 2:.1f})">{escape(y_label)}</text>')
    path = [f"M{x(0):.1f},{y(1):.1f}"]
    prev = 1.0
    for t, v in sorted(zip(times, values, strict=True)):
        path.append(f"L{x(t):.1f},{y(prev):.1f} L{x(t):.1f},{y(v):.1f}")
        prev = v
    path.append(f"L{x(t_max):.1f},{y(prev):.1f}")
    out.append(f'<path d="{" ".join(path)}" fill="none" stroke="{ACCENT}" stroke-width="2"/>')
    out.append("</svg>")
    return "".join(out)
