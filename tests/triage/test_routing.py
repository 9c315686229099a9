import pytest

from yuqing.triage.routing import DirectoryError, Jurisdiction, load_directory, route

DIRECTORY = load_directory()
HUNAN = Jurisdiction("湖南省", "provincial", "省政府办公厅")
CHENGDU = Jurisdiction("成都市", "municipal")


def test_a_local_matter_goes_to_the_department_involved_at_that_level():
    r = route("开福区某小区业主反映开发商逾期交房一年", "public_interest", "一般", HUNAN, DIRECTORY)
    assert r.responsible_party == "湖南省住房和城乡建设厅"
    assert r.coordinator == "湖南省人民政府办公厅会同宣传部门"
    assert r.referral == ""


def test_city_offices_are_offices_not_general_offices():
    r = route("公交线路突然取消，市民出行困难", "public_interest", "一般", CHENGDU, DIRECTORY)
    assert r.responsible_party == "成都市交通运输局"
    assert r.coordinator == "成都市人民政府办公室会同宣传部门"


def test_a_national_policy_misreading_goes_to_the_state_council_department():
    text = "网传国务院新规：延迟退休后所有人都要65岁才能领养老金"
    r = route(text, "policy_misreading", "一般", HUNAN, DIRECTORY)
    assert r.responsible_party == "人力资源和社会保障部"
    assert r.coordinator.startswith("国务院办公厅")


def test_a_vertically_managed_department_is_coordinated_from_above():
    r = route(
        "个税汇算退税迟迟不到账，税务窗口说系统问题", "public_interest", "一般", HUNAN, DIRECTORY
    )
    assert r.responsible_party == "湖南省税务局"
    assert r.coordinator.startswith("国家税务总局办公厅")


def test_several_localities_go_up_a_level():
    r = route(
        "湖南、江西两省交界河道出现大面积死鱼，疑似化工厂排污",
        "public_interest",
        "一般",
        HUNAN,
        DIRECTORY,
    )
    assert r.responsible_party.startswith("生态环境部")
    assert any("多个地方" in reason for reason in r.reasons)


def test_several_departments_get_a_lead():
    r = route("学校食堂食物中毒，卫健部门称患者已送医院", "emergency", "一般", CHENGDU, DIRECTORY)
    assert "牵头" in r.responsible_party
    assert any("多个部门" in reason for reason in r.reasons)


def test_extra_major_puts_the_government_leader_in_charge_and_rumours_are_referred():
    r = route("化工园区爆炸", "emergency", "特别重大", CHENGDU, DIRECTORY)
    assert r.coordinator.startswith("成都市人民政府主要负责同志负领导责任")
    rumour = route("网传水库要溃坝，紧急扩散", "rumour", "一般", CHENGDU, DIRECTORY, rumour=True)
    assert "公安机关" in rumour.referral


def test_no_department_named_falls_back_to_the_category_then_the_source():
    r = route("某地发生一起事件", "emergency", "一般", CHENGDU, DIRECTORY)
    assert r.responsible_party == "成都市应急管理局"
    r = route("说不清是什么的事", "moral_bottom_line", "一般", HUNAN, DIRECTORY)
    assert r.responsible_party == "省政府办公厅"


def test_a_broken_directory_names_the_entry(tmp_path):
    path = tmp_path / "dir.toml"
    path.write_text('[[department]]\ncode = "x"\nnational = "X部"\nlocal = "X局"\n', "utf-8")
    with pytest.raises(DirectoryError, match=r"department #1: missing field 'keywords'"):
        load_directory(path)
