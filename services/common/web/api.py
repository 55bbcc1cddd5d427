"""API routes that validate with marshmallow, check roles, and document themselves (OpenAPI)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, wraps

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Blueprint, Response, g, jsonify, request
from marshmallow import RAISE, Schema

from services.common.auth import SERVICE_ROLE
from services.common.errors import DomainError, Forbidden, Unauthorized


@dataclass
class RouteDoc:
    rule: str
    methods: tuple[str, ...]
    summary: str
    body: type[Schema] | None
    query: type[Schema] | None
    response: type[Schema] | None
    roles: tuple[str, ...] | None
    status: int
    callers: tuple[str, ...] = ()


def authorize(principal, roles: tuple[str, ...] | None, callers: tuple[str, ...] = ()):
    """``roles=None``: public; ``()``: any signed-in person; otherwise one of the roles.

    A service token (role ``service``) passes only routes that name ``service`` among their
    roles, and only when its service is in the route's ``callers`` allow-list. On routes for
    people it is refused; on public routes it counts as no one.
    """
    if roles is None:
        return None if principal is not None and principal.service else principal
    if principal is None:
        raise Unauthorized("请先登录", code="login_required")
    if principal.service is not None:
        if SERVICE_ROLE not in roles:
            raise Forbidden("服务凭证不能访问此接口", code="service_not_allowed")
        if principal.service not in callers:
            raise Forbidden("该服务无权调用此接口", code="caller_not_allowed")
        return principal
    if roles and not principal.has_any(*roles):
        raise Forbidden("您的账号没有执行此操作的权限", code="role_required")
    return principal


def current_principal(roles: tuple[str, ...] | None, callers: tuple[str, ...] = ()):
    return authorize(g.get("principal"), roles, callers)


@cache
def schema_instance(schema: type[Schema], *, many: bool = False, strict: bool = False) -> Schema:
    """One instance per schema class and options, reused by every request: building a schema
    (its fields, nested schemas) costs more than using it, and our schemas keep no state
    between calls (no ``context``), so threads may share them."""
    return schema(many=many, unknown=RAISE) if strict else schema(many=many)


def load_json(schema: type[Schema]) -> dict:
    payload = request.get_json(force=True, silent=True)
    if payload is None:
        raise DomainError("请求体不是合法的 JSON", code="bad_json", status=400)
    if not isinstance(payload, dict):
        raise DomainError("请求体应为 JSON 对象", code="bad_json", status=400)
    return schema_instance(schema, strict=True).load(payload)


class Api:
    def __init__(self, service: str, title: str, description: str = ""):
        self.service = service
        self.title = title
        self.description = description
        self.bp = Blueprint(f"{service}_api", f"services.{service}.web",
                            url_prefix=f"/api/{service}")
        self.docs: list[RouteDoc] = []
        self.bp.add_url_rule("/openapi.json", "openapi", lambda: jsonify(self.openapi()))

    def route(self, rule: str, methods=("GET",), *, body=None, query=None, response=None,
              roles: tuple[str, ...] | None = (), summary: str = "", status: int = 200,
              callers: tuple[str, ...] = ()):
        """``callers``: the services allowed on a route whose ``roles`` include ``service``."""
        if roles is not None and SERVICE_ROLE in roles and not callers:
            raise ValueError(f"{rule}: a route open to services must name its callers")
        if callers and (roles is None or SERVICE_ROLE not in roles):
            raise ValueError(f"{rule}: callers need the 'service' role")

        def decorate(fn):
            @wraps(fn)
            def view(**kwargs):
                kwargs_principal = current_principal(roles, callers)
                if body is not None:
                    kwargs["data"] = load_json(body)
                if query is not None:
                    kwargs["args"] = schema_instance(query, strict=True).load(
                        request.args.to_dict())
                if "principal" in fn.__code__.co_varnames:
                    kwargs["principal"] = kwargs_principal
                result = fn(**kwargs)
                if isinstance(result, Response):
                    return result
                code = status
                if isinstance(result, tuple):
                    result, code = result
                if response is not None:
                    result = schema_instance(response, many=isinstance(result, list)).dump(result)
                return jsonify(result), code
            self.bp.add_url_rule(rule, fn.__name__, view, methods=list(methods))
            self.docs.append(RouteDoc(rule, tuple(methods), summary or (fn.__doc__ or "").strip(),
                                      body, query, response, roles, status, tuple(callers)))
            return fn
        return decorate

    def openapi(self) -> dict:
        spec = APISpec(title=f"Baokao {self.title} API", version="1.0.0", openapi_version="3.0.3",
                       plugins=[MarshmallowPlugin()], info={"description": self.description})
        spec.components.schema("Error", {"type": "object", "properties": {"error": {
            "type": "object", "required": ["code", "message"],
            "properties": {"code": {"type": "string"}, "message": {"type": "string"},
                           "fields": {"type": "object"}}}}})
        spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer",
                                                   "bearerFormat": "JWT"})
        seen: set[str] = set()

        def ref(schema):
            name = schema.__name__
            if name not in seen:
                seen.add(name)
                spec.components.schema(name, schema=schema)
            return name

        paths: dict[str, dict] = {}
        for d in self.docs:
            path = f"/api/{self.service}" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", d.rule)
            for method in d.methods:
                op: dict = {"summary": d.summary, "responses": {
                    str(d.status): {"description": "OK", "content": {"application/json": {
                        "schema": ref(d.response) if d.response else {"type": "object"}}}},
                    "4XX": {"description": "Refused with a stable error code",
                            "content": {"application/json": {"schema": "Error"}}}}}
                if d.body is not None:
                    op["requestBody"] = {"required": True, "content": {
                        "application/json": {"schema": ref(d.body)}}}
                if d.query is not None:
                    op["parameters"] = [{"in": "query", "schema": d.query}]
                params = re.findall(r"<(?:\w+:)?(\w+)>", d.rule)
                op.setdefault("parameters", []).extend(
                    {"in": "path", "name": p, "required": True, "schema": {"type": "string"}}
                    for p in params)
                if d.roles is not None:
                    op["security"] = [{"bearer": []}]
                    if d.roles:
                        op["x-roles"] = list(d.roles)
                    if d.callers:
                        op["x-callers"] = list(d.callers)
                paths.setdefault(path, {})[method.lower()] = op
        for path, ops in paths.items():
            spec.path(path=path, operations=ops)
        return spec.to_dict()
