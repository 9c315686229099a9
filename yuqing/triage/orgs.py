"""The organisation directory: which departments a post is about, and what they are called.

Section 一 of 国办发〔2016〕61号 makes the department involved (涉事责任部门) the first responsible
party, with the same-level government office (办公厅/室) and the propaganda department
co-ordinating; for a vertically managed department (垂直管理) the office of its higher level
co-ordinates; when several departments are involved one may lead (牵头部门); for 特别重大 matters
the main leader of that level's government is responsible.

The departments, their names at each level, aliases, duties (as topic words with weights), lead
ranks and the local government forms are data: ``organisations.toml`` beside this module, whose
header documents every field. This module loads and checks that file (`load_organisations`),
recognises departments in a post (`Organisations.recognise`), picks a lead (`Organisations.lead`)
and names offices and leaders.

Levels are the strings "national", "province", "city", "county"; a region is its full name
("河南省", "郑州市", "中牟县").
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from string import Formatter
from types import MappingProxyType
from typing import Any

NATIONAL, PROVINCE, CITY, COUNTY = "national", "province", "city", "county"
LEVELS = (NATIONAL, PROVINCE, CITY, COUNTY)
MUNICIPALITY = "municipality"  # a name key, not a level: province-level cities (直辖市)

AREAS = (
    "城乡建设",
    "环境保护",
    "交通运输",
    "教育文体",
    "劳动和社会保障",
    "商贸旅游",
    "卫生计生",
    "公共安全",
    "农业农村",
    "民政",
    "其他",
)

#: score for each distinct name or alias of a department found in a post
NAME_SCORE = 10.0
#: occurrences of one topic word that count (a post repeating 噪音 ten times is not ten times as
#: much about noise)
MAX_OCCURRENCES = 3
#: a topic-matched department must score at least this share of the top score to be considered
#: for the lead
LEAD_SHARE = 0.5
#: the region placeholder when the caller does not know the place
UNKNOWN_REGION = "属地"

# Longest first, so that 自治区 wins over 区 and 新区 over 区.
_ADMIN_SUFFIXES = (
    "特别行政区",
    "自治区",
    "自治州",
    "自治县",
    "自治旗",
    "地区",
    "新区",
    "林区",
    "特区",
    "省",
    "市",
    "县",
    "区",
    "旗",
    "盟",
)
_PLACEHOLDERS = frozenset({"region", "short"})
_CODE = re.compile(r"[a-z][a-z0-9_]*\Z")

_DEPARTMENT_FIELDS = frozenset(
    {
        "code",
        "area",
        "lead_rank",
        "names",
        "aliases",
        "topics",
        "vertical",
        "national_office",
        "covered_by",
        "part_of",
    }
)
_KIND_FIELDS = frozenset({"level", "suffix", "government", "office", "party_committee", "leader"})
_NATIONAL_FIELDS = frozenset(
    {"government", "general_office", "propaganda_department", "main_leader"}
)
_TOP_FIELDS = frozenset({"national", "regions", "region_kind", "department"})


class OrganisationsError(ValueError):
    """The organisation directory is unusable; the message names the file, entry and field."""


def normalise(text: str) -> str:
    """The form both posts and directory words are compared in: NFKC (full-width digits and
    Latin letters become ASCII) and case-folded (ETC = etc)."""
    return unicodedata.normalize("NFKC", text).casefold()


def _check_level(level: str) -> None:
    if level not in LEVELS:
        raise ValueError(f"unknown level {level!r}; expected one of {', '.join(LEVELS)}")


@dataclass(frozen=True)
class _Places:
    """What turns a region's full name into its short name ({short})."""

    ethnic_groups: tuple[str, ...] = ()

    def short(self, region: str) -> str:
        for suffix in _ADMIN_SUFFIXES:
            if region.endswith(suffix) and len(region) > len(suffix):
                stem = region[: -len(suffix)]
                break
        else:
            return region
        if suffix.startswith("自治"):
            stem = self._strip_ethnic(stem)
        return stem

    def _strip_ethnic(self, stem: str) -> str:
        # 湘西土家族苗族 → 湘西; 新疆维吾尔 → 新疆; but 内蒙古 and 西藏 keep their names: a
        # one-character remainder means the "ethnic name" was part of the place name.
        groups = sorted(self.ethnic_groups, key=len, reverse=True)
        changed = True
        while changed:
            changed = False
            for group in groups:
                endings = [group + "族"] + ([group] if len(group) > 1 else [])
                for ending in endings:
                    if stem.endswith(ending) and len(stem) - len(ending) >= 2:
                        stem = stem[: -len(ending)]
                        changed = True
                        break
                if changed:
                    break
        return stem


