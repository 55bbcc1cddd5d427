"""The key-rotation command keeps old public keys published; the demo TOTP helper."""
from __future__ import annotations

import pyotp

from services.identity import cli, demo


def test_rotate_key_keeps_the_old_public_key(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("BAOKAO_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("BAOKAO_IDENTITY_DATABASE_URL", raising=False)
    monkeypatch.delenv("BAOKAO_DATABASE_URL_TEMPLATE", raising=False)
    assert cli.main(["rotate-key"]) == 0
    out = capsys.readouterr().out
    assert "new active signing key" in out
    assert out.split("published keys: ")[1].count("'") == 4  # the new key and the old one
    assert cli.main(["jwks"]) == 0
    assert capsys.readouterr().out.count('"kid"') == 2
    monkeypatch.setenv("BAOKAO_MODE", "embedded")
    assert cli.main(["totp-code"]) == 0
    assert pyotp.TOTP(demo.DEMO_TOTP_SECRET).verify(capsys.readouterr().out.strip(),
                                                    valid_window=1)
