"""Service credentials: token claims, the route allow-list, secrets and how they are kept."""
from __future__ import annotations

import json
import stat
import time

import jwt
import pytest

from services.common.auth import AUDIENCE, ISSUER, Principal
from services.common.config import Settings
from services.common.errors import Forbidden, Unauthorized
from services.common.service_auth import (
    KEY_FILE,
    accepted_clients,
    check_secret,
    own_secret,
    secret_hash,
)
from services.common.web.api import Api, authorize
from tests.support.tokens import TestTokens


def sign(tokens: TestTokens, **claims) -> str:
    now = int(time.time())
    base = {"iss": ISSUER, "aud": AUDIENCE, "iat": now, "exp": now + 300}
    return jwt.encode({**base, **claims}, tokens.key, algorithm="EdDSA",
                      headers={"kid": "test-key"})


def service(name: str) -> Principal:
    return Principal(sub=f"service:{name}", username=f"service:{name}", name=name,
                     roles=frozenset({"service"}))


PERSON = Principal(sub="u1", username="admin", name="管理员",
                   roles=frozenset({"platform_admin", "candidate"}))


def test_a_service_token_becomes_a_principal_naming_the_service():
    t = TestTokens()
    p = t.verifier.verify(sign(t, sub="service:verification", roles=["service"], typ="service"))
    assert p.service == "verification" and not p.is_staff and p.roles == {"service"}
    assert t.verifier.verify(t.token("cand-1")).service is None


@pytest.mark.parametrize("claims", [
    {"sub": "service:verification", "roles": ["service"], "typ": "access"},  # a person's typ
    {"sub": "cand-1", "roles": ["service"], "typ": "service"},  # not a service subject
    {"sub": "service:x", "roles": ["service", "platform_admin"], "typ": "service"},  # extra role
    {"sub": "cand-1", "roles": ["candidate", "service"], "typ": "access"},
    {"sub": "service:x", "roles": ["candidate"], "typ": "access"},
    {"sub": "service:x", "roles": "service", "typ": "service"},
    {"sub": "x", "roles": [], "typ": "refresh"},
])
def test_inconsistent_service_claims_are_refused(claims):
    t = TestTokens()
    with pytest.raises(Unauthorized):
        t.verifier.verify(sign(t, **claims))


def test_the_allow_list_admits_only_the_named_services():
    roles, callers = ("service",), ("verification",)
    assert authorize(service("verification"), roles, callers).service == "verification"
    with pytest.raises(Forbidden) as e:
        authorize(service("certificates"), roles, callers)
    assert e.value.code == "caller_not_allowed"
    with pytest.raises(Forbidden) as e:  # every staff role and no service role
        authorize(PERSON, roles, callers)
    assert e.value.code == "role_required"
    with pytest.raises(Unauthorized):
        authorize(None, roles, callers)


def test_a_service_token_is_refused_on_routes_for_people_and_ignored_on_public_ones():
    for roles in ((), ("candidate",), ("platform_admin",)):
        with pytest.raises(Forbidden) as e:
            authorize(service("verification"), roles)
        assert e.value.code == "service_not_allowed"
    assert authorize(service("verification"), None) is None
    assert authorize(PERSON, ()) is PERSON


def test_routes_must_name_their_callers_and_callers_need_the_service_role():
    api = Api("demo", "Demo")
    with pytest.raises(ValueError):
        api.route("/internal/x", roles=("service",))
    with pytest.raises(ValueError):
        api.route("/x", roles=("candidate",), callers=("verification",))
    api.route("/internal/y", roles=("service",), callers=("verification",))(lambda: {})
    op = api.openapi()["paths"]["/api/demo/internal/y"]["get"]
    assert op["x-roles"] == ["service"] and op["x-callers"] == ["verification"]


def test_secrets_are_compared_by_hash_and_unknown_clients_fail_alike():
    clients = {"verification": (secret_hash("s3cret"),)}
    assert check_secret(clients, "verification", "s3cret")
    assert not check_secret(clients, "verification", "s3cret ")
    assert not check_secret(clients, "verification", "")
    assert not check_secret(clients, "nobody", "s3cret")
    # a client id whose dummy hash happens to be presented still is no client
    assert not check_secret(clients, "nobody", "unknown-client-nobody")


def test_embedded_mode_makes_one_key_file_once_readable_only_by_us(tmp_path, monkeypatch):
    for name in ("VERIFICATION", "IDENTITY", "CERTIFICATES"):
        monkeypatch.delenv(f"BAOKAO_SERVICE_SECRET_{name}", raising=False)
    monkeypatch.delenv("BAOKAO_SERVICE_CLIENTS", raising=False)
    v = Settings("verification", data_dir=tmp_path, production=False)
    secret = own_secret(v)
    path = tmp_path / KEY_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and len(secret) >= 40
    assert own_secret(v) == secret  # stable across restarts
    clients = accepted_clients(Settings("identity", data_dir=tmp_path, production=False))
    assert clients["verification"] == (secret_hash(secret),)
    assert secret not in json.dumps(clients)


def test_production_takes_secrets_and_hashes_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("BAOKAO_SERVICE_SECRET_VERIFICATION", "from-env")
    monkeypatch.setenv("BAOKAO_SERVICE_CLIENTS", "certificates:" + secret_hash("c") + ",bad:xyz")
    prod = Settings("verification", data_dir=tmp_path, production=True)
    assert own_secret(prod) == "from-env"
    assert own_secret(Settings("certificates", data_dir=tmp_path, production=True)) is None
    clients = accepted_clients(Settings("identity", data_dir=tmp_path, production=True))
    assert clients == {"verification": (secret_hash("from-env"),),
                       "certificates": (secret_hash("c"),)}
    assert not (tmp_path / KEY_FILE).exists()  # production never writes a key file


def test_a_secret_rotates_without_refusing_a_call(tmp_path, monkeypatch):
    """Identity accepts the old and the new hash while the service restarts with the new one."""
    monkeypatch.delenv("BAOKAO_SERVICE_SECRET_VERIFICATION", raising=False)
    monkeypatch.setenv("BAOKAO_SERVICE_CLIENTS", ",".join(
        f"verification:{secret_hash(s)}" for s in ("old-secret", "new-secret", "old-secret")))
    clients = accepted_clients(Settings("identity", data_dir=tmp_path, production=True))
    assert clients["verification"] == (secret_hash("old-secret"), secret_hash("new-secret"))
    assert check_secret(clients, "verification", "old-secret")
    assert check_secret(clients, "verification", "new-secret")
    assert not check_secret(clients, "verification", "other")
    monkeypatch.setenv("BAOKAO_SERVICE_CLIENTS", f"verification:{secret_hash('new-secret')}")
    after = accepted_clients(Settings("identity", data_dir=tmp_path, production=True))
    assert not check_secret(after, "verification", "old-secret")  # the old one is retired
