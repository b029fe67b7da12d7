"""The checks of Airbyte's connector certification criteria (v2) that a repository can show, as functions.

Source: airbytehq/airbyte, `.claude/skills/connector-certification-criteria/SKILL.md`, and the docs template its
D-1 cites (`qa-checks.md`, the connectors QA checks' `template.md.j2`). Each function takes what the criterion's
check reads (a metadata `data:` section, a resolved manifest, a docs page's headings...) and returns its problems as
sentences; an empty list means the criterion passes. test_certification.py runs them on every source package and
every manifest-only edition, and shows each can fail.
"""

from __future__ import annotations

import importlib.util
import math
import re
import xml.etree.ElementTree as ElementTree
from typing import Any, Iterable, Iterator, Mapping, Optional
from urllib.parse import urlsplit

from airbyte_cdk.sources.declarative.interpolation.interpolated_string import InterpolatedString
from connector_kit import settings
from isodate import parse_duration

Data = Mapping[str, Any]
SDM_IMAGE = "docker.io/airbyte/source-declarative-manifest"


def walk(node: Any) -> Iterator[Mapping[str, Any]]:
    """Every mapping in a document, however deep."""
    if isinstance(node, Mapping):
        yield node
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from walk(value)


# ---- M-2: allowed hosts ---------------------------------------------------------------------------------------
URL_KEYS = ("url", "url_base", "token_url")


def called_hosts(resolved: Mapping[str, Any], config: Mapping[str, Any]) -> set[str]:
    """The host of every request URL and token URL of a resolved manifest, for `config`."""
    hosts = set()
    for node in walk({k: v for k, v in resolved.items() if k not in ("spec", "schemas")}):
        for key in URL_KEYS:
            template = node.get(key)
            if isinstance(template, str) and ("://" in template or "{{" in template):
                parameters = node.get("$parameters") or {}
                url = InterpolatedString.create(template, parameters=parameters).eval(config, stream_slice={})
                if urlsplit(str(url)).hostname:
                    hosts.add(urlsplit(str(url)).hostname)
    return hosts


def allowed_hosts(data: Data, config: Mapping[str, Any]) -> set[str]:
    """metadata.yaml's allowedHosts for `config`: each `${key}` replaced by the config value (its host when the value
    is a URL, as Airbyte does); a pattern whose key the config does not set allows nothing."""
    out = set()
    for pattern in (data.get("allowedHosts") or {}).get("hosts") or []:
        keys = re.findall(r"\$\{([^}]+)\}", pattern)
        if any(config.get(key) in (None, "") for key in keys):
            continue
        host = pattern
        for key in keys:
            value = str(config[key])
            host = host.replace("${" + key + "}", urlsplit(value).hostname or value if "://" in value else value)
        out.add(host)
    return out


def allowed_hosts_problems(data: Data, resolved: Mapping[str, Any], configs: Iterable[Mapping[str, Any]]) -> list[str]:
    """Every host the connector calls is allowed, each allowed host is called for some config, no bare wildcard."""
    patterns = (data.get("allowedHosts") or {}).get("hosts") or []
    problems = [f"allowedHosts has the bare wildcard {p!r}" for p in patterns if re.fullmatch(r"\*(\.\w+)?", p)]
    used: set[str] = set()
    for config in configs:
        called = called_hosts(resolved, config)
        problems += [f"the connector calls {host} but allowedHosts does not list it"
                     for host in sorted(called - allowed_hosts(data, config)) if f"calls {host} " not in " ".join(problems)]
        used |= {p for p in patterns if allowed_hosts({"allowedHosts": {"hosts": [p]}}, config) & called}
    return problems + [f"allowedHosts lists {p!r}, which no config makes the connector call"
                       for p in patterns if p not in used]


# ---- M-3: heartbeat -------------------------------------------------------------------------------------------
def retry_chain_seconds() -> float:
    """One call retried at the spec's defaults: every attempt's connect and read timeout, and the exponential waits."""
    attempts = settings.DEFAULT_MAX_RETRIES + 1
    waits = sum(min(settings.MAX_BACKOFF_SECONDS, settings.DEFAULT_BACKOFF_SECONDS * 2 ** i)
                for i in range(settings.DEFAULT_MAX_RETRIES))
    return attempts * (settings.CONNECT_TIMEOUT_SECONDS + settings.DEFAULT_READ_TIMEOUT_SECONDS) + waits


