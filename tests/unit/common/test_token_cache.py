"""Verified tokens are remembered until they expire; nothing unverified is ever remembered."""
from __future__ import annotations

import time

import pytest

from services.common.errors import Unauthorized
from tests.support.tokens import TestTokens


def test_a_verified_token_is_answered_from_memory_until_it_expires():
    tokens = TestTokens()
    tokens.verifier.leeway = 0
    token = tokens.token(sub="cand-9", ttl=1)
    first = tokens.verifier.verify(token)
    assert tokens.verifier.verify(token) is first  # no second signature check
    assert first.sub == "cand-9" and first.roles == {"candidate"}
    time.sleep(2.05)
    with pytest.raises(Unauthorized) as exc:
        tokens.verifier.verify(token)
    assert exc.value.code == "token_expired"


def test_a_forged_token_is_refused_every_time_even_after_the_real_one_was_seen():
    tokens, other = TestTokens(), TestTokens()
    real = tokens.token(sub="cand-1")
    forged = other.token(sub="cand-1")  # same kid and claims, another key
    assert tokens.verifier.verify(real).sub == "cand-1"
    for _ in range(2):
        with pytest.raises(Unauthorized):
            tokens.verifier.verify(forged)


@pytest.mark.parametrize("token", ["", "abc", "!!!.x.y", "e30.e30.sig", "W10.e30.sig"])
def test_a_malformed_token_is_refused_with_a_stable_code(token):
    with pytest.raises(Unauthorized) as exc:
        TestTokens().verifier.verify(token)
    assert exc.value.code in ("token_invalid", "token_unknown_key")
