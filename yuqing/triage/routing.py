"""Who must answer: the first responsible party (第一责任主体), section 一 of the notice.

- A major national policy → the State Council department concerned.
- A local matter → 属地管理、分级负责、谁主管谁负责: the department involved at the post's level,
  with the same-level government office (办公厅/室) and the propaganda department coordinating;
  a vertically managed department (垂直管理) → its higher-level office coordinates instead.
- Several localities → the higher government's competent department.
- Several departments → each answers for its duties; the one most involved leads (牵头部门).
- 特别重大 → the main leader of that level's government takes leadership responsibility.
- A rumour → also referred to public security and internet regulators (section 二, last part).

The departments themselves are data: ``directory.toml`` beside this module.
"""

from __future__ import annotations

import re
import tomllib
from collections import Counter
from dataclasses import dataclass
from functools import cached_property
from importlib import resources
from pathlib import Path

from yuqing.triage.categories import EMERGENCY, POLICY_MISREADING, RUMOUR
from yuqing.triage.severity import EXTRA_MAJOR

NATIONAL, PROVINCIAL, MUNICIPAL, COUNTY = "national", "provincial", "municipal", "county"

#: the department a category falls to when the post names none
CATEGORY_DEFAULT_DEPARTMENT = {EMERGENCY: "emergency", RUMOUR: "public_security"}

RUMOUR_REFERRAL = "公安机关、网络监管部门（移交线索，依法依规查处）"

#: words that mark a policy as a national one (国务院重大政策、重要决策部署)
NATIONAL_POLICY_MARKERS = ("国务院", "全国", "国家", "中央", "人社部", "财政部", "教育部", "新国标")

PROVINCES = (
    "北京",
    "天津",
    "河北",
    "山西",
    "内蒙古",
    "辽宁",
    "吉林",
    "黑龙江",
    "上海",
    "江苏",
    "浙江",
    "安徽",
    "福建",
    "江西",
    "山东",
    "河南",
    "湖北",
    "湖南",
    "广东",
    "广西",
    "海南",
    "重庆",
    "四川",
    "贵州",
    "云南",
    "西藏",
    "陕西",
    "甘肃",
    "青海",
    "宁夏",
    "新疆",
    "香港",
    "澳门",
    "台湾",
)


class DirectoryError(ValueError):
    """The organisation directory file is unusable; the message names the entry and field."""


@dataclass(frozen=True)
class Department:
    code: str
    national: str
    provincial: str
    local: str
    keywords: tuple[str, ...]
    vertical: bool = False

    def name_at(self, level: str, region_name: str) -> str:
        if level == NATIONAL or not region_name:
            return self.national
        suffix = self.provincial if level == PROVINCIAL else self.local
        return f"{region_name}{suffix}"


@dataclass(frozen=True)
class Directory:
    departments: tuple[Department, ...]

    def get(self, code: str) -> Department | None:
        return next((d for d in self.departments if d.code == code), None)

    @cached_property
    def _keywords(self) -> tuple[re.Pattern[str], dict[str, list[int]]]:
        owners: dict[str, list[int]] = {}
        for index, department in enumerate(self.departments):
            for keyword in department.keywords:
                owners.setdefault(keyword, []).append(index)
        # Longest first, so that 延迟退休 counts once rather than also as 退休.
        alternatives = sorted(owners, key=len, reverse=True)
        return re.compile("|".join(map(re.escape, alternatives))), owners

    def involved(self, text: str) -> list[Department]:
        """Departments whose keywords the text uses, most mentioned first (ties: file order)."""
        pattern, owners = self._keywords
        hits: Counter[int] = Counter()
        for match in pattern.finditer(text):
            hits.update(owners[match.group(0)])
        ranked = sorted(hits, key=lambda i: (-hits[i], i))
        return [self.departments[i] for i in ranked]


