"""Endpoints declared once: their parameters check requests and generate the OpenAPI document.

Each API function is one `Endpoint` (module, name, method, roles, parameters, handler). The
same declaration is used by `validate` (type, required, unknown parameter) and by
`services.openapi` (the document served at /api/v1/openapi.json), so the two cannot drift.

Types are the JSON ones. GET parameters arrive as strings and are converted; POST bodies are
JSON, where the usual lenient spellings PanDA clients send are accepted as well:
  integer  an int, or a string of digits
  number   an int or float, or a numeric string
  boolean  true/false, or the strings true/false/1/0 (any case)
  string   a string (numbers are accepted and turned into their decimal text)
  array    a JSON array, or a string holding a JSON array or a comma-separated list
  object   a JSON object, or a string holding one
  file     a file part of a multipart/form-data POST (endpoints declared multipart=True; services.app
           streams it to the file store under its own size limit and passes an UploadedFile)
"""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # annotations only: the declarations do not need the database or settings at import
    import falcon

    from services.database import Database
    from services.settings import ServiceSettings

STRING, INTEGER, NUMBER, BOOLEAN, ARRAY, OBJECT = "string", "integer", "number", "boolean", "array", "object"
FILE = "file"
_INTEGER_TEXT = re.compile(r"^[+-]?\d+$")
_TRUE, _FALSE = {"true", "1", "yes"}, {"false", "0", "no"}
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1
# the ranges of the SQL types behind parameters (Param.minimum / maximum)
INT16_MAX, INT32_MAX, INT64_MAX = 2**15 - 1, 2**31 - 1, 2**63 - 1
DATETIME = "datetime"
DATETIME_PATTERN = r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(\.\d+)?"


MAX_JSON_DEPTH = 100  # deeper documents are refused: no API parameter nests anywhere near this


class NonFinite:
    """NaN, Infinity, or a number too large for a double, as a request spelled it: kept as this marker by
    load_json so that validation can refuse it naming the parameter (PostgreSQL stores finite numbers only)."""

    def __init__(self, text: str):
        self.text = text[:40]

    def __repr__(self) -> str:
        return self.text


def _finite(text: str) -> float | NonFinite:
    number = float(text)
    if number != number or number in (float("inf"), float("-inf")):
        return NonFinite(text)
    return number


