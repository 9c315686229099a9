"""Repair the characters of scraped text that was decoded with the wrong code page.

Scraped text is hostile and dirty (see ``/work/shared/notice/gov-page-as-scraped.txt``: the State
Council notice as a mirror site served it). These repairs work inside lines, in this order:

    1. ``repair_latin1_mojibake``: UTF-8 bytes that were decoded as Latin-1/cp1252.
    2. ``repair_gbk_mojibake``: UTF-8 bytes that were decoded as GBK.
    3. ``repair_shifted_gbk``: GBK text decoded one byte off (``?;貞?``).
    4. ``remove_unrecoverable_chars``: U+FFFD, C1 controls, private-use and invisible characters.

The repairs that can bring characters back come before the removal, because the removal would
destroy the C1 controls and U+FFFD that the first three still read. Every repair works in either
script: text is repaired *before* conversion to simplified characters, because the original
script is kept too. ``yuqing.crawlers.cleanup`` runs them together with the other cleaning steps.
"""

from __future__ import annotations

import functools
import re
from collections import Counter

from yuqing.crawlers.hanzi import CJK_IDEOGRAPH
from yuqing.crawlers.pinyin import is_pinyin

# ---------------------------------------------------------------------------------------------
# Character classes shared by the repairs.

_IS_IDEOGRAPH = re.compile(f"[{CJK_IDEOGRAPH}]")
# What a repaired run may decode to: ideographs, CJK and general punctuation, full-width forms.
_PLAUSIBLE_REPAIR = re.compile(f"[{CJK_IDEOGRAPH}\u2000-\u206f\u3000-\u303f\uff00-\uffef]+")


# ---------------------------------------------------------------------------------------------
# 1. UTF-8 read as Latin-1 / cp1252: "国务院" arrives as "å›½åŠ¡é™¢".


def _cp1252_byte_map() -> dict[str, int]:
    # Each byte 0x80..0xFF shows up as its cp1252 character, or, for the five bytes cp1252 leaves
    # undefined (and for decoders that used Latin-1), as the C1 control of the same number.
    table: dict[str, int] = {}
    for byte in range(0x80, 0x100):
        table[chr(byte)] = byte
        shown = bytes([byte]).decode("cp1252", errors="ignore")
        if shown:
            table[shown] = byte
    return table


_CP1252_BYTE = _cp1252_byte_map()
_LEAD_CHARS = "".join(sorted(c for c, b in _CP1252_BYTE.items() if 0xC2 <= b <= 0xF4))
_CONT_CHARS = "".join(sorted(c for c, b in _CP1252_BYTE.items() if 0x80 <= b <= 0xBF))
# One UTF-8 sequence = a lead byte and one to three continuation bytes; a run is several.
_LATIN1_RUN = re.compile(f"(?:[{re.escape(_LEAD_CHARS)}][{re.escape(_CONT_CHARS)}]{{1,3}})+")


def repair_latin1_mojibake(text: str) -> str:
    """Turn runs like ``å›½åŠ¡é™¢`` back into ``国务院``; remove long runs that do not decode."""
    if text.isascii():
        return text

    def repair(match: re.Match[str]) -> str:
        run = match.group()
        try:
            return bytes(_CP1252_BYTE[c] for c in run).decode("utf-8")
        except UnicodeDecodeError:
            # One lead+continuation pair may be real European text ("é™" in "café™"); two or
            # more that still do not decode are debris.
            leads = sum(_CP1252_BYTE[c] >= 0xC2 for c in run)
            return "" if leads >= 2 else run

    return _LATIN1_RUN.sub(repair, text)


# ---------------------------------------------------------------------------------------------
# 2. UTF-8 read as GBK: "国务院" arrives as "鍥藉姟闄?" (the last byte is lost to the "?").

_UTF8_BYTES = frozenset(range(0x80, 0xC0)) | frozenset(range(0xE0, 0xF0))


def _gbk_chars_made_of_utf8_bytes() -> str:
    # The characters a GBK decoder produces from two bytes that both occur in 3-byte UTF-8
    # (lead bytes E0..EF, continuation bytes 80..BF): the alphabet of this mojibake.
    chars = set()
    for lead in _UTF8_BYTES:
        for trail in _UTF8_BYTES:
            try:
                chars.add(bytes([lead, trail]).decode("gbk"))
            except UnicodeDecodeError:
                continue
    return "".join(sorted(chars))


_GBK_ALPHABET = re.escape(_gbk_chars_made_of_utf8_bytes())
# A stretch of that alphabet, possibly broken by "?" or U+FFFD where bytes were lost.
# At least three letters are needed to judge (see _repair_gbk_segment); excluding shorter ones
# here keeps the many one- and two-letter stretches of ordinary text away from the Python code.
_GBK_SEGMENT = re.compile(
    f"[{_GBK_ALPHABET}]{{3,}}(?:[?\ufffd]+[{_GBK_ALPHABET}]+)*[?\ufffd]*"
    f"|[{_GBK_ALPHABET}]{{1,2}}(?:[?\ufffd]+[{_GBK_ALPHABET}]+)+[?\ufffd]*"
)
_LOST_BYTES = re.compile("[?\ufffd]+")
_MIN_REPAIRED = 2  # decoded ideographs needed before a stretch is believed to be mojibake


