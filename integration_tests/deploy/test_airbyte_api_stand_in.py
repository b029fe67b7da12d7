"""The Airbyte API stand-in answers as Airbyte's published document says: a request body that breaks the
documented shape is refused with a 400 problem naming the field, errors come in the documented problem form
(RFC 9457: type, title, status, detail, data), Cloud refuses Docker definitions and sub-hourly schedules."""

from __future__ import annotations

import pytest
import requests
from sandbox.airbyte_api import CLIENT_ID, CLIENT_SECRET

EMULATOR = ("airbyte_api", {"flavour": "self-managed"})
PROBLEM_FIELDS = {"type", "title", "status", "detail"}


def token(root: str) -> dict[str, str]:
    answer = requests.post(f"{root}/applications/token", timeout=10,
                           data={"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
                                 "grant_type": "client_credentials"})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] > 0
    return {"Authorization": f"Bearer {body['access_token']}"}


def problem(answer: requests.Response, status: int, title: str) -> dict:
    assert answer.status_code == status, answer.text
    assert answer.headers["Content-Type"] == "application/problem+json"
    body = answer.json()
    assert PROBLEM_FIELDS <= set(body) and body["status"] == status and body["title"] == title
    return body


@pytest.fixture
def api(emulator):
    root = emulator.connector_config()["api_root"]
    return root, token(root), emulator


def source_and_destination(api) -> tuple[str, str]:
    root, auth, emulator = api
    workspace = emulator.workspace_id
    source_definition = emulator.add_source_definition("source-x", "example/source-x", "1.0.0")
    destination_definition = emulator.add_destination_definition("destination-x", "example/destination-x", "1.0.0")
    source = requests.post(f"{root}/sources", headers=auth, timeout=10, json={
        "name": "x", "workspaceId": workspace, "definitionId": source_definition, "configuration": {}}).json()
    destination = requests.post(f"{root}/destinations", headers=auth, timeout=10, json={
        "name": "y", "workspaceId": workspace, "definitionId": destination_definition, "configuration": {}}).json()
    return source["sourceId"], destination["destinationId"]


def test_given_no_token_when_called_then_the_answer_is_the_invalid_api_key_problem(api):
    root, _, emulator = api
    answer = requests.get(f"{root}/workspaces/{emulator.workspace_id}", timeout=10,
                          headers={"Authorization": "Bearer not-a-token"})
    assert problem(answer, 401, "invalid-api-key")["type"] == "https://reference.airbyte.com/reference/errors#invalid-api-key"


def test_given_unknown_credentials_when_a_token_is_asked_then_the_answer_is_forbidden(api):
    root, _, _ = api
    answer = requests.post(f"{root}/applications/token", timeout=10, json={
        "client_id": CLIENT_ID, "client_secret": "wrong", "grant_type": "client_credentials"})
    problem(answer, 403, "forbidden")


def test_given_a_connection_whose_sync_mode_is_not_documented_when_created_then_a_400_problem_names_the_field(api):
    root, auth, _ = api
    source, destination = source_and_destination(api)
    answer = requests.post(f"{root}/connections", headers=auth, timeout=10, json={
        "sourceId": source, "destinationId": destination,
        "configurations": {"streams": [{"name": "items", "syncMode": "incremental"}]}})
    body = problem(answer, 400, "bad-request")
    assert body["data"]["message"].startswith("configurations.streams[0].syncMode: 'incremental' is not one of")


@pytest.mark.parametrize("path, body, said", [
    ("/sources", {"name": "x", "configuration": {}}, "workspaceId: required"),
    ("/sources", {"name": "x", "workspaceId": "not-a-uuid", "configuration": {}}, "workspaceId: 'not-a-uuid' is not a UUID"),
    ("/sources", {"name": 5, "workspaceId": None, "configuration": []}, "name: expected a string"),
    ("/connections", {"sourceId": "00000000-0000-4000-8000-000000000000"}, "destinationId: required"),
])
def test_given_a_body_that_breaks_the_documented_shape_when_posted_then_it_is_refused_naming_the_field(
        api, path, body, said):
    root, auth, emulator = api
    answer = requests.post(f"{root}{path}", headers=auth, timeout=10, json=body)
    assert said in problem(answer, 400, "bad-request")["data"]["message"]
    assert emulator.objects("sources") == []


