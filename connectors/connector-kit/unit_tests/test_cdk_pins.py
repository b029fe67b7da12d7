"""The CDK behaviours the kit relies on, pinned: a CDK upgrade that changes one of them fails here first.

- HttpClient applies the session's authenticator to a request again before each retry (the authenticator is how
  the kit arms the response check and waits for the call budget on every send);
- requests-cache, as the CDK's HttpClient sets it up, does not store an answer whose response hook raised, so a
  retry reaches the server and a later reader gets the good answer;
- the CDK prefixes a retried call's last error message with `_EXHAUSTED` (the entry point strips it);
- a manifest's HTTPAPIBudget with `status_codes_for_ratelimit_hit: []` still fills its window on a 429 (the CDK
  replaces the empty list by [429]); source-pluggy's manifest holds [0] instead, which a 429 does not touch;
- the entry point makes its HTTP-cache folder (REQUEST_CACHE_PATH) in tempfile's default folder, so the console's
  run folder (connector_kit.temp_folder, through `tempfile.tempdir`) holds it.
"""

import json
import logging
import os
import tempfile
from pathlib import Path

import pytest
import requests
from airbyte_cdk.entrypoint import AirbyteEntrypoint
from airbyte_cdk.models import AirbyteCatalog, AirbyteConnectionStatus, ConnectorSpecification, Status
from airbyte_cdk.sources import Source
from airbyte_cdk.sources.declarative.models import HTTPAPIBudget
from airbyte_cdk.sources.declarative.parsers.model_to_component_factory import ModelToComponentFactory
from airbyte_cdk.sources.streams.call_rate import CallRateLimitHit
from airbyte_cdk.sources.streams.http.http_client import HttpClient
from airbyte_cdk.utils.constants import ENV_REQUEST_CACHE_PATH
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from connector_kit import entrypoint
from connector_kit.auth import SharedTokenAuthenticator
from connector_kit.errors import VendorErrorHandler

URL = "https://api.example.com/items"
LOGGER = logging.getLogger("airbyte")


class CountingAuthenticator(SharedTokenAuthenticator):
    def __call__(self, request):
        self.calls = getattr(self, "calls", 0) + 1
        return super().__call__(request)


def client(use_cache: bool = False, max_retries: int = 3) -> tuple[HttpClient, CountingAuthenticator]:
    config = {"max_retries": max_retries, "retry_backoff_seconds": 0.01}
    auth = CountingAuthenticator(config=config, parameters={}, token_url="https://api.example.com/token",
                                 request_body={"k": "v"}, vendor="Vendor",
                                 response_contract={"vendor": "Vendor", "rules": [{"path": "", "body": "array"}]})
    handler = VendorErrorHandler(config=config, parameters={}, vendor="Vendor")
    return HttpClient(name="items", logger=LOGGER, error_handler=handler, authenticator=auth, use_cache=use_cache,
                      backoff_strategy=handler.backoff_strategies), auth


def test_given_a_retried_call_then_the_authenticator_signs_it_again_each_time(requests_mock, sleeps):
    requests_mock.post("https://api.example.com/token", json={"access_token": "t", "expires_in": 3600})
    requests_mock.get(URL, [{"status_code": 503}, {"status_code": 503}, {"json": []}])
    http, auth = client()

    _, response = http.send_request("GET", URL, request_kwargs={})

    assert response.status_code == 200 and auth.calls == 3


def test_given_an_answer_that_failed_its_check_then_the_cache_never_stores_it(requests_mock, sleeps, tmp_path):
    requests_mock.post("https://api.example.com/token", json={"access_token": "t", "expires_in": 3600})
    items = requests_mock.get(URL, [{"text": "<html>proxy</html>"}, {"json": [{"id": 1}]}])
    http, _ = client(use_cache=True)

    _, first = http.send_request("GET", URL, request_kwargs={})
    _, again = http.send_request("GET", URL, request_kwargs={})

    assert first.json() == [{"id": 1}] and again.json() == [{"id": 1}]
    assert items.call_count == 2  # the bad answer and its retry reached the server; the repeat came from the cache
    assert getattr(again, "from_cache", False)


def test_given_retries_used_up_then_the_cdk_prefixes_the_handler_message_as_the_entry_point_expects(requests_mock, sleeps):
    requests_mock.post("https://api.example.com/token", json={"access_token": "t", "expires_in": 3600})
    requests_mock.get(URL, status_code=503, json={"message": "down"})
    http, _ = client(max_retries=1)

    with pytest.raises(AirbyteTracedException) as error:
        http.send_request("GET", URL, request_kwargs={})

    assert error.value.message.startswith(entrypoint._EXHAUSTED)
    assert entrypoint.readable(error.value.message).startswith("Retries used up: Vendor answered 503 to GET /items")


def budget_after_a_429(status_codes: list[int]):
    """A one-call-a-minute manifest budget that has seen one call answered 429 without rate-limit headers."""
    definition = {"type": "HTTPAPIBudget", "status_codes_for_ratelimit_hit": status_codes,
                  "policies": [{"type": "MovingWindowCallRatePolicy", "rates": [{"limit": 2, "interval": "PT60S"}],
                                "matchers": []}]}
    budget = ModelToComponentFactory().create_component(HTTPAPIBudget, definition, config={})
    request = requests.Request("GET", URL).prepare()
    budget.acquire_call(request, block=False)
    answer = requests.Response()
    answer.status_code = 429
    budget.update_from_response(request, answer)
    return budget, request


@pytest.mark.parametrize("status_codes", [[], [429]])
def test_given_an_empty_or_429_status_list_then_a_429_empties_the_budget(status_codes):
    budget, request = budget_after_a_429(status_codes)

    with pytest.raises(CallRateLimitHit):
        budget.acquire_call(request, block=False)


def test_given_status_list_0_then_a_429_leaves_the_budget_to_its_own_count():
    budget, request = budget_after_a_429([0])

    budget.acquire_call(request, block=False)  # the second of two calls a minute: still free


class CacheFolderProbe(Source):
    """A source whose `check` notes where the entry point put the HTTP cache."""

    seen: list[str] = []

    def spec(self, logger):
        return ConnectorSpecification(connectionSpecification={"type": "object"})

    def check(self, logger, config):
        self.seen.append(os.environ[ENV_REQUEST_CACHE_PATH])
        return AirbyteConnectionStatus(status=Status.SUCCEEDED)

    def discover(self, logger, config):
        return AirbyteCatalog(streams=[])

    def read(self, logger, config, catalog, state=None):
        return iter(())


def test_given_tempfile_tempdir_when_the_entry_point_runs_then_its_http_cache_folder_is_made_there(tmp_path,
                                                                                                    monkeypatch):
    (tmp_path / "config.json").write_text(json.dumps({}))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "run"))
    (tmp_path / "run").mkdir()
    probe = CacheFolderProbe()

    list(AirbyteEntrypoint(probe).run(AirbyteEntrypoint.parse_args(["check", "--config", str(tmp_path / "config.json")])))

    assert Path(probe.seen[-1]).parent == tmp_path / "run"