def repair_gbk_mojibake(text: str) -> str:
    """Turn ``鍥藉姟闄?`` back into ``国务``; what does not decode inside such a run goes."""
    if text.isascii():
        return text
    return _GBK_SEGMENT.sub(_repair_gbk_segment, text)


def _repair_gbk_segment(match: re.Match[str]) -> str:
    segment = match.group()
    pieces = _LOST_BYTES.split(segment)
    letters = "".join(pieces)
    if len(letters) < 3 or 2 * sum(not _is_common_gbk(c) for c in letters) < len(letters):
        return segment  # too short to judge, or made of common characters: real text
    ends_with_loss = segment[-1] in "?\ufffd"
    out: list[str] = []
    for index, piece in enumerate(pieces):
        first = index == 0
        last = index == len(pieces) - 1 and not ends_with_loss
        out.append(_decode_piece(piece, keep_head=first, keep_tail=last))
    repaired = "".join(out)
    if not _looks_like_decoded_text(repaired, original=segment):
        return segment
    return repaired


def _decode_piece(piece: str, *, keep_head: bool, keep_tail: bool) -> str:
    """Decode the UTF-8 hidden in one piece; drop the characters that do not decode.

    Undecodable characters before the first decoded one (``keep_head``) or after the last one
    (``keep_tail``) are kept when they are common characters: real text next to the mojibake.
    Between decoded parts, or next to a lost byte, they are debris of characters that lost bytes.
    """
    out: list[str] = []
    pending: list[str] = []
    decoded_any = False
    position = 0
    while position < len(piece):
        decoded, used = _decode_utf8_from_gbk(piece[position:])
        if used:
            if not decoded_any and keep_head:
                out.extend(pending)
            pending = []
            out.append(decoded)
            decoded_any = True
            position += used
        else:
            pending.append(piece[position])
            position += 1
    if pending and (keep_tail or (keep_head and not decoded_any)):
        if all(_is_common_gbk(c) for c in pending):
            out.extend(pending)
    return "".join(out)


def _decode_utf8_from_gbk(chars: str) -> tuple[str, int]:
    """Decode the longest UTF-8 text at the start of ``chars``; return it and the chars used."""
    data = chars.encode("gbk")
    if not 0xE0 <= data[0] <= 0xEF:
        return "", 0
    try:
        decoded = data.decode("utf-8")
    except UnicodeDecodeError as error:
        decoded = data[: error.start].decode("utf-8")
    # Only whole GBK characters can be replaced: cut back to a UTF-8 boundary at an even byte.
    size = 0
    keep = 0
    for index, char in enumerate(decoded, start=1):
        size += len(char.encode("utf-8"))
        if size % 2 == 0:
            keep = index
    decoded = decoded[:keep]
    if not decoded or not _PLAUSIBLE_REPAIR.fullmatch(decoded):
        return "", 0
    return decoded, len(decoded.encode("utf-8")) // 2


def _looks_like_decoded_text(repaired: str, *, original: str) -> bool:
    # Real text sometimes decodes too ("羊涓村，" is a village name, and also "临壬" read as
    # mojibake). Mojibake is made of rare characters (checked by the caller) and decodes to
    # common ones; real Chinese text is the other way round.
    ideographs = [c for c in repaired if _IS_IDEOGRAPH.match(c) and c not in original]
    common = sum(_is_common_hanzi(c) for c in ideographs)
    return len(ideographs) >= _MIN_REPAIRED and 2 * common >= len(ideographs)


@functools.lru_cache(maxsize=8192)
def _is_common_gbk(char: str) -> bool:
    """GB2312 punctuation or a level-1 (the most frequent 3,755) character."""
    try:
        lead, trail = char.encode("gbk")
    except ValueError:
        return False
    # A1..A3: punctuation, numerals, full-width ASCII; A4..A9 (kana, Greek, Cyrillic, pinyin,
    # box drawing) is rare in Chinese text but common in mojibake.
    return trail >= 0xA1 and (0xA1 <= lead <= 0xA3 or 0xB0 <= lead <= 0xD7)


@functools.lru_cache(maxsize=8192)
def _is_common_hanzi(char: str) -> bool:
    """A frequent character in simplified (GB2312 level 1) or traditional (Big5 level 1) use."""
    if _is_common_gbk(char):
        return True
    try:
        lead = char.encode("big5")[0]
    except UnicodeEncodeError:
        return False
    return 0xA4 <= lead <= 0xC6


