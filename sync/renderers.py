"""The API's JSON, written by orjson (drf-orjson-renderer) instead of the standard library.

Why: a change-feed page holds thousands of records, and `json.dumps` with DRF's encoder calls
back into Python for every UUID and date in them; orjson writes those itself, several times
faster (docs/performance.md). What comes out is the same JSON as DRF's JSONRenderer, which
tests/test_renderers.py checks value by value:
- UTC times end in "Z", as DRF writes them (OPT_UTC_Z);
- everything orjson does not know natively (Decimal, lazy translations, sets...) goes through
  DRF's own encoder, so Decimal stays a JSON number, as DRF writes it.
"""

from __future__ import annotations

from typing import Any

import orjson
from drf_orjson_renderer.renderers import ORJSONRenderer
from rest_framework.utils.encoders import JSONEncoder

_drf_default = JSONEncoder().default


class ApiJSONRenderer(ORJSONRenderer):
    options = orjson.OPT_UTC_Z | orjson.OPT_NON_STR_KEYS

    @staticmethod
    def default(obj: Any) -> Any:
        return _drf_default(obj)
