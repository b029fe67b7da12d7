"""Answers are checked against the documented shape before any record is read from them."""

import io

import pytest
import requests

from connector_kit.contract import ResponseContract, UnexpectedBody

PLUGGY = ResponseContract("Pluggy", [
    {"path": "^/v2/", "body": "object", "fields": {"results": "array", "next": "string|null"}},
    {"path": "", "body": "object", "fields": {"results": "array", "totalPages": "integer", "page?": "integer"}},
])


def answer(path: str, body: bytes, status: int = 200) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response.raw = io.BytesIO(body)  # what requests reads the body from
    response.url = f"https://api.example.com{path}?itemId=1"
    response.request = requests.Request("GET", response.url).prepare()
    return response


@pytest.mark.parametrize(("path", "body"), [
    ("/v2/transactions", b'{"results": [], "next": null}'),
    ("/v2/items", b'{"results": [{"id": 1}], "next": "?after=x"}'),
    ("/accounts", b'{"results": [], "totalPages": 0}'),
    ("/accounts", b'{"results": [], "totalPages": 2, "page": 1, "extra": true}'),  # unknown fields are fine
])
def test_given_documented_shapes_when_checked_then_accepted(path, body):
    PLUGGY.check(answer(path, body))


@pytest.mark.parametrize(("path", "body", "problem"), [
    ("/v2/transactions", b'{"message": "ok"}', "no `results`"),
    ("/v2/transactions", b'{"results": {}, "next": null}', "`results` is an object, not array"),
    ("/accounts", b'{"results": [], "totalPages": "2"}', "`totalPages` is a string, not integer"),
    ("/accounts", b"<html>maintenance</html>", "not JSON"),
    ("/accounts", b"[]", "the body is an array"),
    ("/accounts", b'{"results": [], "totalPages": 1, "page": null}', "`page` is null"),
])
def test_given_another_shape_when_checked_then_unexpected_body_names_endpoint_problem_and_body(path, body, problem):
    with pytest.raises(UnexpectedBody) as error:
        PLUGGY.check(answer(path, body))
    assert f"GET {path}" in error.value.message and problem in error.value.message
    assert body.decode()[:10] in error.value.message


def test_given_an_error_status_when_checked_then_left_to_the_error_handler():
    PLUGGY.check(answer("/accounts", b"<html>bad gateway</html>", 502))


def test_given_a_prepared_request_when_armed_twice_then_one_hook():
    request = requests.Request("GET", "https://api.example.com/accounts").prepare()
    PLUGGY.arm(request)
    PLUGGY.arm(request)
    assert len(request.hooks["response"]) == 1
