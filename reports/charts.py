"""Charts drawn on the server as inline SVG from a report's Table: no JavaScript, no external
assets, and the same numbers as the table printed under each chart (which is what screen
readers are pointed to). Every text is escaped; the markup is built with format_html."""

from __future__ import annotations

import math
from typing import Any

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from .registry import Chart
from .tables import Table

PALETTE = ["#1a5fb4", "#e66100", "#26a269", "#813d9c", "#a51d2d", "#5e5c64"]
WIDTH, HEIGHT = 720, 300


def chart_svg(table: Table, chart: Chart | None, *, chart_id: str = "chart") -> SafeString:
    if chart is None:
        return mark_safe("")  # noqa: S308 - a constant
    rows = list(table.rows)
    if table.has_total_row:
        rows = rows[:-1]
    if not rows:
        return mark_safe("")  # noqa: S308 - a constant
    if chart.kind == "funnel":
        return _funnel(table, rows, chart, chart_id)
    if chart.kind == "map":
        return _map(table, rows, chart_id)
    return _bars(table, rows, chart, chart_id)


def _svg(template: str, *args: Any) -> SafeString:
    """format_html with coordinates rounded to a tenth (format_html escapes its arguments into
    strings, so numbers are formatted first)."""
    return format_html(template, *(f"{a:.1f}" if isinstance(a, float) else a for a in args))


def _frame(chart_id: str, title: str, body: SafeString, height: int = HEIGHT) -> SafeString:
    # direction: ltr so that coordinates and anchors mean the same on right-to-left pages.
    return format_html(
        '<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" '
        'role="img" aria-labelledby="{id}-title {id}-desc" style="direction:ltr">'
        '<title id="{id}-title">{title}</title>'
        '<desc id="{id}-desc">{desc}</desc>{body}</svg>',
        w=WIDTH,
        h=height,
        id=chart_id,
        title=title,
        desc=_("The numbers drawn are in the table below."),
        body=body,
    )


def _index(table: Table) -> dict[str, int]:
    return {column.key: i for i, column in enumerate(table.columns)}


def _labels(table: Table) -> dict[str, str]:
    return {column.key: column.label for column in table.columns}


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1
    magnitude = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude


def _legend(names: list[str], y: int = 14) -> SafeString:
    items = []
    x = 48
    for i, name in enumerate(names):
        items.append(
            _svg(
                '<rect x="{}" y="{}" width="12" height="12" fill="{}"/>'
                '<text x="{}" y="{}" font-size="12">{}</text>',
                x,
                y - 10,
                PALETTE[i % len(PALETTE)],
                x + 16,
                y,
                name,
            )
        )
        x += 28 + 7 * len(str(name))
    return format_html_join("", "{}", ((item,) for item in items))


def _number(value: Any) -> int:
    return value if isinstance(value, int) else 0


def _bars(table: Table, rows: list[tuple], chart: Chart, chart_id: str) -> SafeString:
    """Vertical bars per row (category); stacked when the series are parts of one whole."""
    index, labels = _index(table), _labels(table)
    series = [key for key in chart.series if key in index]
    left, right, top, bottom = 56, 12, 28, 70
    plot_w, plot_h = WIDTH - left - right, HEIGHT - top - bottom
    values = [[_number(row[index[key]]) for key in series] for row in rows]
    peak = max((sum(v) if chart.stacked else max(v, default=0)) for v in values)
    top_value = _nice_max(peak)
    band = plot_w / len(rows)
    parts: list[SafeString] = [_legend([labels[key] for key in series])]
    for tick in (0, top_value / 2, top_value):
        y = top + plot_h - plot_h * tick / top_value
        parts.append(
            _svg(
                '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="#c8c8c8"/>'
                '<text x="{}" y="{}" font-size="11" text-anchor="end">{}</text>',
                left,
                WIDTH - right,
                y,
                y,
                left - 4,
                y + 4,
                f"{tick:,.0f}",
            )
        )
    every = max(1, math.ceil(len(rows) / 24))  # at most 24 category labels
    for i, (row, row_values) in enumerate(zip(rows, values, strict=True)):
        category = str(row[index[chart.category]]) if chart.category in index else ""
        x0 = left + i * band
        if chart.stacked:
            y = top + plot_h
            for k, value in enumerate(row_values):
                h = plot_h * value / top_value
                y -= h
                parts.append(
                    _bar(x0 + band * 0.1, y, band * 0.8, h, k, category, labels[series[k]], value)
                )
        else:
            width = band * 0.8 / len(series)
            for k, value in enumerate(row_values):
                h = plot_h * value / top_value
                x = x0 + band * 0.1 + k * width
                parts.append(
                    _bar(x, top + plot_h - h, width, h, k, category, labels[series[k]], value)
                )
        if i % every == 0:
            cx, cy = x0 + band / 2, top + plot_h + 12
            parts.append(
                _svg(
                    '<text x="{}" y="{}" font-size="11" text-anchor="end" '
                    'transform="rotate(-40 {} {})">{}</text>',
                    cx,
                    cy,
                    cx,
                    cy,
                    category[:28],
                )
            )
    body = format_html_join("", "{}", ((part,) for part in parts))
    return _frame(chart_id, table.title, body)


def _bar(x, y, width, height, k, category, series, value) -> SafeString:
    return _svg(
        '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{}: {} {}</title></rect>',
        x,
        y,
        max(width, 0.5),
        height,
        PALETTE[k % len(PALETTE)],
        category,
        series,
        f"{value:,}",
    )


