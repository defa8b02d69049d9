"""ORM statements built once a process, then only their parameters change (REQ NFR-4).

Building and compiling a queryset costs more than PostgreSQL's work for the few rows a hot
path reads (a booking's facts, the call list's keys, the alerts' choice). `kept_statement`
builds the statement twice from two sets of stand-in inputs, finds which parameter each input
fills, keeps the text, and from then on puts each call's inputs in those places. The first real
call of a process builds it with the ORM once more and compares: any difference, and the
statement is built for every call from then on, as it would be without this module.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence

from django.db import DEFAULT_DB_ALIAS, connections

# What `build(inputs)` returns: the SQL and its parameters, as `query.sql_with_params()` does.
Build = Callable[[dict], tuple[str, Sequence]]

# key -> (SQL, [(input name, its wrapper or None) or ("", the constant)]), or None: not kept.
_kept: dict[Hashable, tuple[str, list] | None] = {}
_checked: set[Hashable] = set()
# key -> whether `kept_rows`' rows come as the database gives them (no field converts them).
_plain: dict[Hashable, bool] = {}


def kept_statement(
    key: Hashable, build: Build, inputs: dict, *, stand_ins: Callable[[int], dict]
) -> tuple[str, list]:
    """`build(inputs)`, from the statement kept under `key`.

    `key` names everything that changes the statement's text (the model, whether an optional
    input is given); `inputs` hold every value the parameters come from, values worked out from
    them included (a moment minus a grace period: give it as an input of its own). `stand_ins(n)`
    (n = 1, 2) returns inputs no real call has and no two of its values alike, different for
    each n; an input that is None names no parameter. A parameter that is neither an input's
    nor the same constant in both builds leaves the statement unkept: it is built each call."""
    if key not in _kept:
        _kept[key] = _compiled(build, stand_ins)
    kept = _kept[key]
    if kept is None:
        sql, params = build(inputs)
        return sql, list(params)
    sql, places = kept
    params = [
        (wrap(inputs[name]) if wrap else inputs[name]) if name else wrap for name, wrap in places
    ]
    if key not in _checked:
        built_sql, built = build(inputs)
        if built_sql != sql or [_key(p) for p in built] != [_key(p) for p in params]:
            _kept[key] = None
            return built_sql, list(built)
        _checked.add(key)
    return sql, params


def kept_rows(
    key: Hashable, queryset: Callable[[dict], object], inputs: dict, *, stand_ins: Callable
) -> list[tuple]:
    """The rows of `queryset(inputs)` (a `values_list()` whose fields need no conversion from
    the database's values: ids, numbers, text, dates, moments) by the statement kept under
    `key` (`kept_statement`). For a value a page derives once per office or person and keeps:
    the first page after a change pays the ORM's building otherwise. Rows whose fields the
    ORM converts are read through the ORM on every call."""
    if key not in _plain:
        compiler = queryset(inputs).query.get_compiler(DEFAULT_DB_ALIAS)
        compiler.pre_sql_setup()
        _plain[key] = not compiler.get_converters([column[0] for column in compiler.select])
    if not _plain[key]:
        return [tuple(row) for row in queryset(inputs)]
    sql, params = kept_statement(
        key,
        lambda given: queryset(given).query.sql_with_params(),
        inputs,
        stand_ins=stand_ins,
    )
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def kept(key: Hashable) -> tuple[str, list] | None:
    """What is kept under `key`: None when nothing is, or the statement could not be kept."""
    return _kept.get(key)


def forget() -> None:
    """Build every statement afresh (tests)."""
    _kept.clear()
    _checked.clear()
    _plain.clear()


def _compiled(build: Build, stand_ins: Callable[[int], dict]) -> tuple[str, list] | None:
    builds = [stand_ins(n) for n in (1, 2)]
    (sql_a, params_a), (sql_b, params_b) = (build(inputs) for inputs in builds)
    if sql_a != sql_b or len(params_a) != len(params_b):
        return None
    names = [
        {_key(value): name for name, value in inputs.items() if value is not None}
        for inputs in builds
    ]
    places = []
    for a, b in zip(params_a, params_b, strict=True):
        name_a, name_b = names[0].get(_key(a)), names[1].get(_key(b))
        if name_a is not None and name_a == name_b:
            # As the ORM passed it: a bigint's value wrapped in psycopg's Int8, say.
            wrap = type(a) if type(a) is not type(builds[0][name_a]) else None
            places.append((name_a, wrap))
        elif name_a is None and name_b is None and _key(a) == _key(b):
            places.append(("", a))
        else:
            return None
    return sql_a, places


def _key(value):
    """A parameter as a key: its kind and value (True is not 1; Int8(5) is 5)."""
    if isinstance(value, list):
        return (list, tuple(value))
    if isinstance(value, int) and not isinstance(value, bool):
        return (int, int(value))
    return (type(value), value)
