"""Charts are inline SVG drawn from the table: escaped text, one shape per number, no external
resources; the map projects longitude and latitude into the picture."""

import datetime as dt
import re

from reports.charts import chart_svg, project
from reports.registry import REPORTS, Chart
from reports.tables import Column, Table


def table(rows, has_total_row=False):
    return Table(
        key="t",
        title="Test <chart>",
        columns=[
            Column("label", "Label"),
            Column("a", "A & a", "count"),
            Column("b", "B", "count"),
        ],
        rows=rows,
        as_of=dt.date(2020, 1, 1),
        has_total_row=has_total_row,
    )


def test_bars_have_one_rectangle_per_number_and_escape_every_text():
    svg = str(chart_svg(table([("<x>", 1, 2), ("y", 3, 0)]), Chart("bars", "label", ("a", "b"))))
    assert svg.startswith("<svg") and 'role="img"' in svg
    assert "<x>" not in svg and "&lt;x&gt;" in svg and "Test &lt;chart&gt;" in svg
    assert len(re.findall(r"<rect [^>]*><title>", svg)) == 4
    assert "http://" not in svg.replace('xmlns="http://www.w3.org/2000/svg"', "")


def test_the_total_row_is_not_drawn_as_a_bar():
    svg = str(
        chart_svg(
            table([("x", 1, 2), ("Total", 1, 2)], has_total_row=True),
            Chart("bars", "label", ("a", "b"), stacked=True),
        )
    )
    assert "Total" not in svg


def test_no_chart_for_an_empty_table_or_a_report_without_one():
    assert chart_svg(table([]), Chart("bars", "label", ("a",))) == ""
    assert chart_svg(table([("x", 1, 1)]), None) == ""


def test_the_projection_keeps_north_up_and_east_right_inside_the_box():
    to_xy = project([(36.0, 41.5), (36.5, 42.5)], 720, 460)
    west, east = to_xy(36.0, 41.5), to_xy(36.0, 42.5)
    south, north = to_xy(36.0, 41.5), to_xy(36.5, 41.5)
    assert east[0] > west[0] and north[1] < south[1]
    for x, y in (west, east, north):
        assert 0 <= x <= 720 and 0 <= y <= 460


def test_every_chart_kind_in_the_registry_is_one_we_draw():
    assert {r.chart.kind for r in REPORTS.values() if r.chart} <= {"funnel", "bars", "map"}
