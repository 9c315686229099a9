import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import ClassVar
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from yuqing.crawlers.sources import SourceSpec
from yuqing.storage.posts import NewPost, store_posts
from yuqing.storage.schema import Case, CaseEvent, Classification, Post, Referral
from yuqing.storage.sources import add_source
from yuqing.triage.cases import choose_category
from yuqing.triage.queue import as_json, daily_queue, format_table
from yuqing.triage.responsibility import default_rules
from yuqing.triage.run import triage
from yuqing.triage.sweep import sweep

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 27, 4, 0, tzinfo=UTC)  # 12:00 in Beijing


@dataclass
class Flags:
    scores: dict[str, float]
    labels: list[str]
    reasons: dict[str, list[str]] = field(default_factory=dict)


class KeywordPredictor:
    """A stand-in for the trained model (the model has its own tests): flags by keyword, so these
    tests pin triage's rules, not the model's judgement."""

    RULES: ClassVar[dict[str, str]] = {
        "emergency": "遇难",
        "public_interest": "欠薪",
        "rumour": "网传",
    }

    def __init__(self):
        self.calls = 0

    def predict(self, texts):
        self.calls += 1
        out = []
        for text in texts:
            scores = {label: (0.9 if word in text else 0.1) for label, word in self.RULES.items()}
            labels = [label for label, s in scores.items() if s > 0.5]
            out.append(Flags(scores, labels, {label: [self.RULES[label]] for label in labels}))
        return out


def seed_posts(sessions):
    texts = [
        ("煤矿透水", "某煤矿发生透水事故，已致12名矿工遇难", NOW - timedelta(hours=2)),
        ("讨薪", "工地欠薪三个月，农民工讨薪无门", NOW - timedelta(hours=50)),
        ("\x1b[2J网传\u202e消息", "网传水库要溃坝，紧急扩散", NOW - timedelta(hours=1)),
        ("点赞", "给社区工作人员点赞", NOW - timedelta(hours=3)),
    ]
    with sessions.begin() as s:
        src = add_source(
            s,
            SourceSpec("阜平县政府网", "http://127.0.0.1/f.rss", "130624", "阜平县", "county"),
            NOW,
        )
        posts = [
            NewPost(f"http://127.0.0.1/{i}", None, t, body, body, None, published, f"{i:064d}")
            for i, (t, body, published) in enumerate(texts)
        ]
        store_posts(s, src.id, posts, NOW - timedelta(minutes=30))


def test_choose_category_prefers_the_incident_and_files_lone_rumours():
    assert (
        choose_category(["public_interest", "emergency"], {"public_interest": 0.99}) == "emergency"
    )
    assert choose_category(["rumour", "public_interest"], {}) == "public_interest"
    assert choose_category(["rumour"], {}) == "rumour"
    assert choose_category([], {}) is None


