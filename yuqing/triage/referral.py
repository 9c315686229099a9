"""Rumour referral (section 二, last paragraph of the notice).

对涉及社会秩序和国家利益的造谣传谣行为, the government does not only answer: it hands the matter
to the public security organ and the internet regulator (网信) of its jurisdiction. A case records
a referral when both hold:

- the event's rumour score is high: a post of it was flagged as a rumour, or scored at least
  ``REFERRAL_SCORE`` on that label; the classifier's doubt alone never refers anyone;
- a post of it threatens social order or national interest (``threats``: panic, calls to gather,
  fabricated official notices, fabricated disaster tolls, …).

The referral carries the evidence as captured: every post of the event, with its URL, source,
text in the script it was published in, and when it was published and fetched.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from yuqing.storage.schema import Case, Post, Referral, Source
from yuqing.triage.cases import add_event
from yuqing.triage.threats import Threat, threatens_order, threats

#: a rumour score at or above this counts as high, flagged or not
REFERRAL_SCORE = 0.5
#: posts of an event kept as evidence, the earliest first (the rumour's origin matters most)
EVIDENCE_POSTS = 100
#: characters of each post's text kept in the evidence
EVIDENCE_CHARS = 5000

THREAT_NAMES = {
    "panic": "制造恐慌",
    "gathering": "煽动聚集",
    "fake_official": "伪造官方通知",
    "fake_toll": "编造灾情伤亡数字",
    "national_interest": "危害国家利益",
    "calls_to_forward": "号召转发扩散",
}


def rumour_is_high(score: float, flagged: bool) -> bool:
    return flagged or score >= REFERRAL_SCORE


def referral_reasons(score: float, flagged: bool, found: Sequence[Threat]) -> list[str] | None:
    """Why the case must be referred, in words; None when it must not."""
    if not rumour_is_high(score, flagged) or not threatens_order(found):
        return None
    reasons = [f"谣言判定：{'已标记为造谣传谣' if flagged else '谣言得分'}（{score:.2f}）"]
    for threat in found:
        reasons.append(f"{THREAT_NAMES.get(threat.kind, threat.kind)}：“{threat.phrase}”")
    return reasons


def check_post(text: str, score: float, flagged: bool) -> list[str] | None:
    if not rumour_is_high(score, flagged):
        return None  # the markers are only read for a likely rumour: most posts are not
    return referral_reasons(score, flagged, threats(text))


def refer(
    session: Session, case: Case, organs: Sequence[str], reasons: Sequence[str], now: datetime
) -> Referral:
    """Record (or refresh) the case's referral to ``organs`` with its event's evidence as of
    ``now``."""
    evidence = _evidence(session, case)
    referral = session.scalar(select(Referral).where(Referral.case_id == case.id))
    if referral is None:
        referral = Referral(
            case_id=case.id,
            at=now,
            organs=list(organs),
            reasons=list(reasons),
            evidence=evidence,
            updated_at=now,
        )
        session.add(referral)
        case.referral = "、".join(referral.organs)
        add_event(session, case, "triage", "referred", now, organs=referral.organs, reasons=reasons)
    else:
        referral.reasons = list(dict.fromkeys([*referral.reasons, *reasons]))
        referral.evidence = evidence
        referral.updated_at = now
    case.updated_at = now
    return referral


def _evidence(session: Session, case: Case) -> list[dict[str, Any]]:
    where = Post.event_id == case.event_id if case.event_id is not None else Post.id == case.post_id
    rows = session.execute(
        select(
            Post.id,
            Post.canonical_url,
            Source.name,
            Post.title,
            Post.original_text,
            Post.published_at,
            Post.fetched_at,
        )
        .join(Source, Source.id == Post.source_id)
        .where(where)
        .order_by(Post.id)
        .limit(EVIDENCE_POSTS)
    )
    return [
        {
            "post_id": post_id,
            "url": url,
            "source": source,
            "title": title,
            "text": text[:EVIDENCE_CHARS],
            "published_at": published.isoformat() if published else None,
            "fetched_at": fetched.isoformat(),
        }
        for post_id, url, source, title, text, published, fetched in rows
    ]
