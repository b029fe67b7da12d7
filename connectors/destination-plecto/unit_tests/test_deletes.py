"""What write() may delete: only after a COMPLETE stream, only registrations of this connection, within the cap."""

from __future__ import annotations

import logging

import pytest
from airbyte_cdk.models import AirbyteStreamStatus, DestinationSyncMode, FailureType, Type
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from request_builder import (
    DATA_SOURCE,
    OTHER_DATA_SOURCE,
    ConfigBuilder,
    PlectoRequests,
    accept_all,
    catalog,
    complete,
    incomplete,
    record,
    registrations_page,
    state,
    stored_registration,
    stream_status,
    write,
)

POSTS = PlectoRequests.registrations()
OVERWRITE = catalog(("transactions", DestinationSyncMode.overwrite))
OURS_STALE = stored_registration("stale-1", "a" * 32)
OURS_STALE_2 = stored_registration("stale-2", "b" * 32)
WRITTEN = stored_registration("1", "c" * 32)  # what this sync writes again
FOREIGN = stored_registration("crm-7", "d" * 32, provider="Legacy CRM")
UNNAMED = stored_registration("crm-8", "e" * 32, provider=None)  # Plecto's answer names no provider


@pytest.fixture
def plecto(requests_mock):
    """A data source holding two stale registrations of ours, one of another integration, one whose writer is not
    named, and the one this sync writes; every DELETE succeeds."""
    requests_mock.post(POSTS, json=accept_all)
    requests_mock.get(POSTS, json=registrations_page(WRITTEN, OURS_STALE, FOREIGN, UNNAMED, OURS_STALE_2))
    for registration in (WRITTEN, OURS_STALE, FOREIGN, UNNAMED, OURS_STALE_2):
        requests_mock.delete(PlectoRequests.registration(DATA_SOURCE, registration["id"]), status_code=204)
    return requests_mock


def deleted(requests_mock) -> list[str]:
    """The registration ids of every DELETE sent."""
    return [r.url.rstrip("/").rsplit("/", 1)[-1] for r in requests_mock.request_history if r.method == "DELETE"]


# ---- when overwrite deletes ---------------------------------------------------------------------------------------
def test_given_overwrite_and_stream_incomplete_when_input_ends_then_nothing_deleted_and_one_line_says_why(plecto, caplog):
    caplog.set_level(logging.INFO)
    out = write(ConfigBuilder().build(), [record({"id": 1}), state("s"), incomplete()], OVERWRITE)
    assert deleted(plecto) == []
    assert [m.type for m in out] == [Type.STATE]  # the records are stored all the same
    [line] = [r.message for r in caplog.records if "nothing is deleted" in r.message]
    assert "'transactions'" in line and "INCOMPLETE" in line and "next sync" in line


def test_given_overwrite_and_no_stream_status_when_input_ends_then_nothing_deleted(plecto, caplog):
    caplog.set_level(logging.INFO)
    write(ConfigBuilder().build(), [record({"id": 1}), state("s")], OVERWRITE)
    assert deleted(plecto) == []
    assert [r.method for r in plecto.request_history if r.url.startswith(POSTS)] == ["POST"]  # not even listed
    assert any("no stream status" in r.message and "nothing is deleted" in r.message for r in caplog.records)


def test_given_overwrite_and_complete_then_incomplete_when_input_ends_then_the_last_status_counts(plecto):
    write(ConfigBuilder().build(), [record({"id": 1}), complete(), incomplete()], OVERWRITE)
    assert deleted(plecto) == []


def test_given_overwrite_and_stream_complete_when_input_ends_then_only_our_stale_registrations_deleted(plecto, caplog):
    caplog.set_level(logging.INFO)
    write(ConfigBuilder().build(), [record({"id": 1}), state("s"), complete()], OVERWRITE)
    assert sorted(deleted(plecto)) == sorted([OURS_STALE["id"], OURS_STALE_2["id"]])
    kept = [r.message for r in caplog.records if "kept 2 registration(s)" in r.message]
    assert len(kept) == 1 and "'crm-7'" in kept[0] and "'crm-8'" in kept[0] and "'Airbyte'" in kept[0]
    assert "stale_deleted=2" in caplog.text and "stale_kept_not_ours=2" in caplog.text


def test_given_complete_for_another_stream_only_when_input_ends_then_the_incomplete_one_is_not_cleaned(plecto, requests_mock):
    config = ConfigBuilder().with_streams({"stream": "transactions", "data_source": DATA_SOURCE},
                                          {"stream": "accounts", "data_source": OTHER_DATA_SOURCE}).build()
    requests_mock.get(f"{POSTS}?data_source={OTHER_DATA_SOURCE}", json=registrations_page(
        stored_registration("old", "f" * 32, data_source=OTHER_DATA_SOURCE)))
    requests_mock.delete(PlectoRequests.registration(OTHER_DATA_SOURCE, "f" * 32), status_code=204)
    cat = catalog(("transactions", DestinationSyncMode.overwrite), ("accounts", DestinationSyncMode.overwrite))
    write(config, [record({"id": 1}), record({"id": 9}, "accounts"), complete("accounts"), incomplete("transactions")], cat)
    assert deleted(plecto) == ["f" * 32]


def test_given_complete_status_of_another_namespace_when_input_ends_then_not_taken_for_this_stream(plecto):
    write(ConfigBuilder().build(), [record({"id": 1}),
                                    stream_status(AirbyteStreamStatus.COMPLETE, "transactions", namespace="other")],
          OVERWRITE)
    assert deleted(plecto) == []


