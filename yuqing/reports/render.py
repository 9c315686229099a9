"""The supervision report as Markdown, a self-contained HTML page (tables and charts), and CSV.

Unit names come from routing, which reads scraped posts: they are hostile input. Every string
from the data is escaped for where it goes: ``html.escape`` in HTML, backslash escapes in
Markdown (a table cell must not gain a ``|`` column or a line break, and raw HTML in Markdown
would be rendered), and in CSV a cell that a spreadsheet would take for a formula gets a leading
quote. Control characters, bidi overrides and line breaks are removed first (one line each).
"""

from __future__ import annotations

import base64
import csv
import functools
import html
import io
import logging
import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from yuqing.display import terminal_safe
from yuqing.reports.supervision import (
    EARLY_SHARE,
    INTERVIEW_THRESHOLD,
    InterviewCandidate,
    Supervision,
    UnitFigures,
)
from yuqing.triage.cases import DISMISSED, MERGED
from yuqing.triage.lifecycle import FORMS

log = logging.getLogger(__name__)

#: fonts with Chinese glyphs, preferred first (matched by family name)
CJK_FONTS = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "Droid Sans Fallback",
    "Noto Sans CJK JP",
    "Noto Sans CJK TC",
    "SimHei",
    "Microsoft YaHei",
    "PingFang SC",
    "AR PL UMing CN",
)
#: other family names worth checking for Chinese glyphs
_CJK_HINT = re.compile(r"CJK|Han Sans|WenQuanYi|Hei|Ming|Song|Kai|Fallback|Gothic", re.I)
#: bars per chart; the tables list every unit (those needing attention come first)
MAX_CHART_ROWS = 30

NOTICE = "国办发〔2016〕61号"
STATUS_NAMES = {MERGED: "已合并", DISMISSED: "已作无需回应处理"}

# --- numbers ----------------------------------------------------------------------------------


def _rate(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _hours(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def _when(moment: datetime, sup: Supervision) -> str:
    return moment.astimezone(sup.tz).strftime("%Y-%m-%d %H:%M")


def _title(sup: Supervision) -> str:
    return f"政务舆情回应督查通报（{sup.start.isoformat()} 至 {sup.end.isoformat()}）"


# --- what the report says, independent of format ----------------------------------------------

UNIT_COLUMNS = (
    "案件数",
    "按时回应",
    "未按时回应",
    "尚在时限内",
    "按时回应率",
    "首次回应用时中位数（小时）",
    "超期",
)

GOOD_COLUMNS = ("责任单位", "属地", "案件", "形式", "回应时间", "用时（小时）", "早于时限（小时）")


def _unit_cells(u: UnitFigures) -> list[str]:
    return [
        str(u.cases),
        str(u.on_time),
        str(u.late),
        str(u.pending),
        _rate(u.on_time_rate),
        _hours(u.median_hours_to_first_response),
        str(u.overdue),
    ]


def _notes(sup: Supervision) -> list[str]:
    """The report's definitions, in words (plain text; the data-derived parts are numbers)."""
    left_out = "、".join(
        f"{STATUS_NAMES.get(status, status)} {n} 件" for status, n in sorted(sup.excluded.items())
    )
    return [
        f"统计范围：{sup.start.isoformat()} 至 {sup.end.isoformat()}（{sup.tz.key}）期间立案的"
        f"案件，数据截至 {_when(sup.now, sup)}。",
        "已合并案件（并入同一事件的另一案件）与已作无需回应处理的案件不计入统计"
        + (f"；本期不计入：{left_out}。" if left_out else "；本期无此类案件。"),
        "按时回应：涉及特别重大、重大突发事件须在24小时内举行新闻发布会，仅新闻发布会或吹风会"
        "计为按时；其他政务舆情须在48小时内回应，任何形式的回应均计为按时"
        "（时限自舆情出现时起算）。",
        "按时回应率 = 按时回应 ÷（按时回应 + 未按时回应）；"
        "尚在时限内且未按要求回应的案件暂不计入。",
        "首次回应用时：自舆情出现至首次回应（任何形式），取已回应案件的中位数。",
        "超期：经时限巡查标记为超期，或截至时限仍无任何回应的案件。",
        f"拟约谈：同一责任单位本期超期 {INTERVIEW_THRESHOLD} 次及以上（通知第五条：对工作消极、"
        "不作为且整改不到位的单位进行约谈）。",
        f"先进典型：在时限的 {EARLY_SHARE:.0%} 以内以新闻发布会或吹风会回应的案件"
        "（通知第五条：对先进典型推广交流）。",
    ]


# --- Markdown ---------------------------------------------------------------------------------

# CommonMark lets any ASCII punctuation be escaped with a backslash; these are the ones that can
# start markup inside a line, end a table cell, open raw HTML or an entity, or start math (GitHub).
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|~&$])")


