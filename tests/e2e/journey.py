"""The walking-skeleton journey, as an API client would walk it through the gateway."""
from __future__ import annotations

import re
import time
import uuid

import requests

DEMO_PASSWORD = "Baokao#2026"
# Staff secrets this process enrolled, per platform (production mode): an embedded platform in
# the same worker keeps the published demo secret for the same user names.
TOTP_SECRETS: dict[tuple[str, str], str] = {}


def totp_now(secret: str) -> str:
    import pyotp
    return pyotp.TOTP(secret).now()


def eventually(fn, timeout: float = 120, interval: float = 0.2, what: str = "condition"):
    """Poll until ``fn()`` returns something truthy (events are asynchronous)."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = fn()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {what}; last value: {last!r}")


class Client:
    """A JSON API client with a bearer token, talking only to the gateway."""

    def __init__(self, base_url: str):
        self.base = base_url
        self.http = requests.Session()
        self.token: str | None = None

    def _headers(self, extra: dict | None = None) -> dict:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        return {**headers, **(extra or {})}

    def get(self, path: str, **kw):
        return self.http.get(self.base + path, headers=self._headers(kw.pop("headers", None)),
                             timeout=15, **kw)

    def post(self, path: str, **kw):
        return self.http.post(self.base + path, headers=self._headers(kw.pop("headers", None)),
                              timeout=15, **kw)

    def sign_in(self, login: str, password: str = DEMO_PASSWORD) -> Client:
        resp = self.post("/api/identity/tokens", json={"login": login, "password": password})
        code = resp.json().get("error", {}).get("code") if resp.status_code == 401 else None
        if code == "totp_enrolment_required":
            # Production mode: the demo staff enrol their own authenticator at first sign-in.
            ticket = resp.json()["error"]["ticket"]
            secret = self.post("/api/identity/totp/enrolment", json={"ticket": ticket}).json()
            TOTP_SECRETS[self.base, login] = secret["secret"]
            resp = self.post("/api/identity/tokens/totp", json={
                "ticket": ticket, "code": totp_now(TOTP_SECRETS[self.base, login])})
        elif code == "totp_required":
            # Staff need TOTP; outside production the demo staff share a published secret.
            from services.identity.demo import DEMO_TOTP_SECRET
            secret = TOTP_SECRETS.get((self.base, login), DEMO_TOTP_SECRET)
            resp = self.post("/api/identity/tokens", json={
                "login": login, "password": password, "totp": totp_now(secret)})
            if resp.status_code == 401 and resp.json()["error"]["code"] == "totp_wrong":
                time.sleep(30.5 - time.time() % 30)  # production: each code signs in once
                resp = self.post("/api/identity/tokens", json={
                    "login": login, "password": password, "totp": totp_now(secret)})
        assert resp.status_code == 200, resp.text
        self.token = resp.json()["access_token"]
        return self


def make_id(seq: int) -> str:
    from services.identity.domain.documents import check_digit
    first17 = f"44010619920815{seq % 1000:03d}"
    return first17 + check_digit(first17)


def sign_up_new_candidate(base: str, staff: Client) -> tuple[Client, dict]:
    """A new candidate whose education the simulated registry knows (staff adds the record)."""
    suffix = uuid.uuid4().hex[:6]
    seq = int(suffix, 16) % 1000
    person = {"name": "李华", "document_number": make_id(seq),
              "certificate": f"10558120140{int(suffix, 16) % 10**7:07d}"}
    record = staff.post("/api/verification/registry/education", json={
        "certificate_number": person["certificate"], "name": person["name"], "level": "本科",
        "school": "中山大学", "major": "工程管理", "graduation_date": "2014-06-30", "study_mode": "全日制"})
    assert record.status_code == 201, record.text
    cand = Client(base)
    body = {"username": f"lh{suffix}", "password": "Hua!Li#Kao9", "name": person["name"],
            "document_type": "resident_id", "document_number": person["document_number"],
            "phone": None, "education_confirmed": True, "agreement_version": "2026-01",
            "education": {"level": "本科", "school": "中山大学", "major": "工程管理",
                          "graduation_date": "2014-06-30", "certificate_number": person["certificate"],
                          "study_mode": "全日制"}}
    resp = cand.post("/api/identity/candidates", json=body)
    assert resp.status_code == 201, resp.text
    cand.sign_in(body["username"], body["password"])
    return cand, person


def apply(cand: Client) -> dict:
    exams = cand.get("/api/registration/exams").json()
    sitting = cand.get(f"/api/registration/sittings/{exams[0]['sitting_id']}").json()
    province = sitting["provinces"][0]
    level = sitting["levels"][0]
    body = {"sitting_id": sitting["sitting_id"], "province": province["code"],
            "city": province["cities"][0]["code"], "level": level["code"],
            "specialty": level["specialties"][0]["code"] if level["specialties"] else None,
            "subjects": [s["code"] for s in level["subjects"]]}
    key = str(uuid.uuid4())
    first = cand.post("/api/registration/applications", json=body, headers={"Idempotency-Key": key})
    assert first.status_code == 201, first.text
    again = cand.post("/api/registration/applications", json=body, headers={"Idempotency-Key": key})
    assert again.json()["id"] == first.json()["id"]  # a double click makes one application
    return first.json()


def pay_through_sandbox(cand: Client, application: dict, *, faults=()) -> dict:
    """Checkout, open the provider's hosted page, press 确认支付 (optionally losing the notice)."""
    order = eventually(lambda: (r := cand.get(f"/api/payment/applications/{application['id']}/order"))
                       .status_code == 200 and r.json(), what="order created")
    assert order["amount_fen"] == application["amount_fen"]
    checkout = cand.post(f"/api/payment/orders/{order['order_number']}/checkout",
                         json={"return_url": f"{cand.base}/applications/{application['id']}?from=pay"})
    assert checkout.status_code == 200, checkout.text
    browser = requests.Session()
    page = browser.get(checkout.json()["pay_url"], timeout=15)
    assert page.status_code == 200 and "确认支付" in page.text
    trade_no = re.search(r'name="trade_no" value="([^"]+)"', page.text).group(1)
    paid = browser.post(page.url.split("/gateway.do")[0] + "/gateway/pay",
                        data={"trade_no": trade_no, "fault": list(faults)}, allow_redirects=False,
                        timeout=15)
    assert paid.status_code == 302 and paid.headers["Location"].startswith(cand.base)
    return order


