"""Contract test of an HTTP service from its OpenAPI document.

Every documented operation is called with requests generated from its schemas (by a small
JSON-Schema-to-Hypothesis generator) and must answer 2xx with a body that matches the
documented response schema; malformed requests (broken JSON, a body of the wrong type, a
missing required field) must be rejected with a 4xx, never a 5xx.

Examples
--------
>>> from mltestkit import check_contract
>>> r = check_contract("http://127.0.0.1:8000", max_examples=20)   # doctest: +SKIP
>>> [m.describe() for m in r.metrics]                               # doctest: +SKIP
['valid_accepted = 1 (>= 1, point, n=20, endpoint=POST /predict): passed', ...]
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any

from hypothesis import strategies as st

from .._validate import mapping, number, text
from ..errors import InputError, require
from ..results import CheckResult, MetricValue, Outcome, worst
from ..stats.requirement import (
    Estimate,
    Requirement,
    judge,
    requirements_by_figure,
    validate_level,
    validate_rule,
)
from .server import ServingError, validate_target, validate_url

MAX_COUNTEREXAMPLES = 20
#: The figures of :func:`check_contract` and the share each must reach by default (all of it).
FIGURES = ("valid_accepted", "malformed_rejected")
_METHODS = ("get", "post", "put", "patch", "delete")


def _resolve(schema: Any, doc: dict[str, Any], depth: int = 0) -> Any:
    """``schema`` with local ``$ref``s replaced by what they point to (bounded for recursive schemas)."""
    if isinstance(schema, dict):
        if "$ref" in schema and isinstance(schema["$ref"], str) and schema["$ref"].startswith("#/"):
            if depth > 8:
                return {}
            target: Any = doc
            for part in schema["$ref"][2:].split("/"):
                target = target[part.replace("~1", "/").replace("~0", "~")]
            return _resolve(target, doc, depth + 1)
        return {k: _resolve(v, doc, depth) for k, v in schema.items()}
    if isinstance(schema, list):
        return [_resolve(v, doc, depth) for v in schema]
    return schema


def from_schema(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    """A Hypothesis strategy for JSON values valid under a (resolved) JSON Schema.

    Supports ``type`` (one or a list), ``enum``, ``const``, ``anyOf``/``oneOf``, ``allOf`` of
    objects, numeric bounds, string lengths, array items and lengths, object properties and
    ``required``. Unknown keywords are ignored.

    >>> from hypothesis import given
    >>> s = from_schema({"type": "object", "properties": {"x": {"type": "integer", "minimum": 3}},
    ...                  "required": ["x"]})
    >>> @given(s)
    ... def test(v): assert v["x"] >= 3
    >>> test()
    """
    if not isinstance(schema, dict) or not schema:
        return st.one_of(st.none(), st.booleans(), st.integers(-100, 100), st.text(max_size=10))
    if "const" in schema:
        return st.just(schema["const"])
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    for key in ("anyOf", "oneOf"):
        if key in schema:
            return st.one_of([from_schema(s) for s in schema[key]])
    if "allOf" in schema:
        merged: dict[str, Any] = {"type": "object", "properties": {}, "required": []}
        for part in schema["allOf"]:
            merged["properties"].update(part.get("properties", {}))
            merged["required"] += part.get("required", [])
        return from_schema(merged)
    kind = schema.get("type")
    if isinstance(kind, list):
        return st.one_of([from_schema({**schema, "type": k}) for k in kind])
    if kind is None:
        kind = "object" if "properties" in schema else None
    if kind == "null":
        return st.none()
    if kind == "boolean":
        return st.booleans()
    if kind in ("integer", "number"):
        low = schema.get("minimum", schema.get("exclusiveMinimum"))
        high = schema.get("maximum", schema.get("exclusiveMaximum"))
        if kind == "integer":
            lo = (
                None
                if low is None
                else math.ceil(low) + ("exclusiveMinimum" in schema and low == math.ceil(low))
            )
            hi = (
                None
                if high is None
                else math.floor(high) - ("exclusiveMaximum" in schema and high == math.floor(high))
            )
            return st.integers(lo, hi)
        return st.floats(
            low, high, allow_nan=False, allow_infinity=False,
            exclude_min="exclusiveMinimum" in schema, exclude_max="exclusiveMaximum" in schema,
        )  # fmt: skip
    if kind == "string":
        return st.text(min_size=schema.get("minLength", 0), max_size=schema.get("maxLength", 20))
    if kind == "array":
        items = from_schema(schema.get("items", {}))
        return st.lists(items, min_size=schema.get("minItems", 0), max_size=schema.get("maxItems", 5))
    if kind == "object":
        props = schema.get("properties", {})
        required = [k for k in schema.get("required", []) if k in props]
        optional = {k: from_schema(v) for k, v in props.items() if k not in required}
        return st.fixed_dictionaries({k: from_schema(props[k]) for k in required}, optional=optional)
    return from_schema({})


def _response_schema(operation: dict[str, Any], status: int) -> dict[str, Any] | None:
    responses = operation.get("responses", {})
    spec = responses.get(str(status)) or responses.get(f"{str(status)[0]}XX") or responses.get("default")
    if not spec:
        return None
    content = spec.get("content", {})
    return (content.get("application/json") or {}).get("schema")


def _wrong_type(schema: dict[str, Any]) -> Any:
    kinds = schema.get("type")
    kinds = set(kinds) if isinstance(kinds, list) else {kinds}
    return "not-an-object" if "array" in kinds else []


def check_contract(
    url: str,
    *,
    endpoints: Sequence[str] | None = None,
    max_examples: int = 20,
    openapi_path: str = "/openapi.json",
    headers: dict[str, str] | None = None,
    timeout: float = 10.0,
    allow_remote: bool | None = None,
    min: dict[str, float] | None = None,
    rule: str = "acceptance",
    confidence: float = 0.95,
    seed: int = 0,
    name: str | None = None,
) -> CheckResult:
    """Check that a service keeps the contract of its OpenAPI document.

    Parameters
    ----------
    url:
        Base URL of the service, e.g. ``"http://127.0.0.1:8000"``.
    endpoints:
        Operations to check, as paths (``"/predict"``) or ``"METHOD /path"``; by default all.
    max_examples:
        Generated valid requests per operation.
    openapi_path:
        Where the OpenAPI document is served.
    headers, timeout:
        Headers sent with every request and the per-request timeout in seconds.
    allow_remote:
        Allow a target outside loopback.
    min:
        The share of requests each figure must reach, keyed by figure; by default
        ``{"valid_accepted": 1, "malformed_rejected": 1}``: a contract holds for every request.
    rule, confidence:
        Gate rule and level. The figures are exact counts of the requests sent, so they are
        judged by their value under every rule; the arguments are accepted for a uniform API.
    seed:
        Seed of the generator.
    name:
        Name of the check (default ``"contract"``).

    Returns
    -------
    CheckResult
        Kind ``load``. Per operation (``slice={"endpoint": "POST /predict"}``):
        ``valid_accepted``, the share of valid requests answered 2xx with a body matching the
        response schema, and for operations with a JSON body ``malformed_rejected``, the share
        of malformed requests answered 4xx. Violations are kept as counterexamples in ``details``.

    Examples
    --------
    >>> r = check_contract("http://127.0.0.1:8000", max_examples=20)   # doctest: +SKIP
    >>> r.metrics[0].name, r.metrics[0].value                          # doctest: +SKIP
    ('valid_accepted', 1.0)
    """
    url = validate_url(url).rstrip("/")
    validate_target(url, allow_remote)
    if isinstance(max_examples, bool) or not isinstance(max_examples, int) or not 1 <= max_examples <= 1000:
        raise InputError("max_examples", f"must be an int in 1..1000, got {max_examples!r}", "pass e.g. 20")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise InputError("seed", f"must be a non-negative int, got {seed!r}", "pass e.g. seed=0")
    rule, level = validate_rule(rule), validate_level(confidence)
    headers, timeout = mapping(headers, "headers"), number(timeout, "timeout", low=1e-3, example=10.0)
    openapi_path = text(openapi_path, "openapi_path")
    if min is not None and not isinstance(min, dict):
        raise InputError(
            "min",
            "this check measures several figures, got a single number",
            "pass e.g. min={'valid_accepted': 1}",
        )
    requirements = requirements_by_figure(
        {**dict.fromkeys(FIGURES, 1.0), **(min or {})}, None, FIGURES, rule=rule, confidence=level
    )
    httpx: Any = require("httpx", "serve", "check_contract")
    jsonschema: Any = require("jsonschema", "core", "check_contract")
    with httpx.Client(base_url=url, headers=headers or {}, timeout=timeout) as client:
        try:
            response = client.get(openapi_path)
            doc = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise ServingError(f"cannot read the OpenAPI document at {url}{openapi_path}: {exc}") from None
        if response.status_code != 200 or not isinstance(doc, dict) or "paths" not in doc:
            raise ServingError(
                f"{url}{openapi_path} answered {response.status_code} without an OpenAPI document"
            )
        operations = [
            (method.upper(), path, op)
            for path, item in doc["paths"].items()
            for method, op in item.items()
            if method in _METHODS
        ]
        if endpoints is not None:
            if isinstance(endpoints, str):
                endpoints = [endpoints]
            wanted = {e.strip() for e in endpoints}
            operations = [o for o in operations if o[1] in wanted or f"{o[0]} {o[1]}" in wanted]
            found = {o[1] for o in operations} | {f"{o[0]} {o[1]}" for o in operations}
            missing = sorted(wanted - found)
            if missing:
                raise InputError(
                    "endpoints",
                    f"{missing} are not in the OpenAPI document",
                    f"pick from {sorted(doc['paths'])}",
                )
        runner = _Runner(client, doc, jsonschema, httpx, max_examples, seed, requirements)
        metrics: list[MetricValue] = []
        for method, path, op in operations:
            metrics += runner.check(method, path, _resolve(op, doc))
    outcome = worst([m.outcome for m in metrics if m.outcome is not None]) if metrics else Outcome.SKIPPED
    bad = runner.violations
    message = ""
    if bad:
        first = bad[0]
        message = (
            f"{len(bad)} contract violation(s){' (first ' + str(MAX_COUNTEREXAMPLES) + ' kept)' if runner.total > len(bad) else ''};"
            f" first: {first['endpoint']} {first['request']} -> {first['status']}: {first['problem']}"
        )
    details = {"operations": [f"{m} {p}" for m, p, _ in operations], "violations": bad}
    return CheckResult(name or "contract", "load", outcome, metrics, rule, message, details)


class _Runner:
    """Sends generated requests for one document and keeps the violations."""

    def __init__(
        self,
        client: Any,
        doc: dict[str, Any],
        jsonschema: Any,
        httpx: Any,
        examples: int,
        seed: int,
        requirements: dict[str, Requirement],
    ):
        self.client, self.doc, self.jsonschema, self.httpx = client, doc, jsonschema, httpx
        self.examples, self.seed, self.requirements = examples, seed, requirements
        self.violations: list[dict[str, Any]] = []
        self.total = 0

    def _violation(self, endpoint: str, request: Any, status: Any, problem: str) -> None:
        self.total += 1
        if len(self.violations) < MAX_COUNTEREXAMPLES:
            self.violations.append(
                {"endpoint": endpoint, "request": request, "status": status, "problem": problem}
            )

    def _send(self, method: str, path: str, params: dict[str, Any], **kwargs: Any) -> Any:
        for key, value in params.get("path", {}).items():
            path = path.replace("{" + key + "}", str(value))
        for attempt in (0, 1):
            try:
                return self.client.request(method, path, params=params.get("query") or None, **kwargs)
            except (self.httpx.ReadError, self.httpx.RemoteProtocolError) as exc:
                # a server may close a kept-alive connection after an error response: retry once
                if attempt:
                    return exc
            except self.httpx.HTTPError as exc:
                return exc
        raise AssertionError("unreachable")

    def check(self, method: str, path: str, op: dict[str, Any]) -> list[MetricValue]:
        from hypothesis import HealthCheck, Phase, given, settings
        from hypothesis import seed as hseed

        endpoint = f"{method} {path}"
        parameters = {
            where: {p["name"]: from_schema(p.get("schema", {})) for p in op.get("parameters", [])
                    if p.get("in") == where and (p.get("required") or where == "path")}
            for where in ("path", "query")
        }  # fmt: skip
        body = (op.get("requestBody") or {}).get("content", {}).get("application/json", {}).get("schema")
        draw_params = st.fixed_dictionaries({w: st.fixed_dictionaries(s) for w, s in parameters.items()})
        draw_body = from_schema(body) if body is not None else st.none()
        accepted = [0, 0]
        example: dict[str, Any] = {}

        @hseed(self.seed)
        @settings(max_examples=self.examples, database=None, phases=[Phase.generate], deadline=None,
                  suppress_health_check=list(HealthCheck))  # fmt: skip
        @given(draw_params, draw_body)
        def valid(params: dict[str, Any], payload: Any) -> None:
            accepted[1] += 1
            kwargs = {"json": payload} if body is not None else {}
            response = self._send(method, path, params, **kwargs)
            request = {"params": params, "body": payload} if body is not None else {"params": params}
            if isinstance(response, Exception):
                self._violation(endpoint, request, None, f"no answer ({type(response).__name__}: {response})")
                return
            example.setdefault("params", params)
            example.setdefault("body", payload)
            if not 200 <= response.status_code < 300:
                self._violation(
                    endpoint, request, response.status_code, f"valid request refused: {response.text[:300]}"
                )
                return
            problem = self._schema_problem(op, response)
            if problem:
                self._violation(endpoint, request, response.status_code, problem)
                return
            accepted[0] += 1

        valid()
        out = [self._metric("valid_accepted", accepted[0], accepted[1], endpoint)]
        if body is not None:
            params = example.get("params", {"path": {}, "query": {}})
            good = example.get("body")
            malformed: list[tuple[str, dict[str, Any]]] = [
                ("broken JSON", {"content": b"{not json", "headers": {"content-type": "application/json"}}),
                ("body of the wrong type", {"json": _wrong_type(body)}),
            ]
            if isinstance(good, dict) and body.get("required"):
                field = body["required"][0]
                malformed.append(
                    (
                        f"missing required field {field!r}",
                        {"json": {k: v for k, v in good.items() if k != field}},
                    )
                )
            rejected = 0
            for what, kwargs in malformed:
                response = self._send(method, path, params, **kwargs)
                shown = kwargs.get("json", "{not json")
                if isinstance(response, Exception):
                    self._violation(endpoint, shown, None, f"{what}: no answer ({type(response).__name__})")
                elif 400 <= response.status_code < 500:
                    rejected += 1
                else:
                    self._violation(endpoint, shown, response.status_code, f"{what} not rejected with 4xx")
            out.append(self._metric("malformed_rejected", rejected, len(malformed), endpoint))
        return out

    def _metric(self, name: str, k: int, n: int, endpoint: str) -> MetricValue:
        estimate = Estimate(
            k / n if n else None, n=n, range=(0.0, 1.0), reason=None if n else "no requests sent"
        )
        return judge(name, estimate, self.requirements[name], slice={"endpoint": endpoint})

    def _schema_problem(self, op: dict[str, Any], response: Any) -> str | None:
        schema = _response_schema(op, response.status_code)
        if schema is None:
            return None
        try:
            data = response.json()
        except ValueError:
            return f"response is not JSON: {response.text[:200]!r}"
        validator = self.jsonschema.Draft202012Validator(_resolve(schema, self.doc))
        error = next(iter(validator.iter_errors(data)), None)
        if error is None:
            return None
        return f"response does not match its schema: {error.message[:300]} (body {json.dumps(data)[:200]})"