def md_cell(value: Any) -> str:
    """One line of Markdown showing ``value`` literally: no markup, HTML or column break."""
    return _MD_SPECIAL.sub(r"\\\1", terminal_safe(str(value)))


def _md_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def to_markdown(sup: Supervision) -> str:
    lines = [f"# {_title(sup)}", "", f"依据{NOTICE}第四条、第五条。", ""]
    lines += ["## 总体情况", ""]
    lines += _md_table(UNIT_COLUMNS, [_unit_cells(sup.total)])
    for heading, label, units in (
        ("按责任单位", "责任单位", sup.departments),
        ("按属地", "属地", sup.regions),
    ):
        lines += ["", f"## {heading}", ""]
        if units:
            lines += _md_table(
                (label, *UNIT_COLUMNS), [[md_cell(u.unit), *_unit_cells(u)] for u in units]
            )
        else:
            lines.append("本期无案件。")
    lines += ["", f"## 拟约谈单位（超期 {INTERVIEW_THRESHOLD} 次及以上）", ""]
    if sup.interviews:
        lines += _md_table(
            ("责任单位", "案件数", "超期次数", "超期案件"),
            [
                [md_cell(i.unit), str(i.cases), str(len(i.overdue_case_ids)), _case_list(i)]
                for i in sup.interviews
            ],
        )
    else:
        lines.append("无。")
    lines += ["", "## 先进典型（提前以新闻发布会或吹风会回应）", ""]
    if sup.good_practice:
        lines += _md_table(
            GOOD_COLUMNS,
            [
                [
                    md_cell(g.unit),
                    md_cell(g.region),
                    str(g.case_id),
                    FORMS.get(g.form, md_cell(g.form)),
                    _when(g.at, sup),
                    _hours(g.hours_after_surfacing),
                    _hours(g.hours_before_due),
                ]
                for g in sup.good_practice
            ],
        )
    else:
        lines.append("无。")
    lines += ["", "## 说明", ""]
    lines += [f"- {note}" for note in _notes(sup)]  # our own words and numbers
    return "\n".join(lines) + "\n"


def _case_list(candidate: InterviewCandidate) -> str:
    return "、".join(str(i) for i in candidate.overdue_case_ids)


# --- CSV --------------------------------------------------------------------------------------

CSV_COLUMNS = (
    "kind",
    "unit",
    "cases",
    "on_time",
    "on_time_rate",
    "median_hours_to_first_response",
    "overdue",
    "late",
    "pending",
)
#: what a spreadsheet takes for the start of a formula (and DDE); OWASP's list
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: str) -> str:
    """A text cell that no spreadsheet will evaluate."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def to_csv(sup: Supervision) -> str:
    """One row per department, then per region. Rates are fractions (0–1); empty: no figure."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for u in (*sup.departments, *sup.regions):
        writer.writerow(
            [
                u.kind,
                csv_safe(u.unit),
                u.cases,
                u.on_time,
                "" if u.on_time_rate is None else f"{u.on_time_rate:.4f}",
                ""
                if u.median_hours_to_first_response is None
                else f"{u.median_hours_to_first_response:.2f}",
                u.overdue,
                u.late,
                u.pending,
            ]
        )
    return buffer.getvalue()


# --- charts -----------------------------------------------------------------------------------


@functools.cache
def cjk_font() -> str | None:
    """The family name of an installed font with Chinese glyphs, or None (logged once)."""
    from matplotlib import font_manager

    font = _find_cjk(font_manager.fontManager.ttflist)
    if font is None:
        # matplotlib lists the system's fonts once, in a cache kept between runs: a font
        # installed since (the fix the warning below suggests) is not in it. Add the files it has
        # not seen, then look again, rather than ask people to find and delete that cache.
        known = {f.fname for f in font_manager.fontManager.ttflist}
        for path in font_manager.findSystemFonts():
            if path not in known:
                try:
                    font_manager.fontManager.addfont(path)
                except (OSError, RuntimeError, ValueError):  # unreadable: skip it
                    continue
        font = _find_cjk(font_manager.fontManager.ttflist)
    if font is None:
        log.warning(
            "no font with Chinese glyphs found (install e.g. fonts-noto-cjk): chart labels are "
            "numbered as in the tables"
        )
    return font