def _funnel(table: Table, rows: list[tuple], chart: Chart, chart_id: str) -> SafeString:
    """One horizontal bar per stage, the total first; each bar split by the parts series
    (female, male), with the stage total written at its end."""
    index, labels = _index(table), _labels(table)
    total_key, *part_keys = chart.series
    # The table ends with the total (kidnapped); a funnel reads from it.
    full = list(table.rows)
    stages = [full[-1], *full[:-1]] if table.has_total_row else full
    left, right, bar_h, gap, top = 200, 80, 34, 14, 32
    height = top + len(stages) * (bar_h + gap) + 10
    peak = max(_number(row[index[total_key]]) for row in stages) or 1
    scale = (WIDTH - left - right) / peak
    parts: list[SafeString] = [_legend([labels[key] for key in part_keys])]
    for i, row in enumerate(stages):
        y = top + i * (bar_h + gap)
        x = left
        name = str(row[index[chart.category]])
        for k, key in enumerate(part_keys):
            value = _number(row[index[key]])
            parts.append(_bar(x, y, value * scale, bar_h, k, name, labels[key], value))
            x += value * scale
        total = _number(row[index[total_key]])
        parts.append(
            _svg(
                '<text x="{}" y="{}" font-size="13" text-anchor="end">{}</text>'
                '<text x="{}" y="{}" font-size="13" font-weight="bold">{}</text>',
                left - 8,
                y + bar_h / 2 + 5,
                name[:30],
                left + total * scale + 6,
                y + bar_h / 2 + 5,
                f"{total:,}",
            )
        )
    body = format_html_join("", "{}", ((part,) for part in parts))
    return _frame(chart_id, table.title, body, height)


MARKERS = {
    "suspected": ("#5e5c64", "none"),
    "confirmed": ("#a51d2d", "#a51d2d"),
    "opened": ("#1b1b1b", "#f6d32d"),
}


def project(points: list[tuple[float, float]], width: int, height: int, pad: int = 40):
    """Equirectangular projection of (lat, lon) fitted to the box: longitude shrinks with the
    cosine of the mean latitude, so distances look right over a district-sized area."""
    lats = [lat for lat, _lon in points]
    lons = [lon for _lat, lon in points]
    k = math.cos(math.radians(sum(lats) / len(lats)))
    span_x = max((max(lons) - min(lons)) * k, 1e-6)
    span_y = max(max(lats) - min(lats), 1e-6)
    scale = min((width - 2 * pad) / span_x, (height - 2 * pad) / span_y)

    def to_xy(lat: float, lon: float) -> tuple[float, float]:
        return pad + (lon - min(lons)) * k * scale, pad + (max(lats) - lat) * scale

    return to_xy


def _map(table: Table, rows: list[tuple], chart_id: str) -> SafeString:
    index = _index(table)
    located = [
        row
        for row in rows
        if row[index["latitude"]] is not None and row[index["longitude"]] is not None
    ]
    if not located:
        return mark_safe("")  # noqa: S308 - a constant
    height = 460
    to_xy = project(
        [(row[index["latitude"]], row[index["longitude"]]) for row in located], WIDTH, height
    )
    status_labels = {}
    parts: list[SafeString] = []
    villages = [row for row in located if row[index["marker"]] == "village"]
    peak = max((_number(row[index["kidnapped"]]) for row in villages), default=1) or 1
    for row in villages:
        x, y = to_xy(row[index["latitude"]], row[index["longitude"]])
        count = _number(row[index["kidnapped"]])
        r = 4 + 14 * math.sqrt(count / peak)
        parts.append(
            _svg(
                '<circle cx="{}" cy="{}" r="{}" fill="#1a5fb4" fill-opacity="0.35" '
                'stroke="#1a5fb4"><title>{}: {}</title></circle>'
                '<text x="{}" y="{}" font-size="11">{}</text>',
                x,
                y,
                r,
                row[index["name"]],
                f"{count:,}",
                x + r + 2,
                y + 4,
                row[index["name"]],
            )
        )
    for row in located:
        marker = row[index["marker"]]
        if marker not in MARKERS:
            continue
        status_labels[marker] = row[index["status"]]
        x, y = to_xy(row[index["latitude"]], row[index["longitude"]])
        stroke, fill = MARKERS[marker]
        parts.append(
            _svg(
                '<rect x="{}" y="{}" width="7" height="7" stroke="{}" fill="{}" '
                'transform="rotate(45 {} {})"><title>{} ({})</title></rect>',
                x - 3.5,
                y - 3.5,
                stroke,
                fill,
                x,
                y,
                row[index["name"]],
                row[index["status"]],
            )
        )
    legend_x = 10
    legend: list[SafeString] = [
        _svg(
            '<circle cx="{}" cy="{}" r="6" fill="#1a5fb4" fill-opacity="0.35" stroke="#1a5fb4"/>'
            '<text x="{}" y="{}" font-size="12">{}</text>',
            legend_x + 6,
            height - 14,
            legend_x + 16,
            height - 10,
            _("Village of origin (area: people kidnapped)"),
        )
    ]
    legend_x += 300
    for marker, label in status_labels.items():
        stroke, fill = MARKERS[marker]
        legend.append(
            _svg(
                '<rect x="{}" y="{}" width="9" height="9" stroke="{}" fill="{}"/>'
                '<text x="{}" y="{}" font-size="12">{}</text>',
                legend_x,
                height - 19,
                stroke,
                fill,
                legend_x + 14,
                height - 10,
                label,
            )
        )
        legend_x += 20 + 7 * len(str(label))
    body = format_html_join("", "{}", ((part,) for part in [*parts, *legend]))
    return _frame(chart_id, table.title, body, height)
