"""Every API of every service answers malformed input with a 4xx and a stable code, never a 500."""
from __future__ import annotations

import importlib
import re

import pytest

from services.common.auth import ROLES
from services.common.config import SERVICES

BAD_BODIES = [
    ("not json", b"{this is not json", "application/json"),
    ("json array", b"[1, 2, 3]", "application/json"),
    ("unknown field", b'{"zzz_unknown_field": 1}', "application/json"),
    ("wrong types", b'{"name": 5, "subjects": "x", "password": [], "amount_fen": "lots",'
                    b' "sitting_id": {}, "login": 7, "return_url": 3}', "application/json"),
    ("huge string", b'{"name": "' + b"x" * 100_000 + b'"}', "application/json"),
    ("form garbage", b"a=1&b=%ZZ&&=", "application/x-www-form-urlencoded"),
    ("binary", bytes(range(256)), "application/octet-stream"),
]


@pytest.fixture(params=SERVICES)
def service_client(request, make_settings, bus, tokens):
    name = request.param
    rt = importlib.import_module(f"services.{name}.bootstrap").bootstrap(make_settings(name), transport=bus)
    app = importlib.import_module(f"services.{name}.web").create_app(rt, verifier=tokens.verifier)
    return name, app, tokens.headers("staff-1", tuple(ROLES), username="everyone")


def _writes(app, service: str):
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(f"/api/{service}/") and rule.methods & {"POST", "PUT", "PATCH"}:
            path = rule.rule
            for arg in rule.arguments:
                path = path.replace(f"<{arg}>", "x").replace(f"<path:{arg}>", "x")
            path = re.sub(r"<[^>]+>", "x", path)
            yield path, sorted(rule.methods & {"POST", "PUT", "PATCH"})


def test_no_write_endpoint_answers_malformed_input_with_a_server_error(service_client):
    """Endpoints with a JSON body refuse every malformed one (4xx + code); none ever says 5xx."""
    service, app, headers = service_client
    client = app.test_client()
    api = app.extensions["baokao_api"]
    with_body = {(f"/api/{service}" + d.rule, m) for d in api.docs if d.body is not None
                 for m in d.methods}
    failures = []
    for path, methods in _writes(app, service):
        for method in methods:
            declared = any(re.fullmatch(re.sub(r"<[^>]+>", "[^/]+", rule), path) and m == method
                           for rule, m in with_body)
            for label, body, ctype in BAD_BODIES:
                resp = client.open(path, method=method, data=body,
                                   headers={**headers, "Content-Type": ctype})
                if resp.status_code >= 500 or (declared and not 400 <= resp.status_code < 500):
                    failures.append(f"{method} {path} [{label}] → {resp.status_code}")
                elif resp.status_code >= 400 and resp.is_json:
                    error = resp.get_json().get("error", {})
                    if not (error.get("code") and error.get("message")):
                        failures.append(f"{method} {path} [{label}]: no code/message")
    assert not failures, "\n".join(failures)


def test_queries_with_junk_parameters_never_fail_with_a_server_error(service_client):
    service, app, headers = service_client
    client = app.test_client()
    failures = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(f"/api/{service}/") or "GET" not in rule.methods:
            continue
        path = re.sub(r"<[^>]+>", "%00junk'\"", rule.rule)
        resp = client.get(path, query_string={"limit": "-1", "q": "'; DROP TABLE x;--",
                                              "number": "x" * 500, "name": "\x00", "on": "yesterday",
                                              "status": "???"}, headers=headers)
        if resp.status_code >= 500:
            failures.append(f"GET {path} → {resp.status_code}")
    assert not failures, "\n".join(failures)


def test_every_dashboard_route_checks_a_role(service_client):
    """Each /ops page is wrapped by ``ops_page(roles…)`` (it sets ``ops_roles``); a new route
    without it would be open to anyone signed in, and this test names it."""
    service, app, _ = service_client
    ops = [r for r in app.url_map.iter_rules() if r.rule.startswith(f"/ops/{service}")]
    unguarded = [r.rule for r in ops if r.endpoint != "static"
                 and not getattr(app.view_functions[r.endpoint], "ops_roles", None)]
    assert ops and unguarded == []
    anonymous = app.test_client()
    for rule in ops:
        if "GET" in rule.methods and not rule.arguments:
            assert anonymous.get(rule.rule).status_code in (302, 401, 403), rule.rule