def _find_cjk(fonts: Sequence[Any]) -> str | None:
    from matplotlib.ft2font import FT2Font

    entries = {f.name: f.fname for f in fonts}
    hinted = sorted(name for name in entries if _CJK_HINT.search(name))
    for name in (*[n for n in CJK_FONTS if n in entries], *hinted):
        try:
            if FT2Font(entries[name]).get_char_index(ord("督")):
                return name
        except (OSError, RuntimeError):  # an unreadable font file: try the next
            continue
    return None


def _chart_text(value: str) -> str:
    # A $ would start mathtext; the rest of matplotlib's text is literal.
    return terminal_safe(value).replace("$", r"\$")


def chart_labels(units: Sequence[UnitFigures], font: str | None) -> list[str]:
    """Bar labels: unit names where Chinese can be drawn, else the tables' row numbers."""
    if font is None:
        return [f"#{i}" for i in range(1, len(units) + 1)]
    return [_chart_text(u.unit) for u in units]


def _png(figure: Any) -> str:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    # Agg, attached to this figure only: no display, no pyplot state shared between threads.
    FigureCanvasAgg(figure)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100, bbox_inches="tight", metadata={"Software": None})
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _figure(rows: int) -> Any:
    from matplotlib.figure import Figure

    return Figure(figsize=(8, 1.2 + 0.32 * max(rows, 1)))


def _rc(font: str | None) -> dict[str, Any]:
    return {
        "font.family": [font, "DejaVu Sans"] if font else ["DejaVu Sans"],
        "axes.unicode_minus": False,
    }


def on_time_chart(units: Sequence[UnitFigures], font: str | None) -> str | None:
    """On-time rate per department, a horizontal bar each, as base64 PNG (None: no figures)."""
    import matplotlib

    shown = [u for u in units if u.on_time_rate is not None][:MAX_CHART_ROWS]
    if not shown:
        return None
    labels = chart_labels(units, font)
    index = {id(u): i for i, u in enumerate(units)}
    with matplotlib.rc_context(_rc(font)):
        figure = _figure(len(shown))
        ax = figure.subplots()
        rates = [u.on_time_rate * 100 for u in shown if u.on_time_rate is not None]
        positions = range(len(shown))
        ax.barh(positions, rates, color="#3a7bd5")
        ax.set_yticks(positions, [labels[index[id(u)]] for u in shown])
        ax.invert_yaxis()  # the table's order, top to bottom
        ax.set_xlim(0, 112)  # room for the label of a full bar
        ax.set_xticks(range(0, 101, 20))
        for y, rate in zip(positions, rates, strict=True):
            ax.text(rate + 1, y, f"{rate:.0f}%", va="center", fontsize=8)
        ax.set_xlabel("按时回应率（%）" if font else "on-time rate (%)")
        ax.grid(axis="x", alpha=0.3)
        return _png(figure)


def region_chart(units: Sequence[UnitFigures], font: str | None) -> str | None:
    """Cases and overdue cases per region, two bars each, as base64 PNG (None: no regions)."""
    import matplotlib

    shown = list(units[:MAX_CHART_ROWS])
    if not shown:
        return None
    labels = chart_labels(units, font)[: len(shown)]
    with matplotlib.rc_context(_rc(font)):
        figure = _figure(len(shown) * 1.5)
        ax = figure.subplots()
        height = 0.4
        ys = [float(i) for i in range(len(shown))]
        ax.barh(
            [y - height / 2 for y in ys],
            [u.cases for u in shown],
            height,
            label="案件数" if font else "cases",
            color="#3a7bd5",
        )
        ax.barh(
            [y + height / 2 for y in ys],
            [u.overdue for u in shown],
            height,
            label="超期" if font else "overdue",
            color="#d9534f",
        )
        ax.set_yticks(ys, labels)
        ax.invert_yaxis()
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.set_xlabel("案件数" if font else "cases")
        ax.legend(loc="best", fontsize=8)
        ax.grid(axis="x", alpha=0.3)
        return _png(figure)


# --- HTML -------------------------------------------------------------------------------------


def h(value: Any) -> str:
    """Text from the data, safe inside HTML elements and attributes."""
    return html.escape(terminal_safe(str(value)), quote=True)


