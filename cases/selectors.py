"""Reads of cases. Access scoping (by office and role) is added here, in one place."""

from django.db.models import QuerySet

from .models import Case, CaseEvent


def case_timeline(*, case: Case) -> QuerySet[CaseEvent]:
    return CaseEvent.objects.filter(case=case).select_related("recorded_by").order_by("sequence")
