"""Who must answer: the first responsible party (第一责任主体), section 一 of the notice, as an
explained decision.

The rules, in the order they are tried:

``national_policy``
    国务院重大政策、重要决策部署 → the State Council department concerned is first responsible
    (国务院办公厅 and the central propaganda department coordinate).
``several_localities``
    涉及多个地方 → the higher government's competent department (the nearest division holding all
    the places named; the State Council department when they lie in several provinces) is first
    responsible, and each locality responds for its part (属地管理): ``co_responsible``.
``several_departments``
    涉及多个部门 → each responds by its duties (``co_responsible``); the directory chooses a lead
    (牵头部门, ``lead``), which is listed first responsible; that level's general office and
    propaganda department coordinate.
``vertical``
    涉事责任部门实行垂直管理 → that department is first responsible, and its higher level's office
    coordinates with the propaganda department.
``local``
    one locality, one department → 属地管理、分级负责、谁主管谁负责: the department involved at the
    post's level is first responsible, and that level's general office (办公厅/室) and propaganda
    department coordinate.

On top of any of them, ``extra_major``: for a 特别重大 matter the main leader of that level's
government is named as responsible for leading the response (``responsible_leader``, and first
among the coordinators).

Places come from the text (``regions``, the official division list) and from the source's own
jurisdiction; departments from the organisation directory (``orgs``): from their names, else
from what the post is about.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, replace
from functools import cache
from pathlib import Path
from typing import Any

from yuqing.triage.categories import EMERGENCY, POLICY_MISREADING, RUMOUR
from yuqing.triage.orgs import (
    CITY,
    COUNTY,
    NATIONAL,
    PROVINCE,
    Department,
    Match,
    Organisations,
    load_organisations,
)
from yuqing.triage.regions import Division, Divisions, RegionError, load_divisions
from yuqing.triage.severity import EXTRA_MAJOR, ORDINARY

#: a source's configured level (as ``yuqing sources add --level`` takes it) → directory level
SOURCE_LEVELS = {
    "national": NATIONAL,
    "provincial": PROVINCE,
    "province": PROVINCE,
    "municipal": CITY,
    "city": CITY,
    "county": COUNTY,
}
LEVEL_NAMES = {NATIONAL: "国家级", PROVINCE: "省级", CITY: "市级", COUNTY: "县级"}

#: the department a category falls to when the post names none and is about none
CATEGORY_DEFAULTS = {EMERGENCY: "emergency", RUMOUR: "public_security"}

#: words that mark a matter as national policy (国务院重大政策、重要决策部署): the strong ones
#: count for any post about a policy, the weak ones only for a post classified as a misreading
#: of policy (a board message citing 国家规定 against an employer is a local matter)
_NATIONAL_STRONG = re.compile(r"国务院|党中央|中共中央|中央(?:政府|决策|部署|文件)|国办发|国发〔")
_NATIONAL_WEAK = re.compile(
    r"全国(?:统一|范围|推行|实施)|国家(?:出台|发布|政策|规定|标准|层面|统一)|新国标|部委"
)
#: words that make a post about a policy (政策、决策部署), not only an event that mentions one
_POLICY_WORDS = re.compile(r"政策|新规|规定|办法|条例|决策|部署|改革|方案|意见|通知|文件|标准")
#: at most this many departments are named as involved
MAX_DEPARTMENTS = 3
#: a topic-matched department counts as involved with this share of the top score, and at
#: least this score (one weak word such as 死亡 does not make 应急管理 a party to a complaint)
INVOLVED_SHARE = 0.5
INVOLVED_MIN_SCORE = 3.0


@dataclass(frozen=True)
class Decision:
    first_responsible: str
    coordinators: tuple[str, ...]
    lead: str | None
    co_responsible: tuple[str, ...]
    #: places involved: {code, name, level, from: "text" | "source"}
    regions: tuple[dict[str, Any], ...]
    #: departments involved: {code, name, area, vertical, named, topics, score}
    departments: tuple[dict[str, Any], ...]
    rule: str
    reasons: tuple[str, ...]
    #: 特别重大: the main leader of that level's government
    responsible_leader: str | None = None
    #: the level and place the decision was made at
    level: str = ""
    jurisdiction: str = ""
    #: the lead department's area (领域), e.g. 城乡建设
    area: str | None = None

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("coordinators", "co_responsible", "regions", "departments", "reasons"):
            data[key] = list(data[key])
        return data


@dataclass(frozen=True)
class SourcePlace:
    """Where a post's source stands: its jurisdiction as configured."""

    region_code: str = ""
    region_name: str = ""
    level: str = ""
    #: the unit that runs the source, answering when no department is recognised
    department: str = ""


