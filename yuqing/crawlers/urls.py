"""Canonical URLs, so that the same post reached by different links is stored once.

``canonicalize_url`` joins a link to its base, then rewrites it into one spelling: lower-case
scheme and host, IDNA (punycode) host, no default port, no fragment, no user name or password,
no tracking parameters, remaining query parameters sorted by name, dot segments resolved, an
empty path written ``/``, and percent-encoding in one form (upper-case hex; unreserved characters
decoded; anything outside the URL alphabet encoded as UTF-8).
"""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit, urlunsplit

#: Query parameters that only say how a reader arrived (campaign tags, click ids, share widgets),
#: never which document is shown. Compared case-insensitively; a trailing ``*`` is a prefix.
TRACKING_PARAMETERS = (
    "utm_*",  # Google Analytics campaign tags (utm_source, utm_medium, ...)
    "spm",  # Alibaba / Taobao / Youku click position
    "scm",  # Alibaba recommendation tracking
    "from",  # from=timeline, from=singlemessage (WeChat, Weibo, Toutiao shares)
    "share",
    "shareid",
    "share_*",  # share_token, share_source, share_medium … (Toutiao, Douyin, Bilibili)
    "sharer_*",  # WeChat: sharer_sharetime, sharer_shareid
    "sharesource",
    "scene",  # WeChat: where the article was opened
    "srcid",  # WeChat
    "isappinstalled",  # WeChat
    "clicktime",  # WeChat
    "enterid",  # WeChat
    "exportkey",  # WeChat
    "pass_ticket",  # WeChat session ticket: also a credential that must not be stored
    "wx_header",  # WeChat
    "fbclid",  # Facebook click id
    "gclid",  # Google Ads click id
    "dclid",  # Google Display click id
    "yclid",  # Yandex click id
    "msclkid",  # Microsoft Ads click id
    "igshid",  # Instagram share id
    "mc_cid",  # Mailchimp campaign
    "mc_eid",  # Mailchimp subscriber
    "_hsenc",  # HubSpot
    "_hsmi",  # HubSpot
    "wt.mc_id",  # Webtrends
    "tt_from",  # Toutiao
    "timestamp",  # share links stamped with the moment they were shared (Toutiao, Douyin)
    "vd_source",  # Bilibili
)
_EXACT = frozenset(p for p in TRACKING_PARAMETERS if not p.endswith("*"))
_PREFIXES = tuple(p[:-1] for p in TRACKING_PARAMETERS if p.endswith("*"))

_SCHEMES = {"http": 80, "https": 443}
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_SUB_DELIMS = "!$&'()*+,;="
# Characters that may appear literally in each component (RFC 3986 §3.3, §3.4); the separators
# of the query ("&", "=") are handled by splitting, so they are not in the query-part alphabet.
_PATH_SAFE = frozenset(_SUB_DELIMS + ":@/") | _UNRESERVED
_QUERY_PART_SAFE = (frozenset(_SUB_DELIMS + ":@/?") - {"&", "="}) | _UNRESERVED
_PERCENT = re.compile(r"%([0-9A-Fa-f]{2})")
_INVISIBLE_IN_URL = re.compile(r"[\t\n\r]")
# Letters, digits, hyphens and dots (underscores occur in real host names, though not allowed).
_HOST_CHARS = re.compile(r"[a-z0-9_.-]+")


