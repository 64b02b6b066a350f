"""Plain SQL for the few hottest read and append paths, with the ORM's own column lists and
value converters, so that what comes back is exactly what a queryset would have built.

Query compilation by the ORM costs more CPU than the database's work for one-row look-ups
(measured in bench/registry.py, see docs/adr/0007); these helpers let a hot path write its
SELECT once and still get model instances whose fields went through the database backend's
converters (aware datetimes, decoded JSON, booleans on SQLite).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any, TypeVar

from django.db import connection
from django.db.models import Field, Model

M = TypeVar("M", bound=Model)
Converter = Callable[[Any, Any, Any], Any]


@lru_cache(maxsize=128)
def _table(model: type[Model], vendor: str) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def table(model: type[Model]) -> str:
    return _table(model, connection.vendor)


def placeholders(values: Sequence[Any]) -> str:
    """``(%s, %s, …)`` for an IN list of these values (never empty: callers check)."""
    return _placeholders(len(values))


@lru_cache(maxsize=256)
def _placeholders(count: int) -> str:
    return "(" + ", ".join(["%s"] * count) + ")"


@lru_cache(maxsize=128)
def _fields(model: type[Model]) -> tuple[Field[Any, Any], ...]:
    return tuple(model._meta.concrete_fields)


@lru_cache(maxsize=128)
def _attnames(model: type[Model]) -> tuple[list[str], int]:
    fields = _fields(model)
    return [f.attname for f in fields], next(i for i, f in enumerate(fields) if f.primary_key)


@lru_cache(maxsize=128)
def _columns(model: type[Model], alias: str, vendor: str) -> str:
    quote = connection.ops.quote_name
    return ", ".join(f"{alias}.{quote(str(f.column))}" for f in _fields(model))


def columns(model: type[Model], alias: str) -> str:
    """The model's concrete columns, qualified by ``alias``, in ``from_row`` order."""
    return _columns(model, alias, connection.vendor)


def width(model: type[Model]) -> int:
    return len(_fields(model))


@lru_cache(maxsize=64)
def _converters(model: type[Model], vendor: str) -> list[tuple[Any, list[Converter]]]:
    result = []
    for f in _fields(model):
        col = f.get_col(model._meta.db_table)
        result.append(
            (col, connection.ops.get_db_converters(col) + col.get_db_converters(connection))
        )
    return result


def from_row(model: type[M], values: Sequence[Any]) -> M | None:
    """A model instance from ``values`` selected with ``columns(model, …)``; None when the
    primary key is NULL (the far side of a LEFT JOIN that found nothing)."""
    attnames, pk_index = _attnames(model)
    if values[pk_index] is None:
        return None
    converted = []
    for value, (col, converters) in zip(values, _converters(model, connection.vendor), strict=True):
        for convert in converters:
            value = convert(value, col, connection)
        converted.append(value)
    return model.from_db(connection.alias, attnames, converted)


@lru_cache(maxsize=64)
def _insert_sql(model: type[Model], vendor: str) -> str:
    quote = connection.ops.quote_name
    fields = [f for f in _fields(model) if not f.primary_key]
    pk = model._meta.pk
    assert pk is not None
    return (
        f"INSERT INTO {table(model)} ({', '.join(quote(str(f.column)) for f in fields)}) "  # noqa: S608
        f"VALUES {placeholders(fields)} RETURNING {quote(str(pk.column))}"
    )


def inserted(instance: Model, pk: Any) -> None:
    """Mark ``instance`` as stored with this primary key."""
    instance.pk = pk
    instance._state.adding = False
    instance._state.db = connection.alias


def insert(instance: Model) -> None:
    """INSERT one row, its values prepared by the model's own fields (JSON, datetimes …);
    sets its primary key."""
    fields = [f for f in _fields(type(instance)) if not f.primary_key]
    values = [f.get_db_prep_save(f.pre_save(instance, True), connection) for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(_insert_sql(type(instance), connection.vendor), values)
        row = cursor.fetchone()
    inserted(instance, row[0] if row else None)