class Rules:
    """The organisation directory and the division list, loaded once, and the rules above."""

    def __init__(self, orgs: Organisations, divisions: Divisions) -> None:
        self.orgs = orgs
        self.divisions = divisions

    def decide(
        self,
        text: str,
        category: str | None = None,
        severity: str = ORDINARY,
        source: SourcePlace | None = None,
    ) -> Decision:
        source = source or SourcePlace()
        reasons: list[str] = []
        home = self._source_division(source, reasons)
        places = [p.division for p in self.divisions.find_places(text, context=home)]
        regions = [self._region(d, "text") for d in places]
        if home is not None and home not in places:
            regions.append(self._region(home, "source"))

        matches = self._involved(self.orgs.recognise(text))
        departments = [m.department for m in matches]
        if not departments and (code := CATEGORY_DEFAULTS.get(category or "")):
            departments = [self.orgs.get(code)]
            reasons.append(f"未识别涉事部门，按类别由{departments[0].national_name}系统负责")
        lead = self.orgs.lead(matches) if matches else (departments[0] if departments else None)
        if lead is not None and lead in departments:
            departments.remove(lead)
            departments.insert(0, lead)

        marker = _national_policy(text, category) or _national_body(matches, category)
        if marker is not None:
            reasons.append(f"涉及国务院重大政策、重要决策部署（“{marker}”）")
            decision = self._national(departments, reasons)
        else:
            localities = self._localities(places, home)
            if len(localities) >= 2:
                decision = self._several_localities(localities, departments, reasons)
            else:
                locality = localities[0] if localities else None
                decision = self._one_locality(locality, departments, source, reasons)
        decision = self._with_departments(decision, matches, departments, regions)
        if severity == EXTRA_MAJOR:
            decision = self._extra_major(decision)
        return decision

    def referral_organs(self, level: str, region: str) -> list[str]:
        """The public security organ and the internet regulator (网信) at a level and place,
        to which rumours that threaten social order are referred (section 二)."""
        if level == NATIONAL or not level:
            if not region:
                return ["公安部", "国家互联网信息办公室"]
        police = self.orgs.get("public_security").name_at(level or COUNTY, region)
        if not region:
            return [police, "属地网信部门"]
        committee = self.orgs.propaganda_department(level, region).removesuffix("宣传部")
        return [police, f"{committee}网络安全和信息化委员会办公室"]

    # --- the rules ---------------------------------------------------------------------------

    def _national(self, departments: list[Department], reasons: list[str]) -> Decision:
        if departments:
            first = departments[0].name_at(NATIONAL)
            others = [d.name_at(NATIONAL) for d in departments[1:]]
            reasons.append(f"国务院相关部门是第一责任主体：{first}")
        else:
            first, others = "国务院相关部门", []
            reasons.append("未识别具体部门：由国务院相关部门负责")
        return Decision(
            first_responsible=first,
            coordinators=(
                self.orgs.general_office(NATIONAL),
                self._propaganda(NATIONAL),
            ),
            lead=first if others else None,
            co_responsible=tuple(others),
            regions=(),
            departments=(),
            rule="national_policy",
            reasons=tuple(reasons),
            level=NATIONAL,
            jurisdiction="全国",
        )

    def _several_localities(
        self, localities: list[Division], departments: list[Department], reasons: list[str]
    ) -> Decision:
        names = "、".join(self._name(d) for d in localities)
        upper = self.divisions.common_ancestor(localities)
        level, region = (upper.level, self._name(upper)) if upper else (NATIONAL, "")
        where = region or "国家"
        reasons.append(f"涉及多个地方（{names}）：上级政府（{where}）主管部门是第一责任主体")
        reasons.append("相关地方按照属地管理原则进行回应")
        if departments:
            dept = departments[0]
            first = dept.name_at(level, region)
            parts = [dept.name_at(d.level, self._name(d)) for d in localities]
        else:
            first = f"{self._government(level, region)}主管部门"
            parts = [self._government(d.level, self._name(d)) for d in localities]
        return Decision(
            first_responsible=first,
            coordinators=(
                self.orgs.general_office(level, region),
                self._propaganda(level, region),
            ),
            lead=None,
            co_responsible=tuple(dict.fromkeys(parts)),
            regions=(),
            departments=(),
            rule="several_localities",
            reasons=tuple(reasons),
            level=level,
            jurisdiction=where,
        )

    def _one_locality(
        self,
        locality: Division | None,
        departments: list[Department],
        source: SourcePlace,
        reasons: list[str],
    ) -> Decision:
        if locality is not None:
            level, region = locality.level, self._name(locality)
        else:
            # No place in the text and no usable jurisdiction on the source. A national source
            # (a social-media keyword monitor) does not make the matter national: only national
            # policy goes to the State Council departments (above). The locality is unknown.
            level = SOURCE_LEVELS.get(source.level, COUNTY)
            region = source.region_name if source.level and source.region_name else ""
            if level == NATIONAL:
                # a national source's "region" (全国) is no locality to name offices after
                level, region = CITY, ""
            reasons.append("未识别属地：按属地管理由事发地负责，请核实属地")
        office = self.orgs.general_office(level, region)
        propaganda = self._propaganda(level, region)
        if not departments:
            first = source.department or self._government(level, region)
            reasons.append(f"未识别涉事部门：由{first}负责")
            return self._decision(
                first, (office, propaganda), None, (), "local", reasons, level, region
            )
        lead = departments[0]
        first = lead.name_at(level, region)
        if len(departments) >= 2:
            others = tuple(d.name_at(level, region) for d in departments[1:])
            reasons.append(
                f"涉及多个部门：相关部门按照职责分工做好回应，{first}牵头；"
                f"{self.orgs.general_office(level, region)}会同宣传部门组织协调、督促指导"
            )
            coordinators = (office, propaganda)
            if lead.vertical:
                coordinators = self._vertical_coordination(lead, level, region, reasons)
            return self._decision(
                first, coordinators, first, others, "several_departments", reasons, level, region
            )
        if lead.vertical and level != NATIONAL:
            coordinators = self._vertical_coordination(lead, level, region, reasons)
            reasons.append(f"涉事责任部门是第一责任主体：{first}")
            return self._decision(first, coordinators, None, (), "vertical", reasons, level, region)
        reasons.append(
            f"属地管理、分级负责、谁主管谁负责：{first}是第一责任主体，{office}会同宣传部门组织协调"
        )
        return self._decision(
            first, (office, propaganda), None, (), "local", reasons, level, region
        )

    def _vertical_coordination(
        self, dept: Department, level: str, region: str, reasons: list[str]
    ) -> tuple[str, str]:
        parent = ""
        if level in (CITY, COUNTY):
            division = self._division_named(region)
            upper = self.divisions.parent(division) if division else None
            parent = self._name(upper) if upper else ""
        office, propaganda = self.orgs.coordination(dept, level, region, parent)
        reasons.append(
            f"{dept.national_name}系统实行垂直管理：上级部门办公厅（室）{office}会同宣传部门组织协调"
        )
        return office, propaganda

    def _extra_major(self, decision: Decision) -> Decision:
        level = decision.level or COUNTY
        region = "" if level == NATIONAL else decision.jurisdiction
        leader = self.orgs.main_leader(level, region if region != "全国" else "")
        return replace(
            decision,
            responsible_leader=leader,
            coordinators=(f"{leader}（负领导责任）", *decision.coordinators),
            rule=f"{decision.rule}+extra_major",
            reasons=(
                *decision.reasons,
                f"特别重大：本级政府主要负责同志（{leader}）切实负起领导责任，指导、协调、督促相关部门回应",
            ),
        )

    # --- pieces ----------------------------------------------------------------------------

    def _decision(
        self,
        first: str,
        coordinators: tuple[str, ...],
        lead: str | None,
        others: tuple[str, ...],
        rule: str,
        reasons: list[str],
        level: str,
        region: str,
    ) -> Decision:
        return Decision(
            first_responsible=first,
            coordinators=coordinators,
            lead=lead,
            co_responsible=others,
            regions=(),
            departments=(),
            rule=rule,
            reasons=tuple(reasons),
            level=level,
            jurisdiction=region,
        )

    def _with_departments(
        self,
        decision: Decision,
        matches: list[Match],
        departments: list[Department],
        regions: list[dict[str, Any]],
    ) -> Decision:
        found = {m.department.code: m for m in matches}
        level = decision.level or COUNTY
        region = "" if level == NATIONAL else decision.jurisdiction
        listed = []
        for dept in departments:
            match = found.get(dept.code)
            listed.append(
                {
                    "code": dept.code,
                    "name": dept.name_at(level, region),
                    "area": dept.area,
                    "vertical": dept.vertical,
                    "named": list(match.named) if match else [],
                    "topics": list(match.topics) if match else [],
                    "score": round(match.score, 2) if match else 0.0,
                }
            )
        return replace(
            decision,
            regions=tuple(regions),
            departments=tuple(listed),
            area=departments[0].area if departments else None,
        )

    def _involved(self, matches: list[Match]) -> list[Match]:
        """The departments a post involves: those it names, else those its topics point to
        with at least ``INVOLVED_SHARE`` of the best score; at most ``MAX_DEPARTMENTS``."""
        if not matches:
            return []
        named = [m for m in matches if m.named]
        pool = named or matches
        top = max(m.score for m in pool)
        involved = [pool[0]] + [
            m
            for m in pool[1:]
            if m.score >= INVOLVED_SHARE * top and (m.named or m.score >= INVOLVED_MIN_SCORE)
        ]
        return involved[:MAX_DEPARTMENTS]

    def _localities(self, places: list[Division], home: Division | None) -> list[Division]:
        """The distinct localities a post is about. A place on one chain with the source's own
        jurisdiction (inside it or above it) counts at the more specific of the two; places on
        one chain are one locality."""
        if not places:
            return [home] if home is not None else []
        chosen: list[Division] = []
        for place in places:
            if home is not None and self._on_one_chain(place, home):
                place = self._deeper(place, home)
            for i, other in enumerate(chosen):
                if self._on_one_chain(place, other):
                    chosen[i] = self._deeper(place, other)
                    break
            else:
                chosen.append(place)
        return chosen

    def _deeper(self, a: Division, b: Division) -> Division:
        return a if len(self.divisions.chain(a)) >= len(self.divisions.chain(b)) else b

    def _on_one_chain(self, a: Division, b: Division) -> bool:
        return a in self.divisions.chain(b) or b in self.divisions.chain(a)

    def _source_division(self, source: SourcePlace, reasons: list[str]) -> Division | None:
        if not (source.region_code or source.region_name):
            return None
        try:
            return self.divisions.jurisdiction(source.region_code, source.region_name)
        except RegionError as exc:
            reasons.append(f"来源属地无法识别（{exc}）")
            return None

    def _division_named(self, name: str) -> Division | None:
        found = self.divisions.by_name(name)
        return found[0] if len(found) == 1 else None

    def _name(self, division: Division) -> str:
        """The name a department's title is built on: 郑州市, 中牟县, and a city district
        with its city (郑州市金水区), as its government calls itself."""
        if division.level == COUNTY and division.name.endswith("区"):
            parent = self.divisions.parent(division)
            if parent is not None and parent.level == CITY:
                return parent.name + division.name
        return division.name

    def _propaganda(self, level: str, region: str = "") -> str:
        if level != NATIONAL and not region:
            return "属地党委宣传部"  # not 中共属地委宣传部: no place to build the name on
        return self.orgs.propaganda_department(level, region)

    def _government(self, level: str, region: str) -> str:
        return self.orgs.government(level, region)

    def _region(self, division: Division, origin: str) -> dict[str, Any]:
        return {
            "code": division.code,
            "name": self.divisions.qualified_name(division),
            "level": division.level,
            "level_name": division.level_name,
            "from": origin,
        }


def _national_body(matches: list[Match], category: str | None) -> str | None:
    """A misread policy whose post names a State Council department (人社部, 国家医保局)."""
    if category != POLICY_MISREADING:
        return None
    for match in matches:
        for name in match.named:
            national = match.department.national_name
            if name == national or name.endswith("部") or name.startswith("国家"):
                return name
    return None


def _national_policy(text: str, category: str | None) -> str | None:
    """The words marking a post as about a national major policy: a national marker, and the
    post is a policy misreading or talks of a policy. A sudden incident that mentions the State
    Council (挂牌督办) is not a policy matter."""
    if category == EMERGENCY:
        return None
    if category == POLICY_MISREADING:
        marker = _NATIONAL_STRONG.search(text) or _NATIONAL_WEAK.search(text)
        return marker.group(0) if marker else None
    marker = _NATIONAL_STRONG.search(text)
    return marker.group(0) if marker and _POLICY_WORDS.search(text) else None


@cache
def default_rules() -> Rules:
    return Rules(load_organisations(), load_divisions())


def load_rules(organisations: Path | None = None) -> Rules:
    """The rules with the packaged directory, or the one at ``organisations``."""
    if organisations is None:
        return default_rules()
    return Rules(load_organisations(organisations), load_divisions())
