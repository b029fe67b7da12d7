"""A page of records is a success without a second parse of its body; an answer that says ITEM_NOT_FOUND still
meets the manifest's filters."""

from __future__ import annotations

import json

import requests
from airbyte_cdk.sources.declarative.requesters.error_handlers.http_response_filter import HttpResponseFilter
from airbyte_cdk.sources.streams.http.error_handlers.response_models import ResponseAction
from connector_kit.contract import PARSED_BODY

from source_pluggy.components import PluggyErrorHandler

ITEM_DELETED = "{{ response.get('code') in (404, '404') and response.get('codeDescription') == 'ITEM_NOT_FOUND' }}"


def handler() -> PluggyErrorHandler:
    return PluggyErrorHandler(config={}, parameters={}, vendor="Pluggy", response_filters=[
        HttpResponseFilter(config={}, parameters={}, predicate=ITEM_DELETED, action="IGNORE")])


def answer(status: int, body: dict, checked: bool = True) -> requests.Response:
    response = requests.Response()
    response.status_code, response._content = status, json.dumps(body).encode()  # noqa: SLF001 - a test answer
    response.request = requests.Request("GET", "https://api.pluggy.ai/v2/transactions?accountId=a").prepare()
    if checked:
        setattr(response, PARSED_BODY, body)
    return response


def test_given_a_page_the_contract_accepted_when_interpreted_then_success_without_parsing_it_again(monkeypatch):
    parsed = []
    monkeypatch.setattr(requests.Response, "json", lambda self, **kw: parsed.append(1) or json.loads(self.content))
    resolution = handler().interpret_response(answer(200, {"results": [{"id": "t1"}], "next": None}))
    assert resolution.response_action == ResponseAction.SUCCESS and parsed == []


def test_given_a_2xx_that_says_item_not_found_when_interpreted_then_the_manifest_filter_applies():
    body = {"code": 404, "codeDescription": "ITEM_NOT_FOUND", "message": "Item not found", "results": []}
    assert handler().interpret_response(answer(200, body)).response_action == ResponseAction.IGNORE
    assert handler().interpret_response(answer(404, body, checked=False)).response_action == ResponseAction.IGNORE
