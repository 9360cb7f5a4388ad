"""The one cattrs converter: camelCase names, datetimes, enums, omitted unset request fields.

Two directions:

* **Request bodies** (unstructure): attrs input classes become JSON objects with camelCase keys.
  Fields left at ``None`` are not sent ("only what the caller set"), aware datetimes are sent as
  ISO 8601 UTC with milliseconds (``2024-08-13T09:00:00.000Z``), enums as their values.
* **Responses** (structure): a hook factory registered on the converter generates, once per
  output class, a straight-line function that reads each camelCase key, checks its type inline
  and writes it into a copy of the class's template dict (every field at its default), which
  becomes the new instance's ``__dict__``. It is lenient where the live server is
  (unknown keys ignored, ``null`` or a missing key gives the field's default) and strict about
  types (a string where a number belongs is an error). A failure raises :class:`DecodeFailure`
  carrying the path to the bad value; ``_decode`` turns it into a public ``DecodeError``.
  Checks are inline rather than one hook call per field because the decoder sits on every
  request's hot path (docs/PERF-NOTES.md: per-field dispatch cost more than the JSON parse).

This module imports ``_models`` and below; nothing here knows about HTTP.
"""

from __future__ import annotations

import enum
import keyword
import sys
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timezone
from typing import Any, TypeVar, Union, get_args, get_origin

import attrs
import cattrs

__all__ = [
    "DecodeFailure",
    "camel_case",
    "converter",
    "format_datetime",
    "parse_datetime",
    "path_text",
    "unstructure",
]

T = TypeVar("T")

_UTC = timezone.utc
_MISSING: Any = object()


class DecodeFailure(Exception):
    """Internal: a value does not fit the model. ``path`` is innermost-first."""

    def __init__(self, key: str | int | None, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.path: list[str | int] = [] if key is None else [key]


def camel_case(name: str) -> str:
    """Return the API's camelCase spelling of a snake_case field name."""
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def _describe(value: Any) -> str:
    if value is None:
        return "null"
    kind = {
        bool: "a boolean",
        int: "an integer",
        float: "a number",
        str: "a string",
        list: "an array",
        dict: "an object",
    }.get(type(value), type(value).__name__)
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f"{kind} {shown!r}"
    if isinstance(value, (bool, int, float)):
        return f"{kind} {value!r}"
    return kind


def _fail(key: str | int | None, expected: str, value: Any) -> DecodeFailure:
    return DecodeFailure(key, f"expected {expected}, got {_describe(value)}")


# --- datetimes ----------------------------------------------------------------------------

_fromisoformat = datetime.fromisoformat
_REQUIRED = "is required but missing"
_NEEDS_Z_FIX = sys.version_info < (3, 11)


def parse_datetime(value: Any) -> datetime:
    """Parse an ISO 8601 timestamp from the API into an aware ``datetime``.

    The server sends UTC with milliseconds and a ``Z`` suffix. A timestamp without an offset is
    taken as UTC, which is what the server means by it.

    Raises:
        DecodeFailure: The value is not a string holding an ISO 8601 timestamp.
    """
    if value.__class__ is not str:
        raise _fail(None, "an ISO 8601 timestamp", value)
    text = value
    if _NEEDS_Z_FIX and text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = _fromisoformat(text)
    except ValueError:
        raise _fail(None, "an ISO 8601 timestamp", value) from None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=_UTC)
    return parsed