def _unstorable_inside(value: Any) -> str | None:
    """What PostgreSQL could not store somewhere inside a JSON value: a non-finite number, or text (a key or
    a string) with a NUL character or an unpaired surrogate; None when everything is storable."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, NonFinite):
            return f"finite numbers only, got {item.text}"
        if isinstance(item, str):
            if "\x00" in item:
                return "no NUL characters"
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return "valid Unicode text only (unpaired surrogate)"
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return None


def load_json(text: str | bytes) -> Any:
    """json.loads for request input: ValueError (with the reason) for invalid JSON and for nesting deeper than
    MAX_JSON_DEPTH (which would otherwise exhaust Python's recursion limit in the parser or in the driver);
    NaN, Infinity and numbers that overflow a double become NonFinite markers, refused by validation with
    the parameter's name."""
    try:
        document = json.loads(text, parse_float=_finite, parse_constant=NonFinite)
    except RecursionError:
        raise ValueError(f"the JSON document is nested deeper than {MAX_JSON_DEPTH} levels") from None
    pending = [(document, 1)]
    while pending:
        value, depth = pending.pop()
        if depth > MAX_JSON_DEPTH:
            raise ValueError(f"the JSON document is nested deeper than {MAX_JSON_DEPTH} levels")
        if isinstance(value, dict):
            pending.extend((item, depth + 1) for item in value.values())
        elif isinstance(value, list):
            pending.extend((item, depth + 1) for item in value)
    return document


class ValidationError(Exception):
    """The request does not match the endpoint's declaration (HTTP 400); `parameter` names the culprit."""

    def __init__(self, parameter: str | None, message: str):
        super().__init__(message)
        self.parameter = parameter
        self.message = message


@dataclass(frozen=True)
class Param:
    """One API parameter: its seed-000 name, JSON type, whether it is required, its default."""

    name: str
    type: str
    description: str = ""
    required: bool = False
    default: Any = None
    items: str | tuple[str, ...] | None = None  # element type of an array (a tuple: any of these types)
    element: tuple[Param, ...] | None = None  # declared keys of each object in an array
    minimum: int | float | None = None  # integers and numbers: the range the column behind it stores
    maximum: int | float | None = None
    format: str | None = None  # strings: DATETIME ('%Y-%m-%d %H:%M:%S', PanDA's timestamps)

    def schema(self) -> dict[str, Any]:
        if self.type == FILE:
            return {"type": STRING, "format": "binary"}
        schema: dict[str, Any] = {"type": self.type}
        if self.minimum is not None:
            schema["minimum"] = self.minimum
        if self.maximum is not None:
            schema["maximum"] = self.maximum
        if self.format == DATETIME:
            schema["format"] = "date-time"
            schema["pattern"] = DATETIME_PATTERN
        if self.type == ARRAY:
            if self.element is not None:
                schema["items"] = object_schema(self.element)
            elif isinstance(self.items, tuple):
                schema["items"] = {"oneOf": [{"type": item} for item in self.items]}
            else:
                schema["items"] = {"type": self.items or STRING}
        if self.default is not None:
            schema["default"] = self.default
        return schema


def object_schema(params: tuple[Param, ...]) -> dict[str, Any]:
    schema: dict[str, Any] = {
        "type": OBJECT,
        "properties": {p.name: {**p.schema(), "description": p.description} for p in params},
        "additionalProperties": False,
    }
    required = [p.name for p in params if p.required]
    if required:
        schema["required"] = required
    return schema


@dataclass(frozen=True)
class Identity:
    """Who calls: from the verified token (services.auth)."""

    user: str
    vo: str
    groups: tuple[str, ...]
    is_production: bool
    claims: dict[str, Any] = field(default_factory=dict, compare=False)


@dataclass
class UploadedFile:
    """A file part of a multipart request, already on disk (services.file_store.receive_upload): its
    client-side name, where its bytes are, their size and checksums. Unless a handler sets `kept`, the
    bytes are removed when the request ends."""

    filename: str
    path: Path
    size: int
    adler32: str  # ad:xxxxxxxx
    tail_checksum: int | None  # the first 32-bit word of the last 8 bytes (gzip CRC), as clients compute it
    storage_key: str
    kept: bool = False


@dataclass
class Call:
    """What a handler gets: the validated parameters, the caller, the database, the raw request."""

    params: dict[str, Any]
    caller: Identity | None  # None only on the public (secure=False) endpoints
    database: Database
    request: falcon.Request
    settings: ServiceSettings

    @property
    def identity(self) -> Identity:
        """The authenticated caller: every secure endpoint has one (the auth middleware made sure)."""
        if self.caller is None:
            raise RuntimeError("a public endpoint's handler asked for the caller's identity")
        return self.caller

    def given(self, *exclude: str) -> dict[str, Any]:
        """The parameters the caller actually sent (defaults left out), minus `exclude`."""
        sent = self.request.context.sent_parameters
        return {name: value for name, value in self.params.items() if name in sent and name not in exclude}


@dataclass(frozen=True)
class Reply:
    """A handler's answer when it is not plain success data: the envelope's three fields."""

    success: bool = True
    message: str = ""
    data: Any = None


@dataclass(frozen=True)
class Endpoint:
    module: str
    name: str
    method: str  # GET or POST
    summary: str
    params: tuple[Param, ...]
    handler: Callable[[Call], Any]
    secure: bool = True  # "Requires a secure connection": HTTPS (unless --insecure) and a token
    production: bool = False  # "... and production role"
    extra_params: bool = False  # accepts any further parameter (system/get_attributes)
    multipart: bool = False  # a POST whose parameters come as multipart/form-data (file uploads)
    also_post: bool = False  # a GET endpoint that also takes its parameters as a POST JSON body (as clients send them)

    @property
    def path(self) -> str:
        return f"/api/v1/{self.module}/{self.name}"


def timeout_param(default: int = 60) -> Param:
    """Seed 000's `timeout` parameter: it bounds the statements of the request (never beyond the server's own
    statement timeout; services.database.Database.with_statement_timeout)."""
    return Param(
        "timeout",
        INTEGER,
        "The timeout value in seconds: the request's statements are cancelled after it "
        "(at most the server's own statement timeout)",
        default=default,
    )


def json_encoded(name: str, value: Any, kind: type, what: str) -> Any:
    """A parameter that seed 000 sends JSON-encoded (a string holding JSON) or as the JSON value itself;
    ValidationError naming it unless it is a `kind` (list, dict)."""
    if isinstance(value, str):
        try:
            value = load_json(value)
        except ValueError:
            raise ValidationError(name, f"parameter '{name}' must be {what}") from None
    if not isinstance(value, kind):
        raise ValidationError(name, f"parameter '{name}' must be {what}")
    problem = _unstorable_inside(value)
    if problem is not None:
        raise ValidationError(name, f"parameter '{name}' must hold {problem}")
    return value


def endpoint(
    module: str,
    method: str,
    summary: str,
    params: list[Param] | tuple[Param, ...] = (),
    *,
    secure: bool = True,
    production: bool = False,
    extra_params: bool = False,
    multipart: bool = False,
    also_post: bool = False,
):
    """Decorator: declare the function below as the handler of /api/v1/<module>/<function name>."""

    def register(handler: Callable[[Call], Any]) -> Endpoint:
        return Endpoint(
            module=module,
            name=handler.__name__,
            method=method.upper(),
            summary=summary,
            params=tuple(params),
            handler=handler,
            secure=secure,
            production=production,
            extra_params=extra_params,
            multipart=multipart,
            also_post=also_post,
        )

    return register


def endpoints_of(module: Any) -> list[Endpoint]:
    return [value for value in vars(module).values() if isinstance(value, Endpoint)]


# ---------------------------------------------------------------------------------------------
# validation


def _type_error(name: str, expected: str, value: Any) -> ValidationError:
    shown = json.dumps(value, default=repr)[:60] if not isinstance(value, str) else repr(value[:60])
    return ValidationError(name, f"parameter '{name}' must be {expected}, got {shown}")


def _storable_text(name: str, value: str) -> str:
    """PostgreSQL text holds neither NUL characters nor unpaired UTF-16 surrogates: refuse them here,
    naming the parameter, instead of failing in the driver."""
    if "\x00" in value:
        raise ValidationError(name, f"parameter '{name}' must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValidationError(name, f"parameter '{name}' is not valid Unicode text (unpaired surrogate)") from None
    return value


def convert(
    name: str,
    type_: str,
    value: Any,
    items: str | tuple[str, ...] | None = None,
    element: tuple[Param, ...] | None = None,
) -> Any:
    """`value` as `type_`, or ValidationError naming `name`."""
    if type_ == STRING:
        if isinstance(value, str):
            return _storable_text(name, value)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return str(value)
        raise _type_error(name, "a string", value)
    if type_ == INTEGER:
        number = None
        if isinstance(value, int) and not isinstance(value, bool):
            number = value
        elif isinstance(value, float) and value.is_integer():
            number = int(value)
        elif isinstance(value, str) and _INTEGER_TEXT.match(value.strip()):
            number = int(value.strip())
        if number is None:
            raise _type_error(name, "an integer", value)
        if not _INT64_MIN <= number <= _INT64_MAX:
            raise ValidationError(name, f"parameter '{name}' is out of the 64-bit integer range")
        return number
    if type_ == NUMBER:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return value
        if isinstance(value, str):
            try:
                real = float(value.strip())
            except ValueError:
                raise _type_error(name, "a number", value) from None
            if real == real and abs(real) != float("inf"):
                return int(real) if _INTEGER_TEXT.match(value.strip()) else real
        raise _type_error(name, "a number", value)
    if type_ == BOOLEAN:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
            return value.strip().lower() in _TRUE
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        raise _type_error(name, "a boolean (true or false)", value)
    if type_ == FILE:
        if isinstance(value, UploadedFile):
            return value
        raise ValidationError(name, f"parameter '{name}' must be a file: a multipart/form-data part with a filename")
    if type_ == OBJECT:
        if isinstance(value, str):
            try:
                value = load_json(value)
            except ValueError:
                raise _type_error(name, "a JSON object", value) from None
        if not isinstance(value, dict):
            raise _type_error(name, "a JSON object", value)
        return value
    if type_ == ARRAY:
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                try:
                    value = load_json(text)
                except ValueError:
                    raise _type_error(name, "a JSON array", value) from None
            else:
                value = [part.strip() for part in text.split(",") if part.strip()] if text else []
        if not isinstance(value, list):
            raise _type_error(name, "an array", value)
        if element is not None:
            return [validate_object(f"{name}[{index}]", item, element) for index, item in enumerate(value)]
        if isinstance(items, tuple):
            return [_convert_any(f"{name}[{index}]", items, item) for index, item in enumerate(value)]
        return [convert(f"{name}[{index}]", items or STRING, item) for index, item in enumerate(value)]
    raise AssertionError(f"unknown parameter type {type_}")


def _convert_any(name: str, types: tuple[str, ...], value: Any) -> Any:
    """`value` if it is one of the JSON `types` (objects and arrays as they are: the stored logic judges their
    contents; only their texts are checked to be storable)."""
    python_types = {OBJECT: dict, ARRAY: list, STRING: str}
    if not any(isinstance(value, python_types.get(type_, ())) for type_ in types):
        raise _type_error(name, " or ".join(f"a JSON {type_}" for type_ in types), value)
    _check_texts(name, value)
    return value


def _check_texts(name: str, value: Any) -> None:
    if isinstance(value, str):
        _storable_text(name, value)
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_texts(name, key)
            _check_texts(name, item)
    elif isinstance(value, list):
        for item in value:
            _check_texts(name, item)


def checked_value(name: str, param: Param, value: Any) -> Any:
    """`value` converted to the parameter's type and checked against its range and format."""
    if isinstance(value, (dict, list, NonFinite)):
        problem = _unstorable_inside(value)
        if problem is not None:
            raise ValidationError(name, f"parameter '{name}' must hold {problem}")
    converted = convert(name, param.type, value, param.items, param.element)
    if param.type in (INTEGER, NUMBER):
        low = param.minimum if param.minimum is not None else (_INT64_MIN if param.type == INTEGER else None)
        high = param.maximum if param.maximum is not None else (_INT64_MAX if param.type == INTEGER else None)
        if (low is not None and converted < low) or (high is not None and converted > high):
            raise ValidationError(name, f"parameter '{name}' must be between {low} and {high}, got {converted}")
    if param.format == DATETIME and not _is_panda_datetime(converted):
        raise ValidationError(
            name,
            f"parameter '{name}' must be a time as YYYY-MM-DD HH:MM:SS (years 1970-9999), got {str(converted)[:40]!r}",
        )
    return converted


def _is_panda_datetime(text: str) -> bool:
    if not re.fullmatch(DATETIME_PATTERN, text):
        return False
    try:
        moment = datetime.datetime.fromisoformat(text.replace("T", " "))
    except ValueError:
        return False
    return moment.year >= 1970


def validate_object(name: str, value: Any, params: tuple[Param, ...]) -> dict[str, Any]:
    """An element of an array of objects, checked against its declared keys."""
    if not isinstance(value, dict):
        raise _type_error(name, "a JSON object", value)
    declared = {param.name: param for param in params}
    for key in value:
        if key not in declared:
            raise ValidationError(f"{name}.{key}", f"unknown parameter '{name}.{key}'")
    checked = {}
    for param in params:
        if value.get(param.name) is None:
            if param.required:
                raise ValidationError(f"{name}.{param.name}", f"missing required parameter '{name}.{param.name}'")
            continue
        checked[param.name] = checked_value(f"{name}.{param.name}", param, value[param.name])
    return checked


def validate(spec: Endpoint, raw: dict[str, Any], from_query: bool = False) -> dict[str, Any]:
    """The request's parameters checked against `spec`: converted values, defaults filled in.

    Raises ValidationError for an unknown parameter, a missing required one or a wrong type.
    A JSON null counts as "not given". `from_query`: the values come from a query string, where a
    repeated key arrives as a list.
    """
    declared = {param.name: param for param in spec.params}
    extras = {}
    for name in raw:
        if name not in declared:
            if not spec.extra_params:
                accepted = ", ".join(declared) or "none"
                raise ValidationError(
                    name, f"unknown parameter '{name}' for {spec.module}/{spec.name} (accepted: {accepted})"
                )
            extras[name] = raw[name]
    checked: dict[str, Any] = {}
    for param in spec.params:
        value = raw.get(param.name)
        if from_query and isinstance(value, list) and param.type != ARRAY:
            # a repeated query-string key
            if len(value) != 1:
                raise _type_error(param.name, f"a single {param.type}", value)
            value = value[0]
        if value is None:
            if param.required:
                raise ValidationError(param.name, f"missing required parameter '{param.name}'")
            checked[param.name] = param.default
            continue
        checked[param.name] = checked_value(param.name, param, value)
    checked.update(extras)
    return checked
