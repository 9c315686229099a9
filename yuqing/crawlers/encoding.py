"""Turn a feed body in whatever charset it came in into UTF-8 bytes for feedparser.

Chinese feeds are often GBK/GB2312/GB18030, declared in the XML prolog, in the HTTP charset,
both (sometimes contradicting each other), or not at all. The bytes settle it:

1. A byte-order mark wins (UTF-8, UTF-16, UTF-32); so do UTF-16 bytes that start ``<?``.
2. Bytes that are valid UTF-8 are UTF-8, whatever is declared: Chinese text in GBK is
   practically never valid UTF-8, while a stale "gb2312" prolog on a re-encoded feed is common.
   This is the fast path: the body is returned as the very same object.
3. UTF-8 with a little damage (a character cut in half by a CMS) stays UTF-8, the damage
   replaced by U+FFFD: such bytes often decode as GB18030 without a single error, as nonsense.
4. Otherwise try, in order: any GB-family declaration (as GB18030); any other specific
   declaration, HTTP before prolog (RFC 7303); GB18030 undeclared (the usual case in China);
   and last the "weak" Western declarations (ASCII, Latin-1, windows-1252), which decode almost
   any bytes and so say nothing: servers such as Tomcat send ``charset=ISO-8859-1`` by default.
5. If nothing decodes cleanly, pick the candidate with the fewest undecodable bytes and replace
   those with U+FFFD (``Transcoded.lossy``).

GB2312 and GBK labels are read as GB18030, a superset of both: feeds labelled "gb2312"
routinely contain GBK-only characters such as 镕 and 堃.

The XML declaration's encoding is rewritten to utf-8 so that no later parser decodes again.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

_UTF8 = "utf-8"
_GB18030 = "gb18030"

#: labels of the GB family; codecs does not know some (WHATWG Encoding Standard lists them)
_GB_LABELS = frozenset(
    {
        "gb2312",
        "gb_2312",
        "gb_2312-80",
        "csgb2312",
        "csiso58gb231280",
        "iso-ir-58",
        "chinese",
        "euc-cn",
        "x-euc-cn",
        "gbk",
        "x-gbk",
        "cp936",
        "ms936",
        "windows-936",
        "gb18030",
    }
)
#: declarations that decode nearly any bytes, so they tell us nothing (codecs' canonical names)
_WEAK = frozenset({"ascii", "iso8859-1", "cp1252"})
#: codecs that are no charset a feed could be in; a hostile server may still name them, and
#: punycode, for one, decodes in quadratic time
_NOT_CHARSETS = frozenset(
    {"idna", "punycode", "unicode-escape", "raw-unicode-escape", "utf-7", "undefined", "charmap"}
)

_BOMS = (
    # UTF-32 before UTF-16: the UTF-32-LE mark starts with the UTF-16-LE one.
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, _UTF8),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
#: "<?" in UTF-16 without a byte-order mark
_UTF16_STARTS = ((b"<\x00?\x00", "utf-16-le"), (b"\x00<\x00?", "utf-16-be"))

# Only the document's first bytes are searched: the declaration must open the document.
_PROLOG_WINDOW = 512
_PROLOG_BYTES = re.compile(rb"\s*<\?xml\b[^>]*?\bencoding\s*=\s*[\"']([A-Za-z0-9._:-]*)[\"']")
_PROLOG_TEXT = re.compile(r"\s*<\?xml\b[^>]*?\bencoding\s*=\s*[\"']([A-Za-z0-9._:-]*)[\"']")


@dataclass(frozen=True)
class Transcoded:
    #: the document as UTF-8, its XML declaration (if any) saying so
    data: bytes
    #: the encoding the bytes were read as (codecs' name, e.g. ``gb18030``); None for no bytes
    encoding: str | None
    #: whether some bytes could not be decoded and were replaced by U+FFFD
    lossy: bool = False


def to_utf8(body: bytes, content_type: str | None) -> tuple[bytes, str | None]:
    """UTF-8 bytes for feedparser, and the encoding the body was read as."""
    result = transcode(body, content_type)
    return result.data, result.encoding


def transcode(body: bytes, content_type: str | None) -> Transcoded:
    """Like ``to_utf8``, and also says whether undecodable bytes had to be replaced."""
    if not body:
        return Transcoded(body, None)
    for mark, encoding in _BOMS:
        if body.startswith(mark):
            return _decode(body[len(mark) :], encoding)
    for start, encoding in _UTF16_STARTS:
        if body.startswith(start):
            return _decode(body, encoding)
    prolog = _PROLOG_BYTES.match(body, 0, _PROLOG_WINDOW)
    if _is_utf8(body):
        if prolog is not None and _canonical(prolog.group(1).decode("ascii")) != _UTF8:
            body = body[: prolog.start(1)] + b"utf-8" + body[prolog.end(1) :]
        return Transcoded(body, _UTF8)
    as_utf8 = body.decode(_UTF8, errors="replace")
    if _mostly_utf8(body, as_utf8):
        return _encode(as_utf8, _UTF8, lossy=True)
    declared = [_canonical(charset_of(content_type))]
    if prolog is not None:
        declared.append(_canonical(prolog.group(1).decode("ascii")))
    for encoding in _candidates(declared):
        try:
            text = body.decode(encoding)
        except UnicodeError:
            continue
        return _encode(text, encoding, lossy=False)
    return _least_damaged(body, declared)


def charset_of(content_type: str | None) -> str | None:
    """The ``charset`` parameter of a Content-Type header value, or None."""
    if not content_type:
        return None
    for parameter in content_type.split(";")[1:]:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset":
            return value.strip().strip("\"'") or None
    return None


def _is_utf8(body: bytes) -> bool:
    if body.isascii():
        return True
    try:
        body.decode(_UTF8)
    except UnicodeDecodeError:
        return False
    return True


def _mostly_utf8(body: bytes, as_utf8: str) -> bool:
    """Whether ``body`` is UTF-8 with a little damage (say a character cut in half).

    Such bytes often decode as GB18030 without a single error, into nonsense, so this is
    checked before any declared or guessed encoding. ``len(body) - len(as_utf8)`` counts the
    bytes beyond the first of each well-formed multi-byte character; GBK text read as UTF-8
    yields mostly U+FFFD and hardly any such characters.
    """
    damage = as_utf8.count("\ufffd")
    return damage * 10 < len(body) - len(as_utf8)


def _canonical(label: str | None) -> str | None:
    """codecs' name for an encoding label, GB-family labels as gb18030; None if unknown."""
    if not label:
        return None
    label = label.strip().lower()
    if label in _GB_LABELS:
        return _GB18030
    try:
        info = codecs.lookup(label)
    except LookupError:
        return None
    name = info.name
    # bytes.decode refuses codecs flagged as not text encodings (base64, rot13...): skip them
    if name in _NOT_CHARSETS or not getattr(info, "_is_text_encoding", True):
        return None
    return _GB18030 if name in ("gb2312", "gbk") else name


