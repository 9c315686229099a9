"""Cases follow events: reposts make one case, growth regrades it, merges keep both histories,
threatening rumours are referred. A fixed ``now`` throughout."""

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from yuqing.crawlers.sources import SourceSpec
from yuqing.storage.posts import NewPost, store_posts
from yuqing.storage.schema import Case, CaseEvent, Referral, SignatureBand
from yuqing.storage.sources import add_source
from yuqing.triage.case_view import case_view, format_case
from yuqing.triage.queue import as_json, daily_queue
from yuqing.triage.responsibility import default_rules
from yuqing.triage.run import triage

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 27, 4, 0, tzinfo=UTC)

LANDSLIDE = (
    "11月26日凌晨，青石镇发生山体滑坡，已造成{dead}人死亡。县应急管理局已启动应急响应，"
    "消防、武警等救援力量正在现场搜救，附近道路已封闭，请过往车辆绕行，救援工作仍在进行中。"
)


@dataclass
class Flags:
    scores: dict[str, float]
    labels: list[str]
    reasons: dict[str, list[str]] = field(default_factory=dict)


class KeywordPredictor:
    """A stand-in for the trained model (it has its own tests), so that these tests pin the
    case rules, not the model's judgement."""

    RULES = {"emergency": "死亡", "rumour": "网传"}  # noqa: RUF012

    def predict(self, texts):
        out = []
        for text in texts:
            scores = {label: (0.9 if word in text else 0.1) for label, word in self.RULES.items()}
            out.append(Flags(scores, [label for label, s in scores.items() if s > 0.5]))
        return out


def sources(sessions):
    with sessions.begin() as s:
        return [
            add_source(
                s, SourceSpec(name, f"http://{host}/feed.rss", "410122", "中牟县", "county"), NOW
            ).id
            for name, host in (
                ("中牟发布", "127.0.0.1"),
                ("中牟论坛", "localhost"),
                ("网友", "a.test"),
            )
        ]


def post(sessions, source_id, url, title, text, published, fetched):
    with sessions.begin() as s:
        digest = hashlib.sha256(text.encode()).hexdigest()
        store_posts(
            s, source_id, [NewPost(url, None, title, text, text, None, published, digest)], fetched
        )


def run(sessions, now):
    return triage(sessions, KeywordPredictor(), "kw-1", default_rules(), lambda: now)


def test_reposts_from_several_sources_make_one_case_with_the_events_heat(sessions):
    a, b, c = sources(sessions)
    text = LANDSLIDE.format(dead=3)
    post(sessions, a, "http://127.0.0.1/1", "青石镇山体滑坡", text, NOW - timedelta(hours=3), NOW)
    first = run(sessions, NOW)
    assert (first.cases_opened, first.events_created) == (1, 1)
    later = NOW + timedelta(minutes=30)
    post(sessions, b, "http://localhost/2", "转：青石镇山体滑坡", "转发：" + text, None, later)
    post(sessions, c, "http://a.test/3", "滑坡", text + "祈祷平安！", None, later)
    second = run(sessions, later)
    assert (second.cases_opened, second.cases_joined, second.events_created) == (0, 2, 0)
    with sessions() as s:
        assert s.scalar(select(func.count(Case.id))) == 1
        case = s.scalar(select(Case))
        assert [e.action for e in case.events] == ["opened", "posts_joined"]
        assert case.events[1].detail["count"] == 2
        items = daily_queue(s, date(2026, 11, 27), SHANGHAI, later)
    (item,) = as_json(items, SHANGHAI)
    assert item["event"]["heat"]["posts"] == 3
    assert item["event"]["heat"]["sources"] == 3
    assert item["event"]["heat"]["platforms"] == 3
    assert item["event"]["urls"] == ["http://127.0.0.1/1", "http://localhost/2", "http://a.test/3"]
    assert item["event"]["severity"] == "较大"
    assert item["routing"]["first_responsible"] == "中牟县应急管理局"


