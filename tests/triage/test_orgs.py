import json
from collections import Counter
from pathlib import Path

import pytest

from yuqing.triage.orgs import (
    AREAS,
    LEVELS,
    NAME_SCORE,
    Match,
    OrganisationsError,
    load_organisations,
)

ORGS = load_organisations()
BOARD = Path(__file__).with_name("board_messages.jsonl")
EVALUATED_AREAS = (
    "城乡建设",
    "环境保护",
    "交通运输",
    "教育文体",
    "劳动和社会保障",
    "商贸旅游",
    "卫生计生",
)

# A small directory that loads; each loader test breaks one thing in it.
VALID = """
[national]
government = "国务院"
general_office = "国务院办公厅"
propaganda_department = "中共中央宣传部"
main_leader = "国务院总理"

[[region_kind]]
level = "province"
government = "{region}人民政府"
office = "办公厅"
party_committee = "中共{region}委"
leader = "省长"

[[region_kind]]
level = "city"
government = "{region}人民政府"
office = "办公室"
party_committee = "中共{region}委"
leader = "市长"

[[region_kind]]
level = "county"
government = "{region}人民政府"
office = "办公室"
party_committee = "中共{region}委"
leader = "县长"

[[department]]
code = "housing"
area = "城乡建设"
lead_rank = 40
aliases = ["住建局"]
[department.names]
national = "住房和城乡建设部"
province = "住房和城乡建设厅"
city = "住房和城乡建设局"
county = "住房和城乡建设局"
[[department.topics]]
weight = 3
words = ["物业"]

[[department]]
code = "urban"
area = "城乡建设"
lead_rank = 45
covered_by = "housing"
aliases = ["城管"]
[department.names]
city = "城市管理局"
county = "城市管理局"

[[department]]
code = "tax"
area = "其他"
lead_rank = 55
vertical = true
aliases = ["税务局"]
[department.names]
national = "国家税务总局"
province = "国家税务总局{region}税务局"
city = "国家税务总局{region}税务局"
county = "国家税务总局{region}税务局"
"""


def load_text(tmp_path: Path, text: str):
    path = tmp_path / "orgs.toml"
    path.write_text(text, encoding="utf-8")
    return load_organisations(path), path


def load_error(tmp_path: Path, text: str) -> str:
    path = tmp_path / "orgs.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(OrganisationsError) as caught:
        load_organisations(path)
    message = str(caught.value)
    assert str(path) in message  # every error names the file
    return message


def top(text: str) -> Match:
    return ORGS.recognise(text)[0]


# ── the packaged directory ────────────────────────────────────────────────────────────────


def test_the_packaged_directory_covers_every_evaluated_area_and_the_vertical_systems():
    areas = {d.area for d in ORGS}
    assert areas <= set(AREAS)
    assert set(EVALUATED_AREAS) <= areas
    vertical = {d.code for d in ORGS if d.vertical}
    assert {
        "tax",
        "customs",
        "financial_regulation",
        "meteorology",
        "railway",
        "postal",
        "tobacco",
        "statistics_survey",
        "foreign_exchange",
        "civil_aviation",
        "maritime",
        "immigration",
    } <= vertical
    assert not ORGS.get("housing").vertical
    assert not ORGS.get("education").vertical


def test_every_department_has_a_name_at_every_level():
    for department in ORGS:
        for level in LEVELS:
            name = department.name_at(level, "郑州市")
            assert name and "{" not in name, (department.code, level)


def test_get_names_an_unknown_code():
    with pytest.raises(KeyError, match="no_such"):
        ORGS.get("no_such")


# ── loader errors ─────────────────────────────────────────────────────────────────────────


def test_the_small_valid_directory_loads(tmp_path):
    orgs, _ = load_text(tmp_path, VALID)
    assert [d.code for d in orgs] == ["housing", "urban", "tax"]
    assert orgs.get("urban").name_at("national") == "住房和城乡建设部"


def test_a_missing_file_is_named(tmp_path):
    path = tmp_path / "absent.toml"
    with pytest.raises(OrganisationsError, match=r"absent\.toml"):
        load_organisations(path)