def _candidates(declared: list[str | None]) -> list[str]:
    """Encodings to try strictly, in order, for bytes that are not UTF-8."""
    known = [name for name in declared if name is not None and name != _UTF8]
    order = [_GB18030] if _GB18030 in known else []
    order += [name for name in known if name not in _WEAK]
    order.append(_GB18030)
    order += [name for name in known if name in _WEAK]
    return list(dict.fromkeys(order))  # drop repeats, keep order


def _least_damaged(body: bytes, declared: list[str | None]) -> Transcoded:
    best: tuple[int, str, str] | None = None
    for encoding in [*_candidates(declared), _UTF8]:
        if encoding in _WEAK:
            continue  # they decode everything, so they would always look undamaged
        text = body.decode(encoding, errors="replace")
        damage = text.count("\ufffd")
        if best is None or damage < best[0]:
            best = (damage, encoding, text)
    assert best is not None  # the candidates always include gb18030 and utf-8
    return _encode(best[2], best[1], lossy=True)


def _decode(body: bytes, encoding: str) -> Transcoded:
    """Decode with an encoding we are sure of (a byte-order mark), replacing bad bytes."""
    if encoding == _UTF8 and _is_utf8(body):
        prolog = _PROLOG_BYTES.match(body, 0, _PROLOG_WINDOW)
        if prolog is None or _canonical(prolog.group(1).decode("ascii")) == _UTF8:
            return Transcoded(body, _UTF8)
    try:
        return _encode(body.decode(encoding), encoding, lossy=False)
    except UnicodeDecodeError:
        return _encode(body.decode(encoding, errors="replace"), encoding, lossy=True)


def _encode(text: str, encoding: str, *, lossy: bool) -> Transcoded:
    prolog = _PROLOG_TEXT.match(text, 0, _PROLOG_WINDOW)
    if prolog is not None and _canonical(prolog.group(1)) != _UTF8:
        text = text[: prolog.start(1)] + _UTF8 + text[prolog.end(1) :]
    return Transcoded(text.encode(_UTF8), encoding, lossy)
