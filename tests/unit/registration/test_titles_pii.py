"""Professionals' personal data in title profiles and applications: sealed in the JSON column,
legacy plaintext rows still read, never written without a cipher, keys per service."""
import base64
import json
import os

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, create_engine, insert, select, text

from services.certificates.adapters import pii as certificates_pii
from services.registration.adapters import pii
from services.registration.domain.titles.sections import PERSONAL_FIELDS, masked

ENV = ("BAOKAO_REGISTRATION_PII_KEYS", "BAOKAO_REGISTRATION_KEY_PASSPHRASE",
       "BAOKAO_CERTIFICATES_PII_KEYS", "BAOKAO_CERTIFICATES_KEY_PASSPHRASE")


@pytest.fixture
def table(tmp_path, monkeypatch):
    for name in ENV:
        monkeypatch.delenv(name, raising=False)
    engine = create_engine("sqlite://")
    t = Table("t", MetaData(), Column("id", Integer, primary_key=True),
              Column("basic", pii.SealedJSON(PERSONAL_FIELDS)))
    t.metadata.create_all(engine)
    pii.install(engine, pii.load(tmp_path))
    return engine, t


def test_personal_fields_sealed_the_rest_plain_and_read_back(table):
    engine, t = table
    basic = {"name": "罗洁", "phone": "13800138001", "address": "重庆市渝北区金龙路 88 号",
             "employer": "某设计院", "position": None}
    with engine.begin() as conn:
        conn.execute(insert(t).values(id=1, basic=basic))
        raw = json.loads(conn.execute(text("SELECT basic FROM t")).scalar_one())
        back = conn.execute(select(t.c.basic)).scalar_one()
    assert set(raw) == {"name", "employer", "position", "_pii"} and raw["_pii"].startswith("r1:")
    assert back == basic


def test_rows_written_before_encryption_still_read(table):
    engine, t = table
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO t (id, basic) VALUES (1, :b)"),
                     {"b": json.dumps({"phone": "13800138001"})})
        assert conn.execute(select(t.c.basic)).scalar_one() == {"phone": "13800138001"}


def test_no_cipher_no_write(table):
    engine, t = table
    del engine.dialect.baokao_pii_cipher
    with pytest.raises(Exception, match="not installed"), engine.begin() as conn:
        conn.execute(insert(t).values(id=1, basic={"phone": "13800138001"}))


def test_keys_from_env_passphrase_or_file(tmp_path, monkeypatch):
    for name in ENV:
        monkeypatch.delenv(name, raising=False)
    dev = pii.load(tmp_path)
    assert (tmp_path / "registration-pii.keys").stat().st_mode & 0o777 == 0o600
    assert dev.encrypt("x").startswith("r1:") and pii.load(tmp_path).keys == dev.keys
    monkeypatch.setenv("BAOKAO_REGISTRATION_KEY_PASSPHRASE", "shared-secret")
    monkeypatch.setenv("BAOKAO_CERTIFICATES_KEY_PASSPHRASE", "shared-secret")
    a, b = pii.load(tmp_path / "pod-a"), pii.load(tmp_path / "pod-b")
    assert b.decrypt(a.encrypt("13800138001")) == "13800138001" and a.active == "d1"
    # the same passphrase gives each service its own key (HKDF salt and info differ)
    assert certificates_pii.load(tmp_path).keys["d1"] != a.keys["d1"]
    key = base64.b64encode(os.urandom(32)).decode()
    old = base64.b64encode(a.keys["d1"]).decode()
    monkeypatch.setenv("BAOKAO_REGISTRATION_PII_KEYS", f"r2:{key},d1:{old}")
    rotated = pii.load(tmp_path)
    assert rotated.active == "r2" and rotated.decrypt(a.encrypt("旧")) == "旧"


def test_authorities_see_the_phone_masked():
    assert masked({"name": "罗洁", "phone": "13800138001"}) == {"name": "罗洁",
                                                              "phone": "138****8001"}
    assert masked({"phone": "023-67800000"})["phone"] == "023-****0000"
    assert masked({"phone": None}) == {"phone": None} and masked({}) == {}
