"""`seed --scale N` writes N copies with the same proportions."""

import datetime as dt

import pytest
from django.core.management import call_command

from cases.models import Case
from reports.metrics import FigureComputer


@pytest.mark.django_db
def test_scale_two_doubles_every_count_and_keeps_proportions():
    call_command("seed", "--scale", "2", "--no-progress", verbosity=0)
    counts = FigureComputer().cases(dt.date(2024, 12, 3))
    assert counts["kidnapped_total"] == 2 * 6417
    assert counts["rescued_total"] == 2 * 3579
    assert counts["remains_returned"] == 2 * 243
    assert Case.objects.filter(case_number__startswith="X1-").count() == 6417 + 12