@dataclass(frozen=True)
class Department:
    """One working department (or vertical system) of government.

    ``names`` maps a level (and optionally "municipality") to a name template; see the header
    of organisations.toml. Use `name_at` rather than reading the templates.
    """

    code: str
    area: str
    lead_rank: int
    names: Mapping[str, str] = field(compare=False)
    aliases: tuple[str, ...] = ()
    topics: Mapping[str, float] = field(default_factory=dict, compare=False)
    vertical: bool = False
    #: vertical systems: the national body's own office, which co-ordinates its province units
    national_office: str = ""
    #: the department acting where this one has no unit (城管 → 住建 nationally)
    covered_by: Department | None = field(default=None, compare=False, repr=False)
    #: code of the department this one is a unit of (交警 → public_security)
    part_of: str | None = None
    #: position in the data file, the last tie-breaker
    order: int = 0
    _places: _Places = field(default_factory=_Places, compare=False, repr=False)

    @property
    def national_name(self) -> str:
        return self.name_at(NATIONAL, "")

    def has_unit(self, level: str) -> bool:
        """Whether the department itself exists at this level (else `covered_by` acts)."""
        _check_level(level)
        return level in self.names

    def name_at(self, level: str, region: str = "") -> str:
        """The department's name at a level in a region: 住房和城乡建设部 (national),
        河南省住房和城乡建设厅, 郑州市住房和城乡建设局, 北京市住房和城乡建设委员会 (a province-level
        city). Where the department has no unit, the covering department's name. An empty region
        reads as 属地 ("the locality")."""
        _check_level(level)
        template = self._template(level, region)
        if template is None:
            # The loader guarantees a covering department for every missing level.
            assert self.covered_by is not None
            return self.covered_by.name_at(level, region)
        if level == NATIONAL:
            return template
        region = region or UNKNOWN_REGION
        if "{" in template:
            return template.format(region=region, short=self._places.short(region))
        return region + template

    def coordinating_office(self, level: str, region: str = "", parent_region: str = "") -> str:
        """The office of this vertical system's higher level, which co-ordinates the response
        when the unit at (level, region) is involved (notice, section 一). ``parent_region`` is
        the region one level up (the province of a city); without it the office is described.
        At the national level the system's own office co-ordinates."""
        _check_level(level)
        if not self.vertical:
            raise ValueError(
                f"department {self.code!r} is not vertically managed: the same-level government's "
                "general office co-ordinates (Organisations.coordination)"
            )
        if level in (NATIONAL, PROVINCE):
            return self.national_office or f"{self.name_at(NATIONAL)}办公厅"
        upper = PROVINCE if level == CITY else CITY
        if parent_region:
            return f"{self.name_at(upper, parent_region)}办公室"
        return f"{self.name_at(level, region)}的上级机关办公室"

    def _template(self, level: str, region: str) -> str | None:
        if level == PROVINCE and region.endswith("市") and not self.vertical:
            # 直辖市 departments mostly carry city-style names (北京市民政局, not 民政厅).
            for key in (MUNICIPALITY, CITY, PROVINCE):
                if key in self.names:
                    return self.names[key]
            return None
        return self.names.get(level)


@dataclass(frozen=True)
class Match:
    """A department a post is about: the names and topic words that point to it."""

    department: Department
    score: float
    named: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()

    @property
    def area(self) -> str:
        return self.department.area


@dataclass(frozen=True)
class _RegionKind:
    level: str
    suffix: str
    government: str
    office: str
    party_committee: str
    leader: str


@dataclass(frozen=True)
class _Owner:
    index: int  # into Organisations.departments
    weight: float  # 0 for a name
    is_name: bool


