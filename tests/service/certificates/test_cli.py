"""The offline verifier: a downloaded credential and key set, no server, exit code 0 or 1."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

from services.certificates import cli

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def files(svc, tmp_path):
    n = svc.qualify()["number"]
    cred = svc.client.get(f"/api/certificates/{n}/credential.json", headers=svc.holder()).data
    keys = svc.client.get("/api/certificates/keys").data
    (tmp_path / "cred.json").write_bytes(cred)
    (tmp_path / "keys.json").write_bytes(keys)
    return tmp_path


def run(files, capsys, cred="cred.json", keys="keys.json"):
    code = cli.main(["verify", str(files / cred), "--keys", str(files / keys)])
    return code, capsys.readouterr().out


def test_downloaded_credential_is_valid_offline(files, capsys):
    code, out = run(files, capsys)
    assert code == 0 and out.startswith("VALID") and "张三" in out


def test_tampered_credential_is_invalid(files, capsys):
    doc = json.loads((files / "cred.json").read_text())
    doc["credentialSubject"]["name"] = "李四"
    (files / "cred.json").write_text(json.dumps(doc, ensure_ascii=False))
    code, out = run(files, capsys)
    assert code == 1 and out.startswith("INVALID: bad_signature")


def test_key_missing_from_the_key_set_is_unknown_key(files, capsys):
    (files / "other.json").write_text(json.dumps({"keys": []}))
    code, out = run(files, capsys, keys="other.json")
    assert code == 1 and out.startswith("INVALID: unknown_key")


@pytest.mark.parametrize("content", ["not json", "[]", '{"proof": 1}'])
def test_broken_files_are_invalid_not_a_crash(files, capsys, content):
    (files / "cred.json").write_text(content)
    code, out = run(files, capsys)
    assert code == 1 and out.startswith("INVALID")


def test_missing_file_is_invalid(files, capsys):
    code, out = run(files, capsys, cred="nope.json")
    assert code == 1 and "cannot_read" in out


def test_runs_as_a_module_in_a_fresh_process(files):
    proc = subprocess.run([sys.executable, "-m", "services.certificates.cli", "verify",
                           str(files / "cred.json"), "--keys", str(files / "keys.json")],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("VALID")


def test_rotate_key_command_adds_a_key_and_keeps_the_old_one(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("BAOKAO_DATA_DIR", str(tmp_path / "cli-data"))
    monkeypatch.delenv("BAOKAO_CERTIFICATES_DATABASE_URL", raising=False)
    monkeypatch.delenv("BAOKAO_DATABASE_URL_TEMPLATE", raising=False)
    monkeypatch.delenv("BAOKAO_AMQP_URL", raising=False)
    assert cli.main(["keys"]) == 0
    [first] = json.loads(capsys.readouterr().out)["keys"]
    assert cli.main(["rotate-key"]) == 0
    assert "new signing key" in capsys.readouterr().out
    assert cli.main(["keys"]) == 0
    kids = [k["kid"] for k in json.loads(capsys.readouterr().out)["keys"]]
    assert len(kids) == 2 and kids[1] == first["kid"]
