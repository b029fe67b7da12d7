"""A failure keeps the type the kit gave it, whichever reader (the CDK engine or the delta reader) met it: a
credential revoked mid-sync asks the user to fix the credentials (config_error), as in Pluggy and Plutio."""

from airbyte_cdk.models import FailureType, SyncMode
from airbyte_cdk.test.catalog_builder import CatalogBuilder
from airbyte_cdk.test.mock_http import HttpMocker
from freezegun import freeze_time

from protime_api import collection, config, error, read, scope, state, token_request, token_response

NOW = "2026-01-10T08:00:00Z"
DELTA_1 = "/connector/protimeapi/api/v1/delta/clockings?deltaToken=d1"
SAVED = state("clockings", {"deltaLink": DELTA_1, "deltaLinkUsedAt": "2026-01-09T08:00:00Z"})


def _revoked_on_renewal(http_mocker: HttpMocker, scopes: str) -> None:
    """The first token works until the client is revoked; then calls answer 401 and so does the token endpoint."""
    http_mocker.post(token_request(scopes), [token_response("tok-1"), error("token_invalid_client", 401)])


@freeze_time(NOW)
@HttpMocker()
def test_given_client_revoked_mid_sync_when_delta_read_then_final_trace_is_a_config_error(http_mocker) -> None:
    _revoked_on_renewal(http_mocker, scope("clockings"))
    http_mocker.get(collection(DELTA_1).with_token("tok-1").build(), error("401", 401))

    output = read(config(), CatalogBuilder().with_stream("clockings", SyncMode.incremental).build(), SAVED)

    final = output.errors[-1].trace.error
    assert output.exit_code == 1
    assert final.failure_type == FailureType.config_error
    assert "client_id" in final.message and "client_secret" in final.message


@freeze_time(NOW)
@HttpMocker()
def test_given_client_revoked_mid_sync_when_delta_and_engine_streams_fail_then_every_trace_keeps_config_error(
        http_mocker) -> None:
    _revoked_on_renewal(http_mocker, scope("clockings", "departments"))
    http_mocker.get(collection("departments").with_token("tok-1").build(), error("401", 401))
    http_mocker.get(collection(DELTA_1).with_token("tok-1").build(), error("401", 401))
    catalog = (CatalogBuilder().with_stream("departments", SyncMode.full_refresh)
               .with_stream("clockings", SyncMode.incremental).build())

    output = read(config(), catalog, SAVED)

    assert output.exit_code == 1
    assert [e.trace.error.failure_type for e in output.errors] == [FailureType.config_error]
    assert "Stream clockings" in output.errors[-1].trace.error.message


@freeze_time(NOW)
@HttpMocker()
def test_given_a_delta_stream_fails_on_a_server_error_when_read_then_it_stays_a_transient_error(http_mocker) -> None:
    # The other way round: keeping the kit's type must not turn every failure into a config error.
    http_mocker.post(token_request(scope("clockings")), token_response("tok-1"))
    http_mocker.get(collection(DELTA_1).build(), error("500", 500))

    output = read(config(max_retries=0), CatalogBuilder().with_stream("clockings", SyncMode.incremental).build(), SAVED)

    assert output.exit_code == 1
    assert output.errors[-1].trace.error.failure_type != FailureType.config_error