def test_given_a_source_config_missing_a_spec_field_when_created_then_it_is_refused(api):
    root, auth, emulator = api
    definition = emulator.add_declarative_definition("source-y", {
        "version": "7.0.0", "type": "DeclarativeSource", "streams": [],
        "spec": {"connection_specification": {"type": "object", "required": ["client_secret"],
                                              "properties": {"client_secret": {"type": "string",
                                                                               "airbyte_secret": True}}}}})
    answer = requests.post(f"{root}/sources", headers=auth, timeout=10, json={
        "name": "y", "workspaceId": emulator.workspace_id, "definitionId": definition, "configuration": {}})
    assert "configuration.client_secret: required" in problem(answer, 400, "bad-request")["data"]["message"]
    created = requests.post(f"{root}/sources", headers=auth, timeout=10, json={
        "name": "y", "workspaceId": emulator.workspace_id, "definitionId": definition,
        "configuration": {"client_secret": "s3cret-value"}}).json()
    assert created["configuration"] == {"client_secret": "**********"}  # secrets come back masked


def test_given_a_missing_workspace_when_read_then_the_resource_not_found_problem_names_it(api):
    root, auth, _ = api
    answer = requests.get(f"{root}/workspaces/00000000-0000-4000-8000-000000000000", headers=auth, timeout=10)
    assert problem(answer, 404, "resource-not-found")["data"] == {
        "resourceType": "workspace", "resourceId": "00000000-0000-4000-8000-000000000000"}


def test_given_a_schedule_that_is_not_quartz_when_a_connection_is_created_then_the_cron_problem_answers(api):
    root, auth, _ = api
    source, destination = source_and_destination(api)
    answer = requests.post(f"{root}/connections", headers=auth, timeout=10, json={
        "sourceId": source, "destinationId": destination,
        "schedule": {"scheduleType": "cron", "cronExpression": "0 6 * * *"}})
    assert problem(answer, 400, "Invalid cron expression")["type"] == "error:cron-validation/invalid-expression"


def test_given_cloud_when_a_docker_definition_or_an_hourly_cron_is_asked_then_both_are_refused(start_emulator):
    cloud = start_emulator("airbyte_api", flavour="cloud")
    root = cloud.connector_config()["api_root"]
    auth = token(root)
    answer = requests.post(f"{root}/workspaces/{cloud.workspace_id}/definitions/sources", headers=auth, timeout=10,
                           json={"name": "x", "dockerRepository": "example/source-x", "dockerImageTag": "1.0.0"})
    assert "not available on Airbyte Cloud" in problem(answer, 400, "bad-request")["data"]["message"]
    source, destination = source_and_destination((root, auth, cloud))
    answer = requests.post(f"{root}/connections", headers=auth, timeout=10, json={
        "sourceId": source, "destinationId": destination,
        "schedule": {"scheduleType": "cron", "cronExpression": "0 */15 * * * ?"}})
    problem(answer, 400, "Cron sync schedules more frequent than once per hour are not allowed")


def test_given_more_sources_than_a_page_when_listed_then_next_pages_through_them(api):
    root, auth, emulator = api
    definition = emulator.add_source_definition("source-x", "example/source-x", "1.0.0")
    for index in range(3):
        requests.post(f"{root}/sources", headers=auth, timeout=10, json={
            "name": f"s{index}", "workspaceId": emulator.workspace_id, "definitionId": definition,
            "configuration": {}}).raise_for_status()
    first = requests.get(f"{root}/sources", headers=auth, timeout=10,
                         params={"workspaceIds": emulator.workspace_id, "limit": 2}).json()
    second = requests.get(first["next"], headers=auth, timeout=10).json()
    assert [s["name"] for s in first["data"] + second["data"]] == ["s0", "s1", "s2"] and "next" not in second
