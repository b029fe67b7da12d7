"""The Plecto emulator's registrations of other integrations: what the destination's delete tests stand on."""

from __future__ import annotations

import pytest
import requests
from sandbox.plecto import OTHER_PROVIDER, PASSWORD, PROVIDER, USERNAME

EMULATOR = ("plecto", {})


@pytest.fixture
def api(emulator):
    session = requests.Session()
    session.auth = (USERNAME, PASSWORD)
    yield lambda method, path, **kwargs: session.request(method, f"{emulator.url}/api/v2{path}", timeout=10, **kwargs)
    session.close()


def members_by_external_id(api, data_source):
    return {r["external_id"]: r["member"] for r in api("GET", "/registrations/", params={"data_source": data_source}).json()["results"]}


def test_given_the_seed_then_sales_holds_five_registrations_of_another_integration(api, emulator):
    members = members_by_external_id(api, emulator.data_source_uuid("Sales"))
    assert sorted(members) == [f"legacy-{i}" for i in range(1, 6)]
    assert {m["api_provider"] for m in members.values()} == {OTHER_PROVIDER}


def test_given_registrations_of_two_integrations_when_listed_then_each_names_its_member_provider(api, emulator):
    transactions = emulator.data_source_uuid("Transactions")
    posted = api("POST", "/registrations/", json={"data_source": transactions, "external_id": "ours",
                                                  "member_api_provider": PROVIDER, "member_api_id": "7", "member_name": "Ana"})
    assert posted.status_code == 201
    inserted = requests.post(f"{emulator.url}/__sandbox/insert-registration", timeout=10, json={
        "data_source": transactions, "external_id": "theirs", "provider": OTHER_PROVIDER, "api_id": "u-1", "name": "Bo"})
    assert inserted.json()["member"]["api_provider"] == OTHER_PROVIDER
    members = members_by_external_id(api, transactions)
    assert (members["ours"]["api_provider"], members["theirs"]["api_provider"]) == (PROVIDER, OTHER_PROVIDER)


def test_given_show_member_provider_off_when_listed_then_members_carry_only_uuid_and_name(api, emulator):
    requests.post(f"{emulator.url}/__sandbox/switches", json={"show_member_provider": False}, timeout=10)
    members = members_by_external_id(api, emulator.data_source_uuid("Sales"))
    assert all(set(m) == {"uuid", "name"} for m in members.values())
