"""Sign-in state: tokens from identity kept in the signed session cookie, refreshed on expiry."""
from __future__ import annotations

import secrets
import time
from functools import wraps

from flask import g, redirect, request, session, url_for

from gateway.clients import ApiError, call


def start(tokens: dict) -> None:
    """Sign in: a fresh session (rotated id) holding the new token pair."""
    session.clear()
    session["sid"] = secrets.token_urlsafe(16)
    _store(tokens)
    session.permanent = True


def _store(tokens: dict) -> None:
    session["access_token"] = tokens["access_token"]
    session["refresh_token"] = tokens["refresh_token"]
    session["expires_at"] = int(time.time()) + int(tokens.get("expires_in", 900))
    session["user"] = {"name": tokens.get("name"), "roles": tokens.get("roles", [])}
    g.user, g.access_token = session["user"], session["access_token"]


def load() -> None:
    """Before each request: put a valid access token on ``g`` or sign out."""
    g.user = session.get("user")
    g.access_token = session.get("access_token")
    if not g.access_token:
        return
    if session.get("expires_at", 0) - time.time() < 30:
        try:
            _store(call("identity", "POST", "/api/identity/tokens/refresh", auth=False,
                        json={"refresh_token": session.get("refresh_token", "")}))
            g.access_token = session["access_token"]
            g.user = session["user"]
        except ApiError:
            session.clear()
            g.user = g.access_token = None


def roles() -> set[str]:
    return set((g.get("user") or {}).get("roles") or [])


def login_required(*allowed: str):
    """Pages for signed-in users; with roles, only for those roles."""
    def decorate(fn):
        @wraps(fn)
        def view(*args, **kwargs):
            if not g.get("user"):
                return redirect(url_for("public.login", next=request.full_path.rstrip("?")))
            if allowed and not roles() & set(allowed):
                from flask import abort
                abort(403)
            return fn(*args, **kwargs)
        return view
    return decorate