class Organisations:
    """The loaded directory. Build with `load_organisations`; the matcher is compiled once."""

    def __init__(
        self,
        departments: Iterable[Department],
        national: Mapping[str, str],
        region_kinds: Iterable[_RegionKind],
        places: _Places,
    ) -> None:
        self.departments: tuple[Department, ...] = tuple(departments)
        self._by_code = {d.code: d for d in self.departments}
        self._national = dict(national)
        self._kinds = tuple(region_kinds)
        self._places = places
        owners: dict[str, list[_Owner]] = {}
        for index, department in enumerate(self.departments):
            for name in _recognisable_names(department):
                owners.setdefault(name, []).append(_Owner(index, 0.0, True))
            for word, weight in department.topics.items():
                owners.setdefault(word, []).append(_Owner(index, weight, False))
        self._owners = {word: tuple(found) for word, found in owners.items()}
        self._pattern = _trie_pattern(self._owners)

    def get(self, code: str) -> Department:
        try:
            return self._by_code[code]
        except KeyError:
            raise KeyError(f"no department with code {code!r} in the directory") from None

    def __iter__(self) -> Iterator[Department]:
        return iter(self.departments)

    def __len__(self) -> int:
        return len(self.departments)

    # ── recognition ──────────────────────────────────────────────────────────────────────

    def recognise(self, text: str) -> list[Match]:
        """Departments the text is about, best first: named ones (a name or alias appears)
        before those matched only by topic words; then by score, lead_rank, file order."""
        counts: dict[str, int] = {}
        for found in self._pattern.finditer(normalise(text)):
            word = found.group()
            counts[word] = counts.get(word, 0) + 1
        scores: dict[int, float] = {}
        named: dict[int, list[str]] = {}
        topics: dict[int, list[str]] = {}
        # dicts keep first-appearance order, so named/topics list words as the post uses them
        for word, count in counts.items():
            for owner in self._owners[word]:
                if owner.is_name:
                    named.setdefault(owner.index, []).append(word)
                    gained = NAME_SCORE
                else:
                    topics.setdefault(owner.index, []).append(word)
                    gained = owner.weight * min(count, MAX_OCCURRENCES)
                scores[owner.index] = scores.get(owner.index, 0.0) + gained
        matches = [
            Match(
                self.departments[index],
                score,
                tuple(named.get(index, ())),
                tuple(topics.get(index, ())),
            )
            for index, score in scores.items()
        ]
        matches.sort(
            key=lambda m: (not m.named, -m.score, m.department.lead_rank, m.department.order)
        )
        return matches

    def lead(self, matches: Iterable[Match]) -> Department:
        """The lead department (牵头部门) among several involved.

        Candidates: the named matches if the post names any, else all; of those, the ones
        scoring at least LEAD_SHARE of the best candidate's score (substantially involved).
        The candidate with the smallest lead_rank leads (the statutory co-ordinator for that
        kind of matter, e.g. 应急管理 for accidents), then the higher score, then file order.
        """
        candidates = list(matches)
        if not candidates:
            raise ValueError("lead() needs at least one match")
        if any(m.named for m in candidates):
            candidates = [m for m in candidates if m.named]
        top = max(m.score for m in candidates)
        involved = [m for m in candidates if m.score >= LEAD_SHARE * top]
        best = min(
            involved,
            key=lambda m: (m.department.lead_rank, -m.score, m.department.order),
        )
        return best.department

    # ── governments, offices, leaders ────────────────────────────────────────────────────

    def government(self, level: str, region: str = "") -> str:
        """国务院; 河南省人民政府; 阿里地区行政公署."""
        if level == NATIONAL:
            return self._national["government"]
        kind = self._kind(level, region)
        return self._fill(kind.government, region)

    def general_office(self, level: str, region: str = "") -> str:
        """国务院办公厅; 河南省人民政府办公厅; 郑州市人民政府办公室; 中牟县人民政府办公室."""
        if level == NATIONAL:
            return self._national["general_office"]
        return self.government(level, region) + self._kind(level, region).office

    def propaganda_department(self, level: str, region: str = "") -> str:
        """中共中央宣传部（国务院新闻办公室）; 中共河南省委宣传部; 中共延边州委宣传部."""
        if level == NATIONAL:
            return self._national["propaganda_department"]
        return self._fill(self._kind(level, region).party_committee, region) + "宣传部"

    def main_leader(self, level: str, region: str = "") -> str:
        """The main leader of that level's government (特别重大 rule): 国务院总理;
        河南省人民政府省长; 广西壮族自治区人民政府主席; 中牟县人民政府县长."""
        if level == NATIONAL:
            return self._national["main_leader"]
        return self.government(level, region) + self._kind(level, region).leader

    def coordination(
        self, department: Department, level: str, region: str = "", parent_region: str = ""
    ) -> tuple[str, str]:
        """Who co-ordinates the response for this department at (level, region): the office
        (same-level government's, or for a vertical system its higher level's) and the
        propaganda department of the place."""
        if department.vertical:
            office = department.coordinating_office(level, region, parent_region)
        else:
            office = self.general_office(level, region)
        return office, self.propaganda_department(level, region)

    def _kind(self, level: str, region: str) -> _RegionKind:
        _check_level(level)
        for kind in self._kinds:
            if kind.level == level and region.endswith(kind.suffix):
                return kind
        # The loader checks that every local level has a catch-all kind.
        raise AssertionError(f"no region kind for level {level!r}")

    def _fill(self, template: str, region: str) -> str:
        region = region or UNKNOWN_REGION
        return template.format(region=region, short=self._places.short(region))


