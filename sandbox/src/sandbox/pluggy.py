"""Emulator of the Pluggy API as its documentation describes it (see shared/research/vendor-apis.md §1).

- `POST /auth` {clientId, clientSecret} -> {"apiKey": <JWT with exp>}; the key lives `key_lifetime` seconds
  (2 h by default) and goes in `X-API-KEY` on every other call; a missing or expired key is a 401.
- Cursor pagination on `/v2/items` and `/v2/transactions`: {"results", "next"} where `next` is a ready-made query
  string carrying an opaque `after`; at most 500 results a page, no page-size parameter (400 if one is sent).
- Page pagination elsewhere: `page` (1-based) and `pageSize` (1..500, default 20 when omitted), envelope
  {total, totalPages, page, results}.
- `/v2/transactions` filters: accountId (required), createdAtFrom (cannot be combined with dateFrom), dateFrom,
  dateTo, ids; results newest `date` first.
- Legacy `GET /transactions` answers 410 ENDPOINT_DEPRECATED.
- Rate limits per endpoint per minute (360 by default) with the documented 429 body and headers.
- Errors use the envelope {"code", "codeDescription", "message"}. The item-level endpoints (`/accounts`,
  `/investments`, `/loans`, `/identity`) answer 404 ITEM_NOT_FOUND for an item that does not exist (any more).
- A test can delete an item in the middle of a sync: after `delete_item_mid_sync(item_id)`, the item (with its
  accounts, transactions, bills, investments, loans and identity) is deleted just before the first request for
  anything under it is answered: the sync has listed it, then finds it gone.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
import time
from datetime import datetime, timedelta, timezone
from typing import Any, Iterable

from sandbox.core import Emulator, Request, Response, SlidingWindowLimit, route
from sandbox.seed import ORIGIN, det_uuid, iso_ms, now_utc, past, rng

CLIENT_ID = "sandbox-pluggy-client"
CLIENT_SECRET = "sandbox-pluggy-secret"

MAX_PAGE_SIZE = 500
DEFAULT_PAGE_SIZE = 20  # one documented reading of the default; the connector must always send pageSize
CURSOR_PAGE_SIZE = 500
V2_FORBIDDEN_PARAMS = {"page", "pageSize", "limit", "from", "to", "itemId", "order"}

# size -> (items, accounts per item, transactions per account)
SIZES = {"small": (2, 3, 40), "medium": (5, 3, 1_000), "large": (20, 3, 16_700)}


def _error(status: int, message: str, description: str | None = None) -> Response:
    body: dict[str, Any] = {"code": status, "message": message}
    if description:
        body["codeDescription"] = description
    return Response(status, body)


def _jwt(expires_at: float) -> str:
    def part(obj: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

    return ".".join([part({"alg": "HS256", "typ": "JWT"}), part({"exp": int(expires_at), "jti": secrets.token_hex(8)}),
                     secrets.token_hex(16)])


class PluggyEmulator(Emulator):
    name = "pluggy"

    def __init__(self, size: str | int = "small", seed: int = 42, key_lifetime: float = 7200.0,
                 rate_limit_per_minute: int = 360, retry_after: int = 60, page_size_cap: int = MAX_PAGE_SIZE,
                 cursor_page_size: int = CURSOR_PAGE_SIZE, items: int | None = None,
                 accounts_per_item: int | None = None) -> None:
        """`size`: a name of SIZES, or a number of transactions per account (then 2 items of 3 accounts, unless
        `items` and `accounts_per_item` say otherwise: the bench's many-partition tenants)."""
        super().__init__()
        self.size, self.seed = size, seed
        self.shape = (items, accounts_per_item)
        self.key_lifetime = key_lifetime
        self.retry_after = retry_after
        self.page_size_cap = page_size_cap
        self.cursor_page_size = cursor_page_size
        self.rate_limit = SlidingWindowLimit(rate_limit_per_minute, 60.0)
        self.keys: dict[str, float] = {}  # apiKey -> expiry (epoch seconds)
        self._lock = threading.Lock()
        self._selections: dict[tuple, list[dict]] = {}  # /v2/transactions query -> its rows (see _selected_transactions)
        self._delete_when_asked: set[str] = set()  # items deleted when a request first asks for their data
        self._seed_data()

    # ---- seeded data -----------------------------------------------------------------------------------
    def _seed_data(self) -> None:
        n_items, n_accounts, n_tx = SIZES[self.size] if isinstance(self.size, str) else (2, 3, int(self.size))
        n_items, n_accounts = self.shape[0] or n_items, self.shape[1] or n_accounts
        r = rng(self.seed, "pluggy")
        self.connectors = [self._connector(i) for i in range(0, 12)]
        self.categories = [self._category(i) for i in range(1, 31)]
        self.items: list[dict] = []
        self.accounts: list[dict] = []
        self.transactions: dict[str, list[dict]] = {}
        self.bills: dict[str, list[dict]] = {}  # by accountId: Pluggy's bill payload does not carry it
        self.investments: list[dict] = []
        self.investment_transactions: dict[str, list[dict]] = {}
        self.loans: list[dict] = []
        self.identities: dict[str, dict] = {}
        for _ in range(n_items):
            item = self._item(r)
            self.items.append(item)
            for a in range(n_accounts):
                account = self._account(r, item, credit=(a == n_accounts - 1))
                self.accounts.append(account)
                count = n_tx * 16 if (a == 0 and item is self.items[0] and self.size == "small") else n_tx
                self.transactions[account["id"]] = [self._transaction(r, account) for _ in range(count)]
                if account["type"] == "CREDIT":
                    self.bills[account["id"]] = [self._bill(r, m) for m in range(3)]
            for _ in range(2):
                investment = self._investment(r, item)
                self.investments.append(investment)
                self.investment_transactions[investment["id"]] = [self._investment_tx(r, investment) for _ in range(4)]
            self.loans.append(self._loan(r, item))
            self.identities[item["id"]] = self._identity(r, item)

    @staticmethod
    def _stamp(r, days: int = 400) -> tuple[str, str]:
        created = past(r, days)
        updated = created + timedelta(seconds=r.randint(0, 86400))
        return iso_ms(created), iso_ms(min(updated, ORIGIN))

    def _connector(self, i: int) -> dict:
        return {"id": i, "name": "Pluggy Bank" if i == 0 else f"Banco {i}", "institutionUrl": f"https://bank{i}.example",
                "country": "BR", "type": "PERSONAL_BANK", "credentials": [], "imageUrl": None,
                "primaryColor": "ef294b", "hasMFA": False, "oauth": i % 3 == 0, "isSandbox": i == 0,
                "isOpenFinance": i % 2 == 0, "products": ["ACCOUNTS", "TRANSACTIONS"],
                "createdAt": "2024-01-01T00:00:00.000Z", "updatedAt": "2025-06-01T00:00:00.000Z"}

    @staticmethod
    def _category(i: int) -> dict:
        parent = f"{(i // 10) * 10:02d}000000" if i % 10 else None
        return {"id": f"{i:02d}000000" if i % 10 == 0 else f"{(i // 10) * 10:02d}0{i % 10:02d}0000",
                "description": f"Category {i}", "descriptionTranslated": f"Categoria {i}", "parentId": parent,
                "parentDescription": f"Category {(i // 10) * 10}" if parent else None}

    def _item(self, r) -> dict:
        created, updated = self._stamp(r)
        return {"id": det_uuid(r), "connector": {"id": 0, "name": "Pluggy Bank"}, "status": "UPDATED",
                "executionStatus": "SUCCESS", "createdAt": created, "updatedAt": updated, "lastUpdatedAt": updated,
                "error": None, "clientUserId": f"user-{r.randint(1, 999)}", "webhookUrl": None,
                "products": ["ACCOUNTS", "TRANSACTIONS", "INVESTMENTS", "LOANS", "IDENTITY"],
                "statusDetail": None, "consecutiveFailedLoginAttempts": 0, "userAction": None,
                "nextAutoSyncAt": None, "consentExpiresAt": None}

    def _account(self, r, item: dict, credit: bool) -> dict:
        created, updated = self._stamp(r)
        account = {"id": det_uuid(r), "itemId": item["id"], "type": "CREDIT" if credit else "BANK",
                   "subtype": "CREDIT_CARD" if credit else "CHECKING_ACCOUNT", "number": f"{r.randint(1000, 9999)}",
                   "name": "Mastercard Black" if credit else "Conta Corrente", "marketingName": None,
                   "balance": round(r.uniform(-5000, 50000), 2), "currencyCode": "BRL", "owner": "Joana Silva",
                   "taxNumber": "***.456.789-**", "createdAt": created, "updatedAt": updated,
                   "bankData": None if credit else {"transferNumber": "0001/12345-0", "closingBalance": 1000.0},
                   "creditData": {"level": "BLACK", "brand": "MASTERCARD", "creditLimit": 20000.0,
                                  "availableCreditLimit": 15000.0} if credit else None}
        return account

    def _transaction(self, r, account: dict) -> dict:
        created, updated = self._stamp(r)
        amount = round(r.uniform(1, 900), 2)
        return {"id": det_uuid(r), "accountId": account["id"], "date": created[:10] + "T03:00:00.000Z",
                "description": r.choice(["PIX RECEBIDO", "COMPRA CARTAO", "TED", "BOLETO", "SALARIO"]),
                "descriptionRaw": None, "currencyCode": "BRL", "amount": amount, "amountInAccountCurrency": None,
                "balance": None, "category": "Transfers", "categoryId": "05000000",
                "type": r.choice(["DEBIT", "CREDIT"]), "status": r.choice(["POSTED", "POSTED", "PENDING"]),
                "providerCode": None, "providerId": None, "operationType": "PIX", "order": r.randint(0, 9),
                "paymentData": None, "creditCardMetadata": None, "merchant": None,
                "createdAt": created, "updatedAt": updated}

    def _bill(self, r, month: int) -> dict:
        created, updated = self._stamp(r)
        return {"id": det_uuid(r), "dueDate": f"2025-{month + 1:02d}-10T03:00:00.000Z",
                "totalAmount": round(r.uniform(100, 5000), 2), "totalAmountCurrencyCode": "BRL",
                "minimumPaymentAmount": 100.0, "allowsInstallments": True, "financeCharges": [],
                "createdAt": created, "updatedAt": updated}

    def _investment(self, r, item: dict) -> dict:
        created, updated = self._stamp(r)
        return {"id": det_uuid(r), "itemId": item["id"], "type": r.choice(["MUTUAL_FUND", "FIXED_INCOME", "EQUITY"]),
                "subtype": None, "name": "CDB Banco X", "code": "CDB123", "isin": None, "number": None,
                "balance": round(r.uniform(1000, 90000), 2), "amount": 1000.0, "currencyCode": "BRL",
                "status": "ACTIVE", "date": created, "institution": {"name": "Banco X", "number": "001"},
                "createdAt": created, "updatedAt": updated, "transactions": None}

    def _investment_tx(self, r, investment: dict) -> dict:
        created, _ = self._stamp(r)
        return {"id": det_uuid(r), "investmentId": investment["id"], "type": r.choice(["BUY", "SELL"]),
                "movementType": "CREDIT", "quantity": 1.0, "value": 100.0, "amount": 100.0,
                "description": "Aplicacao", "date": created, "tradeDate": created, "netAmount": 100.0}

    def _loan(self, r, item: dict) -> dict:
        created, _ = self._stamp(r)
        return {"id": det_uuid(r), "itemId": item["id"], "contractNumber": f"C-{r.randint(1000, 9999)}",
                "ipocCode": None, "productName": "Credito Pessoal", "type": "PERSONAL_LOAN", "date": created,
                "contractDate": created, "contractAmount": 10000.0, "currencyCode": "BRL", "dueDate": None,
                "interestRates": [], "contractedFees": [], "installments": None, "payments": None}

    def _identity(self, r, item: dict) -> dict:
        created, updated = self._stamp(r)
        return {"id": det_uuid(r), "itemId": item["id"], "fullName": "Joana Silva", "document": "123.456.789-00",
                "documentType": "CPF", "birthDate": "1990-01-01T00:00:00.000Z", "emails": [], "phoneNumbers": [],
                "addresses": [], "createdAt": created, "updatedAt": updated}

    # ---- mutations for tests and the demo --------------------------------------------------------------
    def add_transactions(self, account_id: str, count: int) -> list[dict]:
        """New transactions ingested now (createdAt = now), as a bank sync would add them."""
        r = rng(self.seed, f"live-{time.time_ns()}")
        account = next(a for a in self.accounts if a["id"] == account_id)
        added = []
        for _ in range(count):
            tx = self._transaction(r, account)
            tx["createdAt"] = tx["updatedAt"] = iso_ms(now_utc())
            added.append(tx)
        with self._lock:
            self.transactions[account_id].extend(added)
            self._selections.clear()
        return added

    def touch(self, collection: str, record_id: str, **changes: Any) -> dict:
        """Update a record of `accounts`, `investments` or `items`; updatedAt becomes now."""
        record = next(x for x in getattr(self, collection) if x["id"] == record_id)
        with self._lock:
            record.update(changes, updatedAt=iso_ms(now_utc()))
            self._selections.clear()
        return record

    def delete_item(self, item_id: str) -> None:
        """The user deleted the item (a bank connection): it and everything under it are gone."""
        with self._lock:
            accounts = {a["id"] for a in self.accounts if a["itemId"] == item_id}
            investments = {i["id"] for i in self.investments if i["itemId"] == item_id}
            self.items = [i for i in self.items if i["id"] != item_id]
            self.accounts = [a for a in self.accounts if a["itemId"] != item_id]
            self.investments = [i for i in self.investments if i["itemId"] != item_id]
            self.loans = [x for x in self.loans if x["itemId"] != item_id]
            self.identities.pop(item_id, None)
            for account_id in accounts:
                self.transactions.pop(account_id, None)
                self.bills.pop(account_id, None)
            for investment_id in investments:
                self.investment_transactions.pop(investment_id, None)
            self._selections.clear()

    def delete_item_mid_sync(self, item_id: str) -> None:
        """One-shot fault: delete the item just before the first request for its accounts (or anything else under
        it) is answered. The sync listed it (it knows the id), then finds it gone, whichever of its streams asks first
        and whatever its HTTP cache holds."""
        with self._lock:
            self._delete_when_asked.add(item_id)

    def connector_config(self) -> dict:
        return {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "base_url": self.url}

    def expire_tokens(self) -> None:
        with self._lock:
            self.keys.clear()

    def reset(self) -> None:
        super().reset()
        self.keys.clear()
        self.rate_limit.reset()
        self._selections.clear()
        self._delete_when_asked.clear()
        self._seed_data()

    def admin(self, action: str, payload: Any) -> Any:
        if action == "add-transactions":
            return self.add_transactions(payload["accountId"], int(payload.get("count", 1)))
        if action == "accounts":
            return self.accounts
        if action == "delete-item-mid-sync":
            self.delete_item_mid_sync(payload["itemId"])
            return {"ok": True}
        raise KeyError(action)

    # ---- auth and limits -------------------------------------------------------------------------------
    def before_route(self, request: Request) -> Response | None:
        endpoint = self._limit_key(request.path)
        wait = self.rate_limit.hit(f"{request.method} {endpoint}")
        if wait is not None:
            return Response(429, {"message": "Too many requests. Please try again later (see Retry-After header in "
                                             "seconds)", "code": 429},
                            {"Retry-After": str(self.retry_after), "RateLimit-Limit": str(self.rate_limit.limit),
                             "RateLimit-Reset": str(int(wait) + 1)})
        if request.path == "/auth":
            return None
        key = request.headers.get("x-api-key")
        expiry = self.keys.get(key or "")
        if not expiry or expiry <= time.time():
            return _error(401, "Missing or invalid API key", "API_KEY_INVALID" if key else "API_KEY_MISSING")
        return None

    @staticmethod
    def _limit_key(path: str) -> str:
        """Limits count per endpoint: `/accounts` and `/accounts/{id}` share one, as the docs list them."""
        parts = [p for p in path.split("/") if p]
        if parts[:1] == ["v2"]:
            parts = parts[1:]
        if parts[:1] == ["investments"] and len(parts) >= 3:
            return "/investments/{id}/transactions"
        return "/" + (parts[0] if parts else "")

    @route("POST", r"/auth")
    def auth(self, request: Request) -> Response:
        try:
            body = request.json() or {}
        except json.JSONDecodeError:
            return _error(400, "Body must be JSON", "INVALID_BODY")
        if body.get("clientId") != CLIENT_ID or body.get("clientSecret") != CLIENT_SECRET:
            return _error(401, "Invalid client credentials", "CLIENT_KEYS_UNAUTHORIZED")
        expires = time.time() + self.key_lifetime
        key = _jwt(expires)
        with self._lock:
            self.keys[key] = expires
        return Response(200, {"apiKey": key})

    # ---- paging helpers --------------------------------------------------------------------------------
    def _page(self, request: Request, records: list[dict]) -> Response:
        try:
            page = int(request.arg("page", "1"))
            size = int(request.arg("pageSize", str(DEFAULT_PAGE_SIZE)))
        except ValueError:
            return _error(400, "page and pageSize must be integers", "INVALID_PARAMETERS")
        if page < 1 or not 1 <= size <= MAX_PAGE_SIZE:
            return _error(400, f"pageSize must be between 1 and {MAX_PAGE_SIZE}", "INVALID_PARAMETERS")
        size = min(size, self.page_size_cap)
        total = len(records)
        total_pages = max(1, -(-total // size))
        return Response(200, {"total": total, "totalPages": total_pages, "page": page,
                              "results": records[(page - 1) * size: page * size]})

    def _cursor_page(self, request: Request, records: list[dict], kept_params: dict[str, str]) -> Response:
        after = request.arg("after")
        offset = 0
        if after:
            try:
                offset = int(base64.urlsafe_b64decode(after.encode()).decode())
            except ValueError:
                return _error(400, "Invalid cursor", "INVALID_CURSOR")
        chunk = records[offset: offset + self.cursor_page_size]
        nxt = None
        if offset + self.cursor_page_size < len(records):
            params = dict(kept_params, after=base64.urlsafe_b64encode(str(offset + self.cursor_page_size).encode())
                          .decode())
            nxt = "?" + "&".join(f"{k}={v}" for k, v in params.items())
        return Response(200, {"results": chunk, "next": nxt})

    @staticmethod
    def _forbidden_v2_params(request: Request) -> Response | None:
        bad = sorted(V2_FORBIDDEN_PARAMS & set(request.query))
        if bad:
            return _error(400, f"Unsupported query parameter(s) for cursor endpoint: {', '.join(bad)}",
                          "INVALID_PARAMETERS")
        return None

    def _unknown_item(self, request: Request) -> Response | None:
        """400 without `itemId`, 404 ITEM_NOT_FOUND for an item that does not exist; None for a known item."""
        item_id = request.arg("itemId")
        if not item_id:
            return _error(400, "itemId is required", "INVALID_PARAMETERS")
        with self._lock:
            asked = item_id in self._delete_when_asked
            self._delete_when_asked.discard(item_id)
        if asked:
            self.delete_item(item_id)
        if not any(i["id"] == item_id for i in self.items):
            return _error(404, "Item not found", "ITEM_NOT_FOUND")
        return None

    # ---- routes ----------------------------------------------------------------------------------------
    @route("GET", r"/v2/items")
    def list_items(self, request: Request) -> Response:
        if (bad := self._forbidden_v2_params(request)) is not None:
            return bad
        items = sorted(self.items, key=lambda i: i["createdAt"])
        return self._cursor_page(request, items, {})

    @route("GET", r"/items/(?P<id>[^/]+)")
    def get_item(self, request: Request) -> Response:
        item = next((i for i in self.items if i["id"] == request.match["id"]), None)
        return Response(200, item) if item else _error(404, "Item not found", "ITEM_NOT_FOUND")

    @route("GET", r"/accounts")
    def list_accounts(self, request: Request) -> Response:
        if (bad := self._unknown_item(request)) is not None:
            return bad
        item_id = request.arg("itemId")
        kind = request.arg("type")
        return self._page(request, [a for a in self.accounts if a["itemId"] == item_id
                                    and (kind is None or a["type"] == kind)])

    @route("GET", r"/v2/transactions")
    def list_transactions(self, request: Request) -> Response:
        if (bad := self._forbidden_v2_params(request)) is not None:
            return bad
        account_id = request.arg("accountId")
        if not account_id:
            return _error(400, "accountId is required", "INVALID_PARAMETERS")
        if request.arg("createdAtFrom") and request.arg("dateFrom"):
            return _error(400, "createdAtFrom cannot be combined with dateFrom", "INVALID_PARAMETERS")
        kept = {k: request.arg(k) for k in ("accountId", "createdAtFrom", "dateFrom", "dateTo") if request.arg(k)}
        return self._cursor_page(request, self._selected_transactions(account_id, kept, request.arg("ids")), kept)

    def _selected_transactions(self, account_id: str, filters: dict[str, str], ids: str | None) -> list[dict]:
        """The account's transactions matching the filters, newest `date` first. Filtered and sorted once per query
        and kept until the data changes, so each page of a large account costs the same (a real API serves pages
        from an index, not by re-sorting the account)."""
        key = (account_id, tuple(sorted(filters.items())), ids)
        with self._lock:
            cached = self._selections.get(key)
        if cached is not None:
            return cached
        rows: Iterable[dict] = self.transactions.get(account_id, [])
        created_from, date_from, date_to = filters.get("createdAtFrom"), filters.get("dateFrom"), filters.get("dateTo")
        if created_from:
            rows = [t for t in rows if t["createdAt"] >= _normalise(created_from)]
        if date_from:
            rows = [t for t in rows if t["date"][:10] >= date_from[:10]]
        if date_to:
            rows = [t for t in rows if t["date"][:10] <= date_to[:10]]
        if ids:
            wanted = set(ids.split(","))
            rows = [t for t in rows if t["id"] in wanted]
        selected = sorted(rows, key=lambda t: (t["date"], t["id"]), reverse=True)
        with self._lock:
            self._selections[key] = selected
        return selected

    @route("GET", r"/transactions")
    def legacy_transactions(self, request: Request) -> Response:
        body = {"message": "This endpoint is deprecated. Use GET /v2/transactions with cursor pagination instead.",
                "code": 410, "codeDescription": "ENDPOINT_DEPRECATED", "errorId": det_uuid(rng(0, "410"))}
        return Response(410, body)

    @route("GET", r"/bills")
    def list_bills(self, request: Request) -> Response:
        account_id = request.arg("accountId")
        account = next((a for a in self.accounts if a["id"] == account_id), None)
        if account is None:
            return _error(404, "Account not found", "ACCOUNT_NOT_FOUND")
        if account["type"] != "CREDIT":
            return _error(400, "Bills are only available for credit card accounts", "INVALID_ACCOUNT_TYPE")
        return self._page(request, self.bills[account_id])

    @route("GET", r"/investments")
    def list_investments(self, request: Request) -> Response:
        if (bad := self._unknown_item(request)) is not None:
            return bad
        item_id = request.arg("itemId")
        return self._page(request, [i for i in self.investments if i["itemId"] == item_id])

    @route("GET", r"/investments/(?P<id>[^/]+)/transactions")
    def list_investment_transactions(self, request: Request) -> Response:
        rows = self.investment_transactions.get(request.match["id"])
        if rows is None:
            return _error(404, "Investment not found", "INVESTMENT_NOT_FOUND")
        return self._page(request, rows)

    @route("GET", r"/loans")
    def list_loans(self, request: Request) -> Response:
        if (bad := self._unknown_item(request)) is not None:
            return bad
        item_id = request.arg("itemId")
        return self._page(request, [x for x in self.loans if x["itemId"] == item_id])

    @route("GET", r"/identity")
    def get_identity(self, request: Request) -> Response:
        if (bad := self._unknown_item(request)) is not None:
            return bad
        identity = self.identities.get(request.arg("itemId") or "")
        return Response(200, identity) if identity else _error(404, "Identity not found", "IDENTITY_NOT_FOUND")

    @route("GET", r"/categories")
    def list_categories(self, request: Request) -> Response:
        return self._page(request, self.categories)

    @route("GET", r"/connectors")
    def list_connectors(self, request: Request) -> Response:
        sandbox = request.arg("sandbox") == "true"
        return self._page(request, [c for c in self.connectors if sandbox or not c["isSandbox"]])


def _normalise(value: str) -> str:
    """Compare createdAtFrom with stored ISO-ms timestamps as strings: bring it to the same shape."""
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return iso_ms(parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc))
