"""The certificates dashboard: officers and auditors only; list, search by number, counts."""


def staff(svc, role="certificate_officer"):
    return svc.tokens.headers(sub="staff-1", roles=(role,), name="王主任")


def test_dashboard_lists_counts_and_searches(svc):
    a = svc.qualify()["number"]
    b = svc.qualify(exam_code="ZJ", exam_name="一级造价工程师", level="一级")["number"]
    page = svc.client.get("/ops/certificates/", headers=staff(svc)).get_data(as_text=True)
    assert a in page and b in page and "共 2 本" in page and "当前签发" in page
    found = svc.client.get("/ops/certificates/", query_string={"q": b[:-3].lower()},
                           headers=staff(svc, "auditor")).get_data(as_text=True)
    assert b in found and a not in found
    none = svc.client.get("/ops/certificates/", query_string={"q": "%_%"}, headers=staff(svc))
    assert none.status_code == 200 and "没有找到证书" in none.get_data(as_text=True)


def test_detail_shows_the_credential_and_its_signature(svc):
    n = svc.qualify()["number"]
    resp = svc.client.get(f"/ops/certificates/{n}", headers=staff(svc))
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "eddsa-jcs-2022" in page and "签名</dt><dd>有效" in page
    assert svc.client.get("/ops/certificates/BK0", headers=staff(svc)).status_code == 404


def test_dashboard_refuses_others(svc):
    assert svc.client.get("/ops/certificates/").status_code == 401
    assert svc.client.get("/ops/certificates/", headers=svc.holder()).status_code == 403
    assert svc.client.get("/ops/certificates/", headers=staff(svc, "finance")).status_code == 403
