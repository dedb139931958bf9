"""Inserting many rows fast, with their ids known up front.

Django's ``bulk_create`` compiles every value of every row into one statement (and, on SQLite,
splits the rows into statements of 999 values); for a lead's 35 columns that costs more than the
import's own checks. Here each batch is one prepared INSERT run with ``executemany`` on SQLite,
and a COPY on PostgreSQL, and the
ids are reserved first so the rows that refer to the new leads (events, duplicate flags) can be
written straight after: on PostgreSQL from the table's sequence (safe with concurrent writers),
on SQLite as the next ids after the highest ever used, which no one else can take while this
transaction holds SQLite's write lock (Accord's transactions begin IMMEDIATE).
"""

import gc
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from django.db import connection, models
from django.utils import timezone

_set_aside = {"depth": 0}
_set_aside_lock = threading.Lock()


@contextmanager
def heap_set_aside() -> Iterator[None]:
    """Keep the objects that exist before a large batch job out of the garbage collector's
    passes until it ends. A Django process holds hundreds of thousands of them (models, URL
    patterns, templates), and every full pass over them, which the job's many rows trigger
    again and again, cost a fifth of an import's time. Objects the job makes are collected as
    usual; the ones set aside return to the collector when the outermost job ends
    (gc.freeze/unfreeze). Usable as a decorator."""
    with _set_aside_lock:
        if _set_aside["depth"] == 0:
            gc.freeze()
        _set_aside["depth"] += 1
    try:
        yield
    finally:
        with _set_aside_lock:
            _set_aside["depth"] -= 1
            if _set_aside["depth"] == 0:
                gc.unfreeze()


def reserve_ids(model: type[models.Model], count: int) -> list[int]:
    if count == 0:
        return []
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [table, count]
            )
            return [row[0] for row in cursor.fetchall()]
        if connection.vendor != "sqlite":  # pragma: no cover - Accord runs on these two
            raise NotImplementedError(connection.vendor)
        cursor.execute(
            f'SELECT MAX(x) FROM (SELECT MAX("id") AS x FROM "{table}" '
            "UNION ALL SELECT seq FROM sqlite_sequence WHERE name = %s)",
            [table],
        )
        highest = cursor.fetchone()[0] or 0
    return list(range(highest + 1, highest + count + 1))


def insert(model: type[models.Model], rows: Sequence[dict]) -> None:
    """INSERT ``rows`` (field attname → value; missing fields get their default) into ``model``'s
    table as they are: no model instances, no signals, no ``save()``; ``auto_now`` and
    ``auto_now_add`` fields a row leaves out get the time of the call, as ``save()`` would give
    them. The ids are the rows' own when they have an "id" (see reserve_ids), else the
    database's."""
    if not rows:
        return
    with_ids = "id" in rows[0]
    fields = [field for field in model._meta.concrete_fields if with_ids or not field.primary_key]
    now = timezone.now()
    defaults = {
        field.attname: now
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)
        else field.get_default()
        for field in fields
        if field.attname != "id"
    }
    columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    sql = f"INSERT INTO {connection.ops.quote_name(model._meta.db_table)} ({columns}) VALUES ({placeholders})"
    # Text, numbers and None go to the driver as they are; anything else (times, JSON) is
    # prepared by its field as Django would, once per distinct value and kind of field (a batch
    # shares its times, a lead's creation and stage times are one, most JSON is empty).
    plain = {str, int, float, bool, type(None)}
    names = [(field.attname, defaults.get(field.attname)) for field in fields]
    # Every DateTimeField prepares a time the same way; other fields' preparation may depend on
    # the field itself (a decimal's places), so their values are kept apart.
    kinds = [
        models.DateTimeField if isinstance(field, models.DateTimeField) else index for index, field in enumerate(fields)
    ]
    prepared: dict = {}
    params = []
    for row in rows:
        values = [row.get(name, default) for name, default in names]
        for index, value in enumerate(values):
            if type(value) in plain:
                continue
            field = fields[index]
            if isinstance(value, dict | list):
                if value:
                    values[index] = field.get_db_prep_save(value, connection)
                    continue
                key = (kinds[index], type(value))
            else:
                key = (kinds[index], value)
            if key not in prepared:
                prepared[key] = field.get_db_prep_save(value, connection)
            values[index] = prepared[key]
        params.append(values)
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            cursor.executemany(sql, params)
            return
        # PostgreSQL answers each statement of an executemany separately: COPY streams the rows.
        names = ", ".join(connection.ops.quote_name(field.column) for field in fields)
        with cursor.copy(f"COPY {connection.ops.quote_name(model._meta.db_table)} ({names}) FROM STDIN") as copy:
            for row in params:
                copy.write_row(row)
