"""`spec` is answered without the CDK (connector_kit.spec), and the answer is the one the full connector gives."""

from __future__ import annotations

import json
import logging
import subprocess
import sys

import pytest
from connector_kit.testing.cli import Run, cli

from conftest import REPO

CONNECTORS = sorted(p.parent.name for p in REPO.glob("connectors/*/metadata.yaml"))


def package(connector: str) -> str:
    return connector.replace("-", "_")


@pytest.mark.parametrize("connector", CONNECTORS)
def test_given_spec_then_the_installed_cli_answers_what_the_full_connector_answers(connector):
    done = subprocess.run([cli(connector), "spec"], capture_output=True, text=True, timeout=60)
    fast = Run(done.stdout, done.returncode, done.stderr)
    lines = []
    exit_code = __import__(f"{package(connector)}.run", fromlist=["main"]).main(["spec"], emit=lines.append)
    assert fast.returncode == 0 and exit_code == 0
    assert [m for m in fast.messages if m["type"] == "SPEC"] == [json.loads(line) for line in lines
                                                                  if json.loads(line)["type"] == "SPEC"]
    properties = fast.messages[-1]["spec"]["connectionSpecification"]["properties"]
    assert {"read_timeout_seconds", "max_retries", "retry_backoff_seconds"} <= set(properties)


@pytest.mark.parametrize("connector", CONNECTORS)
def test_given_spec_then_the_cdk_is_not_imported(connector):
    probe = (f"import sys; sys.argv = ['{connector}', 'spec']; from {package(connector)}.run import run; run(); "
             "print(sorted({m.split('.')[0] for m in sys.modules} & {'airbyte_cdk', 'requests', 'pydantic'}))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    spec, imported = done.stdout.strip().splitlines()
    assert json.loads(spec)["type"] == "SPEC" and imported == "[]", done.stdout


@pytest.mark.parametrize("connector", [c for c in CONNECTORS if c.startswith("source-")])
def test_given_a_manifest_then_the_spec_is_the_one_the_cdk_generates_plus_the_shared_http_settings(connector):
    from airbyte_cdk.models import ConnectorSpecificationSerializer
    from connector_kit.settings import with_http_settings
    from connector_kit.spec import packaged_spec_document

    source = getattr(__import__(package(connector)), package(connector).title().replace("_", ""))
    generated = ConnectorSpecificationSerializer.dump(source().engine().spec(logging.getLogger("test")))
    generated["connectionSpecification"] = with_http_settings(generated["connectionSpecification"])
    ours = ConnectorSpecificationSerializer.load(packaged_spec_document(package(connector)))
    assert ConnectorSpecificationSerializer.dump(ours) == generated
