"""Read queries compiled once per shape and run again with new values.

A case list page or a case read builds the same query every time, differing only in the record
asked for or the position of the page: the caller's visibility condition, the columns, the order
and the page size are the same for every request of that caller. Building and compiling that
query with Django costs more CPU than PostgreSQL spends running it (docs/performance.md), so the
API keeps the compiled SQL per shape and sends only the new values.

Safety rests on the key: it is made of every input that decides the SQL. `plain_key` turns the
caller's condition (a Q of plain values: office ids, statuses) into a hashable value and refuses
anything else (a subquery, a queryset, an expression), in which case the caller builds the query
as before. The changing values (the id, the page position) are compiled as unique placeholder
values whose positions among the parameters are found after compiling; a shape in which a
placeholder does not appear exactly once is never cached.

The cache lives on the database connection object, which Django keeps per thread and alias, so
no two threads share one; it holds at most `CACHE_SIZE` shapes.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import Q, QuerySet
from django.db.models.utils import create_namedtuple_class

CACHE_SIZE = 256

_PLAIN = (str, int, float, bool, Decimal, uuid.UUID, dt.date, dt.datetime, type(None))


class Unkeyable(Exception):
    """The value holds something whose SQL could differ without its key differing."""


def plain_key(value: Any) -> Hashable:
    """A hashable value standing for `value` (a Q tree of plain values), or Unkeyable."""
    if isinstance(value, Q):
        return (
            "Q",
            value.connector,
            value.negated,
            tuple(plain_key(child) for child in value.children),
        )
    if isinstance(value, tuple | list):
        return (type(value).__name__, tuple(plain_key(item) for item in value))
    if isinstance(value, set | frozenset):
        return ("set", tuple(sorted((plain_key(item) for item in value), key=repr)))
    if type(value) in _PLAIN or isinstance(value, str):
        # str subclasses (Django's TextChoices members) compile as their value.
        return (type(value).__name__, str(value) if isinstance(value, str) else value)
    raise Unkeyable(type(value).__name__)


@dataclass(frozen=True)
class _Compiled:
    compiler: Any  # the compiler that made `sql`: its select list and converters
    sql: str
    params: tuple[Any, ...]
    slots: tuple[int, ...]  # where each changing value goes among the parameters
    converters: dict[int, Any]
    tuple_class: type | None  # named rows


@dataclass(frozen=True)
class _Placeholder:
    """Stands for a changing value while compiling: a value of the right type that no request
    sends (a random UUID, a random string), so that its position among the parameters can be
    found."""

    kind: type

    def make(self) -> Any:
        if self.kind is uuid.UUID:
            return uuid.uuid4()
        return f"\x1fplaceholder-{uuid.uuid4().hex}"


class PreparedRows:
    """Rows of a queryset built by `build`, with `order_by`, `filter` and a slice recorded
    rather than applied, as DRF's CursorPagination calls them; iterating it runs the compiled
    SQL of that shape, compiling it the first time.

    `key` must stand for everything `build` depends on; `filter` values and the slice are the
    changing values and part of the shape respectively."""

    def __init__(
        self,
        key: Hashable,
        build: Callable[[], QuerySet],
        *,
        named: bool = False,
        db: str = "default",
        _steps: tuple = (),
        _values: tuple = (),
    ) -> None:
        self.key = key
        self.build = build
        self.named = named
        self.db = db
        self._steps = _steps
        self._values = _values

    def _with(self, step: tuple, values: tuple = ()) -> PreparedRows:
        return PreparedRows(
            self.key,
            self.build,
            named=self.named,
            db=self.db,
            _steps=(*self._steps, step),
            _values=(*self._values, *values),
        )

    def order_by(self, *fields: str) -> PreparedRows:
        return self._with(("order_by", fields))

    def filter(self, **lookups: Any) -> PreparedRows:
        names = tuple(sorted(lookups))
        kinds = tuple(uuid.UUID if isinstance(lookups[n], uuid.UUID) else str for n in names)
        for name in names:
            if not isinstance(lookups[name], uuid.UUID | str):
                raise TypeError(f"{name}: only a UUID or a string is a changing value here")
        return self._with(("filter", names, kinds), tuple(lookups[n] for n in names))

    def __getitem__(self, bounds: slice) -> PreparedRows:
        if not isinstance(bounds, slice) or bounds.step is not None:
            raise TypeError("only a slice without a step")
        return self._with(("slice", bounds.start, bounds.stop))

    def _queryset(self, values: list[Any]) -> QuerySet:
        """The queryset of this shape, with `values` for the changing values in turn."""
        queryset = self.build()
        given = iter(values)
        for step in self._steps:
            if step[0] == "order_by":
                queryset = queryset.order_by(*step[1])
            elif step[0] == "filter":
                queryset = queryset.filter(**{name: next(given) for name in step[1]})
            else:
                queryset = queryset[step[1] : step[2]]
        return queryset

    def _compile(self) -> _Compiled | None:
        placeholders = [
            _Placeholder(kind).make()
            for step in self._steps
            if step[0] == "filter"
            for kind in step[2]
        ]
        queryset = self._queryset(placeholders)
        compiler = queryset.query.get_compiler(self.db)
        try:
            sql, params = compiler.as_sql()
        except EmptyResultSet:
            return None
        params = tuple(params)
        slots = []
        for placeholder in placeholders:
            found = [i for i, param in enumerate(params) if param == placeholder]
            if len(found) != 1:
                raise Unkeyable("a changing value is not one parameter of the SQL")
            slots.append(found[0])
        fields = [s[0] for s in compiler.select[0 : compiler.col_count]]
        tuple_class = None
        if self.named:
            names = queryset._fields or [
                *queryset.query.extra_select,
                *queryset.query.values_select,
                *queryset.query.annotation_select,
            ]
            tuple_class = create_namedtuple_class(*names)
        return _Compiled(
            compiler=compiler,
            sql=sql,
            params=params,
            slots=tuple(slots),
            converters=compiler.get_converters(fields),
            tuple_class=tuple_class,
        )

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        connection = connections[self.db]
        cache: OrderedDict = connection.__dict__.setdefault("_prepared_rows", OrderedDict())
        shape = (self.key, self.named, self._steps)
        if shape in cache:
            compiled = cache[shape]
            cache.move_to_end(shape)
        else:
            try:
                compiled = self._compile()
            except Unkeyable:
                # Built and run as any queryset: correct, only not cached.
                return iter(self._run_uncached())
            cache[shape] = compiled
            if len(cache) > CACHE_SIZE:
                cache.popitem(last=False)
        if compiled is None:
            return iter(())
        params = list(compiled.params)
        for slot, value in zip(compiled.slots, self._values, strict=True):
            params[slot] = value
        with connection.cursor() as cursor:
            cursor.execute(compiled.sql, params)
            rows: Any = cursor.fetchall()
        if compiled.converters:
            rows = compiled.compiler.apply_converters(rows, compiled.converters)
        if compiled.tuple_class is not None:
            new, tuple_class = tuple.__new__, compiled.tuple_class
            return iter([new(tuple_class, row) for row in rows])
        return iter([tuple(row) for row in rows])

    def _run_uncached(self) -> list[tuple[Any, ...]]:
        return list(self._queryset(list(self._values)))
