"""Command line: rotate the signing key, export the key set, verify a credential offline.

    python -m services.certificates.cli rotate-key
    python -m services.certificates.cli keys > keys.json
    python -m services.certificates.cli verify credential.json --keys keys.json [--status list.json]

``verify`` needs no server and no database: only the downloaded credential, the key set
(``GET /api/certificates/keys``) and, to see revocations, the status list the credential names
(``credentialStatus.statusListCredential``, ``GET /api/certificates/status/<n>``), itself checked
against the same keys. It prints VALID or INVALID with the reason; exit code 0 or 1.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from services.certificates.domain import proof, status_list

EXIT_VALID, EXIT_INVALID, EXIT_USAGE = 0, 1, 2


def _read_json(path: str, what: str):
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise SystemExit(f"INVALID: cannot_read — 无法读取{what} {path}: {exc.strerror}") from exc
    except ValueError as exc:
        raise SystemExit(f"INVALID: malformed — {what}不是合法的 JSON: {exc}") from exc


def verify_files(credential_path: str, keys_path: str,
                 status_path: str | None = None) -> tuple[bool, str]:
    """(valid, line to print) for a credential file checked against a JWK set file and,
    when given, the signed status list file."""
    document = _read_json(credential_path, "证书文件")
    keys = proof.keys_from_jwks(_read_json(keys_path, "密钥文件"))
    verdict = proof.verify(document, keys)
    if not verdict.valid:
        return False, f"INVALID: {verdict.code} — {verdict.message}"
    note = "（未检查吊销状态：请用 --status 提供状态列表）"
    if status_path:
        listing = _read_json(status_path, "状态列表文件")
        list_verdict = proof.verify(listing, keys)
        if not list_verdict.valid:
            return False, f"INVALID: bad_status_list — 状态列表签名无效：{list_verdict.message}"
        code, message = status_list.status_of(document, listing)
        if code != "ok":
            return False, f"INVALID: {code} — {message}"
        note = f"（状态列表 {listing.get('validFrom')} 未吊销）"
    subject = document.get("credentialSubject") or {}
    return True, (f"VALID: {document.get('id')} — {subject.get('name')} · {document.get('name')}"
                  f"（密钥 {verdict.kid}）{note}")


def _verify(args) -> int:
    try:
        ok, line = verify_files(args.credential, args.keys, args.status)
    except SystemExit as exc:  # unreadable input is an invalid credential, not a crash
        print(exc.code)
        return EXIT_INVALID
    print(line)
    return EXIT_VALID if ok else EXIT_INVALID


def _rotate(_args) -> int:
    from services.certificates.bootstrap import bootstrap
    runtime = bootstrap()
    kid = runtime.services["keys"].rotate()
    print(f"new signing key {kid}; earlier certificates still verify with their keys")
    return EXIT_VALID


def _keys(_args) -> int:
    from services.certificates.bootstrap import bootstrap
    print(json.dumps(bootstrap().services["keys"].jwks(), ensure_ascii=False, indent=2))
    return EXIT_VALID


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m services.certificates.cli",
                                description="Baokao certificates: keys and offline verification")
    sub = p.add_subparsers(dest="command", required=True)
    v = sub.add_parser("verify", help="verify a credential JSON offline against a key set")
    v.add_argument("credential")
    v.add_argument("--keys", required=True, help="the JWK set from GET /api/certificates/keys")
    v.add_argument("--status", help="the status list from the credential's statusListCredential URL")
    v.set_defaults(run=_verify)
    sub.add_parser("rotate-key", help="retire the signing key and create a new one"
                   ).set_defaults(run=_rotate)
    sub.add_parser("keys", help="print the public key set").set_defaults(run=_keys)
    args = p.parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
