"""Identity's command line: ``python -m services.identity.cli rotate-key | totp-code``.

``rotate-key`` makes a new signing key active; the old public keys stay in the JWKS until every
token they signed has expired, so nobody is signed out. Run it on a schedule (e.g. monthly) or
at once if a key may have leaked.
``totp-code`` prints the current code for the demo staff secret (dev and test only).
``service-secret <name>`` makes a new client secret for a service and prints it with the hash
identity needs (``BAOKAO_SERVICE_SECRET_<NAME>`` for the service, ``BAOKAO_SERVICE_CLIENTS``
for identity).
"""
from __future__ import annotations

import argparse
import json


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m services.identity.cli")
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser("rotate-key", help="make a new signing key active, keep old public keys")
    sub.add_parser("jwks", help="print the published key set")
    sub.add_parser("totp-code", help="current TOTP code of the demo staff (not production)")
    secret_cmd = sub.add_parser("service-secret", help="a new client secret for a service")
    secret_cmd.add_argument("service")
    a = p.parse_args(argv)
    if a.command == "service-secret":
        from services.common.service_auth import new_secret, secret_hash
        secret = new_secret()
        print(f"BAOKAO_SERVICE_SECRET_{a.service.upper()}={secret}")
        print(f"# for identity, in BAOKAO_SERVICE_CLIENTS: {a.service}:{secret_hash(secret)}")
        return 0
    if a.command == "totp-code":
        from services.common.config import Settings
        from services.identity.adapters.totp import now_code
        from services.identity.demo import DEMO_TOTP_SECRET
        if Settings("identity").production:
            print("demo TOTP secret is not used in production")
            return 1
        print(now_code(DEMO_TOTP_SECRET))
        return 0
    from services.identity.bootstrap import bootstrap
    runtime = bootstrap()
    keys = runtime.services["keys"]
    if a.command == "rotate-key":
        kid = keys.rotate()
        print(f"new active signing key: {kid}; published keys: "
              f"{[k['kid'] for k in keys.jwks()['keys']]}")
    else:
        print(json.dumps(keys.jwks(), indent=2))
    runtime.engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