def rate_window_seconds(resolved: Mapping[str, Any]) -> float:
    """The longest wait for room in the vendor's published window: the api_budget rates and the kit's call budget."""
    windows = [0.0]
    for node in walk(resolved.get("api_budget") or {}):
        if node.get("type") == "Rate":
            windows.append(parse_duration(str(node["interval"])).total_seconds())
    for node in walk(resolved.get("definitions") or {}):
        for rule in node.get("call_budget") or []:
            windows.append(parse_duration(str(rule.get("per") or "PT1H")).total_seconds())
    return max(windows)


def heartbeat_seconds(resolved: Mapping[str, Any]) -> int:
    """maxSecondsBetweenMessages as the CONTRIBUTING.md pages derive it: the longest rate-window wait, plus a token
    renewal and a page call each retried at the spec's defaults, rounded up to whole 5 minutes."""
    return int(math.ceil((rate_window_seconds(resolved) + 2 * retry_chain_seconds()) / 300) * 300)


# ---- M-5: icon ------------------------------------------------------------------------------------------------
def icon_problems(svg_text: str) -> list[str]:
    root = ElementTree.fromstring(svg_text)
    width, height = (str(root.get(k) or "").removesuffix("px") for k in ("width", "height"))
    problems = [] if width and width == height else [f"icon.svg is not square: width {width!r}, height {height!r}"]
    glyphs = [el.tag.split("}")[-1] for el in root.iter() if el.tag.split("}")[-1] in ("text", "tspan", "textPath")]
    return problems + [f"icon.svg draws text (<{tag}>): use a mark, not letters" for tag in glyphs]


# ---- M-7 / G-1: manifest-only on the source-declarative-manifest image -----------------------------------------
def manifest_only_problems(data: Data, cdk_version: str) -> list[str]:
    problems = []
    tags = data.get("tags") or []
    if "language:manifest-only" not in tags or "cdk:low-code" not in tags:
        problems.append(f"tags {tags} lack language:manifest-only and cdk:low-code")
    image = (data.get("connectorBuildOptions") or {}).get("baseImage", "")
    tag, _, digest = image.partition("@")
    if tag != f"{SDM_IMAGE}:{cdk_version}":
        problems.append(f"baseImage {image!r} is not {SDM_IMAGE} at the CDK version {cdk_version}")
    if re.search(r"\.(dev|post)", tag):
        problems.append(f"baseImage {image!r} is a prerelease")
    if digest and not re.fullmatch(r"sha256:[0-9a-f]{64}", digest):
        problems.append(f"baseImage {image!r}: the digest is not a sha256")
    return problems


# ---- bypassed streams ------------------------------------------------------------------------------------
def bypass_problems(acceptance: Mapping[str, Any], unit_test_texts: Mapping[str, str]) -> list[str]:
    """Every `empty_streams` entry has a reason and an HttpMocker test naming the stream; every `missing_streams`
    entry has a reason."""
    problems = []
    for node in walk(acceptance):
        for entry in node.get("empty_streams") or []:
            name = entry.get("name") if isinstance(entry, Mapping) else entry
            if not (isinstance(entry, Mapping) and str(entry.get("bypass_reason") or "").strip()):
                problems.append(f"empty stream {name!r} has no bypass_reason")
            if not any("HttpMocker" in text and re.search(rf"\b{re.escape(str(name))}\b", text)
                       for text in unit_test_texts.values()):
                problems.append(f"empty stream {name!r} has no HttpMocker test in unit_tests/")
        future = node.get("future_state") if isinstance(node.get("future_state"), Mapping) else {}
        for entry in future.get("missing_streams") or []:
            if not str(entry.get("bypass_reason") or "").strip():
                problems.append(f"missing stream {entry.get('name')!r} has no bypass_reason")
    return problems


# ---- S-1 / S-3: keys and parent ids ---------------------------------------------------------------------------
RUN_DEPENDENT = re.compile(r"now_utc|today_utc|uuid|random", re.IGNORECASE)


