"""write(): batching, dedup, state after acknowledgement, 400 narrowing, CDC deletes, overwrite, retries."""

from __future__ import annotations

import json
import logging
from typing import Any, Iterator

import pytest
import requests
from airbyte_cdk.models import AirbyteMessage, DestinationSyncMode, FailureType, Type
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from destination_plecto import DestinationPlecto
from destination_plecto.protocol import SERIALIZER, dump
from request_builder import (
    DATA_SOURCE,
    ConfigBuilder,
    PlectoRequests,
    accept_all,
    catalog,
    complete,
    posted,
    record,
    response,
    state,
    write,
)

POSTS = PlectoRequests.registrations()


def registration_calls(requests_mock) -> list[Any]:
    """The calls on /registrations, after the data-source reads every write starts with."""
    return [r for r in requests_mock.request_history if r.url.startswith(POSTS)]


def test_given_250_records_and_batch_size_100_when_write_then_three_posts_of_100_100_50(requests_mock):
    requests_mock.post(POSTS, json=accept_all)
    write(ConfigBuilder().build(), [record({"id": i, "v": i}) for i in range(250)])
    assert [len(batch) for batch in posted(requests_mock)] == [100, 100, 50]
    assert posted(requests_mock)[2][-1] == {
        "data_source": DATA_SOURCE, "external_id": "249", "member_api_provider": "Airbyte",
        "member_api_id": "Airbyte", "member_name": "Airbyte", "v": 249}


def test_given_batch_size_7_when_write_20_records_then_posts_respect_it(requests_mock):
    requests_mock.post(POSTS, json=accept_all)
    write(ConfigBuilder().with_(batch_size=7).build(), [record({"id": i}) for i in range(20)])
    assert [len(batch) for batch in posted(requests_mock)] == [7, 7, 6]


def test_given_same_external_id_twice_in_a_batch_when_write_then_later_record_wins_and_is_counted(requests_mock, caplog):
    requests_mock.post(POSTS, json=accept_all)
    caplog.set_level(logging.INFO)
    write(ConfigBuilder().build(), [record({"id": 1, "v": "old"}), record({"id": 2, "v": "x"}), record({"id": 1, "v": "new"})])
    [batch] = posted(requests_mock)
    assert [(r["external_id"], r["v"]) for r in batch] == [("1", "new"), ("2", "x")]
    assert "duplicates_in_batch=1" in caplog.text


def test_given_states_between_records_when_write_then_each_state_only_after_its_records_are_posted(requests_mock):
    requests_mock.post(POSTS, json=accept_all)
    messages = [record({"id": i}) for i in range(3)] + [state(3)] + [record({"id": i}) for i in range(3, 5)] + [state(5)]
    posts_when_yielded = []
    for message in DestinationPlecto().write(ConfigBuilder().with_(batch_size=4).build(), catalog(), iter(messages)):
        assert message.type == Type.STATE
        posts_when_yielded.append((message.state.stream.stream_state.cursor, len(posted(requests_mock))))
    # state 3 waits for the batch holding records 0-2 (posted when full, at record 3); state 5 for the final flush
    assert posts_when_yielded == [(3, 1), (5, 2)]


def test_given_state_with_platform_id_when_write_then_id_echoed_and_record_count_set(requests_mock):
    requests_mock.post(POSTS, json=accept_all)
    lines = [json.dumps({"type": "RECORD", "record": {"stream": "transactions", "data": {"id": i}, "emitted_at": 1}})
             for i in range(3)]
    lines.append(json.dumps({"type": "STATE", "id": 1, "state": {"type": "STREAM", "id": 77, "sourceStats": {"recordCount": 3.0},
                             "stream": {"stream_descriptor": {"name": "transactions"}, "stream_state": {"c": 3}}}}))
    messages = [SERIALIZER.load(json.loads(line)) for line in lines]
    [out] = write(ConfigBuilder().build(), messages)
    printed = json.loads(dump(out))
    assert printed["state"]["id"] == 77
    assert printed["state"]["destinationStats"] == {"recordCount": 3.0}
    assert printed["state"]["sourceStats"] == {"recordCount": 3.0}