def import_and_publish_scores(admin: Client, application: dict, score: int = 75) -> None:
    rows = ["admit_card_number,subject_code,score"] + [
        f"{application['admit_card']['number']},{s['code']},{score}" for s in application["subjects"]]
    sitting = application["sitting_id"]
    imported = admin.post(f"/api/registration/sittings/{sitting}/scores/import",
                          data="\n".join(rows).encode(), headers={"Content-Type": "text/csv"})
    assert imported.status_code == 200, imported.text
    published = admin.post(f"/api/registration/sittings/{sitting}/scores/publish")
    assert published.status_code == 200, published.text


def walk(base: str, staff: Client | None = None) -> dict:
    """Sign-up → verified → applied and reviewed → paid → admit card → scores → certificate.

    Concurrent journeys share one signed-in staff client: in production a TOTP code signs in
    only once, so parallel sign-ins of the same account would refuse each other."""
    staff = staff or Client(base).sign_in("examadmin")
    cand, person = sign_up_new_candidate(base, staff)
    checks = eventually(lambda: [c for c in cand.get("/api/verification/me/checks").json()
                                 if c["status"] == "passed"], what="education verified")
    assert checks[0]["kind"] == "education"
    application = apply(cand)
    view = lambda: cand.get(f"/api/registration/applications/{application['id']}").json()  # noqa: E731
    approved = eventually(lambda: (v := view())["next_action"] == "pay" and v, what="approved")
    pay_through_sandbox(cand, approved)
    with_card = eventually(lambda: (v := view())["admit_card"] and v, what="admit card")
    pdf = cand.get(f"/api/registration/applications/{application['id']}/admit-card.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    import_and_publish_scores(staff, with_card)
    qualified = eventually(lambda: (v := view())["qualified"] and v, what="qualified")
    cert = eventually(lambda: cand.get("/api/certificates/me").json(), what="certificate issued")[0]
    verified = requests.get(f"{base}/api/certificates/verify",
                            params={"number": cert["number"], "name": person["name"]}, timeout=15).json()
    assert verified["status"] == "valid" and verified["signature_valid"] is True
    wrong = requests.get(f"{base}/api/certificates/verify",
                         params={"number": cert["number"], "name": "张三"}, timeout=15).json()
    assert wrong["status"] == "not_found" and not wrong.get("certificate")
    notes = eventually(lambda: (n := cand.get("/api/identity/me/notifications").json())
                       and any(x["title"] == "证书已签发" for x in n) and n,
                       what="the certificate notice in the message centre")
    return {"candidate": cand, "person": person, "application": qualified, "certificate": cert,
            "notifications": [n["title"] for n in notes]}
