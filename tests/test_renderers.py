"""The API's orjson renderer writes what DRF's JSONRenderer writes (sync.renderers)."""

import datetime as dt
import json
import uuid
from decimal import Decimal

from django.utils.translation import gettext_lazy
from hypothesis import given
from hypothesis import strategies as st
from rest_framework.renderers import JSONRenderer

from sync.renderers import ApiJSONRenderer

_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.text()
    | st.uuids()
    | st.dates()
    | st.datetimes(timezones=st.just(dt.UTC))
    | st.datetimes(timezones=st.sampled_from([dt.timezone(dt.timedelta(hours=3)), dt.UTC]))
    | st.decimals(allow_nan=False, allow_infinity=False, places=4, max_value=10**6)
)
_values = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


def _both(data):
    ours = ApiJSONRenderer().render(data, "application/json")
    drf = JSONRenderer().render(data, "application/json")
    if not drf:  # None is no body at all, for both
        return ours, drf
    return json.loads(ours), json.loads(drf)


@given(_values)
def test_the_same_json_as_drf_for_any_record(data):
    ours, drf = _both(data)
    assert ours == drf


def test_the_types_of_our_records_are_written_as_drf_writes_them():
    record = {
        "id": uuid.UUID("12345678-1234-5678-1234-567812345678"),
        "updated_at": dt.datetime(2024, 12, 3, 10, 0, 0, 123456, tzinfo=dt.UTC),
        "created_at": dt.datetime(2024, 12, 3, 10, 0, 0, tzinfo=dt.UTC),
        "rescued_on": dt.date(2016, 3, 4),
        "confidence": Decimal("0.9999"),
        "label": gettext_lazy("Not found."),
        "given_name_ar": "خالدة",
        "statuses": {"rescued"},
    }
    ours, drf = _both(record)
    assert ours == drf
    assert ours["updated_at"] == "2024-12-03T10:00:00.123456Z"
    assert ours["confidence"] == 0.9999  # a number, as DRF writes a Decimal
    assert ApiJSONRenderer().render(None) == b""
