"""The redactor masks every secret in each form a program may write it in: plain, URL-encoded, JSON-escaped, as a
Python repr, and a login pair as its Basic-auth header; in printed text and in PyAirbyte's log records."""

from __future__ import annotations

import base64
import json
import logging
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest
from airbyte_pipeline.pipeline_file import load_pipeline
from airbyte_pipeline.redaction import MASK, Redactor

SECRET = 'pl/ug+gy s3cr3t&key="q\\é'  # every character an encoding changes


@pytest.mark.parametrize("form", [
    SECRET, quote(SECRET), quote(SECRET, safe=""), quote_plus(SECRET), quote_plus(SECRET).lower(),
    quote(SECRET, safe="").lower(), json.dumps(SECRET)[1:-1], json.dumps(SECRET, ensure_ascii=False)[1:-1],
    json.dumps(SECRET)[1:-1].replace("/", "\\/"), repr(SECRET)[1:-1],
], ids=["plain", "quote", "quote-no-safe", "quote_plus", "quote_plus-lower-hex", "quote-lower-hex", "json-ascii",
        "json-utf8", "json-escaped-slash", "repr"])
def test_given_a_secret_when_a_text_holds_it_in_any_form_then_it_is_masked(form):
    text = f"401 from the token endpoint: received clientSecret={form}; try again"
    assert Redactor([SECRET]).clean(text) == f"401 from the token endpoint: received clientSecret={MASK}; try again"


def test_given_a_secret_inside_a_longer_one_then_the_longer_is_masked_whole():
    assert Redactor(["abcd", "abcdefgh"]).clean("x abcdefgh y abcd") == f"x {MASK} y {MASK}"


def test_given_short_values_then_ordinary_words_stay():
    assert Redactor(["abc", ""]).clean("abc def") == "abc def"


def test_given_a_pipeline_file_then_plecto_and_client_credentials_are_masked_as_basic_auth(tmp_path: Path):
    (tmp_path / "pipeline.yaml").write_text("""\
name: logins
sources:
  pluggy:
    connector: /bin/true
    config: {client_id: my-client, client_secret: "${PLUGGY_SECRET}"}
    streams: [accounts]
plecto:
  connector: /bin/true
  config: {username: someone@example.com, password: "${PLECTO_SECRET}"}
  streams: [{source: pluggy, stream: accounts, data_source: Accounts}]
""")
    pipeline = load_pipeline(tmp_path / "pipeline.yaml", environ={"PLUGGY_SECRET": "pluggy-s3cr3t",
                                                                  "PLECTO_SECRET": "plecto-pa55"})
    plecto = base64.b64encode(b"someone@example.com:plecto-pa55").decode()
    client = base64.b64encode(b"my-client:pluggy-s3cr3t").decode()
    said = pipeline.redactor.clean(f"echo: Authorization: Basic {plecto} / Basic {client}")
    assert said == f"echo: Authorization: Basic {MASK} / Basic {MASK}"


def test_given_a_guarded_logger_when_a_record_carries_a_secret_and_a_traceback_then_both_are_masked():
    logger = logging.getLogger("test_redaction.guarded")
    lines: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: lines.append(handler.format(record))  # type: ignore[method-assign]
    logger.addHandler(handler)
    try:
        Redactor([SECRET]).guard(logger)
        try:
            raise ValueError(f"token request body client_secret={quote_plus(SECRET)}")
        except ValueError:
            logger.exception("failed with %s", json.dumps({"secret": SECRET}))
    finally:
        logger.removeHandler(handler)
    [line] = lines
    assert "ValueError" in line and MASK in line
    assert SECRET not in line and quote_plus(SECRET) not in line and json.dumps(SECRET)[1:-1] not in line