def format_datetime(value: datetime) -> str:
    """Format an aware ``datetime`` as the API wants it: ISO 8601 UTC, milliseconds, ``Z``.

    Raises:
        ValueError: The datetime is naive (callers validate this earlier with a clearer error).
    """
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("naive datetime: give a timezone-aware datetime")
    return value.astimezone(_UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


# --- the converter ------------------------------------------------------------------------

converter = cattrs.Converter(forbid_extra_keys=False, detailed_validation=False)
"""The package's single cattrs converter."""


def _is_union(tp: Any) -> bool:
    origin = get_origin(tp)
    return origin is Union or origin is types.UnionType


def _split_optional(tp: Any) -> tuple[Any, bool]:
    """Return (the type without ``None``, whether ``None`` was allowed)."""
    if _is_union(tp):
        args = get_args(tp)
        if type(None) in args:
            rest = tuple(a for a in args if a is not type(None))
            inner = rest[0] if len(rest) == 1 else Union[rest]  # noqa: UP007
            return inner, True
    return tp, False


_PRIMITIVE_NAMES = {str: "a string", int: "an integer", bool: "a boolean", float: "a number"}


def _element_checker(tp: Any) -> Callable[[Any], Any]:
    """A one-argument function that returns a decoded value of ``tp`` or raises."""
    inner, nullable = _split_optional(tp)
    if inner in _PRIMITIVE_NAMES:
        want = _PRIMITIVE_NAMES[inner]
        cls = inner
        accepts_int = inner is float

        def check(value: Any) -> Any:
            if value.__class__ is cls or (accepts_int and value.__class__ is int):
                return value
            if nullable and value is None:
                return None
            raise _fail(None, want, value)

        return check
    hook = converter.get_structure_hook(inner)
    if not nullable:
        return lambda value: hook(value, inner)

    def structure_element(value: Any) -> Any:
        if value is None:
            return None
        return hook(value, inner)

    return structure_element


def _tuple_hook_factory(tp: Any) -> Callable[[Any, Any], Any]:
    (element_type, _ellipsis) = get_args(tp)
    check = _element_checker(element_type)
    direct = None if _split_optional(element_type)[1] else element_type
    hook = converter.get_structure_hook(direct) if _is_output_class(direct) else None
    primitive = direct if direct in _PRIMITIVE_NAMES and direct is not float else None

    def structure_tuple(value: Any, _: Any = None) -> tuple[Any, ...]:
        if value.__class__ is not list:
            raise _fail(None, "an array", value)
        try:
            if hook is not None:  # model objects: their hook, called directly
                if len(value) == 1:  # the usual one host, one attendee: no comprehension
                    return (hook(value[0], direct),)
                return tuple([hook(item, direct) for item in value])
            if primitive is not None:  # strings, say: checked in this loop, no call per item
                for item in value:
                    if type(item) is not primitive:
                        break
                else:
                    return tuple(value)
            else:
                return tuple([check(item) for item in value])
        except DecodeFailure:
            pass
        # Slow path, failures only: find the index of the first bad item for the error path.
        for index, item in enumerate(value):
            try:
                check(item)
            except DecodeFailure as failure:
                failure.path.append(index)
                raise
        raise AssertionError("unreachable")  # pragma: no cover

    return structure_tuple


def _is_homogeneous_tuple(tp: Any) -> bool:
    args = get_args(tp)
    return get_origin(tp) is tuple and len(args) == 2 and args[1] is Ellipsis


converter.register_structure_hook_factory(_is_homogeneous_tuple, _tuple_hook_factory)


def _mapping_types() -> tuple[Any, ...]:
    return (dict, Mapping, typing.Mapping, typing.Dict)  # noqa: UP006


def _is_free_form(tp: Any) -> bool:
    """``Mapping[str, Any]`` / ``dict[str, Any]``: JSON objects passed through as sent."""
    origin = get_origin(tp)
    if origin not in _mapping_types():
        return False
    args = get_args(tp)
    return len(args) == 2 and args[1] is Any


def _generate_output_hook(cl: type[T]) -> Callable[[Any, Any], T]:
    """Generate the structure function of one output class.

    The generated source tests for a well-typed value first, because that is what the server
    sends nearly always; missing, null and wrong values come after. For ``title: str = ""``::

        v = o.get('title')
        if type(v) is cls2:
            d['title'] = v
        elif v is not None:
            raise fail('title', 'a string', v)

    where ``d`` is the new instance's dict, copied from a template holding the defaults.

    Nested classes and arrays go through the converter's hook for their type (see
    :func:`_hook_field_lines`).
    """
    attrs.resolve_types(cl)  # type: ignore[type-var]
    globs: dict[str, Any] = {
        "MISSING": _MISSING,
        "fail": _fail,
        "DecodeFailure": DecodeFailure,
        "new": object.__new__,
        "set_dict": object.__setattr__,
        "cl": cl,
        "dict_cls": dict,
        "str_cls": str,
        # type(v) is a specialised call in CPython 3.11+, cheaper than v.__class__.
        "type": type,
    }
    # The instance's dict starts as a copy of the class's template: every field at its default
    # (a placeholder where there is none, always overwritten). A field the answer leaves null
    # or out then costs no write, and the copy costs less than building a large dict anew.
    fields = [field for field in attrs.fields(cl) if field.init]  # type: ignore[arg-type]
    template = {field.name: _template_value(field) for field in fields}
    globs["template"] = template
    lines = [
        "def structure(o, _=None):",
        "    if type(o) is not dict_cls:",
        "        raise fail(None, 'an object', o)",
        "    d = template.copy()",
    ]
    for index, field in enumerate(fields):
        lines.extend(_field_lines(field, index, globs))
    lines.append("    inst = new(cl)")
    lines.append("    set_dict(inst, '__dict__', d)")
    lines.append("    return inst")
    source = "\n".join(lines)
    filename = f"<calbookings_async structure {cl.__module__}.{cl.__qualname__}>"
    exec(compile(source, filename, "exec"), globs)
    function: Callable[[Any, Any], T] = globs["structure"]
    function.__doc__ = source
    return function


@attrs.frozen
class _Value:
    """How the generated code takes a value of one type: the test for a well-typed ``v``, the
    lines (indented 8) that set the field from it, and what is expected, for the error."""

    good: str
    take: list[str]
    want: str


def _factory(field: attrs.Attribute[Any]) -> Callable[[], Any] | None:
    """The factory making ``field``'s default afresh for each instance, if it has one."""
    default: Any = field.default
    if isinstance(default, attrs.Factory):  # type: ignore[arg-type]
        factory: Callable[[], Any] = default.factory
        return factory
    return None


def _template_value(field: attrs.Attribute[Any]) -> Any:
    """What the template holds for ``field``: its default, if it can be shared by every
    instance; else ``None``, a placeholder the generated code always overwrites."""
    if field.default is attrs.NOTHING or _factory(field) is not None:
        return None
    return field.default


def _default_line(field: attrs.Attribute[Any], index: int, var: str, globs: dict[str, Any]) -> str:
    """The statement giving a field its default: made afresh by its factory, or already in
    the template."""
    factory = _factory(field)
    if factory is None:
        return "pass  # the default, in the template"
    globs[f"factory{index}"] = factory
    return f"{var} = factory{index}()"


def _field_lines(field: attrs.Attribute[Any], index: int, globs: dict[str, Any]) -> list[str]:
    """The source lines writing the response object's key for ``field`` into ``d``."""
    key = camel_case(field.name)
    var = f"d[{field.name!r}]"
    inner, nullable = _split_optional(field.type)
    value = _value_of(inner, key, var, index, globs)
    if value is None:
        return _hook_field_lines(field, inner, nullable, key, var, index, globs)
    required = field.default is attrs.NOTHING
    # Missing gives the default and an explicit null gives None for a nullable field with
    # another default; else missing and null both give the default (the live server sends
    # null in places the spec calls required: docs/API-NOTES.md §3).
    split = nullable and not required and field.default is not None
    lines = [
        f"    v = o.get({key!r}, MISSING)" if required or split else f"    v = o.get({key!r})",
        f"    if {value.good}:",
        *value.take,
    ]
    if required:
        lines += ["    elif v is MISSING:", f"        raise DecodeFailure({key!r}, {_REQUIRED!r})"]
        if nullable:
            lines += ["    elif v is None:", f"        {var} = None"]
    elif split:
        lines += ["    elif v is MISSING:", f"        {_default_line(field, index, var, globs)}"]
        lines += ["    elif v is None:", f"        {var} = None"]
    elif _factory(field) is not None:
        lines += ["    elif v is None:", f"        {_default_line(field, index, var, globs)}"]
    else:  # null or missing: the default, in the template
        return [
            *lines,
            "    elif v is not None:",
            f"        raise fail({key!r}, {value.want!r}, v)",
        ]
    return [*lines, "    else:", f"        raise fail({key!r}, {value.want!r}, v)"]


def _hook_field_lines(
    field: attrs.Attribute[Any],
    tp: Any,
    nullable: bool,
    key: str,
    var: str,
    index: int,
    globs: dict[str, Any],
) -> list[str]:
    """Lines for a field whose type the converter's own hook decodes (classes, arrays, ...).

    Null is handled first (the hook would refuse it), then the hook checks everything else.
    """
    if field.default is attrs.NOTHING:
        lines = [
            f"    v = o.get({key!r}, MISSING)",
            "    if v is MISSING:",
            f"        raise DecodeFailure({key!r}, {_REQUIRED!r})",
        ]
        if nullable:
            lines += ["    elif v is None:", f"        {var} = None"]
    else:
        lines = [
            f"    v = o.get({key!r})",
            "    if v is None:",
            f"        {_default_line(field, index, var, globs)}",
        ]
    globs[f"hook{index}"] = converter.get_structure_hook(tp)
    globs[f"type{index}"] = tp
    return [
        *lines,
        *_array_lines(tp, key, var, index, globs),
        *_guarded_call(f"hook{index}(v, type{index})", key, var),
    ]


def _array_lines(tp: Any, key: str, var: str, index: int, globs: dict[str, Any]) -> list[str]:
    """An ``elif`` taking the usual array of a ``tuple[...]`` field in place, or no lines.

    A booking's hosts and attendees are nearly always one object, its guests a few strings:
    taken here, they cost no call of the array's hook (which still takes every other value,
    and finds the bad item of a refused one).
    """
    if not _is_homogeneous_tuple(tp):
        return []
    (element, _ellipsis) = get_args(tp)
    globs["list_cls"] = list
    if _is_output_class(element):
        globs[f"element{index}"] = converter.get_structure_hook(element)
        globs[f"element_type{index}"] = element
        return [
            "    elif type(v) is list_cls and len(v) == 1:",
            "        try:",
            f"            {var} = (element{index}(v[0], element_type{index}),)",
            "        except DecodeFailure as failure:",
            "            failure.path.append(0)",
            f"            failure.path.append({key!r})",
            "            raise",
        ]
    if element in (str, int, bool):
        # Every item's type checked in C; any other leaves the array to the hook.
        globs[f"element{index}"] = frozenset((element,))
        return [
            f"    elif type(v) is list_cls and element{index}.issuperset(map(type, v)):",
            f"        {var} = tuple(v)",
        ]
    return []


def _value_of(tp: Any, key: str, var: str, index: int, globs: dict[str, Any]) -> _Value | None:
    """How a value of ``tp`` is taken, or ``None`` when the converter's hook must decode it.

    Each kind of type has its writer below; the first that knows ``tp`` answers.
    """
    for write in (_primitive, _timestamp, _free_form, _enum_or_string, _primitive_union, _enum):
        value = write(tp, key, var, index, globs)
        if value is not None:
            return value
    return None


def _primitive(tp: Any, key: str, var: str, index: int, globs: dict[str, Any]) -> _Value | None:
    if tp not in _PRIMITIVE_NAMES:
        return None
    globs[f"cls{index}"] = tp
    good = f"type(v) is cls{index}"
    if tp is float:  # JSON has one number type: an integer is a number too
        good += " or type(v) is int_cls"
        globs["int_cls"] = int
    return _Value(good, [f"        {var} = v"], _PRIMITIVE_NAMES[tp])


def _timestamp(tp: Any, key: str, var: str, index: int, globs: dict[str, Any]) -> _Value | None:
    if tp is not datetime:
        return None
    want = "an ISO 8601 timestamp"
    if _NEEDS_Z_FIX:
        globs["parse_datetime"] = parse_datetime
        take = [
            "        try:",
            f"            {var} = parse_datetime(v)",
            "        except DecodeFailure as failure:",
            f"            failure.path.append({key!r})",
            "            raise",
        ]
        return _Value("type(v) is str_cls", take, want)
    # Inline on 3.11+ (fromisoformat reads "Z" there): four timestamps per booking.
    globs.update(fromisoformat=_fromisoformat, UTC=_UTC, ValueError=ValueError)
    take = [
        "        try:",
        "            t = fromisoformat(v)",
        "        except ValueError:",
        f"            raise fail({key!r}, {want!r}, v) from None",
        f"        {var} = t if t.tzinfo is not None else t.replace(tzinfo=UTC)",
    ]
    return _Value("type(v) is str_cls", take, want)


def _free_form(tp: Any, key: str, var: str, index: int, globs: dict[str, Any]) -> _Value | None:
    if not _is_free_form(tp):
        return None
    return _Value("type(v) is dict_cls", [f"        {var} = v"], "an object")


def _enum_or_string(
    tp: Any, key: str, var: str, index: int, globs: dict[str, Any]
) -> _Value | None:
    """``Enum | str``: a known value becomes the member, an unknown one stays a string."""
    if not _is_union(tp):
        return None
    members = get_args(tp)
    enums = [m for m in members if isinstance(m, type) and issubclass(m, enum.Enum)]
    if len(enums) != 1 or [m for m in members if m not in enums] != [str]:
        return None
    globs[f"members{index}"] = {member.value: member for member in enums[0]}
    return _Value("type(v) is str_cls", [f"        {var} = members{index}.get(v, v)"], "a string")


def _enum(tp: Any, key: str, var: str, index: int, globs: dict[str, Any]) -> _Value | None:
    if not (isinstance(tp, type) and issubclass(tp, enum.Enum)):
        return None
    globs[f"members{index}"] = {member.value: member for member in tp}
    globs["int_cls"] = int
    # Only strings and integers are looked up: an array or an object is not hashable.
    good = f"(type(v) is str_cls or type(v) is int_cls) and v in members{index}"
    want = "one of " + ", ".join(repr(member.value) for member in tp)
    return _Value(good, [f"        {var} = members{index}[v]"], want)


def _primitive_union(
    tp: Any, key: str, var: str, index: int, globs: dict[str, Any]
) -> _Value | None:
    if not _is_union(tp) or not all(m in _PRIMITIVE_NAMES for m in get_args(tp)):
        return None
    members = get_args(tp)
    for position, member in enumerate(members):
        globs[f"cls{index}_{position}"] = member
    good = " or ".join(f"type(v) is cls{index}_{position}" for position in range(len(members)))
    want = " or ".join(_PRIMITIVE_NAMES[m] for m in members)
    return _Value(good, [f"        {var} = v"], want)


def _guarded_call(call: str, key: str, var: str) -> list[str]:
    # try/except costs nothing when no exception is raised (CPython 3.11+ zero-cost handlers).
    return [
        "    else:",
        "        try:",
        f"            {var} = {call}",
        "        except DecodeFailure as failure:",
        f"            failure.path.append({key!r})",
        "            raise",
    ]


def _is_output_class(cl: Any) -> bool:
    # Output models are the frozen, dict-backed attrs classes; inputs are slotted.
    return isinstance(cl, type) and attrs.has(cl) and "__slots__" not in cl.__dict__


converter.register_structure_hook_factory(_is_output_class, _generate_output_hook)


# --- request bodies -----------------------------------------------------------------------


def _unstructure_value(value: Any) -> Any:
    if isinstance(value, enum.Enum):  # before str: string enums are str instances too
        return value.value
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, datetime):
        return format_datetime(value)
    if attrs.has(type(value)):
        return unstructure(value)
    if isinstance(value, Mapping):
        return {str(k): _unstructure_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_unstructure_value(v) for v in value]
    return converter.unstructure(value)


