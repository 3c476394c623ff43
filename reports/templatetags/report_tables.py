"""Formatting of report cells: numbers grouped in the reader's locale, absent values as a dash
(not applicable), text as it is."""

from decimal import Decimal

from django import template
from django.utils.formats import number_format

register = template.Library()


@register.filter
def cell(value):
    if value is None or value == "":
        return "–"
    if isinstance(value, bool):
        return value
    if isinstance(value, int | Decimal):
        return number_format(value, force_grouping=True)
    if isinstance(value, float):
        return number_format(value, decimal_pos=4)
    return value


@register.filter
def numeric(column) -> bool:
    return column.kind in {"count", "value"}
