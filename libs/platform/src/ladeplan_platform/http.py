"""aiohttp building blocks shared by the operator APIs: auth, errors, bodies, health and OpenAPI.

Routes are declared through :class:`Api`, which registers the aiohttp handler and records the
request and response models, so the OpenAPI document is generated from the same pydantic models
that validate the traffic and cannot drift from it.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

import orjson
import structlog
from aiohttp import web
from pydantic import BaseModel, ValidationError

log = structlog.get_logger("ladeplan.http")

ModelT = TypeVar("ModelT", bound=BaseModel)

OPENAPI_PATH = "/api/v1/openapi.json"
"""Where every operator API serves its OpenAPI document (public, unlike the rest of ``/api/``)."""
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
HealthCheck = Callable[[], Awaitable[None]]


class ApiError(Exception):
    """An error the client should see: status, a short machine-readable code and a reason."""

    def __init__(self, status: int, code: str, reason: str, detail: Any = None) -> None:
        super().__init__(reason)
        self.status = status
        self.code = code
        self.reason = reason
        self.detail = detail


def json_response(data: Any, status: int = 200) -> web.Response:
    body = data.model_dump_json().encode() if isinstance(data, BaseModel) else orjson.dumps(data, default=_default)
    return web.Response(body=body, status=status, content_type="application/json")


def _default(obj: Any) -> Any:
    if isinstance(obj, BaseModel):
        return obj.model_dump(mode="json")
    return str(obj)


def _error_body(status: int, code: str, reason: str, detail: Any = None) -> web.Response:
    payload: dict[str, Any] = {"error": code, "reason": reason}
    if detail is not None:
        payload["detail"] = detail
    return json_response(payload, status)


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except ApiError as exc:
        return _error_body(exc.status, exc.code, exc.reason, exc.detail)
    except web.HTTPException as exc:
        if exc.status >= 400 and exc.content_type != "application/json":
            return _error_body(exc.status, exc.reason.lower().replace(" ", "_"), exc.reason)
        raise
    except Exception:
        log.exception("http.unhandled", path=request.path, method=request.method)
        return _error_body(500, "internal_error", "The server failed to handle the request.")


def operator_auth_middleware(keys: Iterable[str], *, public_paths: Iterable[str] = ()) -> Any:
    """Bearer-key authentication for ``/api/`` paths (operator JWTs join later, see docs)."""
    accepted = [k.encode() for k in keys]
    public = frozenset(public_paths)

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if not request.path.startswith("/api/") or request.path in public:
            return await handler(request)
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise ApiError(401, "unauthorized", "An operator bearer token is required.")
        if not any(hmac.compare_digest(token.encode(), key) for key in accepted):
            raise ApiError(401, "unauthorized", "The bearer token is not valid.")
        return await handler(request)

    return middleware


async def parse_body(request: web.Request, model: type[ModelT]) -> ModelT:
    """Decode and validate a JSON body; 422 with every reason when it does not fit ``model``."""
    raw = await request.read()
    try:
        return model.model_validate_json(raw)
    except ValidationError as exc:
        reasons = [
            {"field": ".".join(str(p) for p in err["loc"]), "message": err["msg"], "type": err["type"]}
            for err in exc.errors(include_url=False, include_input=False)
        ]
        raise ApiError(422, "invalid_body", "The request body is not valid.", reasons) from exc


def parse_query(request: web.Request, model: type[ModelT]) -> ModelT:
    try:
        return model.model_validate(dict(request.query))
    except ValidationError as exc:
        reasons = [
            {"field": ".".join(str(p) for p in err["loc"]), "message": err["msg"]}
            for err in exc.errors(include_url=False, include_input=False)
        ]
        raise ApiError(422, "invalid_query", "The query parameters are not valid.", reasons) from exc


def health_handler(checks: dict[str, HealthCheck]) -> Handler:
    """``GET /health``: 200 when every dependency answers, 503 naming the one that does not."""

    async def health(_: web.Request) -> web.Response:
        results: dict[str, str] = {}
        healthy = True
        for name, check in checks.items():
            try:
                await check()
                results[name] = "ok"
            except Exception as exc:
                healthy = False
                results[name] = f"failing: {exc.__class__.__name__}"
        return json_response({"status": "ok" if healthy else "degraded", "checks": results}, 200 if healthy else 503)

    return health


@dataclass
class Operation:
    method: str
    path: str
    summary: str
    request: type[BaseModel] | None
    response: type[BaseModel] | None
    status: int
    errors: tuple[int, ...]
    query: type[BaseModel] | None = None


@dataclass
class Api:
    """Operator API: routes plus the OpenAPI document they imply."""

    title: str
    version: str = "1.0.0"
    operations: list[Operation] = field(default_factory=list)
    routes: web.RouteTableDef = field(default_factory=web.RouteTableDef)

    def route(
        self,
        method: str,
        path: str,
        *,
        summary: str,
        request: type[BaseModel] | None = None,
        response: type[BaseModel] | None = None,
        status: int = 200,
        errors: tuple[int, ...] = (),
        query: type[BaseModel] | None = None,
    ) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self.operations.append(Operation(method, path, summary, request, response, status, errors, query))
            self.routes.route(method, path)(handler)
            return handler

        return register

    def openapi(self) -> dict[str, Any]:
        schemas: dict[str, Any] = {
            "Error": {
                "type": "object",
                "required": ["error", "reason"],
                "properties": {"error": {"type": "string"}, "reason": {"type": "string"}, "detail": {}},
            }
        }
        paths: dict[str, dict[str, Any]] = {}

        def ref(model: type[BaseModel]) -> dict[str, str]:
            schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
            for name, definition in schema.pop("$defs", {}).items():
                schemas[name] = definition
            schemas[model.__name__] = schema
            return {"$ref": f"#/components/schemas/{model.__name__}"}

        for op in self.operations:
            responses: dict[str, Any] = {str(op.status): {"description": "Success"}}
            if op.response is not None:
                responses[str(op.status)]["content"] = {"application/json": {"schema": ref(op.response)}}
            for code in (401, *op.errors):
                responses[str(code)] = {
                    "description": _ERROR_TEXT.get(code, "Error"),
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
                }
            operation: dict[str, Any] = {"summary": op.summary, "responses": responses}
            parameters = [
                {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
                for name in _path_params(op.path)
            ]
            if op.query is not None:
                for name, fld in op.query.model_fields.items():
                    parameters.append(
                        {
                            "name": name,
                            "in": "query",
                            "required": fld.is_required(),
                            "schema": {"type": "string"},
                        }
                    )
            if parameters:
                operation["parameters"] = parameters
            if op.request is not None:
                operation["requestBody"] = {
                    "required": True,
                    "content": {"application/json": {"schema": ref(op.request)}},
                }
            paths.setdefault(op.path, {})[op.method.lower()] = operation
        return {
            "openapi": "3.1.0",
            "info": {"title": self.title, "version": self.version},
            "components": {
                "schemas": schemas,
                "securitySchemes": {"operatorBearer": {"type": "http", "scheme": "bearer"}},
            },
            "security": [{"operatorBearer": []}],
            "paths": paths,
        }


_ERROR_TEXT = {
    401: "Missing or invalid operator token",
    404: "Not found",
    409: "Conflict with an existing resource",
    422: "Invalid input, with the reasons",
    503: "A dependency is unavailable",
}


def _path_params(path: str) -> list[str]:
    return [part[1:-1].split(":")[0] for part in path.split("/") if part.startswith("{")]


def operator_api_app(
    api: Api, operator_keys: Iterable[str], *, openapi_path: str = OPENAPI_PATH, middlewares: Iterable[Any] = ()
) -> web.Application:
    """An app serving ``api`` behind operator bearer auth, errors as JSON, its OpenAPI document public.

    ``middlewares`` run between the error and the auth middleware (e.g. a service's domain-error mapping).
    """
    app = web.Application(
        middlewares=[
            error_middleware,
            *middlewares,
            operator_auth_middleware(operator_keys, public_paths=[openapi_path]),
        ]
    )
    app.add_routes(api.routes)
    document = api.openapi()

    async def openapi_document(_: web.Request) -> web.Response:
        return json_response(document)

    app.router.add_get(openapi_path, openapi_document)
    return app


class _Pingable(Protocol):
    async def ping(self, timeout: float | None) -> bool: ...


def add_dependency_health(app: web.Application, *, pool: Callable[[], Any], broker: Callable[[], _Pingable]) -> None:
    """``GET /health`` checking PostgreSQL and RabbitMQ; both are looked up when asked (they open at startup)."""

    async def database() -> None:
        await pool().fetchval("SELECT 1")

    async def bus() -> None:
        if not await broker().ping(timeout=2.0):
            raise ConnectionError("RabbitMQ connection is down")

    app.router.add_get("/health", health_handler({"database": database, "bus": bus}))