def canonicalize_url(url: str, base: str | None = None) -> str:
    """Return the canonical form of ``url`` (joined to ``base`` when it is relative).

    Raises ``ValueError`` naming the URL when it is not http(s) or has no host, or when the host
    or port cannot be used.
    """
    # Browsers drop tabs and newlines anywhere in a URL, and surrounding spaces.
    cleaned = _INVISIBLE_IN_URL.sub("", url).strip()
    if base is not None:
        cleaned = urljoin(_INVISIBLE_IN_URL.sub("", base).strip(), cleaned)
    parts = urlsplit(cleaned)
    scheme = parts.scheme.lower()
    if scheme not in _SCHEMES:
        shown = f"{scheme!r}" if scheme else "none (a relative URL needs a base)"
        raise ValueError(f"unsupported URL scheme {shown} in {url!r}: only http and https")
    host = _canonical_host(parts.hostname or "", url)
    try:
        port = parts.port
    except ValueError as error:
        raise ValueError(f"bad port in URL {url!r}: {error}") from None
    netloc = host if port in (None, _SCHEMES[scheme]) else f"{host}:{port}"
    path = _normalize_percent(_remove_dot_segments(parts.path) or "/", _PATH_SAFE)
    query = _canonical_query(parts.query)
    return urlunsplit((scheme, netloc, path, query, ""))


def is_tracking_parameter(name: str) -> bool:
    """Whether a query parameter is in ``TRACKING_PARAMETERS``."""
    lowered = name.lower()
    return lowered in _EXACT or lowered.startswith(_PREFIXES)


def _canonical_host(host: str, url: str) -> str:
    if not host:
        raise ValueError(f"URL {url!r} has no host")
    if ":" in host:  # an IPv6 literal; urlsplit has removed the brackets
        return f"[{host.lower()}]"
    host = host.rstrip(".")  # "example.cn." is the same host as "example.cn"
    if host.isascii():
        ascii_host = host.lower()
    else:
        try:
            ascii_host = host.encode("idna").decode("ascii").lower()
        except UnicodeError as error:
            raise ValueError(f"host {host!r} in URL {url!r} is not a valid IDNA name") from error
    if not ascii_host or any(not label for label in ascii_host.split(".")):
        raise ValueError(f"URL {url!r} has an empty host or an empty host label")
    if not _HOST_CHARS.fullmatch(ascii_host):
        raise ValueError(f"host {ascii_host!r} in URL {url!r} has characters a host cannot have")
    return ascii_host


def _remove_dot_segments(path: str) -> str:
    """RFC 3986 §5.2.4: resolve ``.`` and ``..`` segments (never above the root)."""
    if "." not in path:
        return path
    output: list[str] = []
    segments = path.split("/")
    for index, segment in enumerate(segments):
        last = index == len(segments) - 1
        if segment == ".":
            if last:
                output.append("")
        elif segment == "..":
            if len(output) > 1:
                output.pop()
            if last:
                output.append("")
        else:
            output.append(segment)
    result = "/".join(output)
    if path.startswith("/") and not result.startswith("/"):
        result = "/" + result
    return result


def _canonical_query(query: str) -> str:
    if not query:
        return ""
    kept = []
    for pair in query.split("&"):
        if not pair:
            continue
        name, equals, value = pair.partition("=")
        name = _normalize_percent(name, _QUERY_PART_SAFE)
        if is_tracking_parameter(_PERCENT.sub(lambda m: chr(int(m.group(1), 16)), name)):
            continue
        value = _normalize_percent(value, _QUERY_PART_SAFE)
        kept.append((name, f"{name}{equals}{value}"))
    # Sort by name only: a stable sort keeps repeated names (a=1&a=2) in their original order,
    # which some servers read as a list.
    kept.sort(key=lambda item: item[0])
    return "&".join(text for _, text in kept)


def _normalize_percent(component: str, safe: frozenset[str]) -> str:
    """One spelling for percent-encoding: decode unreserved, upper-case the rest, encode unsafe."""
    out: list[str] = []
    index = 0
    length = len(component)
    while index < length:
        char = component[index]
        if char == "%" and _PERCENT.match(component, index):
            decoded = chr(int(component[index + 1 : index + 3], 16))
            if decoded in _UNRESERVED:
                out.append(decoded)
            else:
                out.append(component[index : index + 3].upper())
            index += 3
            continue
        if char in safe:
            out.append(char)
        else:
            out.append("".join(f"%{byte:02X}" for byte in char.encode("utf-8", "surrogatepass")))
        index += 1
    return "".join(out)
