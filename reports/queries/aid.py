"""Aid disbursed per programme and month (or year), as of a day."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, F, Q, Sum
from django.utils.translation import gettext as _

from aid.models import Disbursement
from reports.tables import Column, Table

from ._common import YEAR, as_date, period_label, period_of


def aid_disbursed(user: Any, as_of: dt.date, grouping: str) -> Table:
    in_force = Q(paid_on__lte=as_of) & (Q(reversed_on__isnull=True) | Q(reversed_on__gt=as_of))
    grouped = (
        Disbursement.objects.filter(in_force)
        # `period` is always the first of a month (a constraint): grouped as it is per month.
        .annotate(month=period_of("period", grouping) if grouping == YEAR else F("period"))
        .values("programme__code", "programme__name", "currency", "month")
        .annotate(
            recipients=Count("case", distinct=True),
            payments=Count("pk"),
            amount=Sum("amount"),
        )
        .order_by("programme__code", "month", "currency")
    )
    rows = [
        (
            g["programme__name"],
            period_label(as_date(g["month"]), grouping),
            g["recipients"],
            g["payments"],
            int(g["amount"]) if g["amount"] == int(g["amount"]) else g["amount"],
            g["currency"],
        )
        for g in grouped
    ]
    return Table(
        key="aid_disbursed",
        title=_("Aid disbursed per programme and period"),
        columns=[
            Column("programme", _("Programme")),
            Column("period", _("Period paid for")),
            Column("recipients", _("Survivors paid"), "count"),
            Column("payments", _("Payments"), "count"),
            Column("amount", _("Amount"), "value"),
            Column("currency", _("Currency")),
        ],
        rows=rows,
        as_of=as_of,
        notes=[
            _(
                "Payments made by the day and not reversed by then, by the month (or year) they "
                "pay for; a one-time payment counts in the month it was paid."
            ),
            _(
                "Survivors paid are distinct within a row: the same survivor paid every month "
                "counts in every month, so the rows do not add up to a number of people."
            ),
        ],
    )