def key_problems(stream: Mapping[str, Any], schema: Mapping[str, Any]) -> list[str]:
    name = stream.get("name")
    key = stream.get("primary_key")
    fields = [key] if isinstance(key, str) else [f if isinstance(f, str) else f[0] for f in key or []]
    if not fields:
        return [f"stream {name!r} declares no primary key"]
    problems = [f"stream {name!r}: key field {f!r} is not in its schema" for f in fields
                if f not in (schema.get("properties") or {})]
    for transformation in stream.get("transformations") or []:
        for added in transformation.get("fields") or []:
            if added.get("path", [None])[0] in fields and RUN_DEPENDENT.search(str(added.get("value"))):
                problems.append(f"stream {name!r}: key field {added['path'][0]!r} is set per run ({added['value']})")
    return problems


def camel(snake: str) -> str:
    first, *rest = snake.split("_")
    return first + "".join(part.capitalize() for part in rest)


def parent_id_problems(stream: Mapping[str, Any], schema: Mapping[str, Any]) -> list[str]:
    """A stream read per parent carries the parent's id: added from the partition, or required by its schema (the
    vendor's payload holds it, under the partition field's camelCase name)."""
    routers = (stream.get("retriever") or {}).get("partition_router") or []
    routers = routers if isinstance(routers, list) else [routers]
    problems = []
    for router in routers:
        for parent in router.get("parent_stream_configs") or []:
            field = parent["partition_field"]
            added = any(re.search(rf"stream_(partition|slice)(\.|\[['\"]){field}\b", str(f.get("value")))
                        for t in stream.get("transformations") or [] for f in t.get("fields") or [])
            if not added and camel(field) not in (schema.get("required") or []):
                problems.append(f"stream {stream.get('name')!r} is read per {field} but its records need not carry it: "
                                f"add it with AddFields or require `{camel(field)}` in its schema")
    return problems


# ---- E-1 / P-3: errors and backoff ----------------------------------------------------------------------------
def kit_handlers() -> set[str]:
    """The class names of the kit's error handler and its subclasses in the packages (connector_kit.errors, or their
    copies in an edition's `components`): 429 waits, 5xx retry with backoff, other 4xx fail."""
    from connector_kit.errors import VendorErrorHandler

    for package in ("source_pluggy", "source_plutio", "source_protime"):  # subclasses exist once imported
        if importlib.util.find_spec(f"{package}.components"):
            importlib.import_module(f"{package}.components")
    found, todo = set(), [VendorErrorHandler]
    while todo:
        cls = todo.pop()
        found.add(cls.__name__)
        todo += cls.__subclasses__()
    return found


def error_handler_problems(resolved: Mapping[str, Any]) -> list[str]:
    problems = []
    for node in walk({k: v for k, v in resolved.items() if k not in ("spec", "schemas")}):
        handler = node.get("error_handler") if node.get("type") == "HttpRequester" else None
        if handler is None:
            continue
        kit_handler = str(handler.get("class_name", "")).rpartition(".")[2] in kit_handlers()
        if not kit_handler and not handler.get("backoff_strategies"):
            problems.append(f"a requester's error handler {handler.get('type')} has no backoff strategy")
        filters = handler.get("response_filters") or []
        codes = {code: f for f in filters for code in f.get("http_codes") or []}
        for code in (401, 403):
            f = codes.get(code)
            if f is not None and not (f.get("action") == "REFRESH_TOKEN_THEN_RETRY" or f.get("failure_type") == "config_error"):
                problems.append(f"{code} is {f.get('action')} {f.get('failure_type')}, not a config error")
            if f is not None and f.get("action") == "FAIL" and not str(f.get("error_message") or "").strip():
                problems.append(f"{code} fails without a message")
        if codes.get(429, {}).get("action") in ("FAIL", "IGNORE"):
            problems.append("a 429 fails or is ignored instead of waiting")
        problems += [f"{code} is {f.get('action')} instead of retried" for code, f in codes.items()
                     if code >= 500 and f.get("action") in ("FAIL", "IGNORE")]
    return problems


# ---- secrets and HTTPS -----------------------------------------------------------------------------
SECRET_NAME = re.compile(r"secret|password|api_?key|(?<!_)token$|access_token|refresh_token", re.IGNORECASE)


def secret_problems(connection_specification: Mapping[str, Any]) -> list[str]:
    problems = []
    for node in walk(connection_specification):
        for name, prop in (node.get("properties") or {}).items():
            if isinstance(prop, Mapping) and SECRET_NAME.search(name) and not prop.get("airbyte_secret"):
                problems.append(f"spec field `{name}` holds a credential but is not marked airbyte_secret")
    return problems


