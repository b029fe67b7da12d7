"""No secret in any line a connector prints: every `airbyte_secret` value and every token, in each form it takes
(plain, URL-encoded, JSON-escaped, Basic auth), is masked in CONNECTION_STATUS, TRACE and LOG lines."""

import base64
import io
import json
import logging
from typing import Iterator
from urllib.parse import quote, quote_plus

import pytest
from airbyte_cdk.models import (
    AirbyteConnectionStatus,
    AirbyteMessage,
    AirbyteRecordMessage,
    ConnectorSpecification,
    Status,
    Type,
)
from airbyte_cdk.logger import AirbyteLogFormatter
from airbyte_cdk.sources import Source

from connector_kit.entrypoint import Printer, log_message, quiet_logs, source_main
from connector_kit.redact import mask, mask_line, register_config_secrets, register_secret
from connector_kit.secret_forms import basic_auth_forms, secret_forms
from connector_kit.testing.secret_scan import leaked_forms

# Characters that every encoding changes: '/', '+', ' ', '"', '&', '%', and a non-ASCII one.
SECRET = 'pa/ss+wo rd"&%é-1234'
SPEC = {"type": "object", "properties": {"user": {"type": "string"},
                                         "password": {"type": "string", "airbyte_secret": True}}}
CONFIG = {"user": "ana@example.com", "password": SECRET}
CATALOG = {"streams": [{"stream": {"name": "items", "json_schema": {}, "supported_sync_modes": ["full_refresh"]},
                        "sync_mode": "full_refresh", "destination_sync_mode": "overwrite"}]}
FORMS = {
    "plain": SECRET,
    "quote": quote(SECRET),
    "quote(safe='')": quote(SECRET, safe=""),
    "quote_plus": quote_plus(SECRET),
    "json": json.dumps(SECRET, ensure_ascii=False)[1:-1],
    "json ascii": json.dumps(SECRET)[1:-1],
    "quote_plus(safe='/')": quote_plus(SECRET, safe="/"),
    "quote, lower-case hex": quote(SECRET, safe="").replace("%2F", "%2f").replace("%2B", "%2b").replace("%C3%A9", "%c3%a9"),
    "json, escaped slash": json.dumps(SECRET)[1:-1].replace("/", "\\/"),
    "repr": repr(SECRET)[1:-1],
    "basic": base64.b64encode(f"ana@example.com:{SECRET}".encode()).decode(),
    "basic latin-1": base64.b64encode(f"ana@example.com:{SECRET}".encode("latin-1")).decode(),
}


class LeakySource(Source):
    """A source whose every message quotes its secret in every form (as an echoing token endpoint would)."""

    def __init__(self, catalog=None, config=None, state=None) -> None:
        self.config = config or {}

    def spec(self, logger) -> ConnectorSpecification:
        return ConnectorSpecification(connectionSpecification=SPEC)

    def check(self, logger, config) -> AirbyteConnectionStatus:
        logging.getLogger("airbyte").info(f"checking with {' '.join(FORMS.values())}")
        return AirbyteConnectionStatus(status=Status.FAILED, message=f"refused: {' | '.join(FORMS.values())}")

    def discover(self, logger, config):
        raise NotImplementedError

    def read(self, logger, config, catalog, state=None) -> Iterator[AirbyteMessage]:
        yield AirbyteMessage(type=Type.RECORD, record=AirbyteRecordMessage(stream="items", data={"id": 1}, emitted_at=0))
        raise RuntimeError(f"the token endpoint said: {' | '.join(FORMS.values())}")


def run(tmp_path, command: str) -> list[str]:
    (tmp_path / "config.json").write_text(json.dumps(CONFIG))
    (tmp_path / "catalog.json").write_text(json.dumps(CATALOG))
    argv = [command, "--config", str(tmp_path / "config.json")]
    if command == "read":
        argv += ["--catalog", str(tmp_path / "catalog.json")]
    lines: list[str] = []
    source_main(LeakySource, argv, lines.append)
    return lines