def test_bad_toml_is_reported_with_the_file(tmp_path):
    assert "not valid TOML" in load_error(tmp_path, VALID + "\n[[department]\n")


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ('area = "其他"', 'area = "税收"', "department #3 (tax): field 'area': '税收'"),
        ('code = "urban"', 'code = "housing"', "field 'code': 'housing' repeats department #1"),
        ('code = "urban"', 'code = "Urban Mgmt"', "department #2: field 'code'"),
        ('aliases = ["城管"]', 'aliases = ["住建局"]', "'住建局' is already an alias of 'housing'"),
        ('covered_by = "housing"', 'covered_by = "nowhere"', "field 'covered_by': 'nowhere'"),
        ('covered_by = "housing"\n', "", "department #2 (urban): field 'names': missing"),
        ('county = "国家税务总局{region}税务局"\n', "", "a vertical system needs every level"),
        ('words = ["物业"]', 'words = ["河"]', "department #1 (housing) topics #1: field 'words'"),
        ('words = ["物业"]', 'words = ["物业", "物业"]', "'物业' is listed twice"),
        ("weight = 3", "weight = 0", "field 'weight': 0"),
        ("lead_rank = 40", 'lead_rank = "first"', "field 'lead_rank': 'first'"),
        ("vertical = true", 'vertical = "yes"', "field 'vertical': 'yes'"),
        ('{region}税务局"\ncity', '{place}税务局"\ncity', "unknown placeholder(s) ['place']"),
        ('code = "tax"', 'code = "tax"\nsecret = 1', "department #3 (tax): unknown field(s)"),
        ('office = "办公室"', 'office = "秘书处"', "field 'office': '秘书处'"),
    ],
)
def test_loader_errors_name_the_entry_and_field(tmp_path, old, new, expected):
    assert old in VALID
    message = load_error(tmp_path, VALID.replace(old, new, 1))
    assert expected in message


def test_a_level_without_a_catch_all_region_kind_is_refused(tmp_path):
    broken = VALID.replace(
        'level = "county"\ngovernment', 'level = "county"\nsuffix = "县"\ngovernment'
    )
    assert "no catch-all entry" in load_error(tmp_path, broken)


def test_covering_in_a_circle_is_refused(tmp_path):
    broken = VALID.replace('code = "housing"', 'code = "housing"\ncovered_by = "urban"', 1).replace(
        'national = "住房和城乡建设部"\n', ""
    )
    message = load_error(tmp_path, broken)
    assert "field 'covered_by' goes round in a circle" in message


def test_a_chain_of_covering_departments_is_followed(tmp_path):
    chained = VALID.replace('code = "tax"', 'code = "tax2"\ncovered_by = "urban"', 1)
    chained = chained.replace("vertical = true\n", "").replace('national = "国家税务总局"\n', "")
    orgs, _ = load_text(tmp_path, chained)
    assert orgs.get("tax2").name_at("national") == "住房和城乡建设部"


# ── names per level ───────────────────────────────────────────────────────────────────────


def test_name_at_each_level():
    housing = ORGS.get("housing")
    assert housing.name_at("national") == "住房和城乡建设部"
    assert housing.name_at("province", "河南省") == "河南省住房和城乡建设厅"
    assert housing.name_at("city", "郑州市") == "郑州市住房和城乡建设局"
    assert housing.name_at("county", "中牟县") == "中牟县住房和城乡建设局"
    # a province-level city (直辖市) uses its own form
    assert housing.name_at("province", "北京市") == "北京市住房和城乡建设委员会"
    assert ORGS.get("civil_affairs").name_at("province", "上海市") == "上海市民政局"
    # counties have a 卫生健康局, cities a 卫生健康委员会
    assert ORGS.get("health").name_at("city", "郑州市") == "郑州市卫生健康委员会"
    assert ORGS.get("health").name_at("county", "中牟县") == "中牟县卫生健康局"
    assert ORGS.get("education").name_at("city", "") == "属地教育局"


def test_a_department_without_a_unit_falls_back_to_the_one_covering_it():
    urban = ORGS.get("urban_management")
    assert not urban.has_unit("national")
    assert urban.name_at("national") == "住房和城乡建设部"  # 住建部 guides 城管
    assert urban.name_at("city", "郑州市") == "郑州市城市管理局"
    drugs = ORGS.get("drugs")
    assert drugs.name_at("province", "河南省") == "河南省药品监督管理局"
    assert drugs.name_at("city", "郑州市") == "郑州市市场监督管理局"


def test_vertical_systems_are_named_after_their_own_pattern():
    assert ORGS.get("tax").name_at("city", "郑州市") == "国家税务总局郑州市税务局"
    regulator = ORGS.get("financial_regulation")
    assert regulator.name_at("province", "河南省") == "国家金融监督管理总局河南监管局"
    assert regulator.name_at("city", "郑州市") == "国家金融监督管理总局郑州监管分局"
    assert regulator.name_at("county", "中牟县") == "国家金融监督管理总局中牟监管支局"
    # ethnic names drop out of short names, but not the ones that are the place's name
    assert regulator.name_at("province", "新疆维吾尔自治区") == "国家金融监督管理总局新疆监管局"
    assert regulator.name_at("province", "内蒙古自治区") == "国家金融监督管理总局内蒙古监管局"
    assert regulator.name_at("province", "西藏自治区") == "国家金融监督管理总局西藏监管局"
    survey = ORGS.get("statistics_survey")
    assert survey.name_at("province", "广西壮族自治区") == "国家统计局广西调查总队"
    assert ORGS.get("meteorology").name_at("county", "中牟县") == "中牟县气象局"