def test_given_state_with_no_pending_records_when_write_then_emitted_without_a_post(requests_mock):
    out = write(ConfigBuilder().build(), [state("empty")])
    assert [m.state.stream.stream_state.cursor for m in out] == ["empty"]
    assert out[0].state.destinationStats.recordCount == 0
    assert registration_calls(requests_mock) == []


def stored_batches(requests_mock) -> list[list[str]]:
    """External ids of every POST that Plecto acknowledged (2xx)."""
    return [[r["external_id"] for r in call.json()] for call in requests_mock.request_history
            if call.method == "POST" and getattr(call, "stored_by_fake_plecto", False)]


def reject_external_ids(*bad: str):
    """A Plecto that rejects a whole request when it holds one of `bad` (as the emulator does)."""
    def answer(request, context):
        body = request.json()
        for item in body:
            if item["external_id"] in bad:
                context.status_code = 400
                return dict(response("400_invalid_date"), external_id=item["external_id"])
        request.stored_by_fake_plecto = True
        return accept_all(request, context)
    return answer


def test_given_one_bad_registration_in_batch_and_skip_when_write_then_narrowed_others_stored_and_sync_goes_on(requests_mock, caplog):
    requests_mock.post(POSTS, json=reject_external_ids("bad"))
    messages = [record({"id": i}) for i in ("a", "b", "bad", "c")] + [state("s")]
    out = write(ConfigBuilder().with_(on_invalid_record="skip").build(), messages)
    # one try, then bisection: [a,b] ok, [bad,c] 400, [bad] 400, [c] ok
    assert [[r["external_id"] for r in b] for b in posted(requests_mock)] == [
        ["a", "b", "bad", "c"], ["a", "b"], ["bad", "c"], ["bad"], ["c"]]
    assert stored_batches(requests_mock) == [["a", "b"], ["c"]]
    assert len(out) == 1 and out[0].type == Type.STATE and out[0].state.destinationStats.recordCount == 4
    assert "skipped external_id 'bad'" in caplog.text and "Invalid date" in caplog.text


def test_given_bad_registration_and_fail_when_write_then_valid_ones_stored_covered_states_emitted_and_error_names_it(requests_mock):
    requests_mock.post(POSTS, json=reject_external_ids("bad"))
    messages = [record({"id": "a"}), state("before"), record({"id": "bad"}), record({"id": "c"}), state("after")]
    emitted = []
    with pytest.raises(AirbyteTracedException) as error:
        for message in DestinationPlecto().write(ConfigBuilder().build(), catalog(), iter(messages)):
            emitted.append(message.state.stream.stream_state.cursor)
    assert emitted == ["before"]  # "after" covers the rejected record: never emitted
    assert "'bad'" in error.value.message and "Invalid date" in error.value.message
    assert error.value.failure_type == FailureType.config_error
    assert sorted(sum(stored_batches(requests_mock), [])) == ["a", "c"]


def test_given_record_that_cannot_be_mapped_and_fail_when_write_then_earlier_records_stored_then_error(requests_mock):
    requests_mock.post(POSTS, json=accept_all)
    config = ConfigBuilder().with_stream(date_field="when").build()
    messages = [record({"id": 1, "when": "2024-01-01"}), state("ok"), record({"id": 2, "when": "not a date"}), state("never")]
    emitted = []
    with pytest.raises(AirbyteTracedException, match="external_id '2'.*not a date"):
        for message in DestinationPlecto().write(config, catalog(), iter(messages)):
            emitted.append(message.state.stream.stream_state.cursor)
    assert emitted == ["ok"]
    assert [[r["external_id"] for r in b] for b in posted(requests_mock)] == [["1"]]


def test_given_cdc_deleted_record_when_write_then_registration_found_by_reference_and_deleted(requests_mock):
    requests_mock.post(POSTS, json=accept_all)
    requests_mock.get(POSTS, json={"count": 1, "next": None, "results": [response("registrations_page")["results"][1]]})
    delete = requests_mock.delete(PlectoRequests.registration(DATA_SOURCE, "b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2"), status_code=204)
    write(ConfigBuilder().build(), [record({"id": 1}), record({"id": 2, "_ab_cdc_deleted_at": "2024-02-01T00:00:00Z"})])
    lookup = [r for r in registration_calls(requests_mock) if r.method == "GET"][0]
    assert lookup.qs == {"data_source": [DATA_SOURCE], "reference": ["2"]}
    assert delete.call_count == 1
    assert [[r["external_id"] for r in b] for b in posted(requests_mock)] == [["1"]]


