"""The notice's key-response categories (国办发〔2016〕61号, section 二) and the rumour flag.

This module is the one place where label codes are defined; the classifier, triage, storage and
the CLI all import them from here.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Category:
    code: str
    name_zh: str
    #: a few characters, for tables
    short_zh: str
    notice_item: str
    #: whether the classifier can see it in a post's text (category five cannot)
    from_text: bool


POLICY_MISREADING = "policy_misreading"
PUBLIC_INTEREST = "public_interest"
MORAL_BOTTOM_LINE = "moral_bottom_line"
EMERGENCY = "emergency"
SUPERIOR_REQUEST = "superior_request"
RUMOUR = "rumour"
NONE = "none"

CATEGORIES: dict[str, Category] = {
    c.code: c
    for c in (
        Category(POLICY_MISREADING, "对重大政策措施存在误解误读", "政策误读", "二(1)", True),
        Category(PUBLIC_INTEREST, "涉及公众切身利益且产生较大影响", "切身利益", "二(2)", True),
        Category(MORAL_BOTTOM_LINE, "涉及民生领域严重冲击社会道德底线", "道德底线", "二(3)", True),
        Category(EMERGENCY, "涉及突发事件处置和自然灾害应对", "突发事件", "二(4)", True),
        Category(SUPERIOR_REQUEST, "上级政府要求下级政府主动回应", "上级要求", "二(5)", False),
        Category(RUMOUR, "严重危害社会秩序和国家利益的造谣传谣", "造谣传谣", "二(末段)", True),
    )
}

#: Labels the classifier predicts, in a fixed order (model columns follow it).
TEXT_LABELS: tuple[str, ...] = tuple(c.code for c in CATEGORIES.values() if c.from_text)

#: Every label a post or a training example may carry; ``none`` means "no response needed".
ALL_LABELS: tuple[str, ...] = (*TEXT_LABELS, NONE)

#: Categories that open a case with a response deadline.
CASE_CATEGORIES: tuple[str, ...] = tuple(CATEGORIES)


class UnknownLabelError(ValueError):
    """A label code that is not one of :data:`ALL_LABELS`."""


def check_label(code: str) -> str:
    """Return ``code`` if it is a known label, else raise :class:`UnknownLabelError`."""
    if code in ALL_LABELS or code == SUPERIOR_REQUEST:
        return code
    known = ", ".join((*ALL_LABELS, SUPERIOR_REQUEST))
    raise UnknownLabelError(f"unknown label {code!r}; known labels: {known}")
