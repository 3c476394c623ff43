"""Partial dates: most records only know the year, some the month, few the day.

A `PartialDate` is stored as its ISO text ("2014", "2014-08" or "2014-08-03") so that the
precision is never lost or invented. Comparisons against a calendar date use its bounds:
`lower()` is the first day it can mean, `upper()` the last. Figures "as of" a day count an event
only once it has *certainly* happened, i.e. when its `upper()` is on or before that day.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

_PATTERN = re.compile(r"^(?P<year>\d{4})(?:-(?P<month>\d{2})(?:-(?P<day>\d{2}))?)?$")


@dataclass(frozen=True, order=False)
class PartialDate:
    year: int
    month: int | None = None
    day: int | None = None

    def __post_init__(self) -> None:
        if not 1800 <= self.year <= 2200:
            raise ValueError(f"year {self.year} is out of range")
        if self.day is not None and self.month is None:
            raise ValueError("a day needs a month")
        if self.month is not None and not 1 <= self.month <= 12:
            raise ValueError(f"month {self.month} does not exist")
        if self.day is not None:
            dt.date(self.year, self.month or 1, self.day)  # raises ValueError if impossible

    @classmethod
    def parse(cls, value: str | PartialDate | dt.date) -> PartialDate:
        if isinstance(value, PartialDate):
            return value
        if isinstance(value, dt.datetime):
            value = value.date()
        if isinstance(value, dt.date):
            return cls(value.year, value.month, value.day)
        match = _PATTERN.match(str(value).strip())
        if not match:
            raise ValueError(f"{value!r} is not a date of the form YYYY, YYYY-MM or YYYY-MM-DD")
        month, day = match["month"], match["day"]
        return cls(int(match["year"]), int(month) if month else None, int(day) if day else None)

    @property
    def precision(self) -> str:
        if self.day is not None:
            return "day"
        return "month" if self.month is not None else "year"

    def lower(self) -> dt.date:
        return dt.date(self.year, self.month or 1, self.day or 1)

    def upper(self) -> dt.date:
        if self.day is not None:
            return dt.date(self.year, self.month or 1, self.day)
        if self.month is not None:
            return dt.date(self.year, self.month, calendar.monthrange(self.year, self.month)[1])
        return dt.date(self.year, 12, 31)

    def midpoint(self) -> dt.date:
        """The conventional date for computing an age from a partial birth date.

        Demographers take 1 July for a known year and the 15th for a known month; we do the same
        so that an age is never systematically over- or under-stated.
        """
        if self.day is not None:
            return self.lower()
        if self.month is not None:
            return dt.date(self.year, self.month, 15)
        return dt.date(self.year, 7, 1)

    def certainly_before(self, other: PartialDate) -> bool:
        return self.upper() < other.lower()

    def __str__(self) -> str:
        if self.day is not None:
            return f"{self.year:04d}-{self.month:02d}-{self.day:02d}"
        if self.month is not None:
            return f"{self.year:04d}-{self.month:02d}"
        return f"{self.year:04d}"


def age_on(birth: PartialDate, on: dt.date) -> int:
    """Completed years between a (partial) birth date and a day."""
    born = birth.midpoint()
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


class PartialDateField(models.CharField):
    """A model field holding a PartialDate as ISO text (10 characters at most)."""

    description = _("Partial date (YYYY, YYYY-MM or YYYY-MM-DD)")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["max_length"] = 10
        super().__init__(*args, **kwargs)
        # The value is a PartialDate, not a string: its length is checked by parsing, so drop
        # CharField's max-length validator (it would call len() on a PartialDate).
        self.validators[:] = [v for v in self.validators if not isinstance(v, MaxLengthValidator)]

    def deconstruct(self) -> tuple[Any, ...]:
        name, path, args, kwargs = super().deconstruct()
        kwargs.pop("max_length", None)
        return name, path, args, kwargs

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> Any:
        if value in (None, ""):
            return None
        return PartialDate.parse(value)

    def to_python(self, value: Any) -> PartialDate | None:
        if value in (None, "") or isinstance(value, PartialDate):
            return value or None
        try:
            return PartialDate.parse(value)
        except ValueError as error:
            raise ValidationError(str(error), code="invalid_partial_date") from error

    def get_prep_value(self, value: Any) -> str | None:
        value = self.to_python(value)
        return None if value is None else str(value)

    def value_to_string(self, obj: models.Model) -> str:
        value = self.value_from_object(obj)
        return "" if value is None else str(value)

    def formfield(self, **kwargs: Any) -> Any:
        kwargs.setdefault("help_text", _("YYYY, YYYY-MM or YYYY-MM-DD"))
        return super().formfield(**kwargs)
