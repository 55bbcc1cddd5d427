"""The HTTP adapter to verification, against a stand-in server speaking the agreed API
(GET /api/verification/integrity/<id>?on=, GET /api/verification/majors/relation?exam=&level=&major=)."""
from __future__ import annotations

import threading
import time
from datetime import date

import pytest
from flask import Flask, jsonify, request
from werkzeug.serving import make_server

from services.registration.adapters.verification import HttpVerification, VerificationUnavailable

seen: list[dict] = []


def stand_in() -> Flask:
    app = Flask("verification-stand-in")

    @app.get("/api/verification/integrity/<candidate_id>")
    def integrity(candidate_id):
        seen.append({"path": request.path, "args": request.args.to_dict(),
                     "auth": request.headers.get("Authorization")})
        if candidate_id == "slow":
            time.sleep(1)
        if candidate_id == "broken":
            return jsonify(error={"code": "x", "message": "x"}), 500
        if candidate_id == "unknown":
            return jsonify(error={"code": "not_found", "message": "x"}), 404
        return jsonify(candidate_id=candidate_id, listed=candidate_id == "listed",
                       on=request.args["on"])

    @app.get("/api/verification/majors/relation")
    def relation():
        seen.append({"path": request.path, "args": request.args.to_dict()})
        return jsonify(relation={"统计学": "own", "数学": "related"}.get(request.args["major"],
                                                                         "other"))

    return app


@pytest.fixture(scope="module")
def base_url():
    server = make_server("127.0.0.1", 0, stand_in(), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def test_integrity_and_major_relation_over_http(base_url):
    v = HttpVerification(base_url, timeout=0.5)
    assert v.on_integrity_list("listed", date(2026, 3, 1), "tok") is True
    assert seen[-1] == {"path": "/api/verification/integrity/listed", "args": {"on": "2026-03-01"},
                        "auth": "Bearer tok"}
    assert v.on_integrity_list("clean", date(2026, 3, 1), None) is False
    assert v.major_relation("JJ", "02", "统计学", "tok") == "own"
    assert seen[-1]["args"] == {"exam": "JJ", "level": "02", "major": "统计学"}
    assert v.major_relation("JJ", "02", "土木工程", None) == "other"


def test_timeouts_errors_and_refused_connections_mean_unavailable(base_url):
    v = HttpVerification(base_url, timeout=0.2)
    with pytest.raises(VerificationUnavailable):
        v.on_integrity_list("slow", date(2026, 3, 1), None)
    with pytest.raises(VerificationUnavailable):
        v.on_integrity_list("broken", date(2026, 3, 1), None)
    with pytest.raises(VerificationUnavailable):  # a verification without the route: fail closed
        v.on_integrity_list("unknown", date(2026, 3, 1), None)
    with pytest.raises(VerificationUnavailable):
        HttpVerification("http://127.0.0.1:9", timeout=0.2).major_relation("JJ", "02", "x", None)
