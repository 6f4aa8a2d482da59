"""Hypothesis strategies for bad OCPP-J frames, each with the CALLERROR the gateway owes for it.

The expected answer is known by construction (a truncated frame is never JSON, a wrong JSON type
for a schema property is a TypeConstraintViolation, ...), so the oracle does not re-implement the
gateway's parser. Payload mutations start from a minimal valid payload derived from the ``ocpp``
package's own JSON schemas for every action the gateway handles, so new handlers are fuzzed too.
Codes are named as OCPP 2.0.1 names them; :func:`expected_code` gives the 1.6 spelling.
"""

from __future__ import annotations

import json
import string
from dataclasses import dataclass
from functools import cache
from typing import Any

from hypothesis import strategies as st
from ocpp.messages import MessageType, get_validator
from ocpp.v16 import enums as v16_enums
from ocpp.v21 import enums as v21_enums
from ocpp.v201 import enums as v201_enums

from ocpp_gateway.handlers.v2 import ChargePoint21, ChargePoint201
from ocpp_gateway.handlers.v16 import ChargePoint16

SUBPROTOCOLS = {"ocpp1.6": "1.6", "ocpp2.0.1": "2.0.1", "ocpp2.1": "2.1"}
SESSIONS = {"1.6": ChargePoint16, "2.0.1": ChargePoint201, "2.1": ChargePoint21}
ACTIONS = {"1.6": v16_enums.Action, "2.0.1": v201_enums.Action, "2.1": v21_enums.Action}

# OCPP-J 1.6 section 4.2.3 has neither RpcFrameworkError nor MessageTypeNotSupported and spells two codes
# differently; the gateway's documented 1.6 answers (services/ocpp-gateway/README.md).
_V16_SPELLING = {
    "FormatViolation": "FormationViolation",
    "OccurrenceConstraintViolation": "OccurenceConstraintViolation",
    "RpcFrameworkError": "FormationViolation",
    "MessageTypeNotSupported": "NotSupported",
}

# Message ids the fuzzer uses never contain "~", so they cannot collide with the probes' ids.
ids = st.text(alphabet=string.ascii_letters + string.digits + "-_.:", min_size=1, max_size=36)
DEEP_UNPARSABLE = 5_000  # deeper than any recursion limit the JSON parser runs with (asserted in the test)


@dataclass(frozen=True)
class BadFrame:
    kind: str
    frame: str | bytes
    unique_id: str
    code: str  # OCPP 2.0.1 name

    def __repr__(self) -> str:  # hypothesis prints failing examples: keep huge frames readable
        shown = self.frame[:300]
        more = f"... ({len(self.frame)} in all)" if len(self.frame) > 300 else ""
        return f"BadFrame({self.kind}, {shown!r}{more}, id={self.unique_id!r}, {self.code})"


def expected_code(version: str, code: str) -> str:
    return _V16_SPELLING.get(code, code) if version == "1.6" else code


def handled_actions(version: str) -> list[str]:
    """Actions the gateway answers with a handler (``@on``), found on the session class and its mixins."""
    session = SESSIONS[version]
    found = {getattr(getattr(session, name), "_on_action", None) for name in dir(session)}
    return sorted(str(action) for action in found if action)


def unhandled_actions(version: str) -> list[str]:
    handled = set(handled_actions(version))
    return sorted(action.value for action in ACTIONS[version] if action.value not in handled)


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def _frame(*parts: Any) -> str:
    return json.dumps(list(parts), separators=(",", ":"))


# --- minimal valid payloads from the package's schemas ----------------------------------------------


def request_schema(version: str, action: str) -> dict[str, Any]:
    schema: dict[str, Any] = get_validator(MessageType.Call, action, version).schema
    return schema


