"""The floor of bench.opening_day: a bare Flask endpoint at the application path.

Served by the same gunicorn settings (``deploy/gunicorn.conf.py``) as the platform, it parses
the JSON body and answers 201 with a small JSON document: what any Flask app under gunicorn
costs per request on this machine, with no token check, no database and no gateway hop.
"""
from __future__ import annotations

import uuid

from flask import Flask, jsonify, request

app = Flask(__name__)


@app.post("/api/registration/applications")
def apply():
    body = request.get_json(force=True)
    return jsonify(id=str(uuid.uuid4()), sitting_id=body.get("sitting_id"), state="submitted"), 201


@app.get("/healthz")
def healthz():
    return "ok"
