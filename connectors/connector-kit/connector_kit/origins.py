"""Credentials stay on their host: what counts as the configured host, and the three guards built on it.

An origin is (scheme, host, port), the port made explicit (`https://api.x` is `https://api.x:443`). A credential
(a Bearer token, an `X-API-KEY`, a client secret) goes only to the origin it was configured for:

- **redirects of API calls** (`refuse_foreign_redirects`, a requests response hook the authenticator arms on
  every request): a redirect to another origin is refused with `ForeignRedirect` before requests follows it
  (requests would strip `Authorization` but keep `X-API-KEY`, and re-send a body on 307/308); a redirect within
  the origin is followed as before. requests runs response hooks before it resolves redirects (a kit test pins it);
- **token requests** follow no redirect at all (connector_kit.auth);
- **links from answers or from state** (Protime's `nextLink` and `deltaLink`): `followed_link` joins a relative
  link to the base URL and refuses one that leads to another origin (`ForeignLink`).

Refusing, rather than following without the credential, keeps the rule simple to state and to test: nothing is
sent to another origin at all, and the user learns where the API tried to send them.
"""


from typing import Any, Optional
from urllib.parse import urljoin, urlsplit

import requests

from connector_kit.redact import endpoint_of

DEFAULT_PORTS = {"http": 80, "https": 443}


def origin_of(url: str) -> tuple[str, str, Optional[int]]:
    """(scheme, host, port) of a URL, lower-cased, with the scheme's default port when the URL names none."""
    parts = urlsplit(str(url))
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:  # a port that is not a number: an origin of its own, equal to no configured one
        return scheme, (parts.hostname or "").lower(), -1
    return scheme, (parts.hostname or "").lower(), port if port is not None else DEFAULT_PORTS.get(scheme)


def same_origin(url: str, other: str) -> bool:
    return origin_of(url) == origin_of(other)


def show_origin(url: str) -> str:
    """`scheme://host[:port]` of a URL, for a message: never its user info, path or query (they may hold secrets)."""
    scheme, host, port = origin_of(url)
    host = f"[{host}]" if ":" in host else host
    return f"{scheme}://{host}" + (f":{port}" if port is not None and port != DEFAULT_PORTS.get(scheme) else "")


# ---- redirects ---------------------------------------------------------------------------------------------------
def redirect_target(response: requests.Response) -> Optional[str]:
    """The absolute URL a redirect answer points at; None when the answer is no redirect."""
    if not response.is_redirect:
        return None
    return urljoin(response.url or "", response.headers.get("location", ""))


class ForeignRedirect(requests.exceptions.RequestException):
    """An API call was redirected to another origin; the redirect was not followed."""

    def __init__(self, response: requests.Response, target: str) -> None:
        self.target_origin = show_origin(target)
        self.reason = (f"{endpoint_of(response.request)} was redirected ({response.status_code}) to "
                       f"{self.target_origin}, another host than the configured {show_origin(response.url or '')}; "
                       "the redirect was not followed, so that no credential leaves the configured host")
        super().__init__(self.reason, response=response, request=response.request)


def refuse_foreign_redirects(response: requests.Response, *args: Any, **kwargs: Any) -> requests.Response:
    """A requests response hook: raise `ForeignRedirect` for a redirect to another origin."""
    target = redirect_target(response)
    if target is not None and not same_origin(response.url or "", target):
        response.close()
        raise ForeignRedirect(response, target)
    return response


def arm_origin_guard(request: requests.PreparedRequest) -> None:
    """Refuse redirects of `request` to another origin (once, however often the request is re-signed)."""
    hooks = request.hooks.setdefault("response", [])
    if refuse_foreign_redirects not in hooks:
        hooks.append(refuse_foreign_redirects)


# ---- links ---------------------------------------------------------------------------------------------------------
class ForeignLink(ValueError):
    """A link leads to another origin than the base URL; `target_origin` says which."""

    def __init__(self, target: str, base_url: str) -> None:
        self.target_origin = show_origin(target)
        self.base_origin = show_origin(base_url)
        super().__init__(f"a link to {self.target_origin}, not the configured host {self.base_origin}")


def followed_link(link: str, base_url: str) -> str:
    """The absolute URL a link leads to: a relative link (the documented form) joined to `base_url`, an absolute
    one as it is; `ForeignLink` when that URL is on another origin than `base_url`."""
    target = urljoin(base_url, str(link))
    if not same_origin(target, base_url):
        raise ForeignLink(target, base_url)
    return target