def test_given_upsert_then_delete_of_same_id_in_one_batch_when_write_then_not_posted_only_deleted(requests_mock):
    requests_mock.get(POSTS, json={"count": 0, "next": None, "results": []})
    write(ConfigBuilder().build(), [record({"id": 1}), record({"id": 1, "_ab_cdc_deleted_at": "2024-02-01"})])
    assert posted(requests_mock) == []
    assert [r.method for r in registration_calls(requests_mock)] == ["GET"]


def test_given_overwrite_and_stream_complete_when_write_ends_then_registrations_not_written_are_deleted(requests_mock):
    requests_mock.post(POSTS, json=accept_all)
    requests_mock.get(POSTS, json=response("registrations_page"))
    stale = requests_mock.delete(PlectoRequests.registration(DATA_SOURCE, "c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3"), status_code=204)
    write(ConfigBuilder().build(), [record({"id": 1}), record({"id": 2}), complete()],
          catalog(("transactions", DestinationSyncMode.overwrite)))
    assert stale.call_count == 1
    assert [r.method for r in registration_calls(requests_mock)] == ["POST", "GET", "DELETE"]


def test_given_append_when_write_then_nothing_is_deleted(requests_mock):
    requests_mock.post(POSTS, json=accept_all)
    write(ConfigBuilder().build(), [record({"id": 1})], catalog(("transactions", DestinationSyncMode.append_dedup)))
    assert [r.method for r in registration_calls(requests_mock)] == ["POST"]


def test_given_429_with_retry_after_when_post_then_waits_that_long_and_retries(requests_mock, no_sleep):
    requests_mock.post(POSTS, [{"status_code": 429, "json": response("429"), "headers": {"Retry-After": "7"}},
                               {"status_code": 201, "json": response("registrations_created")}])
    write(ConfigBuilder().build(), [record({"id": 1})])
    assert len(posted(requests_mock)) == 2
    assert 7.0 in [c.args[0] for c in no_sleep.call_args_list]


def test_given_5xx_and_timeouts_when_post_then_retried_with_exponential_backoff(requests_mock, no_sleep):
    requests_mock.post(POSTS, [{"status_code": 500, "json": response("500")}, {"exc": requests.exceptions.ReadTimeout},
                               {"exc": requests.exceptions.ConnectionError}, {"status_code": 201, "json": accept_all}])
    write(ConfigBuilder().with_(retry_backoff_seconds=1).build(), [record({"id": 1})])
    assert len(posted(requests_mock)) == 4
    assert [c.args[0] for c in no_sleep.call_args_list if c.args and c.args[0] >= 1] == [1.0, 2.0, 4.0]


@pytest.mark.parametrize("cut", [
    {"exc": requests.exceptions.ChunkedEncodingError},   # a reset while the answer's body was read
    {"status_code": 201, "text": '[{"id": "a", "exter'},  # a truncated answer
])
def test_given_an_answer_cut_in_transit_when_post_then_the_upsert_is_sent_again(requests_mock, no_sleep, cut):
    requests_mock.post(POSTS, [cut, {"status_code": 201, "json": accept_all}])
    out = write(ConfigBuilder().build(), [record({"id": 1}), state("s1")])
    assert len(posted(requests_mock)) == 2 and [m.state.stream.stream_state.cursor for m in out] == ["s1"]


def test_given_2xx_that_does_not_account_for_the_batch_when_write_then_retried_then_fails_and_no_state(
        requests_mock, no_sleep):
    requests_mock.post(POSTS, status_code=200, json={"status": "ok"})
    emitted = []
    with pytest.raises(AirbyteTracedException) as error:
        for message in DestinationPlecto().write(ConfigBuilder().with_(max_retries=2).build(), catalog(),
                                                 iter([record({"id": 1}), record({"id": 2}), state("s")])):
            emitted.append(message)
    assert emitted == [] and len(posted(requests_mock)) == 3
    assert "trust_any_2xx" in error.value.message and '{"status": "ok"}' in error.value.message
    assert error.value.failure_type == FailureType.system_error