def test_a_case_graded_larger_becomes_major_and_gets_a_press_conference_from_the_upgrade(sessions):
    a, b, _ = sources(sessions)
    surfaced = NOW - timedelta(hours=2)
    post(
        sessions, a, "http://127.0.0.1/1", "青石镇山体滑坡", LANDSLIDE.format(dead=3), surfaced, NOW
    )
    run(sessions, NOW)
    with sessions() as s:
        case = s.scalar(select(Case))
        assert (case.severity, case.response_form) == ("较大", "response")
        assert case.due_at == surfaced + timedelta(hours=48)
        assert any("3人死亡" in r for r in case.severity_reasons)
    upgrade_at = NOW + timedelta(hours=5)
    follow_up = LANDSLIDE.format(dead=12) + "记者从现场获悉，死亡人数已升至12人。"
    post(
        sessions, b, "http://localhost/2", "最新：滑坡死亡人数升至12人", follow_up, None, upgrade_at
    )
    report = run(sessions, upgrade_at)
    assert (report.cases_opened, report.cases_regraded) == (0, 1)
    with sessions() as s:
        case = s.scalar(select(Case))
        assert (case.severity, case.response_form) == ("重大", "press_conference")
        # 24 hours from the upgrade, earlier than the 48 hours from surfacing it had
        assert case.due_at == upgrade_at + timedelta(hours=24)
        actions = [e.action for e in case.events]
        assert actions == ["opened", "posts_joined", "regraded", "deadline_changed"]
        regraded = case.events[2].detail
        assert (regraded["from"], regraded["to"]) == ("较大", "重大")
        assert any("12人" in r for r in regraded["reasons"])
    # Growth never lowers a grade or moves a deadline later.
    calm = upgrade_at + timedelta(hours=1)
    post(
        sessions,
        a,
        "http://127.0.0.1/3",
        "滑坡",
        LANDSLIDE.format(dead=3) + "现场秩序良好。",
        None,
        calm,
    )
    run(sessions, calm)
    with sessions() as s:
        case = s.scalar(select(Case))
        assert (case.severity, case.due_at) == ("重大", upgrade_at + timedelta(hours=24))


def test_an_upgrade_keeps_an_earlier_deadline(sessions):
    a, b, _ = sources(sessions)
    surfaced = NOW - timedelta(hours=40)  # 48-hour deadline: 8 hours from NOW
    post(sessions, a, "http://127.0.0.1/1", "滑坡", LANDSLIDE.format(dead=3), surfaced, NOW)
    run(sessions, NOW)
    post(sessions, b, "http://localhost/2", "滑坡", LANDSLIDE.format(dead=15), None, NOW)
    run(sessions, NOW)
    with sessions() as s:
        case = s.scalar(select(Case))
        assert (case.severity, case.response_form) == ("重大", "press_conference")
        assert case.due_at == surfaced + timedelta(hours=48)


PART1 = "11月26日凌晨，青石镇发生山体滑坡，多间民房被掩埋，县应急管理局已启动应急响应。"
PART2 = "消防、武警、民兵等救援力量三百余人正在现场搜救，附近道路已封闭，请过往车辆绕行。"
PART3 = "截至27日上午，滑坡已造成12人死亡，县政府已在镇中学设立临时安置点，转移群众两百余人。"