def test_given_a_failed_record_under_fail_when_stream_complete_then_nothing_deleted(plecto):
    config = ConfigBuilder().with_stream(date_field="when").build()
    with pytest.raises(AirbyteTracedException):
        write(config, [record({"id": 1, "when": "2024-01-01"}), record({"id": 2, "when": "not a date"}), complete()],
              OVERWRITE)
    assert deleted(plecto) == []


def test_given_fixed_member_mapping_when_cleanup_then_its_registrations_are_kept_and_the_log_says_why(requests_mock, caplog):
    caplog.set_level(logging.INFO)
    member = "5a3fe0a2f1b04b1f9c3b1d0a7e6c2b41"
    ours_by_member = stored_registration("old-by-member", "a" * 32, provider="Plecto")  # the employee's provider
    requests_mock.post(POSTS, json=accept_all)
    requests_mock.get(POSTS, json=registrations_page(ours_by_member))
    write(ConfigBuilder().with_stream(member=member).build(), [record({"id": 1}), complete()], OVERWRITE)
    assert deleted(requests_mock) == []
    [line] = [r.message for r in caplog.records if "kept 1 registration(s)" in r.message]
    assert "streams[0].member" in line and "member_api_id_field" in line


# ---- the cap and the dry run --------------------------------------------------------------------------------------
def test_given_more_stale_registrations_than_the_cap_when_cleanup_then_fails_before_any_delete(plecto):
    with pytest.raises(AirbyteTracedException) as error:
        write(ConfigBuilder().with_(overwrite_max_deletions=1).build(), [record({"id": 1}), complete()], OVERWRITE)
    assert deleted(plecto) == []
    message = error.value.message
    assert "'transactions'" in message and "2 registration(s)" in message and "'overwrite_max_deletions'" in message
    assert error.value.failure_type == FailureType.config_error


def test_given_as_many_stale_registrations_as_the_cap_when_cleanup_then_they_are_deleted(plecto):
    write(ConfigBuilder().with_(overwrite_max_deletions=2).build(), [record({"id": 1}), complete()], OVERWRITE)
    assert len(deleted(plecto)) == 2


def test_given_dry_run_when_cleanup_then_no_delete_and_the_log_lists_what_would_go(plecto, caplog):
    caplog.set_level(logging.INFO)
    out = write(ConfigBuilder().with_(deletion_dry_run=True, overwrite_max_deletions=1).build(),
                [record({"id": 1}), state("s"), complete()], OVERWRITE)
    assert deleted(plecto) == []
    assert [m.type for m in out] == [Type.STATE]
    [line] = [r.message for r in caplog.records if "would delete" in r.message]
    assert "2 registration(s)" in line and "'stale-1'" in line and "'stale-2'" in line and "deletion_dry_run" in line
    assert "overwrite_max_deletions" in line  # a real sync would stop at the cap: said, not failed


# ---- CDC deletes --------------------------------------------------------------------------------------------------
def cdc_delete(external_id: str) -> object:
    return record({"id": external_id, "_ab_cdc_deleted_at": "2024-02-01T00:00:00Z"})


def test_given_cdc_delete_of_another_integrations_registration_when_write_then_kept_counted_and_logged(requests_mock, caplog):
    caplog.set_level(logging.INFO)
    foreign = stored_registration("crm-7", "d" * 32, provider="Legacy CRM")
    requests_mock.get(POSTS, json=registrations_page(foreign))
    requests_mock.delete(PlectoRequests.registration(DATA_SOURCE, foreign["id"]), status_code=204)
    out = write(ConfigBuilder().build(), [cdc_delete("crm-7"), state("s")])
    assert deleted(requests_mock) == []
    assert [m.type for m in out] == [Type.STATE]
    assert "delete_not_ours=1" in caplog.text
    assert any("'crm-7'" in r.message and "Legacy CRM" in r.message for r in caplog.records)


def test_given_cdc_delete_of_a_registration_whose_writer_is_not_named_when_write_then_kept(requests_mock):
    unnamed = stored_registration("x", "e" * 32, provider=None)
    requests_mock.get(POSTS, json=registrations_page(unnamed))
    requests_mock.delete(PlectoRequests.registration(DATA_SOURCE, unnamed["id"]), status_code=204)
    write(ConfigBuilder().build(), [cdc_delete("x")])
    assert deleted(requests_mock) == []


def test_given_cdc_delete_of_our_registration_when_write_then_deleted(requests_mock):
    ours = stored_registration("7", "a" * 32)
    requests_mock.get(POSTS, json=registrations_page(ours))
    requests_mock.delete(PlectoRequests.registration(DATA_SOURCE, ours["id"]), status_code=204)
    write(ConfigBuilder().build(), [cdc_delete("7")])
    assert deleted(requests_mock) == [ours["id"]]


def test_given_dry_run_when_cdc_delete_then_nothing_deleted_and_logged(requests_mock, caplog):
    caplog.set_level(logging.INFO)
    ours = stored_registration("7", "a" * 32)
    requests_mock.get(POSTS, json=registrations_page(ours))
    requests_mock.delete(PlectoRequests.registration(DATA_SOURCE, ours["id"]), status_code=204)
    write(ConfigBuilder().with_(deletion_dry_run=True).build(), [cdc_delete("7")])
    assert deleted(requests_mock) == []
    assert any("would delete" in r.message and "'7'" in r.message for r in caplog.records)