def _recognisable_names(department: Department) -> list[str]:
    # Templates without placeholders are real names (住房和城乡建设局); with placeholders they
    # describe a unit (管辖{region}铁路的…) and are recognised through aliases instead.
    names = [normalise(t) for t in department.names.values() if "{" not in t]
    names.extend(department.aliases)
    return list(dict.fromkeys(names))


def _trie_pattern(words: Iterable[str]) -> re.Pattern[str]:
    """One regular expression matching any of the words, longest first at each position.

    The words are folded into a trie so the engine follows one branch per character instead of
    trying thousands of alternatives at every position of the post.
    """
    trie: dict[str, Any] = {}
    for word in words:
        node = trie
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}

    def build(node: dict[str, Any]) -> str:
        branches = [re.escape(c) + build(child) for c, child in sorted(node.items()) if c]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        # Greedy optional: the longer word is tried first, the shorter one is the fallback.
        return f"(?:{body})?" if "" in node else body

    return re.compile(build(trie))


# ── loading ──────────────────────────────────────────────────────────────────────────────


def load_organisations(path: Path | None = None) -> Organisations:
    """Load and check the directory; the packaged ``organisations.toml`` by default."""
    if path is None:
        origin = "organisations.toml"
        text = resources.files("yuqing.triage").joinpath(origin).read_text("utf-8")
    else:
        origin = str(path)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise OrganisationsError(
                f"{origin}: cannot read the organisation directory: {exc}"
            ) from exc
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise OrganisationsError(f"{origin}: not valid TOML: {exc}") from exc
    return _Loader(origin).load(data)