# ---------------------------------------------------------------------------------------------
# 3. GBK read one byte off: "。回應" (A1A3 BBD8 91AA) arrives as "?；貞?" — the first and last
#    bytes are lost to "?" and the pairs in between straddle the real characters. The lost bytes
#    cannot be read back, so they are filled in from the document itself: the characters that
#    fit the surviving half and occur most often elsewhere in the same text. The last lost byte
#    may have taken the next ASCII character with it: in the scraped notice "應(yīng)" became
#    "貞?yīng)", so an orphaned "pinyin)" right after the run goes too.

_SHIFTED_RUN = re.compile(
    f"[?\ufffd]([{CJK_IDEOGRAPH}\u3000-\u303f\uff01-\uff5e!-/:;@\\[\\]^_`{{|}}~]{{1,12}}?)[?\ufffd]"
    "(?:([^\\s()（）?\ufffd]{1,24})[)）])?"
)
_MIN_EVIDENCE = 3  # occurrences elsewhere needed to fill in a lost byte


def repair_shifted_gbk(text: str) -> str:
    """Repair ``?;貞?`` into ``。回應`` when the document itself shows which characters fit."""
    if "?" not in text and "\ufffd" not in text:
        return text
    counts: Counter[str] | None = None

    def repair(match: re.Match[str]) -> str:
        nonlocal counts
        interior = match.group(1)
        # The hallmark of a shifted decode: punctuation or a GBK-extension character produced
        # by a pair that straddles two real characters. Plain simplified text has neither.
        if not any(_is_shift_hallmark(c) for c in interior):
            return match.group()
        if counts is None:
            counts = Counter(text)
        repaired = _refill_shifted(interior, counts)
        if repaired is None:
            return match.group()
        orphan = match.group(2)
        if orphan is not None and not is_pinyin(orphan):
            return repaired + match.group()[match.start(2) - match.start() :]
        return repaired

    return _SHIFTED_RUN.sub(repair, text)


def _is_shift_hallmark(char: str) -> bool:
    if char.isascii() or "\uff01" <= char <= "\uff5e" or "\u3000" <= char <= "\u303f":
        return True
    try:
        lead, trail = char.encode("gbk")
    except (UnicodeEncodeError, ValueError):
        return False
    return lead < 0xA1 or trail < 0xA1  # outside GB2312


def _refill_shifted(interior: str, counts: Counter[str]) -> str | None:
    try:
        # ASCII punctuation here was full-width before someone folded it (";" was "；").
        data = "".join(chr(ord(c) + 0xFEE0) if c.isascii() else c for c in interior).encode("gbk")
    except UnicodeEncodeError:
        return None
    if len(data) % 2:
        return None
    middle = []
    for index in range(1, len(data) - 1, 2):
        try:
            char = data[index : index + 2].decode("gbk")
        except UnicodeDecodeError:
            return None
        if not _PLAUSIBLE_REPAIR.fullmatch(char) or counts[char] == 0:
            return None
        middle.append(char)
    first = _likeliest(counts, trail=data[0])
    last = _likeliest(counts, lead=data[-1])
    if first is None or last is None:
        return None
    return first + "".join(middle) + last


def _likeliest(
    counts: Counter[str], *, lead: int | None = None, trail: int | None = None
) -> str | None:
    candidates = []
    for char, count in counts.items():
        if not _PLAUSIBLE_REPAIR.fullmatch(char):
            continue
        try:
            data = char.encode("gbk")
        except UnicodeEncodeError:
            continue
        if (
            len(data) == 2
            and (lead is None or data[0] == lead)
            and (trail is None or data[1] == trail)
        ):
            candidates.append((count, char))
    candidates.sort(reverse=True)
    if not candidates or candidates[0][0] < _MIN_EVIDENCE:
        return None
    if len(candidates) > 1 and candidates[0][0] < 2 * candidates[1][0]:
        return None  # no clear winner: better to leave the run than to invent text
    return candidates[0][1]


# ---------------------------------------------------------------------------------------------
# 4. Characters that carry nothing: U+FFFD (bytes already lost), C1 controls (bytes decoded with
#    the wrong code page), private-use characters (icon fonts, undefined GBK code points), and
#    invisible characters used to slip spam past filters or to reorder displayed text.

_UNRECOVERABLE = re.compile(
    "[\ufffd\x80-\x9f\ue000-\uf8ff\U000f0000-\U0010ffff"
    "\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]+"
)
# Terminal escape sequences and C0 controls other than tab and line ends: they have no place in
# a post, and PostgreSQL refuses NUL in text outright.
_CONTROLS = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|[@-Z\\-_])?|[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def remove_unrecoverable_chars(text: str) -> str:
    """Remove control characters and escape sequences, replacement characters, C1 controls,
    private-use and invisible characters."""
    text = _CONTROLS.sub("", text)
    if text.isascii():
        return text
    return _UNRECOVERABLE.sub("", text)
