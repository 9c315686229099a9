"""Repair and clean the text of scraped Chinese pages and feed entries.

Scraped text is hostile and dirty (see ``/work/shared/notice/gov-page-as-scraped.txt``: the State
Council notice as a mirror site served it). Two kinds of cleaning, in this order:

Character level (inside lines)
    1. ``repair_latin1_mojibake``: UTF-8 bytes that were decoded as Latin-1/cp1252.
    2. ``repair_gbk_mojibake``: UTF-8 bytes that were decoded as GBK.
    3. ``repair_shifted_gbk``: GBK text decoded one byte off (``?;貞?``).
    4. ``remove_unrecoverable_chars``: U+FFFD, C1 controls, private-use and invisible characters.
    5. ``remove_pinyin_annotations``: ``號(hào)`` → ``號``.

Line level (a line is dropped when one of ``LINE_RULES`` says so; the rules see a line after the
character repairs, so ``相關(guān)解讀`` is recognised as ``相关解读``).

Repairs come first because the line rules must see real characters; the pinyin goes before the
line rules because annotated navigation (``相關(guān)解讀``) must still be recognised.
Every rule works in either script: text is cleaned *before* conversion to simplified characters,
because the original script is kept too.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections import Counter
from collections.abc import Callable

from yuqing.crawlers.chinese import to_simplified

# ---------------------------------------------------------------------------------------------
# Character classes shared by the rules.

_CJK_IDEOGRAPH = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
_IS_IDEOGRAPH = re.compile(f"[{_CJK_IDEOGRAPH}]")
# What a repaired run may decode to: ideographs, CJK and general punctuation, full-width forms.
_PLAUSIBLE_REPAIR = re.compile(f"[{_CJK_IDEOGRAPH}\u2000-\u206f\u3000-\u303f\uff00-\uffef]+")


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
    f"[?\ufffd]([{_CJK_IDEOGRAPH}\u3000-\u303f\uff01-\uff5e!-/:;@\\[\\]^_`{{|}}~]{{1,12}}?)[?\ufffd]"
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


# ---------------------------------------------------------------------------------------------
# 5. Pinyin injected after characters: "號(hào)", "機(jī)構(gòu)", "國(guó wù)", "号(hao4)".

# Finals that may follow each initial ("" = no initial), toneless, with "v" for ü.
_SYLLABLES_BY_INITIAL = {
    "": "a o e ai ei ao ou an en ang eng er yi ya ye yao you yan yin yang ying yo yong yu yue "
    "yuan yun wu wa wo wai wei wan wen wang weng m n ng hm hng",
    "b": "a o ai ei ao an en ang eng i ie iao ian in ing u",
    "p": "a o ai ei ao ou an en ang eng i ie iao ian in ing u",
    "m": "a o e ai ei ao ou an en ang eng i ie iao iu ian in ing u",
    "f": "a o ei ou an en ang eng u",
    "d": "a e ai ei ao ou an en ang eng ong i ie iao iu ian ing u uo ui uan un",
    "t": "a e ai ao ou an ang eng ong i ie iao ian ing u uo ui uan un",
    "n": "a e ai ei ao ou an en ang eng ong i ie iao iu ian in iang ing u uo uan un v ve",
    "l": "a o e ai ei ao ou an ang eng ong i ia ie iao iu ian in iang ing u uo uan un v ve",
    "g": "a e ai ei ao ou an en ang eng ong u ua uo uai ui uan un uang",
    "k": "a e ai ei ao ou an en ang eng ong u ua uo uai ui uan un uang",
    "h": "a e ai ei ao ou an en ang eng ong u ua uo uai ui uan un uang",
    "j": "i ia ie iao iu ian in iang ing iong u ue uan un",
    "q": "i ia ie iao iu ian in iang ing iong u ue uan un",
    "x": "i ia ie iao iu ian in iang ing iong u ue uan un",
    "zh": "a e i ai ei ao ou an en ang eng ong u ua uo uai ui uan un uang",
    "ch": "a e i ai ao ou an en ang eng ong u ua uo uai ui uan un uang",
    "sh": "a e i ai ei ao ou an en ang eng u ua uo uai ui uan un uang",
    "r": "e i ao ou an en ang eng ong u ua uo ui uan un",
    "z": "a e i ai ei ao ou an en ang eng ong u uo ui uan un",
    "c": "a e i ai ao ou an en ang eng ong u uo ui uan un",
    "s": "a e i ai ao ou an en ang eng ong u uo ui uan un",
}
PINYIN_SYLLABLES = frozenset(
    initial + final for initial, finals in _SYLLABLES_BY_INITIAL.items() for final in finals.split()
)
_LONGEST_SYLLABLE = max(map(len, PINYIN_SYLLABLES))
# Combining tone marks (macron, acute, caron, grave) after NFD decomposition.
_TONE_MARKS = re.compile("[\u0304\u0301\u030c\u0300]")
_PINYIN_TOKEN = re.compile(r"(?:[a-zv]+[1-5]?)+")
_ANNOTATION = re.compile(f"(?<=[{_CJK_IDEOGRAPH}])[(（]([^()（）\\n]{{1,40}})[)）]")


def is_pinyin(candidate: str) -> bool:
    """True when ``candidate`` is lower-case pinyin with at least one tone (mark or digit).

    ``"hào"``, ``"guó wù"``, ``"jīgòu"``, ``"hao4"`` are pinyin; ``"GDP"``, ``"2016"``, ``"室"``
    and untoned ``"an"`` (too easily an ordinary word or abbreviation) are not.
    """
    decomposed = unicodedata.normalize("NFD", candidate.strip())
    toneless = _TONE_MARKS.sub("", decomposed)
    has_tone = len(toneless) != len(decomposed)
    plain = unicodedata.normalize("NFC", toneless).replace("ü", "v").replace("u:", "v")
    if not plain or plain != plain.lower():
        return False
    for token in re.split(r"[\s'’·-]+", plain):
        if not token:
            continue
        if not _PINYIN_TOKEN.fullmatch(token):
            return False
        has_tone = has_tone or any(c.isdigit() for c in token)
        if not all(_segments(part) for part in re.split(r"[1-5]", token) if part):
            return False
    return has_tone


@functools.lru_cache(maxsize=4096)
def _segments(letters: str) -> bool:
    """Whether ``letters`` splits into valid syllables ("jigou" → ji gou)."""
    if not letters:
        return True
    return any(
        letters[:size] in PINYIN_SYLLABLES and _segments(letters[size:])
        for size in range(min(_LONGEST_SYLLABLE, len(letters)), 0, -1)
    )


def remove_pinyin_annotations(text: str) -> str:
    """Remove ``(pinyin)`` right after a Chinese character; other parentheses stay."""
    if "(" not in text and "（" not in text:
        return text
    return _ANNOTATION.sub(lambda m: "" if is_pinyin(m.group(1)) else m.group(), text)


# ---------------------------------------------------------------------------------------------
# Line rules. Each takes one line (character repairs done, spaces collapsed, stripped, not empty)
# and says whether it is page furniture rather than content.

_TAG = re.compile(r"</?[a-zA-Z][^<>]*>|<!--.*?-->|<!\[CDATA\[|\]\]>|&#?\w+;")
_LIST_MARKER = r"(?:\d{1,3}[.)、]|[(（]\d{1,3}[)）]|[•·▪●○◆◇■□►▶*-])"
_LEADING_LIST_MARKER = re.compile(rf"\s*{_LIST_MARKER}")
_EMOJI_START = "\U0001f000"  # emoji are a reaction, i.e. content, not layout


def _has_no_words(text: str) -> bool:
    """Only punctuation, symbols and spaces (after an optional list marker such as "2.")."""
    text = _LEADING_LIST_MARKER.sub("", text, count=1)
    return not any(c.isalnum() or c >= _EMOJI_START for c in text)


def is_markup_only(line: str) -> bool:
    # Leftover tags (a scraper that saved half the markup, like the <menuitem><cite> lines of the
    # scraped notice) carry no text; a list marker in front of them ("2. <address>") neither.
    stripped = _TAG.sub("", line)
    return stripped != line and _has_no_words(stripped)


def is_separator(line: str) -> bool:
    # "| | | |", "------", "•", "2." — layout that survived as characters, with no words in it.
    return _has_no_words(line)


NAVIGATION_LINES = frozenset(
    {
        "相关解读", "相关政策", "相关稿件", "相关文件", "相关链接", "相关新闻", "相关阅读",
        "相关报道", "扫一扫在手机上查看当前页面", "扫一扫在手机打开当前页", "打印本页", "打印",
        "关闭窗口", "关闭本页", "关闭", "返回顶部", "返回首页", "返回", "分享到", "分享", "收藏",
        "上一篇", "下一篇", "首页", "网站地图", "联系我们", "我要纠错", "纠错", "加入收藏",
        "设为首页", "无障碍", "长者模式", "English",
    }
)  # fmt: skip
NAVIGATION_PREFIXES = ("当前位置:", "您的位置:", "您现在的位置:", "您当前的位置:", "分享到:")
_FONT_SIZE_WIDGET = re.compile(r"字\s*[体号]\s*[:：]?\s*[【\[]?\s*大\s*中\s*小\s*[】\]]?")
_NAV_SEPARATORS = re.compile(r"[\s|｜/·•>»【】\[\]()（）<>《》「」]+")
_MAX_NAV_LINE = 60


def is_navigation(line: str) -> bool:
    # Links and widgets around the article (related items, print/close, font size, breadcrumbs,
    # "scan to read on your phone"): short lines made only of known navigation items.
    if len(line) > _MAX_NAV_LINE:
        return False
    key = _simplified(line).replace("：", ":")
    if key.replace(" ", "").startswith(NAVIGATION_PREFIXES):
        return True
    without_widget, widgets = _FONT_SIZE_WIDGET.subn(" ", key)
    parts = [p for p in _NAV_SEPARATORS.split(without_widget) if p]
    if not parts:
        return widgets > 0
    return all(p in NAVIGATION_LINES for p in parts)


METADATA_LABELS = (
    "索引号", "信息分类", "主题分类", "分类", "发布机构", "发文机关", "发布日期", "成文日期",
    "发布时间", "标题", "文号", "发文字号", "时效", "有效性", "来源", "信息来源", "作者",
    "责任编辑", "编辑", "浏览次数", "点击数", "阅读数", "公开方式", "公开范围", "体裁分类",
    "组配分类", "主题词",
)  # fmt: skip
_METADATA = re.compile(
    rf"\s*{_LIST_MARKER}?\s*(?:{'|'.join(sorted(METADATA_LABELS, key=len, reverse=True))})\s*:"
)
_MAX_METADATA_LINE = 150


def is_metadata(line: str) -> bool:
    # The "label: value" table of a government page (索引号, 发布机构, 标题 …) and the
    # "发布时间:… 来源:…" line: a record of the page, not the post's text. A sentence that
    # happens to start with such a word ends in 。 and is kept.
    if len(line) > _MAX_METADATA_LINE or ("。" in line and not line.rstrip().endswith(":")):
        return False
    if ":" not in line and "：" not in line:
        return False
    key = re.sub(r"(?<=\S) (?=\S)", "", _simplified(line).replace("：", ":"))
    return _METADATA.match(key) is not None


SPAM_KEYWORDS = (
    # pornography link farms
    "国产精品", "精品视频", "一级毛片", "毛片", "无码", "有码", "三级", "在线观看", "在线播放",
    "在线精品", "久久", "亚洲", "欧美", "日韩", "中文字幕", "人妻", "孕妇", "黄色网站", "色情",
    "成人视频", "成人网站", "自拍", "偷拍", "美女", "视频一区", "二区", "三区", "高清",
    # gambling link farms
    "彩票", "博彩", "澳门", "娱乐城", "赌场", "百家乐", "老虎机", "真人娱乐", "棋牌", "葡京",
    "威尼斯人", "太阳城", "注册送", "开户", "下注",
)  # fmt: skip
_SPAM_KEYWORD = re.compile("|".join(sorted(SPAM_KEYWORDS, key=len, reverse=True)))
_CLAUSE_PUNCTUATION = re.compile(r"[。，,；;！!？?：:]")
_SPAM_SEGMENTS = re.compile(r"[_\s|]+")


def is_seo_spam(line: str) -> bool:
    # Link-farm footers injected into hacked or mirrored pages: porn and gambling keywords strung
    # together, usually joined with "_". Prose about gambling or pornography (news on a
    # crackdown) is written in sentences with punctuation and keeps its lines.
    joined_by_underscore = "_" in line
    if _CLAUSE_PUNCTUATION.search(line) and not joined_by_underscore:
        return False
    key = _simplified(line).lower()
    hits = _SPAM_KEYWORD.findall(key)
    if len(hits) < 2:
        return False
    segments_with_keywords = sum(
        1 for seg in _SPAM_SEGMENTS.split(key) if seg and _SPAM_KEYWORD.search(seg)
    )
    if joined_by_underscore and segments_with_keywords >= 2:
        return True
    if _CLAUSE_PUNCTUATION.search(line):
        return False
    return segments_with_keywords >= 3 or len(hits) >= 5


#: The rules, in the order they are tried; a line is dropped by the first that matches.
LINE_RULES: tuple[Callable[[str], bool], ...] = (
    is_markup_only,
    is_separator,
    is_navigation,
    is_metadata,
    is_seo_spam,
)


def drop_reason(line: str) -> str | None:
    """The name of the rule that drops ``line`` (already cleaned and stripped), or ``None``."""
    for rule in LINE_RULES:
        if rule(line):
            return rule.__name__
    return None


@functools.lru_cache(maxsize=2048)
def _simplified(line: str) -> str:
    # Several rules look at the same short line; convert it once.
    return to_simplified(line)


# ---------------------------------------------------------------------------------------------
# Putting it together.

_SPACES = re.compile(r"[^\S\n]+")
_NEWLINES = re.compile(r"\r\n?|[\u2028\u2029\x0b\x0c\x85]")


def repair_characters(text: str) -> str:
    """All character-level repairs (1–5 above), in order; line structure is untouched."""
    text = repair_latin1_mojibake(text)
    text = repair_gbk_mojibake(text)
    text = repair_shifted_gbk(text)
    text = remove_unrecoverable_chars(text)
    return remove_pinyin_annotations(text)


def clean_text(text: str) -> str:
    """Repair characters, normalise spaces and drop furniture lines.

    Lines are kept as lines; runs of blank lines become one blank line; the result has no
    leading or trailing blank lines.
    """
    text = repair_characters(_NEWLINES.sub("\n", text))
    kept: list[str] = []
    for raw_line in text.split("\n"):
        line = _SPACES.sub(" ", raw_line).strip()
        if not line:
            if kept and kept[-1]:
                kept.append("")
            continue
        if drop_reason(line) is None:
            kept.append(line)
    while kept and not kept[-1]:
        kept.pop()
    return "\n".join(kept)


def clean_inline(text: str) -> str:
    """Clean a one-line value (a title): character repairs, all whitespace to single spaces."""
    return " ".join(repair_characters(text).split())