def resolve(schema: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        target: Any = root
        for part in schema["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        schema = target
    return schema


def minimal_instance(schema: dict[str, Any], root: dict[str, Any]) -> Any:
    """The smallest value ``schema`` accepts: required properties only, first enum value, lower bounds."""
    schema = resolve(schema, root)
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "object":
        return {name: minimal_instance(schema["properties"][name], root) for name in schema.get("required", [])}
    if kind == "array":
        return [minimal_instance(schema["items"], root)] * max(1, schema.get("minItems", 1))
    if kind == "string":
        if schema.get("format") == "date-time":
            return "2026-11-25T10:00:00Z"
        return "x" * max(1, schema.get("minLength", 1))
    if kind in ("integer", "number"):
        return max(0, schema.get("minimum", 0))
    if kind == "boolean":
        return False
    raise ValueError(f"no minimal instance for {schema}")


@cache
def mutable_requests(version: str) -> dict[str, tuple[dict[str, Any], dict[str, Any]]]:
    """``{action: (schema, minimal valid payload)}`` for every handled action whose payload we can build."""
    found = {}
    for action in handled_actions(version):
        schema = request_schema(version, action)
        try:
            payload = minimal_instance(schema, schema)
        except (KeyError, ValueError):
            continue
        if not list(get_validator(MessageType.Call, action, version).iter_errors(payload)):
            found[action] = (schema, payload)
    return found


_VALUES_BY_TYPE: dict[str, Any] = {
    "string": "text",
    "integer": 7,
    "boolean": True,
    "null": None,
    "object": {},
    "array": [],
}


def wrong_values(declared: str) -> list[Any]:
    """JSON values of a different type than ``declared`` (an integer is a number, so not wrong for one)."""
    same = {"number": {"integer"}, "integer": {"integer"}}.get(declared, {declared})
    return [value for kind, value in _VALUES_BY_TYPE.items() if kind not in same]


SCHEMA_DEFECTS = {
    # defect: the code the gateway answers (as the ocpp package maps jsonschema's validators)
    "wrong_type": "TypeConstraintViolation",
    "missing": "ProtocolError",
    "extra": "FormatViolation",
    "too_long": "TypeConstraintViolation",
}


def _typed_properties(schema: dict[str, Any]) -> dict[str, dict[str, Any]]:
    resolved = {name: resolve(prop, schema) for name, prop in schema["properties"].items()}
    return {name: prop for name, prop in resolved.items() if isinstance(prop.get("type"), str)}


def _bounded_strings(schema: dict[str, Any]) -> dict[str, int]:
    return {
        name: prop["maxLength"]
        for name, prop in _typed_properties(schema).items()
        if prop["type"] == "string" and "maxLength" in prop and "enum" not in prop
    }


@st.composite
def schema_violation(draw: st.DrawFn, version: str, defect: str) -> BadFrame:
    """A handled action's minimal valid payload with one ``defect``: a property of a wrong JSON type, a
    required one missing, an unknown one added, or a string beyond its maxLength."""
    requests = mutable_requests(version)
    applicable = {
        "wrong_type": lambda schema, base: bool(_typed_properties(schema)),
        "missing": lambda schema, base: bool(base),
        "extra": lambda schema, base: True,
        "too_long": lambda schema, base: bool(_bounded_strings(schema)),
    }[defect]
    action = draw(st.sampled_from(sorted(a for a, (schema, base) in requests.items() if applicable(schema, base))))
    schema, payload = requests[action][0], dict(requests[action][1])
    if defect == "wrong_type":
        typed = _typed_properties(schema)
        name = draw(st.sampled_from(sorted(typed)))
        payload[name] = draw(st.sampled_from(wrong_values(typed[name]["type"])))
    elif defect == "missing":
        del payload[draw(st.sampled_from(sorted(payload)))]
    elif defect == "too_long":
        bounded = _bounded_strings(schema)
        name = draw(st.sampled_from(sorted(bounded)))
        payload[name] = "y" * (bounded[name] + draw(st.integers(1, 40_000)))
    else:
        unknown = st.text(string.ascii_letters, min_size=1, max_size=20).filter(lambda n: n not in schema["properties"])
        payload[draw(unknown)] = 1
    unique_id = draw(ids)
    return BadFrame(f"schema:{defect}", _frame(2, unique_id, action, payload), unique_id, SCHEMA_DEFECTS[defect])


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def _wrong_length_call(spec: tuple[str, int]) -> BadFrame:
    """A CALL one element short (-1) or with ``extra`` elements too many."""
    unique_id, extra = spec
    parts: list[Any] = [2, unique_id, "Heartbeat"] + ([] if extra < 0 else [{}, *([None] * extra)])
    return BadFrame("call_length", _frame(*parts), unique_id, "FormatViolation")


# Hypothesis draws short text only; a huge string is a short one repeated (the gateway never sees the difference).
_huge_names = st.builds(
    lambda seed, size: (seed * size)[:size],
    st.text(string.ascii_letters, min_size=1, max_size=8),
    st.integers(10_000, 60_000),
)


_non_strings = st.none() | st.booleans() | st.integers()
_scalars = _non_strings | st.text(max_size=20)
_json = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=8,
)
_json_lists = st.lists(_json, max_size=3)
_json_objects = st.dictionaries(st.text(max_size=5), _json, max_size=3)


def _deep(depth: int) -> str:
    return f'[2,"deep","Heartbeat",{{"deep":{_nested(depth)}}}]'


def bad_frames(version: str) -> st.SearchStrategy[BadFrame]:
    """Every kind of bad frame for a charge point speaking ``version``."""
    valid_call = st.builds(lambda i, a: _frame(2, i, a, {}), ids, st.sampled_from(handled_actions(version)))
    not_ids = st.one_of(_non_strings, _json_lists, _json_objects, st.just(""))
    long_ids = st.text(min_size=37, max_size=2_000)
    known_types = {2, 3, 4} | ({5, 6} if version == "2.1" else set())  # 2.1 adds CALLRESULTERROR and SEND
    wrong_types = st.integers(-1_000, 1_000).filter(lambda t: t not in known_types) | st.text(max_size=3) | st.none()
    names = {action.value for action in ACTIONS[version]}
    unknown_action = (st.text(max_size=40) | _huge_names).filter(lambda a: a not in names)
    return st.one_of(
        st.text().filter(lambda t: not _is_json(t)).map(lambda t: BadFrame("not_json", t, "-1", "RpcFrameworkError")),
        st.binary(max_size=200).map(lambda b: BadFrame("binary", b"\xff" + b, "-1", "RpcFrameworkError")),
        st.tuples(valid_call, st.integers(1, 10_000)).map(
            lambda f: BadFrame("truncated", f[0][: 1 + f[1] % (len(f[0]) - 1)], "-1", "RpcFrameworkError")
        ),
        (_scalars | _json_objects).map(lambda v: BadFrame("not_array", json.dumps(v), "-1", "RpcFrameworkError")),
        st.lists(_json, max_size=2).map(lambda v: BadFrame("short_array", json.dumps(v), "-1", "RpcFrameworkError")),
        st.tuples(st.sampled_from([2, 3, 4]), not_ids | long_ids).map(
            lambda f: BadFrame("bad_id", _frame(f[0], f[1], "Heartbeat", {}), "-1", "RpcFrameworkError")
        ),
        st.tuples(wrong_types, ids).map(
            lambda f: BadFrame("message_type", _frame(f[0], f[1], "Heartbeat", {}), f[1], "MessageTypeNotSupported")
        ),
        st.tuples(ids, _non_strings | _json_lists | _json_objects).map(
            lambda f: BadFrame("action_type", _frame(2, f[0], f[1], {}), f[0], "FormatViolation")
        ),
        st.tuples(ids, _scalars | _json_lists).map(
            lambda f: BadFrame("payload_type", _frame(2, f[0], "Heartbeat", f[1]), f[0], "FormatViolation")
        ),
        st.tuples(ids, st.sampled_from([-1, 1, 2, 3])).map(_wrong_length_call),
        st.tuples(ids, unknown_action).map(
            lambda f: BadFrame("unknown_action", _frame(2, f[0], f[1], {}), f[0], "NotSupported")
        ),
        st.tuples(ids, st.sampled_from(unhandled_actions(version))).map(
            lambda f: BadFrame("unhandled_action", _frame(2, f[0], f[1], {}), f[0], "NotImplemented")
        ),
        *(schema_violation(version, defect) for defect in SCHEMA_DEFECTS),
        st.tuples(ids, st.integers(1, 200)).map(
            lambda f: BadFrame(
                "deep_payload", f'[2,"{f[0]}","Heartbeat",{{"deep":{_nested(f[1])}}}]', f[0], "FormatViolation"
            )
        ),
        st.integers(1, 200).map(
            lambda d: BadFrame("deep_id", f'[2,{_nested(d)},"Heartbeat",{{}}]', "-1", "RpcFrameworkError")
        ),
        st.integers(DEEP_UNPARSABLE, 4 * DEEP_UNPARSABLE).map(
            lambda d: BadFrame("deep_unparsable", _deep(d), "-1", "RpcFrameworkError")
        ),
    )
