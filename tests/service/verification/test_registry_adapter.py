"""The simulated CHSI: latency, time-outs, injected failures and the outage switch, deterministic."""
from __future__ import annotations

import pytest

from services.verification.adapters.registries import (
    RecordExists,
    SimulatedChsi,
    SimulationConfig,
)
from services.verification.domain.registries import RegistryUnavailable

WANG = "106111201205000123"


@pytest.fixture
def make_chsi(svc):
    def make(**config):
        slept: list[float] = []
        chsi = SimulatedChsi(svc.rt.engine, SimulationConfig(**config),
                             svc.rt.services["registry_switches"], sleep=slept.append)
        return chsi, slept
    return make


def test_lookup_waits_about_the_configured_latency(make_chsi):
    chsi, slept = make_chsi(latency_ms=30, seed=7)
    record = chsi.lookup(WANG)
    assert record.name == "王小明" and record.graduation_date.isoformat() == "2012-06-30"
    assert chsi.lookup("000000000000000000") is None
    assert len(slept) == 2 and all(0.015 <= s <= 0.045 for s in slept)


def test_a_slow_answer_is_a_timeout(make_chsi):
    chsi, slept = make_chsi(latency_ms=5000, timeout_ms=100, seed=1)
    with pytest.raises(RegistryUnavailable, match="no answer within 100 ms"):
        chsi.lookup(WANG)
    assert slept == [0.1]


def test_failure_rate_is_deterministic_with_a_seed(make_chsi):
    def outcomes(seed):
        chsi, _ = make_chsi(latency_ms=0, failure_rate=0.5, seed=seed)
        result = []
        for _ in range(20):
            try:
                chsi.lookup(WANG)
                result.append("ok")
            except RegistryUnavailable:
                result.append("down")
        return result
    first = outcomes(42)
    assert first == outcomes(42) and {"ok", "down"} == set(first)


def test_outage_switch(make_chsi, svc):
    chsi, _ = make_chsi(latency_ms=0)
    switches = svc.rt.services["registry_switches"]
    switches.set("chsi", True, "ops1")
    with pytest.raises(RegistryUnavailable, match="outage"):
        chsi.lookup(WANG)
    switches.set("chsi", False, "ops1")
    assert chsi.lookup(WANG) is not None
    assert switches.state("chsi")["changed_by"] == "ops1"


def test_adding_an_existing_number_is_refused(make_chsi):
    chsi, _ = make_chsi(latency_ms=0)
    record = chsi.lookup(WANG)
    with pytest.raises(RecordExists):
        chsi.add(record, added_by="ops1")


def test_config_from_settings_and_environment(make_settings, monkeypatch):
    monkeypatch.setenv("BAOKAO_REGISTRY_LATENCY_MS", "80")
    monkeypatch.setenv("BAOKAO_REGISTRY_FAILURE_RATE", "0.25")
    assert SimulationConfig.from_settings(make_settings("verification")) == SimulationConfig(
        latency_ms=80, failure_rate=0.25, timeout_ms=3000, seed=None)
    explicit = make_settings("verification", extra={"registry_latency_ms": 0})
    assert SimulationConfig.from_settings(explicit).latency_ms == 0
    monkeypatch.delenv("BAOKAO_REGISTRY_LATENCY_MS")
    monkeypatch.delenv("BAOKAO_REGISTRY_FAILURE_RATE")
    assert SimulationConfig.from_settings(None) == SimulationConfig()
