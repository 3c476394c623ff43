"""Input serializers shared by every write endpoint of the API (cases, batch sync, imports)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from rest_framework import serializers
from rest_framework.exceptions import ValidationError


class StrictSerializer(serializers.Serializer):
    """Unknown fields are an error, not silently dropped: a partner misspelling a field must
    hear about it rather than believe it was saved."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise ValidationError({name: [_("Unknown field.")] for name in unknown})
        return super().to_internal_value(data)
