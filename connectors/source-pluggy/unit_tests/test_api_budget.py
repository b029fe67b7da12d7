"""Every request the manifest can make is paced: the CDK lets a request that no `api_budget` policy matches through
unpaced, so a stream added without a matcher must fail here, not exceed Pluggy's per-endpoint limit."""

from typing import Any, Iterator, Mapping
from urllib.parse import urlsplit

import pytest
import requests
from airbyte_cdk.sources.declarative.interpolation.interpolated_string import InterpolatedString
from airbyte_cdk.sources.declarative.models import HTTPAPIBudget
from airbyte_cdk.sources.declarative.parsers.model_to_component_factory import ModelToComponentFactory
from connector_kit.manifest import load_manifest, resolve

MANIFEST = resolve(load_manifest("source_pluggy"))
CONFIG: dict[str, Any] = {"client_id": "c", "client_secret": "s"}
PARTITION = {"item_id": "it-1", "account_id": "ac-1", "investment_id": "in-1"}


def requesters(node: Any) -> Iterator[Mapping[str, Any]]:
    """Every HttpRequester of the streams, their parents' included."""
    if isinstance(node, Mapping):
        if node.get("type") == "HttpRequester":
            yield node
        for value in node.values():
            yield from requesters(value)
    elif isinstance(node, list):
        for value in node:
            yield from requesters(value)


def request_paths() -> list[str]:
    paths = set()
    for requester in requesters(MANIFEST["streams"]):
        url = InterpolatedString.create(requester["url"], parameters=requester.get("$parameters", {}))
        paths.add(urlsplit(str(url.eval(CONFIG, stream_slice=PARTITION))).path)
    return sorted(paths)


def budget() -> Any:
    model = HTTPAPIBudget.parse_obj(MANIFEST["api_budget"])
    return ModelToComponentFactory().create_component(HTTPAPIBudget, model.dict(), CONFIG)


def get(path: str) -> requests.PreparedRequest:
    return requests.Request("GET", f"https://api.pluggy.ai{path}").prepare()


def test_given_the_manifest_then_it_makes_requests_to_every_endpoint_family() -> None:
    assert {"/v2/items", "/accounts", "/v2/transactions", "/investments/in-1/transactions", "/identity"} <= set(request_paths())


UNNAMED = "/a-new-endpoint/it-1/things"  # a path no policy names


@pytest.mark.parametrize("path", request_paths())
def test_given_each_request_of_the_manifest_then_a_policy_of_its_own_endpoint_paces_it(path: str) -> None:
    pacing = budget()
    policy = pacing.get_matching_policy(get(path))
    # Pluggy counts its limits per endpoint: the catch-all (last, shared) is a safety net, not a bucket to plan on.
    assert policy is not None and policy is not pacing.get_matching_policy(get(UNNAMED))


def test_given_a_path_no_policy_names_then_the_catch_all_still_paces_it() -> None:
    assert budget().get_matching_policy(get(UNNAMED)) is not None