def https_problems(resolved: Mapping[str, Any], config: Mapping[str, Any]) -> list[str]:
    problems = []
    for node in walk({k: v for k, v in resolved.items() if k not in ("spec", "schemas")}):
        for key in URL_KEYS:
            if isinstance(node.get(key), str) and ("://" in node[key] or "{{" in node[key]):
                url = str(InterpolatedString.create(node[key], parameters=node.get("$parameters") or {}).eval(
                    config, stream_slice={}))
                if not url.startswith("https://"):
                    problems.append(f"{key} {url!r} is not HTTPS")
    return problems


# ---- spec fields -----------------------------------------------------------------------------------------
def spec_field_problems(connection_specification: Mapping[str, Any]) -> list[str]:
    problems = []
    for node in walk(connection_specification):
        properties = node.get("properties")
        if not isinstance(properties, Mapping) or not properties or "type" in properties:
            continue
        required = set(node.get("required") or [])
        orders = [prop.get("order") for prop in properties.values()]
        if len(set(orders)) != len(orders) or not all(isinstance(o, int) for o in orders):
            problems.append(f"fields {sorted(properties)}: every field needs its own integer `order`")
        for name, prop in properties.items():
            if not str(prop.get("title") or "").strip() or not str(prop.get("description") or "").strip():
                problems.append(f"spec field `{name}` needs a title and a description")
            has_default = "default" in prop
            if name in required and has_default:
                problems.append(f"spec field `{name}` is required but has a default")
            closed = prop.get("type") in ("integer", "number", "boolean", "array") or "enum" in prop
            if name not in required and closed and not has_default:
                problems.append(f"optional spec field `{name}` has no default")
    return problems


# ---- D-1 / D-2: docs ------------------------------------------------------------------------------------------
CONNECTOR_SPECIFIC = "{ Connector-specific features }"


def template_headings(name: str) -> tuple[list[str], set[str]]:
    """Airbyte's docs template headings (qa-checks.md, in order) and those a page may leave out."""
    cs = CONNECTOR_SPECIFIC
    ordered = [name, "Prerequisites", "Setup guide", f"Set up {name}", "For Airbyte Cloud:", "For Airbyte Open Source:",
               cs, f"Set up the {name} connector in Airbyte", "For Airbyte Cloud:", "For Airbyte Open Source:", cs,
               "Supported sync modes", "Supported Streams", cs, "Performance considerations", "Data type map",
               "Limitations & Troubleshooting", cs, "Tutorials", "Changelog"]
    optional = {f"Set up the {name} connector in Airbyte", "For Airbyte Cloud:", "For Airbyte Open Source:", cs,
                "Performance considerations", "Data type map", "Limitations & Troubleshooting", "Tutorials"}
    return ordered, optional


def heading_order_problems(headings: list[str], name: str) -> list[str]:
    """The docs headings check of Airbyte's connectors QA (restated): the page's headings (levels 1 to 4, by name)
    walk the template in order; a connector-specific heading may stand where the template allows one."""
    expected, optional = template_headings(name)
    i = j = 0
    while i < len(headings) and j < len(expected):
        actual, wanted = headings[i], expected[j]
        if wanted == CONNECTOR_SPECIFIC:
            if actual not in expected:
                i += 1
            else:
                j += 1
        elif actual == wanted:
            i, j = i + 1, j + 1
        elif wanted in optional:
            j += 1
        else:
            return [f"heading {actual!r} where Airbyte's template expects {wanted!r}"]
    missing = [h for h in expected[j:] if h not in optional]
    return [f"missing heading(s) {missing}"] if missing else []


def prerequisite_problems(prerequisites: str, connection_specification: Mapping[str, Any]) -> list[str]:
    """D-2: each required field appears in Prerequisites, by name (`field`) and by its title."""
    text = prerequisites.lower()
    problems = []
    for name in connection_specification.get("required") or []:
        title = str(connection_specification["properties"][name].get("title") or "").lower()
        if f"`{name}`" not in text or title not in text:
            problems.append(f"Prerequisites do not name the required field `{name}` ({title!r})")
    return problems


def section_order_problem(headings: list[str], before: str, after: str) -> Optional[str]:
    if before not in headings or after not in headings or headings.index(before) > headings.index(after):
        return f"`## {before}` must come before `## {after}`"
    return None
