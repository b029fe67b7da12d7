"""A Postgres cache checks the server's certificate unless the server is on this machine: sslmode verify-full
(against the system's trusted CAs) by default for any other host, prefer on loopback; what the file says wins.
The settings reach the driver through PyAirbyte's connect arguments."""

from __future__ import annotations

from pathlib import Path

import pytest
from airbyte_pipeline.caches import TlsPostgresCache
from airbyte_pipeline.pipeline_file import load_pipeline

PIPELINE = """\
name: tls
cache:
  type: postgres
  host: {host}
  database: airbyte
  username: airbyte
  password: ${{PG_PASSWORD}}
{extra}
sources:
  pluggy:
    connector: /bin/true
    config: {{}}
    streams: [accounts]
"""


def cache_of(tmp_path: Path, host: str, extra: str = ""):
    path = tmp_path / "pipeline.yaml"
    path.write_text(PIPELINE.format(host=host, extra=extra))
    return load_pipeline(path, environ={"PG_PASSWORD": "pg-password"}).cache


@pytest.mark.parametrize("host, sslmode, sslrootcert", [
    ("db.example.com", "verify-full", "system"),
    ("10.1.2.3", "verify-full", "system"),
    ("2001:db8::1", "verify-full", "system"),
    ("localhost", "prefer", None),
    ("127.0.0.1", "prefer", None),
    ("127.0.0.2", "prefer", None),
    ("::1", "prefer", None),
    ("/var/run/postgresql", "prefer", None),
])
def test_given_a_host_when_no_sslmode_is_given_then_only_loopback_goes_unverified(tmp_path, host, sslmode,
                                                                                    sslrootcert):
    cache = cache_of(tmp_path, f'"{host}"')
    assert (cache.sslmode, cache.sslrootcert) == (sslmode, sslrootcert)
    assert f"(sslmode {sslmode})" in cache.describe()


def test_given_an_sslmode_and_a_ca_file_then_they_win(tmp_path):
    cache = cache_of(tmp_path, "db.example.com", "  sslmode: verify-ca\n  sslrootcert: certs/ca.pem")
    assert (cache.sslmode, cache.sslrootcert) == ("verify-ca", str(tmp_path / "certs" / "ca.pem"))
    assert cache_of(tmp_path, "db.example.com", "  sslmode: disable").sslmode == "disable"
    assert cache_of(tmp_path, "db.example.com", "  sslmode: verify-ca\n  sslrootcert: system").sslrootcert == "system"
    assert cache_of(tmp_path, "127.0.0.1", "  sslmode: require").sslmode == "require"


def test_given_an_unknown_sslmode_then_the_file_is_refused_by_line(tmp_path):
    from airbyte_pipeline.problems import PipelineFileError

    with pytest.raises(PipelineFileError) as raised:
        cache_of(tmp_path, "db.example.com", "  sslmode: verify")
    [problem] = raised.value.problems
    assert (problem.line, problem.field) == (8, "cache.sslmode")


def test_given_a_postgres_cache_then_the_driver_gets_the_tls_settings():
    # model_construct: the settings without a connection (PyAirbyte connects when a cache is created); the sandbox
    # test with a real server (integration_tests/pipeline/test_private_state.py) shows them reach libpq.
    cache = TlsPostgresCache.model_construct(sslmode="verify-full", sslrootcert="system")
    assert cache.get_sql_alchemy_connect_args() == {"sslmode": "verify-full", "sslrootcert": "system"}
    assert TlsPostgresCache.model_construct(sslmode="prefer").get_sql_alchemy_connect_args() == {"sslmode": "prefer"}