def test_triage_opens_cases_with_deadlines_owners_and_an_audit_trail(sessions):
    seed_posts(sessions)
    predictor = KeywordPredictor()
    report = triage(sessions, predictor, "kw-1", default_rules(), lambda: NOW, batch_size=3)
    assert (report.classified, report.flagged, report.cases_opened) == (4, 3, 3)
    assert predictor.calls == 2  # batches of 3
    with sessions() as s:
        assert s.scalar(select(func.count(Classification.id))) == 4 * 3
        mine = s.scalar(select(Case).join(Post).where(Post.title == "煤矿透水"))
        assert (mine.category, mine.severity, mine.response_form) == (
            "emergency",
            "重大",
            "press_conference",
        )
        assert mine.due_at == NOW - timedelta(hours=2) + timedelta(hours=24)
        assert mine.responsible_party == "阜平县应急管理局"
        wages = s.scalar(select(Case).where(Case.category == "public_interest"))
        assert wages.response_form == "response"
        assert wages.due_at == NOW - timedelta(hours=50) + timedelta(hours=48)
        rumour = s.scalar(select(Case).where(Case.category == "rumour"))
        # "网传水库要溃坝，紧急扩散": a rumour with a fabricated disaster and a call to spread it
        assert rumour.referral == "阜平县公安局、中共阜平县委网络安全和信息化委员会办公室"
        referral = s.scalar(select(Referral).where(Referral.case_id == rumour.id))
        assert referral.evidence[0]["url"] == "http://127.0.0.1/2"
        assert "水库要溃坝" in referral.evidence[0]["text"]
        assert referral.evidence[0]["published_at"] is not None
        assert [e.action for e in rumour.events] == ["opened", "referred"]
        events = s.scalars(select(CaseEvent).where(CaseEvent.case_id == mine.id)).all()
        assert [(e.action, e.actor) for e in events] == [("opened", "triage")]
        assert events[0].detail["model_version"] == "kw-1"
    # Nothing is triaged twice; a new model re-triages recent posts but opens no second case.
    assert triage(sessions, predictor, "kw-1", default_rules(), lambda: NOW).classified == 0
    again = triage(
        sessions, predictor, "kw-2", default_rules(), lambda: NOW, since=NOW - timedelta(days=7)
    )
    assert (again.classified, again.cases_opened) == (4, 0)
    with sessions() as s:
        versions = s.scalars(select(Classification.model_version).distinct()).all()
        assert sorted(versions) == ["kw-1", "kw-2"]


def test_sweep_marks_overdue_cases_once(sessions):
    seed_posts(sessions)
    triage(sessions, KeywordPredictor(), "kw-1", default_rules(), lambda: NOW)
    rules = default_rules()
    with sessions.begin() as s:
        # the wage case: surfaced 50 h ago, 48 h allowed; the rumour, 1 h old, is on track
        assert sweep(s, NOW, rules).overdue == 1
    with sessions.begin() as s:
        assert sweep(s, NOW, rules).overdue == 0
    with sessions.begin() as s:
        assert (
            sweep(s, NOW + timedelta(hours=30), rules).overdue == 1
        )  # the mine: 24 h from 2 h ago


def test_queue_orders_by_gravity_then_deadline_and_is_safe_to_print(sessions):
    seed_posts(sessions)
    triage(sessions, KeywordPredictor(), "kw-1", default_rules(), lambda: NOW)
    with sessions() as s:
        items = daily_queue(s, date(2026, 11, 27), SHANGHAI, NOW)
    assert [i.severity for i in items] == ["重大", "一般", "一般"]
    assert items[1].overdue and items[1].category == "public_interest"
    table = format_table(items, date(2026, 11, 27), SHANGHAI)
    assert "\x1b" not in table and "\u202e" not in table
    assert "网传 消息" in table
    assert "超期 2小时0分" in table
    assert "新闻发布会 11-28 10:00 剩余 22小时0分" in table
    assert "阜平县应急管理局" in table
    assert "↳ 组织协调：阜平县人民政府办公室、中共阜平县委宣传部" in table
    data = json.loads(json.dumps(as_json(items, SHANGHAI), ensure_ascii=False))
    assert data[0]["due_at"] == "2026-11-28T10:00:00+08:00"
    assert any("12名矿工遇难" in reason for reason in data[0]["reasons"])
    assert data[0]["flags"] == {"emergency": ["遇难"]}  # the predictor's reasons, as stored
    assert "↳ 依据：突发事件：遇难" in table
    assert data[1]["seconds_left"] == -2 * 3600
    assert data[2]["title"].startswith("\x1b[2J")  # JSON keeps the data; the encoder escapes it


def test_queue_of_an_earlier_day_and_an_empty_day(sessions):
    seed_posts(sessions)
    triage(sessions, KeywordPredictor(), "kw-1", default_rules(), lambda: NOW)
    with sessions() as s:
        assert daily_queue(s, date(2026, 11, 26), SHANGHAI, NOW) == []
        assert (
            len(daily_queue(s, date(2026, 11, 28), SHANGHAI, NOW)) == 3
        )  # still open: carried over
    assert "无需重点回应" in format_table([], date(2026, 11, 26), SHANGHAI)
