"""nextLink paging: relative links joined to the host, followed through empty pages until absent."""

from airbyte_cdk.test.mock_http import HttpMocker, HttpResponse

from protime_api import (assert_valid, catalog, collection, config, error, page, read, records, responses, scope,
                         template, token_request, token_response)

PEOPLE = template("people")["value"][0]


@HttpMocker()
def test_given_an_empty_page_with_next_link_when_read_then_paging_continues_to_the_last_page(http_mocker: HttpMocker) -> None:
    http_mocker.post(token_request(scope("people")), token_response())
    http_mocker.get(collection("people").build(),
                    page([PEOPLE, {**PEOPLE, "id": 2}], next_link="/connector/protimeapi/api/v1/people?continuationToken=p2"))
    http_mocker.get(collection("people").with_param("continuationToken", "p2").build(),
                    page([], next_link="/connector/protimeapi/api/v1/people?continuationToken=p3"))
    http_mocker.get(collection("people").with_param("continuationToken", "p3").build(), page([{**PEOPLE, "id": 3}]))

    output = read(config(incremental_mode="window"), catalog("people"))

    assert [r["id"] for r in records(output)] == [123152, 2, 3]
    assert_valid(output)


@HttpMocker()
def test_given_server_error_then_success_when_read_then_the_page_is_retried(http_mocker: HttpMocker) -> None:
    http_mocker.post(token_request(scope("departments")), token_response())
    http_mocker.get(collection("departments").build(), [error("500", 500), page(template("departments")["value"])])

    output = read(config(), catalog("departments"))

    assert len(records(output)) == 1


@HttpMocker()
def test_given_429_with_retry_after_when_read_then_it_waits_and_retries(http_mocker: HttpMocker) -> None:
    http_mocker.post(token_request(scope("employers")), token_response())
    employers = collection("employers").build()
    http_mocker.get(employers, [error("429", 429, {"Retry-After": "1"}), page(template("employers")["value"])])

    output = read(config(), catalog("employers"))

    assert len(records(output)) == 1
    http_mocker.assert_number_of_calls(employers, 2)


@HttpMocker()
def test_given_a_body_that_is_not_json_when_read_then_retried_not_taken_for_an_empty_last_page(http_mocker: HttpMocker) -> None:
    http_mocker.post(token_request(scope("departments")), token_response())
    garbled = HttpResponse('{"value": [ this is not json', status_code=200)
    http_mocker.get(collection("departments").build(), [garbled, page(template("departments")["value"])])

    output = read(config(), catalog("departments"))

    assert len(records(output)) == 1


@HttpMocker()
def test_given_a_page_without_value_when_read_then_retried_not_taken_for_the_end(http_mocker: HttpMocker) -> None:
    http_mocker.post(token_request(scope("departments")), token_response())
    http_mocker.get(collection("departments").build(), [responses.raw('{"error": "maintenance"}'),
                                                       page(template("departments")["value"])])

    output = read(config(), catalog("departments"))

    assert len(records(output)) == 1
