"""The Plecto emulator's data sources, as the vendor docs describe them: created with their fields, fixed after.

These pin the emulator itself, so the destination's sandbox tests run against the behaviour the docs give.
"""

from __future__ import annotations

import pytest
import requests
from sandbox.plecto import PASSWORD, USERNAME

EMULATOR = ("plecto", {})
DEALS_FIELDS = [{"name": "amount", "input": "DecimalInput", "default_value": ""},
                {"name": "won", "input": "CheckboxInput", "default_value": ""}]


@pytest.fixture
def api(emulator):
    session = requests.Session()
    session.auth = (USERNAME, PASSWORD)
    base = f"{emulator.url}/api/v2"
    yield lambda method, path, **kwargs: session.request(method, f"{base}{path}", timeout=10, **kwargs)
    session.close()


def registration(data_source: str, **fields):
    return {"data_source": data_source, "external_id": "r1", "member_api_provider": "Airbyte", "member_api_id": "1",
            "member_name": "Ana", **fields}


def test_given_title_and_fields_when_post_datasources_then_201_with_uuid_and_fields_readable_after(api, emulator):
    created = api("POST", "/datasources/", json={"title": "Deals", "fields": DEALS_FIELDS})
    assert created.status_code == 201
    body = created.json()
    assert body["title"] == "Deals" and body["fields"] == DEALS_FIELDS and len(body["uuid"]) == 32
    assert api("GET", f"/datasources/{body['uuid']}/").json() == body
    assert [ds["uuid"] for ds in emulator.data_sources_titled("Deals")] == [body["uuid"]]


@pytest.mark.parametrize("method", ["PUT", "PATCH"])
def test_given_created_data_source_when_fields_changed_then_405_and_fields_unchanged(api, method):
    uuid = api("POST", "/datasources/", json={"title": "Deals", "fields": DEALS_FIELDS}).json()["uuid"]
    answer = api(method, f"/datasources/{uuid}/", json={"fields": DEALS_FIELDS + [{"name": "stage", "input": "TextInput"}]})
    assert answer.status_code == 405
    assert api("GET", f"/datasources/{uuid}/").json()["fields"] == DEALS_FIELDS


@pytest.mark.parametrize("body, reason", [
    ({"fields": DEALS_FIELDS}, "title"),
    ({"title": "Deals", "fields": [{"input": "TextInput"}]}, "needs a name"),
    ({"title": "Deals", "fields": [{"name": "a"}, {"name": "a"}]}, "used twice"),
    ({"title": "Deals", "fields": [{"name": "a", "input": "ListInput"}]}, "unknown input"),
])
def test_given_bad_data_source_when_post_datasources_then_400_naming_the_problem_and_nothing_created(api, emulator, body, reason):
    before = len(emulator.data_sources)
    answer = api("POST", "/datasources/", json=body)
    assert answer.status_code == 400 and reason in answer.json()["message"]
    assert len(emulator.data_sources) == before


@pytest.mark.parametrize("unknown_fields, stored", [("keep", {"amount": 3, "note": "x"}), ("drop", {"amount": 3})])
def test_given_unknown_fields_switch_when_registration_names_a_missing_field_then_kept_or_dropped(api, emulator,
                                                                                                 unknown_fields, stored):
    uuid = emulator.add_data_source("Deals", fields={"amount": "DecimalInput"})
    emulator.set_switches(unknown_fields=unknown_fields)
    assert api("POST", "/registrations/", json=registration(uuid, amount=3, note="x")).status_code == 201
    [reg] = emulator.registrations(uuid)
    assert {k: reg[k] for k in ("amount", "note") if k in reg} == stored


@pytest.mark.parametrize("value, accepted", [(True, True), (False, True), (None, True), ("yes", False), (1, False)])
def test_given_yes_no_field_when_registration_posted_then_only_true_or_false_accepted(api, emulator, value, accepted):
    uuid = emulator.add_data_source("Deals", fields={"won": "CheckboxInput"})
    answer = api("POST", "/registrations/", json=registration(uuid, won=value))
    assert (answer.status_code == 201) is accepted
    if not accepted:
        assert "won" in answer.json()["message"]


def test_given_show_fields_off_when_data_sources_read_then_no_field_list_in_either_answer(api, emulator):
    uuid = emulator.data_source_uuid("Transactions")
    api_switch = requests.post(f"{emulator.url}/__sandbox/switches", json={"show_fields": False}, timeout=10)
    assert api_switch.json() == {"unknown_fields": "keep", "show_fields": False, "show_member_provider": True}
    assert "fields" not in api("GET", f"/datasources/{uuid}/").json()
    assert all("fields" not in ds for ds in api("GET", "/datasources/").json())


def test_given_switches_changed_when_reset_then_back_to_the_constructor_values(emulator):
    emulator.set_switches(unknown_fields="drop", show_fields=False)
    emulator.reset()
    assert (emulator.unknown_fields, emulator.show_fields) == ("keep", True)