def test_an_unknown_level_is_refused():
    with pytest.raises(ValueError, match="'prefecture'"):
        ORGS.get("housing").name_at("prefecture", "郑州市")


# ── recognition ───────────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("住建局什么时候管一管", "housing"),
        ("房管局说不归他们管", "housing"),
        ("卫健委回复说已经在调查", "health"),
        ("人社局的电话一直打不通", "hrss"),
        ("市监局的人来了一趟就走了", "market"),
        ("城管局的执法人员态度很差", "urban_management"),
        ("打电话给交警也没有用", "traffic_police"),
        ("国土局去年就应该处理了", "natural_resources"),
        ("郑州市住房和城乡建设局", "housing"),
        ("向１２３１５投诉过", "market"),  # full-width digits are folded
        ("税务局说这个不归他们", "tax"),
    ],
)
def test_aliases_and_official_names_name_the_department(text, code):
    match = top(text)
    assert match.department.code == code
    assert match.named


def test_traffic_police_is_a_unit_of_public_security():
    traffic = ORGS.get("traffic_police")
    assert traffic.part_of == "public_security"
    assert traffic.area == "交通运输"
    assert traffic.name_at("city", "郑州市") == "郑州市公安局交通警察支队"


def test_topic_words_find_departments_and_report_what_matched():
    matches = ORGS.recognise("公司拖欠工资半年，社保也停缴了")
    assert matches[0].department.code == "hrss"
    assert matches[0].area == "劳动和社会保障"
    assert matches[0].named == ()
    assert matches[0].topics == ("公司", "拖欠工资", "社保", "停缴")
    assert matches[0].score == 1 + 3 + 3 + 3


def test_a_named_department_outranks_a_better_topic_match():
    text = "工地夜间施工噪音扰民，粉尘污染严重，刺鼻的味道，我们找了城管局"
    matches = ORGS.recognise(text)
    assert matches[0].department.code == "urban_management"
    assert matches[0].named == ("城管局",)
    environment = next(m for m in matches if m.department.code == "environment")
    assert environment.score > matches[0].score - NAME_SCORE
    assert not environment.named


def test_the_longest_word_wins_and_repeats_are_capped():
    matches = ORGS.recognise("食品安全")
    assert matches[0].topics == ("食品安全",)
    assert [m.department.code for m in matches] == ["market"]
    noisy = ORGS.recognise("噪音" * 10)
    assert noisy[0].score == 3 * 3


def test_a_post_about_nothing_in_the_directory_matches_nothing():
    assert ORGS.recognise("今天天气不错，出去走走") == []
    assert ORGS.recognise("") == []


@pytest.mark.parametrize(
    ("text", "area"),
    [
        ("A市某小区物业长期不作为，电梯坏了三个月没人修", "城乡建设"),
        ("孩子上学划片不合理，离家近的学校进不去", "教育文体"),
        ("公司拖欠工资半年，老板不见人", "劳动和社会保障"),
        ("某饭店后厨卫生差，蟑螂到处爬", "商贸旅游"),
        ("小区旁工地夜间施工噪音扰民", "环境保护"),
        ("医院乱收费，医生态度恶劣", "卫生计生"),
        ("公交线路调整后站点取消，出行不便", "交通运输"),
    ],
)
def test_the_brief_examples(text, area):
    assert top(text).area == area


# ── lead department ───────────────────────────────────────────────────────────────────────


def test_the_named_department_leads():
    matches = ORGS.recognise("物业不管小区噪音，公安局也不管")
    assert ORGS.lead(matches).code == "public_security"


def test_the_coordinator_leads_when_substantially_involved():
    text = "化工厂发生爆炸事故，造成人员伤亡，周边河水受到污染"
    matches = ORGS.recognise(text)
    codes = [m.department.code for m in matches]
    assert "environment" in codes and "emergency" in codes
    assert ORGS.lead(matches).code == "emergency"


def test_a_passing_mention_does_not_take_the_lead():
    text = "老师体罚学生，班主任还让孩子罚站，学校不处理，家长只好带孩子去医院"
    matches = ORGS.recognise(text)
    assert matches[0].department.code == "education"
    assert "health" in [m.department.code for m in matches]
    assert ORGS.lead(matches).code == "education"