def _unstructure_expression(tp: Any, globs: dict[str, Any], index: int) -> str:
    """A Python expression turning ``v`` (of type ``tp``, not None) into JSON."""
    inner, _nullable = _split_optional(tp)
    if inner in _PRIMITIVE_NAMES or inner is Any:
        return "v"
    if inner is datetime:
        globs["format_datetime"] = format_datetime
        return "format_datetime(v)"
    if isinstance(inner, type) and issubclass(inner, enum.Enum):
        return "v.value"
    if _is_free_form(inner):
        # Free-form objects keep their keys exactly; values are sent as given.
        globs["value_json"] = _unstructure_value
        return "{str(k): value_json(x) for k, x in v.items()}"
    if _is_homogeneous_tuple(inner) or get_origin(inner) in (list, Sequence):
        (element, *_rest) = get_args(inner)
        element_inner = _split_optional(element)[0]
        if element_inner in _PRIMITIVE_NAMES:
            return "list(v)"
        if isinstance(element_inner, type) and attrs.has(element_inner):
            globs[f"unstructure{index}"] = converter.get_unstructure_hook(element_inner)
            return f"[unstructure{index}(x) for x in v]"
    if isinstance(inner, type) and attrs.has(inner):
        globs[f"unstructure{index}"] = converter.get_unstructure_hook(inner)
        return f"unstructure{index}(v)"
    # Unions of classes (location variants, say) and anything else: decided per value.
    globs["value_json"] = _unstructure_value
    return "value_json(v)"