class _Loader:
    def __init__(self, origin: str) -> None:
        self.origin = origin

    def fail(self, where: str, message: str) -> OrganisationsError:
        return OrganisationsError(f"{self.origin}: {where}: {message}")

    def load(self, data: dict[str, Any]) -> Organisations:
        unknown = sorted(set(data) - _TOP_FIELDS)
        if unknown:
            raise self.fail("top level", f"unknown section(s) {unknown}")
        national = self.national(data.get("national"))
        places = self.places(data.get("regions", {}))
        kinds = self.region_kinds(data.get("region_kind"))
        departments = self.departments(data.get("department"), places)
        return Organisations(departments, national, kinds, places)

    def national(self, table: Any) -> dict[str, str]:
        if not isinstance(table, dict):
            raise self.fail("[national]", "missing table (government, general_office, …)")
        self.unknown_fields("[national]", table, _NATIONAL_FIELDS)
        return {key: self.text("[national]", table, key) for key in sorted(_NATIONAL_FIELDS)}

    def places(self, table: Any) -> _Places:
        if not isinstance(table, dict):
            raise self.fail("[regions]", "must be a table")
        groups = table.get("ethnic_groups", [])
        self.word_list("[regions]", "ethnic_groups", groups, min_length=1)
        return _Places(tuple(groups))

    def region_kinds(self, entries: Any) -> list[_RegionKind]:
        if not isinstance(entries, list) or not entries:
            raise self.fail("[[region_kind]]", "missing: local governments need region kinds")
        kinds = []
        for number, entry in enumerate(entries, start=1):
            where = f"region_kind #{number}"
            if not isinstance(entry, dict):
                raise self.fail(where, "must be a table")
            self.unknown_fields(where, entry, _KIND_FIELDS)
            level = self.text(where, entry, "level")
            if level not in LEVELS or level == NATIONAL:
                raise self.fail(where, f"field 'level': {level!r} is not province, city or county")
            suffix = entry.get("suffix", "")
            if not isinstance(suffix, str):
                raise self.fail(where, "field 'suffix' must be a string")
            values = {
                key: self.text(where, entry, key)
                for key in sorted(_KIND_FIELDS - {"level", "suffix"})
            }
            for key in ("government", "party_committee"):
                self.template(where, key, values[key])
            if values["office"] not in ("办公厅", "办公室"):
                raise self.fail(
                    where, f"field 'office': {values['office']!r} is not 办公厅 or 办公室"
                )
            kinds.append(_RegionKind(level=level, suffix=suffix, **values))
        for level in (PROVINCE, CITY, COUNTY):
            if not any(k.level == level and k.suffix == "" for k in kinds):
                raise self.fail(
                    "[[region_kind]]", f'no catch-all entry (suffix = "") for {level!r}'
                )
        return kinds

    def departments(self, entries: Any, places: _Places) -> list[Department]:
        if not isinstance(entries, list) or not entries:
            raise self.fail("[[department]]", "no departments")
        raw: list[dict[str, Any]] = []
        codes: dict[str, str] = {}
        for number, entry in enumerate(entries, start=1):
            where = f"department #{number}"
            if not isinstance(entry, dict):
                raise self.fail(where, "must be a table")
            code = entry.get("code")
            if not isinstance(code, str) or not _CODE.match(code):
                raise self.fail(where, f"field 'code': {code!r} is not a lower-case identifier")
            where = f"department #{number} ({code})"
            if code in codes:
                raise self.fail(where, f"field 'code': {code!r} repeats {codes[code]}")
            codes[code] = where
            raw.append(self.department_fields(where, entry, number))
        for fields in raw:
            for key in ("covered_by", "part_of"):
                target = fields[key]
                if target is not None and (target not in codes or target == fields["code"]):
                    raise self.fail(
                        fields["where"],
                        f"field {key!r}: {target!r} is not another department's code",
                    )
        self.check_unique_names(raw)
        built: dict[str, Department] = {}

        def build(fields: dict[str, Any], chain: tuple[str, ...]) -> Department:
            code = fields["code"]
            if code in built:
                return built[code]
            if code in chain:
                raise self.fail(
                    fields["where"], f"field 'covered_by' goes round in a circle: {chain}"
                )
            cover = None
            if fields["covered_by"]:
                target = next(f for f in raw if f["code"] == fields["covered_by"])
                # Every level is then named: a department lacking one must itself be covered,
                # and the chain, being free of circles, ends at one that names all four.
                cover = build(target, (*chain, code))
            department = Department(
                code=code,
                area=fields["area"],
                lead_rank=fields["lead_rank"],
                names=MappingProxyType(fields["names"]),
                aliases=fields["aliases"],
                topics=MappingProxyType(fields["topics"]),
                vertical=fields["vertical"],
                national_office=fields["national_office"],
                covered_by=cover,
                part_of=fields["part_of"],
                order=fields["order"],
                _places=places,
            )
            built[code] = department
            return department

        return [build(fields, ()) for fields in raw]

    def department_fields(self, where: str, entry: dict[str, Any], number: int) -> dict[str, Any]:
        self.unknown_fields(where, entry, _DEPARTMENT_FIELDS)
        area = self.text(where, entry, "area")
        if area not in AREAS:
            raise self.fail(where, f"field 'area': {area!r} is not one of {' '.join(AREAS)}")
        rank = entry.get("lead_rank")
        if isinstance(rank, bool) or not isinstance(rank, int) or not 0 <= rank <= 1000:
            raise self.fail(where, f"field 'lead_rank': {rank!r} is not a whole number 0–1000")
        vertical = entry.get("vertical", False)
        if not isinstance(vertical, bool):
            raise self.fail(where, f"field 'vertical': {vertical!r} is not true or false")
        covered_by = self.optional_text(where, entry, "covered_by")
        part_of = self.optional_text(where, entry, "part_of")
        national_office = self.optional_text(where, entry, "national_office") or ""
        if national_office and not vertical:
            raise self.fail(where, "field 'national_office' is for vertical departments only")
        names = self.names(where, entry.get("names"), vertical, covered_by)
        aliases = entry.get("aliases", [])
        self.word_list(where, "aliases", aliases)
        return {
            "where": where,
            "code": entry["code"],
            "order": number,
            "area": area,
            "lead_rank": rank,
            "vertical": vertical,
            "covered_by": covered_by,
            "part_of": part_of,
            "national_office": national_office,
            "names": names,
            "aliases": tuple(dict.fromkeys(normalise(a) for a in aliases)),
            "topics": self.topics(where, entry.get("topics", [])),
        }

    def names(
        self, where: str, table: Any, vertical: bool, covered_by: str | None
    ) -> dict[str, str]:
        if not isinstance(table, dict) or not table:
            raise self.fail(where, "field 'names': missing table of names per level")
        allowed = (*LEVELS, MUNICIPALITY)
        for key, value in table.items():
            if key not in allowed:
                raise self.fail(where, f"field 'names': unknown level {key!r}")
            if not isinstance(value, str) or not value.strip():
                raise self.fail(where, f"field 'names.{key}': must be a non-empty string")
            self.template(where, f"names.{key}", value)
        national = table.get(NATIONAL, "")
        if "{" in national:
            raise self.fail(where, "field 'names.national': a national name has no placeholders")
        missing = [level for level in LEVELS if level not in table]
        if missing and vertical:
            raise self.fail(
                where, f"field 'names': a vertical system needs every level, missing {missing}"
            )
        if missing and not covered_by:
            raise self.fail(where, f"field 'names': missing {missing} (or set covered_by)")
        return dict(table)

    def topics(self, where: str, groups: Any) -> dict[str, float]:
        if not isinstance(groups, list):
            raise self.fail(where, "field 'topics': must be [[department.topics]] tables")
        topics: dict[str, float] = {}
        for number, group in enumerate(groups, start=1):
            here = f"{where} topics #{number}"
            if not isinstance(group, dict) or set(group) != {"weight", "words"}:
                raise self.fail(here, "each topics group has exactly 'weight' and 'words'")
            weight = group["weight"]
            if (
                isinstance(weight, bool)
                or not isinstance(weight, int | float)
                or not 0 < weight <= 10
            ):
                raise self.fail(here, f"field 'weight': {weight!r} is not a number in (0, 10]")
            self.word_list(here, "words", group["words"])
            for word in group["words"]:
                key = normalise(word)
                if key in topics:
                    raise self.fail(
                        here, f"field 'words': {word!r} is listed twice for this department"
                    )
                topics[key] = float(weight)
        return topics

    def check_unique_names(self, raw: list[dict[str, Any]]) -> None:
        # An alias names one department; a real name shared by two (国家统计局 heads both the
        # statistics bureaus and the survey teams) names both, so it is allowed.
        owner: dict[str, str] = {}
        for fields in raw:
            for alias in fields["aliases"]:
                if alias in owner and owner[alias] != fields["code"]:
                    raise self.fail(
                        fields["where"],
                        f"field 'aliases': {alias!r} is already an alias of {owner[alias]!r}",
                    )
                owner[alias] = fields["code"]
        for fields in raw:
            for template in fields["names"].values():
                name = normalise(template)
                if "{" not in template and owner.get(name, fields["code"]) != fields["code"]:
                    raise self.fail(
                        fields["where"],
                        f"field 'names': {template!r} is an alias of {owner[name]!r}",
                    )

    # ── small checks ──

    def unknown_fields(self, where: str, table: dict[str, Any], allowed: frozenset[str]) -> None:
        unknown = sorted(set(table) - allowed)
        if unknown:
            raise self.fail(where, f"unknown field(s) {unknown}")

    def text(self, where: str, table: dict[str, Any], key: str) -> str:
        value = table.get(key)
        if not isinstance(value, str) or not value.strip():
            raise self.fail(where, f"field {key!r}: missing or not a non-empty string")
        return value

    def optional_text(self, where: str, table: dict[str, Any], key: str) -> str | None:
        if key not in table:
            return None
        return self.text(where, table, key)

    def word_list(self, where: str, key: str, words: Any, min_length: int = 2) -> None:
        if not isinstance(words, list):
            raise self.fail(where, f"field {key!r}: must be a list of strings")
        for word in words:
            # One character matches inside too many words (河 in 河南) to mean anything.
            if not isinstance(word, str) or len(normalise(word).strip()) < min_length:
                raise self.fail(
                    where, f"field {key!r}: {word!r} is not a string of {min_length}+ characters"
                )

    def template(self, where: str, key: str, template: str) -> None:
        try:
            fields = {name for _, name, _, _ in Formatter().parse(template) if name is not None}
        except ValueError as exc:
            raise self.fail(where, f"field {key!r}: bad template {template!r}: {exc}") from exc
        unknown = fields - _PLACEHOLDERS
        if unknown:
            raise self.fail(
                where, f"field {key!r}: unknown placeholder(s) {sorted(unknown)} in {template!r}"
            )