def test_two_events_found_to_be_one_merge_their_cases_keeping_both_histories(sessions):
    a, b, _ = sources(sessions)
    first = PART1 + "目前已造成3人死亡。" + PART2
    post(sessions, a, "http://127.0.0.1/1", "滑坡", first, NOW - timedelta(hours=1), NOW)
    run(sessions, NOW)
    later = NOW + timedelta(hours=1)
    post(sessions, b, "http://localhost/2", "安置", PART2 + PART3, NOW, later)
    run(sessions, later)
    with sessions() as s:
        older, younger = s.scalars(select(Case).order_by(Case.id)).all()
        assert older.event_id != younger.event_id
        assert younger.severity == "重大" and older.severity == "较大"
        younger_due = younger.due_at
    # The full report shows the two were one story.
    merge_at = later + timedelta(hours=1)
    post(sessions, a, "http://127.0.0.1/9", "滑坡", PART1 + PART2 + PART3, None, merge_at)
    report = run(sessions, merge_at)
    assert report.cases_merged == 1
    with sessions() as s:
        older, younger = s.scalars(select(Case).order_by(Case.id)).all()
        assert (younger.status, younger.merged_into_id) == ("merged", older.id)
        assert older.status == "open"
        assert older.severity == "重大"  # the graver of the two
        assert older.response_form == "press_conference"
        assert older.due_at == min(younger_due, older.due_at)
        assert older.event_id == younger.event_id
        assert [e.action for e in younger.events][-1] == "merged"
        assert "merged_from" in [e.action for e in older.events]
        view = case_view(s, older.id, merge_at)
        items = daily_queue(s, date(2026, 11, 27), SHANGHAI, merge_at)
    assert view["merged_cases"] == [younger.id]
    assert {h["case_id"] for h in view["history"]} == {older.id, younger.id}
    assert view["event"]["heat"]["posts"] == 3
    assert "案件" in format_case(view, SHANGHAI)
    assert [i.case_id for i in items] == [older.id]  # the merged case leaves the queue


def test_a_fabricated_disaster_toll_spread_with_calls_to_forward_is_referred(sessions):
    a, _, _ = sources(sessions)
    rumour = (
        "网传青石镇水库已经溃坝，实际死亡三百多人，官方一直隐瞒不报！"
        "家里有亲戚在下游的赶紧撤离，看到的速转扩散，让更多人知道！"
    )
    seen = NOW - timedelta(minutes=40)
    post(sessions, a, "http://127.0.0.1/r1", "紧急扩散", rumour, seen, NOW)
    report = run(sessions, NOW)
    assert report.referrals == 1
    with sessions() as s:
        case = s.scalar(select(Case))
        referral = s.scalar(select(Referral).where(Referral.case_id == case.id))
        assert referral.organs == ["中牟县公安局", "中共中牟县委网络安全和信息化委员会办公室"]
        assert case.referral == "中牟县公安局、中共中牟县委网络安全和信息化委员会办公室"
        (evidence,) = referral.evidence
        assert evidence["url"] == "http://127.0.0.1/r1"
        assert evidence["text"] == rumour
        assert evidence["published_at"] == seen.isoformat()
        assert evidence["fetched_at"] == NOW.isoformat()
        assert any("编造灾情伤亡数字" in r for r in referral.reasons)
        assert any("号召转发扩散" in r for r in referral.reasons)
        assert s.scalar(select(func.count(CaseEvent.id)).where(CaseEvent.action == "referred")) == 1


def test_a_plain_rumour_without_threat_is_not_referred(sessions):
    a, _, _ = sources(sessions)
    post(
        sessions,
        a,
        "http://127.0.0.1/r2",
        "网传",
        "网传新开的奶茶店老板是明星的亲戚，不知真假。",
        None,
        NOW,
    )
    report = run(sessions, NOW)
    assert report.cases_opened == 1 and report.referrals == 0
    with sessions() as s:
        assert s.scalar(select(func.count(Referral.id))) == 0


def test_retriage_with_a_new_model_regroups_nothing_and_joins_nothing(sessions):
    a, b, _ = sources(sessions)
    text = LANDSLIDE.format(dead=3)
    post(sessions, a, "http://127.0.0.1/1", "滑坡", text, None, NOW)
    post(sessions, b, "http://localhost/2", "滑坡", "转发：" + text, None, NOW)
    run(sessions, NOW)
    with sessions() as s:
        bands = s.scalar(select(func.count()).select_from(SignatureBand))
        history = s.scalar(select(func.count(CaseEvent.id)))
    again = triage(
        sessions,
        KeywordPredictor(),
        "kw-2",
        default_rules(),
        lambda: NOW,
        since=NOW - timedelta(days=1),
    )
    assert (again.classified, again.events_created, again.cases_opened, again.cases_joined) == (
        2,
        0,
        0,
        0,
    )
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(SignatureBand)) == bands
        assert s.scalar(select(func.count(CaseEvent.id))) == history
