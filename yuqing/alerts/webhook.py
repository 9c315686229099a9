"""Alerts POSTed as JSON to a webhook (``YUQING_WEBHOOK_URL``).

What a receiver gets, per alert:

- the body: the alert's payload as UTF-8 JSON, keys sorted, no spaces (``{"case_id":12,…}``);
  it always has ``id`` (the alert's stable key), ``case_id``, ``kind`` (``major_case``,
  ``due_soon``, ``overdue``, ``referral``) and ``created_at`` (ISO 8601, UTC);
- ``Content-Type: application/json``;
- ``X-Yuqing-Alert-Id``: the alert's key, the same as the body's ``id``;
- ``X-Yuqing-Signature: sha256=<hex>`` when ``YUQING_WEBHOOK_SECRET`` is set: the HMAC-SHA256
  of the exact body bytes, keyed with the secret (UTF-8).

To verify, a receiver computes the HMAC over the raw body as received, before parsing it, and
compares in constant time::

    expected = "sha256=" + hmac.new(secret.encode(), raw_body, hashlib.sha256).hexdigest()
    ok = hmac.compare_digest(expected, request.headers["X-Yuqing-Signature"])

A 2xx answer means the alert was taken; anything else (a 3xx too: redirects are not followed,
so that an alert never goes to a host nobody configured) or no answer within the timeouts is a
failed attempt, retried later. A retry sends the same body and id, and an alert may arrive
twice (see :mod:`yuqing.alerts.deliver`): receivers de-duplicate on ``X-Yuqing-Alert-Id``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any
from urllib.parse import urlsplit

import httpx

from yuqing.alerts import DeliveryError
from yuqing.config import HttpLimits
from yuqing.display import terminal_safe

CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 10.0
#: how much of a refusing receiver's answer is kept in the error, for a person to read
ERROR_BODY_CHARS = 200


def body_of(payload: dict[str, Any]) -> bytes:
    """The exact bytes sent (and signed): UTF-8 JSON, sorted keys, compact."""
    return json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode(
        "utf-8"
    )


def sign(body: bytes, secret: str) -> str:
    """The ``X-Yuqing-Signature`` value for ``body``: ``sha256=`` and the hex HMAC-SHA256."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def make_client(user_agent: str = HttpLimits.user_agent) -> httpx.Client:
    """A client for webhook POSTs: short timeouts, no redirects, no proxy from the
    environment (as the crawler's); close it after use."""
    return httpx.Client(
        timeout=httpx.Timeout(READ_TIMEOUT, connect=CONNECT_TIMEOUT),
        follow_redirects=False,
        trust_env=False,
        headers={"User-Agent": user_agent},
    )


def where(url: str) -> str:
    """The receiver as shown in errors: scheme, host and port only, because webhook URLs often
    carry their access token in the path or query."""
    parts = urlsplit(url)
    host = parts.hostname or "?"
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}"


def post_alert(
    client: httpx.Client, url: str, key: str, payload: dict[str, Any], secret: str = ""
) -> None:
    """POST one alert; returns when the receiver answered 2xx, else raises
    :class:`DeliveryError` saying why (the status, or the network error)."""
    body = body_of(payload)
    headers = {"Content-Type": "application/json", "X-Yuqing-Alert-Id": key}
    if secret:
        headers["X-Yuqing-Signature"] = sign(body, secret)
    try:
        with client.stream("POST", url, content=body, headers=headers) as response:
            if response.is_success:
                return
            answer = _first_chars(response)
    except httpx.TimeoutException as exc:
        raise DeliveryError(f"webhook {where(url)}: timed out ({type(exc).__name__})") from None
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        raise DeliveryError(f"webhook {where(url)}: {type(exc).__name__}: {exc}") from None
    status = f"HTTP {response.status_code} {response.reason_phrase}".rstrip()
    if response.is_redirect:
        status += " (redirects are not followed)"
    raise DeliveryError(
        f"webhook {where(url)} answered {status}" + (f": {answer}" if answer else "")
    )


def _first_chars(response: httpx.Response) -> str:
    """The start of a refusing receiver's answer, one safe line (the body is not trusted)."""
    data = b""
    for chunk in response.iter_bytes():
        data += chunk
        if len(data) >= ERROR_BODY_CHARS * 4:
            break
    return terminal_safe(data.decode("utf-8", errors="replace"))[:ERROR_BODY_CHARS]
