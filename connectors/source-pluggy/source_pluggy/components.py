"""What the declarative YAML cannot say about Pluggy by itself: its cursor pagination.

(The shared API key, the answers' shapes, errors and retries come from connector_kit, like in every connector.)
"""

from dataclasses import InitVar, dataclass, field
from typing import Any, Mapping, Optional
from urllib.parse import parse_qs, urlsplit

import requests
from airbyte_cdk.sources.declarative.requesters.paginators.strategies.pagination_strategy import PaginationStrategy
from airbyte_cdk.sources.types import Config, Record
from connector_kit.contract import parsed_body


@dataclass
class NextQueryStringCursor(PaginationStrategy):
    """Cursor pagination of Pluggy's v2 endpoints (/v2/items, /v2/transactions).

    The response's `next` is a ready-made query string (`?accountId=...&after=<opaque>`), or null on the last page.
    Why custom: the only thing to send back is its URL-decoded `after` (Pluggy rejects repeated or extra
    parameters), and Jinja has no URL-decoding filter. A page with no results but a `next` is not the end.
    """

    parameters: InitVar[Mapping[str, Any]]
    config: Config = field(default_factory=dict)

    def __post_init__(self, parameters: Mapping[str, Any]) -> None:
        pass

    @property
    def initial_token(self) -> Optional[Any]:
        return None

    def next_page_token(
        self,
        response: requests.Response,
        last_page_size: int,
        last_record: Optional[Record],
        last_page_token_value: Optional[Any],
        page_size_override: Optional[int] = None,
    ) -> Optional[Any]:
        next_query = parsed_body(response).get("next")  # the shape was checked before any record was read
        if not next_query:
            return None
        after = parse_qs(urlsplit(next_query).query or next_query.lstrip("?")).get("after")
        if not after or not after[0]:
            raise ValueError(f"Pluggy returned a `next` link without an `after` cursor: {next_query!r}")
        return after[0]

    def get_page_size(self) -> Optional[int]:
        return None