def load_directory(path: Path | None = None) -> Directory:
    if path is None:
        text = resources.files("yuqing.triage").joinpath("directory.toml").read_text("utf-8")
        origin = "directory.toml"
    else:
        try:
            text, origin = path.read_text(encoding="utf-8"), str(path)
        except OSError as exc:
            raise DirectoryError(f"organisation directory {path}: {exc}") from exc
    try:
        entries = tomllib.loads(text).get("department", [])
    except tomllib.TOMLDecodeError as exc:
        raise DirectoryError(f"{origin}: {exc}") from exc
    departments = []
    for index, entry in enumerate(entries, start=1):
        where = f"{origin}: department #{index}"
        for key in ("code", "national", "local", "keywords"):
            if key not in entry:
                raise DirectoryError(f"{where}: missing field {key!r}")
        if not isinstance(entry["keywords"], list) or not all(
            isinstance(k, str) and k for k in entry["keywords"]
        ):
            raise DirectoryError(f"{where} ({entry['code']}): keywords must be non-empty strings")
        departments.append(
            Department(
                code=entry["code"],
                national=entry["national"],
                provincial=entry.get("provincial", entry["local"]),
                local=entry["local"],
                keywords=tuple(entry["keywords"]),
                vertical=bool(entry.get("vertical", False)),
            )
        )
    codes = [d.code for d in departments]
    if len(set(codes)) != len(codes):
        raise DirectoryError(f"{origin}: department codes repeat: {codes}")
    return Directory(tuple(departments))


@dataclass(frozen=True)
class Jurisdiction:
    region_name: str = ""
    level: str = ""
    department: str = ""


@dataclass(frozen=True)
class Routing:
    responsible_party: str
    coordinator: str
    referral: str
    reasons: tuple[str, ...]


def government(level: str, region_name: str) -> str:
    if level == NATIONAL:
        return "国务院"
    return f"{region_name}人民政府" if region_name else "属地人民政府"


def general_office(level: str, region_name: str) -> str:
    # Provincial governments and the State Council have a 办公厅; cities and counties a 办公室.
    office = "办公厅" if level in (NATIONAL, PROVINCIAL) else "办公室"
    return f"{government(level, region_name)}{office}"


def provinces_named(text: str) -> list[str]:
    return [p for p in PROVINCES if p in text]


def route(
    text: str,
    category: str,
    severity: str,
    where: Jurisdiction,
    directory: Directory,
    rumour: bool = False,
) -> Routing:
    reasons: list[str] = []
    level, region = where.level, where.region_name
    if level != NATIONAL and category == POLICY_MISREADING:
        marker = next((m for m in NATIONAL_POLICY_MARKERS if m in text), None)
        if marker:
            level, region = NATIONAL, ""
            reasons.append(f"涉及国家重大政策（“{marker}”）：国务院相关部门为第一责任主体")
    places = provinces_named(text)
    if level != NATIONAL and len(places) >= 2:
        level, region = NATIONAL, ""
        reasons.append(f"涉及多个地方（{'、'.join(places)}）：上级政府主管部门为第一责任主体")

    departments = directory.involved(text)
    if not departments and (
        default := directory.get(CATEGORY_DEFAULT_DEPARTMENT.get(category, ""))
    ):
        departments = [default]
        reasons.append(f"按类别默认由{default.national.removesuffix('部')}部门负责")
    if departments:
        lead = departments[0]
        responsible = lead.name_at(level, region)
        others = [d.name_at(level, region) for d in departments[1:3]]
        others = [o for o in dict.fromkeys(others) if o != responsible]
        if others:
            responsible += f"（牵头；{'、'.join(others)}按职责分工回应）"
            reasons.append("涉及多个部门：按职责分工回应，确定牵头部门")
        else:
            reasons.append(f"涉事责任部门：{responsible}")
        vertical = lead.vertical
    else:
        responsible = where.department or government(level, region)
        reasons.append("未识别涉事部门：由信息来源所属单位或属地政府负责")
        vertical = False

    if vertical and level != NATIONAL:
        upper = lead.national if level == PROVINCIAL else f"上级{lead.provincial}"
        coordinator = f"{upper}办公厅（室）会同宣传部门"
        reasons.append("垂直管理部门：上级部门办公厅（室）组织协调")
    else:
        coordinator = f"{general_office(level, region)}会同宣传部门"
    if severity == EXTRA_MAJOR:
        coordinator = f"{government(level, region)}主要负责同志负领导责任；{coordinator}"
        reasons.append("特别重大：本级政府主要负责同志切实负起领导责任")
    referral = RUMOUR_REFERRAL if rumour or category == RUMOUR else ""
    return Routing(responsible, coordinator, referral, tuple(reasons))