def test_lead_needs_a_match():
    with pytest.raises(ValueError, match="at least one"):
        ORGS.lead([])


# ── offices, propaganda departments, leaders, co-ordination ───────────────────────────────


@pytest.mark.parametrize(
    ("level", "region", "office", "propaganda", "leader"),
    [
        ("national", "", "国务院办公厅", "中共中央宣传部（国务院新闻办公室）", "国务院总理"),
        ("province", "河南省", "河南省人民政府办公厅", "中共河南省委宣传部", "河南省人民政府省长"),
        (
            "province",
            "广西壮族自治区",
            "广西壮族自治区人民政府办公厅",
            "中共广西壮族自治区委员会宣传部",
            "广西壮族自治区人民政府主席",
        ),
        ("province", "北京市", "北京市人民政府办公厅", "中共北京市委宣传部", "北京市人民政府市长"),
        ("city", "郑州市", "郑州市人民政府办公室", "中共郑州市委宣传部", "郑州市人民政府市长"),
        (
            "city",
            "延边朝鲜族自治州",
            "延边朝鲜族自治州人民政府办公室",
            "中共延边州委宣传部",
            "延边朝鲜族自治州人民政府州长",
        ),
        (
            "city",
            "阿里地区",
            "阿里地区行政公署办公室",
            "中共阿里地委宣传部",
            "阿里地区行政公署专员",
        ),
        ("county", "中牟县", "中牟县人民政府办公室", "中共中牟县委宣传部", "中牟县人民政府县长"),
        ("county", "金水区", "金水区人民政府办公室", "中共金水区委宣传部", "金水区人民政府区长"),
        (
            "county",
            "鄂托克旗",
            "鄂托克旗人民政府办公室",
            "中共鄂托克旗委宣传部",
            "鄂托克旗人民政府旗长",
        ),
        ("county", "巩义市", "巩义市人民政府办公室", "中共巩义市委宣传部", "巩义市人民政府市长"),
    ],
)
def test_offices_and_leaders(level, region, office, propaganda, leader):
    assert ORGS.general_office(level, region) == office
    assert ORGS.propaganda_department(level, region) == propaganda
    assert ORGS.main_leader(level, region) == leader


def test_a_vertical_system_is_coordinated_by_its_higher_office():
    tax = ORGS.get("tax")
    assert tax.coordinating_office("province", "河南省") == "国家税务总局办公厅"
    assert tax.coordinating_office("county", "中牟县", "郑州市") == "国家税务总局郑州市税务局办公室"
    assert tax.coordinating_office("city", "郑州市") == "国家税务总局郑州市税务局的上级机关办公室"
    assert ORGS.coordination(tax, "city", "郑州市", "河南省") == (
        "国家税务总局河南省税务局办公室",
        "中共郑州市委宣传部",
    )


def test_a_local_department_is_coordinated_by_the_same_level_government():
    housing = ORGS.get("housing")
    assert ORGS.coordination(housing, "city", "郑州市") == (
        "郑州市人民政府办公室",
        "中共郑州市委宣传部",
    )
    with pytest.raises(ValueError, match="not vertically managed"):
        housing.coordinating_office("city", "郑州市")


# ── quality on message-board posts ────────────────────────────────────────────────────────


def board_messages() -> list[dict[str, str]]:
    with BOARD.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def test_the_board_messages_are_a_balanced_labelled_set():
    rows = board_messages()
    counts = Counter(row["area"] for row in rows)
    assert set(counts) == set(EVALUATED_AREAS)
    assert all(18 <= n <= 25 for n in counts.values()), counts
    assert len({row["text"] for row in rows}) == len(rows)
    assert all(len(row["text"]) >= 60 for row in rows)


def test_the_top_department_matches_the_human_area_on_board_messages():
    rows = board_messages()
    confusion: Counter[tuple[str, str]] = Counter()
    for row in rows:
        matches = ORGS.recognise(row["text"])
        confusion[row["area"], matches[0].area if matches else "(none)"] += 1
    right = sum(n for (want, got), n in confusion.items() if want == got)
    accuracy = right / len(rows)
    print(f"board messages: area accuracy {right}/{len(rows)} = {accuracy:.1%}")
    wrong = "\n".join(
        f"  {want} → {got}: {n}" for (want, got), n in sorted(confusion.items()) if want != got
    )
    assert accuracy >= 0.80, f"area accuracy {accuracy:.1%} < 80%; confusion:\n{wrong}"
