"""Corrections (补正): the holder asks with proofs, an officer approves, version 2 supersedes 1."""
import io

from PIL import Image

API = "/api/certificates"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def jpeg() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(buf, format="JPEG")
    return buf.getvalue()


def ask(svc, number, kind="name", new_value="张三丰", files=None, sub="cand-1"):
    files = [(io.BytesIO(PDF), "户口本变更页.pdf")] if files is None else files
    return svc.client.post(f"{API}/{number}/corrections", headers=svc.holder(sub),
                           data={"kind": kind, "new_value": new_value, "note": "已改名",
                                 "proofs": files}, content_type="multipart/form-data")


def test_name_correction_issues_version_2_and_supersedes_version_1(svc):
    n = svc.qualify()["number"]
    resp = ask(svc, n, files=[(io.BytesIO(PDF), "a.pdf"), (io.BytesIO(jpeg()), "b.jpg")])
    assert resp.status_code == 201, resp.json
    c = resp.json
    assert c["status"] == "pending" and c["old_value"] == "张三" and c["new_value"] == "张三丰"
    assert [p["content_type"] for p in c["proofs"]] == ["application/pdf", "image/jpeg"]
    queue = svc.client.get(f"{API}/corrections", headers=svc.officer()).json
    assert [q["id"] for q in queue] == [c["id"]]
    proof = svc.client.get(f"{API}/corrections/{c['id']}/proofs/{c['proofs'][0]['id']}",
                           headers=svc.officer())
    assert proof.status_code == 200 and proof.data == PDF
    done = svc.client.post(f"{API}/corrections/{c['id']}/approve", headers=svc.officer())
    assert done.status_code == 200 and done.json["status"] == "approved" and done.json["version"] == 2

    now = svc.verify(n, "张三丰")
    assert now["status"] == "valid" and now["certificate"]["version"] == 2
    old = svc.verify(n, "张三", version="1")
    assert old["status"] == "corrected" and old["superseded_by_version"] == 2
    assert old["signature_valid"] is True and old["certificate"]["holder_name"] == "张三"
    assert svc.verify(n, "张三")["status"] == "corrected"  # the former name, without a version
    assert svc.verify(n, "李四", version="1")["status"] == "not_found"

    history = svc.client.get(f"{API}/{n}/history", headers=svc.holder()).json
    assert [(v["version"], v["status"]) for v in history["versions"]] == [(2, "valid"), (1, "superseded")]
    assert history["corrections"][0]["status"] == "approved"
    [event] = svc.events("certificates.certificate.corrected")
    assert event.data | {} == event.data and event.data["version"] == 2
    assert event.data["previous_version"] == 1 and event.data["kind"] == "name"

    v1 = svc.client.get(f"{API}/{n}/versions/1/credential.json", headers=svc.holder()).json
    v2 = svc.client.get(f"{API}/{n}/credential.json", headers=svc.holder()).json
    assert v2["credentialSubject"]["name"] == "张三丰" and v2["credentialSubject"]["certificateVersion"] == 2
    assert v1["credentialStatus"]["statusListIndex"] != v2["credentialStatus"]["statusListIndex"]
    check = svc.client.post(f"{API}/verify/credential", json=v1).json
    assert check["status"] == "corrected" and check["superseded_by_version"] == 2
    assert "第 2 版" in check["message"]


def test_document_correction_stores_only_the_masked_number(svc):
    n = svc.qualify()["number"]
    resp = ask(svc, n, kind="document", new_value="44010619900101123X")
    assert resp.status_code == 201 and resp.json["new_value"] == "440106**********3X"
    svc.client.post(f"{API}/corrections/{resp.json['id']}/approve", headers=svc.officer())
    assert svc.verify(n)["certificate"]["document_number_masked"] == "440106**********3X"


def test_proofs_are_checked_by_content_and_size(svc):
    n = svc.qualify()["number"]
    fake = ask(svc, n, files=[(io.BytesIO(b"MZ\x90\x00 not a pdf"), "proof.pdf")])
    assert fake.status_code == 422 and fake.json["error"]["code"] == "proof_type"
    none = ask(svc, n, files=[])
    assert none.status_code == 422 and none.json["error"]["code"] == "proof_required"
    big = PDF[:-6] + b"0" * (10 * 1024 * 1024) + b"%%EOF\n"
    too_big = ask(svc, n, files=[(io.BytesIO(big), "big.pdf")])
    assert too_big.status_code in (413, 422)
    same = ask(svc, n, new_value="张三")
    assert same.status_code == 422 and same.json["error"]["code"] == "nothing_to_change"
    bad_doc = ask(svc, n, kind="document", new_value="12345")
    assert bad_doc.status_code == 422
    assert ask(svc, n, kind="photo").status_code == 422
    assert ask(svc, n, sub="cand-2").status_code == 404  # not theirs


def test_one_pending_request_at_a_time_and_rejection_with_a_note(svc):
    n = svc.qualify()["number"]
    cid = ask(svc, n).json["id"]
    dup = ask(svc, n, new_value="张三四")
    assert dup.status_code == 409 and dup.json["error"]["code"] == "correction_pending"
    no_note = svc.client.post(f"{API}/corrections/{cid}/reject", json={}, headers=svc.officer())
    assert no_note.status_code == 422
    rejected = svc.client.post(f"{API}/corrections/{cid}/reject", json={"note": "证明材料不清晰"},
                               headers=svc.officer())
    assert rejected.status_code == 200 and rejected.json["decision_note"] == "证明材料不清晰"
    assert svc.verify(n)["certificate"]["version"] == 1
    again = svc.client.post(f"{API}/corrections/{cid}/approve", headers=svc.officer())
    assert again.status_code == 409
    assert svc.client.post(f"{API}/corrections/{cid}/approve", headers=svc.holder()).status_code == 403


def test_pdf_of_the_new_version_names_it(svc):
    n = svc.qualify()["number"]
    first = svc.client.get(f"{API}/{n}/certificate.pdf", headers=svc.holder()).data
    cid = ask(svc, n).json["id"]
    svc.client.post(f"{API}/corrections/{cid}/approve", headers=svc.officer())
    second = svc.client.get(f"{API}/{n}/certificate.pdf", headers=svc.holder()).data
    assert first != second and second.startswith(b"%PDF")