def leaks(text: str) -> list[str]:
    return [name for name, form in FORMS.items() if form in text] + leaked_forms([SECRET], text, [CONFIG["user"]])


def test_given_a_secret_then_its_forms_are_the_encodings_it_travels_in():
    forms = secret_forms(SECRET)
    assert {v for k, v in FORMS.items() if not k.startswith("basic")} <= set(forms)
    assert basic_auth_forms("ana@example.com", SECRET) == [FORMS["basic"], FORMS["basic latin-1"]]
    assert secret_forms("") == []


def test_given_a_check_that_quotes_the_secret_when_run_then_no_form_in_the_status_nor_the_logs(tmp_path, caplog):
    lines = run(tmp_path, "check")

    [status] = [json.loads(line)["connectionStatus"] for line in lines if '"CONNECTION_STATUS"' in line]
    assert status["status"] == "FAILED" and status["message"].startswith("refused: ****")
    assert leaks("\n".join(lines)) == []


def test_given_a_failure_that_quotes_the_secret_when_read_then_no_form_in_the_trace_nor_its_stack_trace(tmp_path):
    lines = run(tmp_path, "read")

    [error] = [json.loads(line)["trace"]["error"] for line in lines if '"TRACE"' in line]
    assert "the token endpoint said: ****" in error["message"] and "Traceback" in error["stack_trace"]
    assert leaks(error["message"]) == [] and leaks(error["internal_message"]) == [] and leaks(error["stack_trace"]) == []
    assert leaks("\n".join(lines)) == []


def test_given_a_log_line_that_quotes_the_secret_when_logged_then_masked():
    printed = io.StringIO()
    handler = logging.StreamHandler(printed)  # as the CDK's own handler: its formatter, on the root logger
    handler.setFormatter(AirbyteLogFormatter())
    logging.getLogger().addHandler(handler)
    try:
        register_config_secrets(SPEC, CONFIG)
        quiet_logs()
        logging.getLogger("airbyte").warning("retrying with %s", " ".join(FORMS.values()))
    finally:
        logging.getLogger().removeHandler(handler)

    assert "retrying with ****" in printed.getvalue() and leaks(printed.getvalue()) == []


def test_given_a_record_then_it_is_printed_as_is_and_other_lines_keep_their_json_shape():
    register_secret("type")  # a secret that is also a JSON key of every line
    lines: list[str] = []
    printer = Printer(lines.append)
    printer(AirbyteMessage(type=Type.RECORD, record=AirbyteRecordMessage(stream="s", data={"note": "type"}, emitted_at=1)))
    printer(log_message('the type is "type"'))

    assert json.loads(lines[0])["record"]["data"] == {"note": "type"}  # records are not masked: see Printer
    assert json.loads(lines[1]) == {"type": "LOG", "log": {"level": "INFO", "message": "the **** is \"****\""}}
    assert json.loads(mask_line(lines[0]))["record"]["data"] == {"note": "****"}  # what the Printer spares it


def test_given_a_token_registered_then_masked_in_each_form_longest_first():
    register_secret("tok/en+1")
    assert mask("a tok/en+1, tok%2Fen%2B1, tok/en%2B1") == "a ****, ****, ****"


@pytest.mark.parametrize("value", [None, ""])
def test_given_no_value_when_registered_then_nothing_is_masked(value):
    register_secret(value)
    assert mask("nothing to hide") == "nothing to hide"


def test_given_a_secret_where_a_message_is_cut_then_no_part_of_it_remains():
    """Messages are shortened for the reader; a secret straddling the cut must not leave its first half behind."""
    import requests

    from connector_kit.errors import vendor_message

    register_secret("0123456789abcdefghij")
    answer = requests.Response()
    answer.status_code, answer.raw = 401, io.BytesIO(json.dumps({"message": "x" * 290 + "0123456789abcdefghij"}).encode())

    said = vendor_message(answer)

    assert said.endswith("****") and "01234" not in said
