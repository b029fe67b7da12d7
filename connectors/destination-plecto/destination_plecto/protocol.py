"""Airbyte messages that keep the platform's state `id`.

Airbyte 1.7+ stamps every STATE message with an `id` and fails the sync ("State message does not contain id")
unless the destination echoes it. The CDK 7.39 `AirbyteStateMessage` has no such field, so its serializer drops
it; these subclasses carry it through parsing and printing (see shared/research/airbyte-cdk-notes.md §2.3).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Iterator

import orjson
from airbyte_cdk.models import AirbyteMessage, AirbyteStateMessage
from airbyte_cdk.models.airbyte_protocol_serializers import custom_type_resolver
from serpyco_rs import Serializer


@dataclass
class StateWithId(AirbyteStateMessage):
    id: int | None = None  # injected by the platform; must round-trip


@dataclass
class MessageWithStateId(AirbyteMessage):
    state: StateWithId | None = None  # type: ignore[assignment]


SERIALIZER: Serializer[MessageWithStateId] = Serializer(
    MessageWithStateId, omit_none=True, custom_type_resolver=custom_type_resolver
)


def parse_lines(lines: Iterable[str], logger: Any) -> Iterator[AirbyteMessage]:
    """stdin lines -> messages; a line that is not a message is logged (shortened: it may hold data) and skipped."""
    for line in lines:
        if not line.strip():
            continue
        try:
            yield SERIALIZER.load(orjson.loads(line))
        except (orjson.JSONDecodeError, ValueError, TypeError) as error:
            logger.warning(f"Ignoring input line that is not an Airbyte message ({type(error).__name__}): {line[:80]!r}")


def dump(message: AirbyteMessage) -> str:
    if isinstance(message, MessageWithStateId):
        return orjson.dumps(SERIALIZER.dump(message)).decode()
    from airbyte_cdk.models import AirbyteMessageSerializer

    return orjson.dumps(AirbyteMessageSerializer.dump(message)).decode()
