"""What the declarative YAML cannot say about Pluggy by itself: its cursor pagination, and items that are not there.

(The shared API key, the answers' shapes, errors and retries come from connector_kit, like in every connector.)

What one sync learns about its items (the ids its listings showed, the deleted items it warned about) is kept in
`SyncItems`, shared by every stream of the process: one process runs one sync (`SourcePluggy` starts each command
with it empty).
"""

import logging
import threading
from dataclasses import InitVar, dataclass, field
from typing import Any, ClassVar, Iterable, Mapping, Optional, Union
from urllib.parse import parse_qs, urlsplit

import requests
from airbyte_cdk.models import FailureType
from airbyte_cdk.sources.declarative.requesters.paginators.strategies.pagination_strategy import PaginationStrategy
from airbyte_cdk.sources.streams.http.error_handlers.response_models import ErrorResolution, ResponseAction
from airbyte_cdk.sources.types import Config, Record
from airbyte_cdk.utils.traced_exception import AirbyteTracedException
from connector_kit.contract import PARSED_BODY, parsed_body
from connector_kit.errors import SUCCESS, VendorErrorHandler

logger = logging.getLogger("airbyte")


class SyncItems:
    """The item ids this sync's listings showed and the deleted items it already warned about (thread-safe)."""

    _lock: ClassVar[threading.Lock] = threading.Lock()
    _listed: ClassVar[set[str]] = set()
    _warned: ClassVar[set[str]] = set()

    @classmethod
    def forget(cls) -> None:
        with cls._lock:
            cls._listed.clear()
            cls._warned.clear()

    @classmethod
    def listed(cls, ids: Iterable[str]) -> None:
        with cls._lock:
            cls._listed.update(ids)

    @classmethod
    def unlisted(cls, wanted: Iterable[str]) -> list[str]:
        """The wanted ids that no listing of this sync showed."""
        with cls._lock:
            return sorted(set(wanted) - cls._listed)

    @classmethod
    def first_warning(cls, item_id: str) -> bool:
        with cls._lock:
            new = item_id not in cls._warned
            cls._warned.add(item_id)
            return new


@dataclass
class NextQueryStringCursor(PaginationStrategy):
    """Cursor pagination of Pluggy's v2 endpoints (/v2/items, /v2/transactions).

    The response's `next` is a ready-made query string (`?accountId=...&after=<opaque>`), or null on the last page.
    Why custom: the only thing to send back is its URL-decoded `after` (Pluggy rejects repeated or extra
    parameters), and Jinja has no URL-decoding filter. A page with no results but a `next` is not the end.

    With `must_list` (the /v2/items listing: `item_ids`), the ids the config names must all be listed: a listing
    that ends without one of them fails its stream (and so every stream under the items) with a config error naming
    it. The listing is read anyway, so this costs no call; an item deleted later in the sync was listed, and is
    skipped with a warning instead.
    """

    parameters: InitVar[Mapping[str, Any]]
    config: Config = field(default_factory=dict)
    must_list: str = ""  # a config field holding ids the listing must show

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
        body = parsed_body(response)  # the shape was checked before any record was read
        wanted = self.config.get(self.must_list) if self.must_list else None
        if wanted:
            SyncItems.listed(str(r.get("id")) for r in body.get("results") or [] if isinstance(r, Mapping))
        next_query = body.get("next")
        if not next_query:
            if wanted:
                self._fail_on_unlisted(wanted)
            return None
        after = parse_qs(urlsplit(next_query).query or next_query.lstrip("?")).get("after")
        if not after or not after[0]:
            raise ValueError(f"Pluggy returned a `next` link without an `after` cursor: {next_query!r}")
        return after[0]

    def _fail_on_unlisted(self, wanted: Iterable[str]) -> None:
        missing = SyncItems.unlisted(wanted)
        if missing:
            names = ", ".join(missing)
            raise AirbyteTracedException(
                message=f"`{self.must_list}` names {names}, which Pluggy does not list for this application: remove "
                        f"{'it' if len(missing) == 1 else 'them'} from `{self.must_list}` (the item may have been "
                        "deleted), or check that `client_id` is the application the items belong to.",
                internal_message=f"{self.must_list} not listed: {names}", failure_type=FailureType.config_error)

    def get_page_size(self) -> Optional[int]:
        return None


@dataclass
class PluggyErrorHandler(VendorErrorHandler):
    """connector_kit's VendorErrorHandler, plus one WARNING per item deleted during the sync.

    The manifest's `item_deleted_404` filter IGNOREs an item-level answer 404 ITEM_NOT_FOUND, so the item is skipped
    and the others complete. The CDK logs an IGNOREd answer at INFO only, and a filter's message cannot name the
    item: it interpolates the URL without its query string, where `itemId` is. So the warning is written here, once
    per item however many endpoints and streams meet it.

    Speed: a 2xx page whose body the answer contract accepted, and that has neither `code` nor `codeDescription`,
    can match none of the manifest's filters (their statuses are errors; `item_deleted_404`'s predicate reads those
    two keys of an error body), so it is a success without them: a filter with a predicate parses the whole body
    again, a tenth of a sync's CPU at 500 transactions a page.
    """

    def interpret_response(self, response_or_exception: Optional[Union[requests.Response, Exception]]) -> ErrorResolution:
        if _plain_page(response_or_exception):
            return SUCCESS
        resolution = super().interpret_response(response_or_exception)
        if resolution.response_action == ResponseAction.IGNORE and isinstance(response_or_exception, requests.Response):
            item_id = _deleted_item(response_or_exception)
            if item_id and SyncItems.first_warning(item_id):
                logger.warning(f"Pluggy item {item_id} was deleted during the sync (404 ITEM_NOT_FOUND): its accounts, "
                               "transactions and other data are skipped; the other items sync.")
        return resolution


def _plain_page(response: Any) -> bool:
    if not isinstance(response, requests.Response) or not 200 <= response.status_code < 300:
        return False
    body = getattr(response, PARSED_BODY, None)  # set by the contract check, once the body matched its rule
    return isinstance(body, Mapping) and "code" not in body and "codeDescription" not in body


def _deleted_item(response: requests.Response) -> Optional[str]:
    """The `itemId` of a request Pluggy answered 404 ITEM_NOT_FOUND."""
    try:
        body = response.json()
    except ValueError:
        return None
    if not isinstance(body, Mapping) or body.get("codeDescription") != "ITEM_NOT_FOUND" or response.request is None:
        return None
    return (parse_qs(urlsplit(response.request.url or "").query).get("itemId") or [None])[0]