def _input_unstructure_factory(cl: type[Any]) -> Callable[[Any], dict[str, Any]]:
    """Generate the function turning an input instance into its JSON object body.

    For ``reason: str | None = None`` the generated code is::

        v = i.reason
        if v is not None:
            body['reason'] = v
    """
    globs: dict[str, Any] = {}
    lines = ["def unstructure(i):", "    body = {}"]
    for index, field in enumerate(attrs.fields(attrs.resolve_types(cl))):
        expression = _unstructure_expression(field.type, globs, index)
        lines.append(f"    v = i.{field.name}")
        lines.append("    if v is not None:")
        lines.append(f"        body[{camel_case(field.name)!r}] = {expression}")
    lines.append("    return body")
    source = "\n".join(lines)
    exec(compile(source, f"<calbookings_async unstructure {cl.__qualname__}>", "exec"), globs)
    function: Callable[[Any], dict[str, Any]] = globs["unstructure"]
    function.__doc__ = source
    return function


converter.register_unstructure_hook_factory(attrs.has, _input_unstructure_factory)


_BODY_HOOKS: dict[type, Callable[[Any], Any]] = {}


def unstructure(instance: Any) -> dict[str, Any]:
    """Turn an attrs input instance into a JSON object body: camelCase keys, unset omitted."""
    # The class's generated function, looked up once: this runs for every request with a body.
    cls = type(instance)
    hook = _BODY_HOOKS.get(cls)
    if hook is None:
        hook = _BODY_HOOKS[cls] = converter.get_unstructure_hook(cls)
    result = hook(instance)
    if not isinstance(result, dict):  # pragma: no cover - attrs classes always give dicts
        raise TypeError(f"{cls.__name__} is not a request body class")
    return result


def path_text(root: str, path: Sequence[str | int]) -> str:
    """Render a failure path (outermost first) as JSONPath below ``root`` (``$.data``)."""
    parts = [root]
    for piece in path:
        if isinstance(piece, int):
            parts.append(f"[{piece}]")
        elif piece.isidentifier() and not keyword.iskeyword(piece):
            parts.append(f".{piece}")
        else:
            parts.append(f"[{piece!r}]")
    return "".join(parts)