_STYLE = """
body { font-family: "Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", sans-serif;
       margin: 2em auto; max-width: 72em; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; }
th, td { border: 1px solid #bbb; padding: 0.25em 0.6em; }
th { background: #f0f3f7; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
tr.attention td { background: #fdecea; }
figure { margin: 1em 0; }
figcaption, .note { color: #555; font-size: 0.9em; }
"""


def _html_table(
    header: Sequence[str], rows: Sequence[Sequence[tuple[str, bool]]], marked: Sequence[bool] = ()
) -> str:
    """``rows`` of (already escaped cell, is a number); ``marked`` rows are highlighted."""
    out = ["<table>", "<thead><tr>" + "".join(f"<th>{c}</th>" for c in header) + "</tr></thead>"]
    out.append("<tbody>")
    for i, row in enumerate(rows):
        attention = i < len(marked) and marked[i]
        cells = "".join(f'<td class="n">{c}</td>' if num else f"<td>{c}</td>" for c, num in row)
        out.append(f'<tr class="attention">{cells}</tr>' if attention else f"<tr>{cells}</tr>")
    out.append("</tbody></table>")
    return "\n".join(out)


def _html_units(label: str, units: Sequence[UnitFigures]) -> str:
    if not units:
        return "<p>本期无案件。</p>"
    rows = [
        [(str(i), True), (h(u.unit), False), *[(h(c), True) for c in _unit_cells(u)]]
        for i, u in enumerate(units, start=1)
    ]
    marked = [u.overdue >= INTERVIEW_THRESHOLD for u in units]
    return _html_table(("序号", label, *UNIT_COLUMNS), rows, marked)


def _html_chart(png: str | None, alt: str, caption: str) -> str:
    if png is None:
        return f'<p class="note">{h(caption)}：无可绘制的数据。</p>'
    return (
        f'<figure><img alt="{h(alt)}" src="data:image/png;base64,{png}">'
        f"<figcaption>{h(caption)}</figcaption></figure>"
    )


def to_html(sup: Supervision) -> str:
    """A page that needs nothing else: styles inline, charts as base64 PNG data URIs."""
    font = cjk_font()
    numbered = "" if font else "（图中编号即表中序号）"
    more = f"（图中最多显示 {MAX_CHART_ROWS} 个，按表中顺序）"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="zh-CN"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{h(_title(sup))}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{h(_title(sup))}</h1>",
        f"<p>依据{h(NOTICE)}第四条、第五条。</p>",
        "<h2>总体情况</h2>",
        _html_table(UNIT_COLUMNS, [[(h(c), True) for c in _unit_cells(sup.total)]]),
        "<h2>按责任单位</h2>",
        _html_chart(
            on_time_chart(sup.departments, font),
            "各责任单位按时回应率",
            f"各责任单位按时回应率{numbered}{more}",
        ),
        _html_units("责任单位", sup.departments),
        "<h2>按属地</h2>",
        _html_chart(
            region_chart(sup.regions, font),
            "各属地案件数与超期数",
            f"各属地案件数与超期数{numbered}{more}",
        ),
        _html_units("属地", sup.regions),
        f"<h2>拟约谈单位（超期 {INTERVIEW_THRESHOLD} 次及以上）</h2>",
    ]
    if sup.interviews:
        parts.append(
            _html_table(
                ("责任单位", "案件数", "超期次数", "超期案件"),
                [
                    [
                        (h(i.unit), False),
                        (str(i.cases), True),
                        (str(len(i.overdue_case_ids)), True),
                        (h(_case_list(i)), False),
                    ]
                    for i in sup.interviews
                ],
            )
        )
    else:
        parts.append("<p>无。</p>")
    parts.append("<h2>先进典型（提前以新闻发布会或吹风会回应）</h2>")
    if sup.good_practice:
        parts.append(
            _html_table(
                GOOD_COLUMNS,
                [
                    [
                        (h(g.unit), False),
                        (h(g.region), False),
                        (str(g.case_id), True),
                        (h(FORMS.get(g.form, g.form)), False),
                        (h(_when(g.at, sup)), False),
                        (_hours(g.hours_after_surfacing), True),
                        (_hours(g.hours_before_due), True),
                    ]
                    for g in sup.good_practice
                ],
            )
        )
    else:
        parts.append("<p>无。</p>")
    parts.append("<h2>说明</h2><ul>")
    parts += [f"<li>{h(note)}</li>" for note in _notes(sup)]
    parts.append("</ul></body></html>")
    return "\n".join(parts) + "\n"