def test_given_trust_any_2xx_when_plecto_answers_otherwise_then_the_batch_counts_as_stored(requests_mock):
    requests_mock.post(POSTS, status_code=200, json={"status": "ok"})
    out = write(ConfigBuilder().with_(trust_any_2xx=True).build(), [record({"id": 1}), state("s")])
    assert [m.state.stream.stream_state.cursor for m in out] == ["s"] and len(posted(requests_mock)) == 1


def test_given_server_down_beyond_max_retries_when_write_then_transient_error_and_no_state(requests_mock):
    requests_mock.post(POSTS, status_code=503, json=response("500"))
    emitted = []
    with pytest.raises(AirbyteTracedException) as error:
        for message in DestinationPlecto().write(ConfigBuilder().with_(max_retries=2).build(), catalog(),
                                                 iter([record({"id": 1}), state("s")])):
            emitted.append(message)
    assert error.value.failure_type == FailureType.transient_error and "3 attempt(s)" in error.value.message
    assert emitted == [] and len(posted(requests_mock)) == 3


def test_given_401_when_write_then_config_error_without_retry(requests_mock):
    requests_mock.post(POSTS, status_code=401, json=response("401"))
    with pytest.raises(AirbyteTracedException) as error:
        write(ConfigBuilder().build(), [record({"id": 1})])
    assert error.value.failure_type == FailureType.config_error and "'password'" in error.value.message
    assert "unit-test-password" not in error.value.message
    assert len(posted(requests_mock)) == 1


def test_given_unmapped_stream_in_catalog_when_write_then_config_error_before_any_request(requests_mock):
    with pytest.raises(AirbyteTracedException, match="accounts"):
        write(ConfigBuilder().build(), [record({"id": 1})], catalog("transactions", "accounts"))
    assert not requests_mock.request_history


def test_given_two_streams_when_write_then_each_goes_to_its_data_source(requests_mock):
    requests_mock.post(POSTS, json=accept_all)
    other = "10fe50d9ba574332ad4c5d0958493631"
    config = ConfigBuilder().with_streams({"stream": "transactions", "data_source": DATA_SOURCE},
                                          {"stream": "accounts", "data_source": other}).build()
    write(config, [record({"id": 1}), record({"id": 1}, stream="accounts")], catalog("transactions", "accounts"))
    assert sorted(b[0]["data_source"] for b in posted(requests_mock)) == sorted([DATA_SOURCE, other])


def test_given_state_waiting_longer_than_max_delay_when_next_message_arrives_then_buffers_flushed(requests_mock, mocker):
    requests_mock.post(POSTS, json=accept_all)
    now = [0.0]
    mocker.patch("destination_plecto.writer._now", side_effect=lambda: now[0])

    def messages() -> Iterator[AirbyteMessage]:
        yield record({"id": 1})
        yield state("s1")
        now[0] = 1000.0
        yield record({"id": 2})  # arrives 1000 s later: the state has waited too long
        yield record({"id": 3})

    out = []
    for message in DestinationPlecto().write(ConfigBuilder().build(), catalog(), messages()):
        out.append((message.state.stream.stream_state.cursor, len(posted(requests_mock))))
    assert out == [("s1", 1)]
    assert [[r["external_id"] for r in b] for b in posted(requests_mock)] == [["1", "2"], ["3"]]


def test_given_overwrite_and_skipped_invalid_record_when_cleanup_then_its_registration_is_kept(requests_mock):
    requests_mock.post(POSTS, json=accept_all)
    requests_mock.get(POSTS, json=response("registrations_page"))  # external ids 1, 2, stale
    kept = requests_mock.delete(PlectoRequests.registration(DATA_SOURCE, "b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2"), status_code=204)
    stale = requests_mock.delete(PlectoRequests.registration(DATA_SOURCE, "c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3"), status_code=204)
    config = ConfigBuilder().with_stream(date_field="when").with_(on_invalid_record="skip").build()
    write(config, [record({"id": 1, "when": "2024-01-01"}), record({"id": 2, "when": "not a date"}), complete()],
          catalog(("transactions", DestinationSyncMode.overwrite)))
    assert stale.call_count == 1 and kept.call_count == 0
