"""Recognise the lines of a scraped page that are page furniture rather than content.

Scraped pages bring their surroundings along (see ``/work/shared/notice/gov-page-as-scraped.txt``):
leftover markup, separators, navigation links and widgets, the "label: value" metadata table of a
government page, and link-farm spam injected into hacked or mirrored pages. Each rule here takes
one line and says whether it is such furniture; ``LINE_RULES`` lists them and ``drop_reason``
names the first that matches. The rules expect a line whose characters are already repaired, so
that ``相關(guān)解讀`` has become ``相關解讀`` (``yuqing.crawlers.cleanup`` does that first).
Every rule works in either script: the rules that look for words convert the line to simplified
characters before comparing.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable

from yuqing.crawlers.chinese import to_simplified

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
