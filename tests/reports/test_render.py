"""The report as Markdown, HTML and CSV (hostile unit names included), and ``yuqing report``."""

from __future__ import annotations

import base64
import csv
import io
import logging
import re
from datetime import UTC, date, datetime

import pytest

from tests.reports.conftest import NOW, SHANGHAI, WATER, build_november
from yuqing.cli import main
from yuqing.reports.render import (
    chart_labels,
    cjk_font,
    csv_safe,
    md_cell,
    on_time_chart,
    region_chart,
    to_csv,
    to_html,
    to_markdown,
)
from yuqing.reports.supervision import (
    GoodPractice,
    InterviewCandidate,
    Supervision,
    UnitFigures,
)
from yuqing.storage.db import make_engine, session_factory, transaction

HOSTILE = '<script>alert("x")</script>|伪造单位\n第二行'
FORMULA = '=HYPERLINK("http://127.0.0.1/x","点我")'
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def unit(kind: str, name: str, cases: int = 3, overdue: int = 2) -> UnitFigures:
    return UnitFigures(
        kind=kind,
        unit=name,
        cases=cases,
        on_time=1,
        late=cases - 1,
        pending=0,
        on_time_rate=1 / cases,
        median_hours_to_first_response=7.25,
        overdue=overdue,
        overdue_case_ids=tuple(range(1, overdue + 1)),
    )


@pytest.fixture
def hostile() -> Supervision:
    """A report whose unit names came from hostile posts."""
    departments = (unit("department", HOSTILE), unit("department", FORMULA, 2, 0))
    regions = (unit("region", "-1+中牟县"), unit("region", "@郑州$x$市", 1, 0))
    return Supervision(
        start=date(2026, 11, 1),
        end=date(2026, 11, 30),
        tz=SHANGHAI,
        now=NOW,
        total=unit("total", "合计", 6, 2),
        departments=departments,
        regions=regions,
        interviews=(InterviewCandidate(HOSTILE, (1, 2), 3),),
        good_practice=(
            GoodPractice(
                unit=HOSTILE,
                region="<b>中牟县</b>",
                case_id=9,
                form="press_conference",
                at=datetime(2026, 11, 10, 7, tzinfo=UTC),
                allowed_hours=24,
                hours_after_surfacing=5,
                hours_before_due=19,
            ),
        ),
        excluded={"merged": 1},
    )


def test_html_escapes_every_unit_name_and_embeds_png_charts(hostile):
    page = to_html(hostile)
    assert page.startswith("<!DOCTYPE html>")
    assert "<script" not in page and "<b>" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;|伪造单位 第二行" in page
    assert "&lt;b&gt;中牟县&lt;/b&gt;" in page
    images = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)
    assert len(images) == 2  # on-time rate per department; cases and overdue per region
    assert all(base64.b64decode(i).startswith(PNG_MAGIC) for i in images)
    # Nothing is fetched from elsewhere.
    assert "http" not in page.replace("http://127.0.0.1/x", "")


def test_markdown_cells_cannot_break_the_table_or_carry_html(hostile):
    text = to_markdown(hostile)
    assert "<script>" not in text and "<b>" not in text
    row = next(line for line in text.splitlines() if "伪造单位" in line)
    assert "第二行" in row  # the line break became a space, not a new row
    assert len(re.findall(r"(?<!\\)\|", row)) == 9  # 8 columns: 9 unescaped bars
    assert md_cell("a|b<c>&*_`") == r"a\|b\<c\>\&\*\_\`"
    assert "拟约谈单位" in text and "先进典型" in text
    assert "已合并 1 件" in text


def test_csv_has_one_row_per_unit_and_no_formula_cells(hostile):
    rows = list(csv.DictReader(io.StringIO(to_csv(hostile))))
    assert [(r["kind"], r["unit"]) for r in rows] == [
        ("department", HOSTILE),  # csv quoting keeps the line break inside the cell
        ("department", "'" + FORMULA),
        ("region", "'-1+中牟县"),
        ("region", "'@郑州$x$市"),
    ]
    first = rows[0]
    assert (first["cases"], first["on_time"], first["overdue"]) == ("3", "1", "2")
    assert first["on_time_rate"] == "0.3333"
    assert first["median_hours_to_first_response"] == "7.25"
    assert csv_safe("+86") == "'+86" and csv_safe("中牟县") == "中牟县"


def test_chart_labels_are_names_with_a_cjk_font_else_table_numbers(hostile):
    assert chart_labels(hostile.regions, None) == ["#1", "#2"]
    # A $ would start matplotlib's mathtext.
    assert chart_labels(hostile.regions, "Noto Sans CJK SC") == ["-1+中牟县", r"@郑州\$x\$市"]
    no_rate = [UnitFigures("department", "x", 1, 0, 0, 1, None, None, 0)]
    assert on_time_chart(no_rate, None) is None
    assert region_chart((), None) is None
    png = region_chart(hostile.regions, None)
    assert png is not None and base64.b64decode(png).startswith(PNG_MAGIC)


def test_a_cjk_font_is_found_or_its_absence_logged(caplog):
    from matplotlib.font_manager import fontManager

    cjk_font.cache_clear()
    with caplog.at_level(logging.WARNING, logger="yuqing.reports.render"):
        font = cjk_font()
    if font is None:
        assert "no font with Chinese glyphs" in caplog.text
    else:
        assert font in {f.name for f in fontManager.ttflist}


def test_a_cjk_font_installed_after_matplotlib_listed_fonts_is_found(monkeypatch):
    from matplotlib.font_manager import fontManager

    cjk_font.cache_clear()
    installed = cjk_font()
    cjk_font.cache_clear()
    if installed is None:
        pytest.skip("no font with Chinese glyphs on this machine (e.g. fonts-wqy-microhei)")
    # matplotlib's font list as it was cached before the font was installed
    files = {f.fname for f in fontManager.ttflist if f.name == installed}
    monkeypatch.setattr(
        fontManager, "ttflist", [f for f in fontManager.ttflist if f.fname not in files]
    )
    try:
        assert cjk_font() == installed
    finally:
        cjk_font.cache_clear()


# --- yuqing report ----------------------------------------------------------------------------


@pytest.fixture
def store(tmp_path, monkeypatch, capsys):
    """A home with a migrated SQLite store holding the November cases."""
    home = tmp_path / "home"
    monkeypatch.setenv("YUQING_HOME", str(home))
    for name in ("YUQING_DATABASE_URL", "YUQING_CONFIG", "YUQING_SOURCES"):
        monkeypatch.delenv(name, raising=False)
    assert main(["db", "upgrade"]) == 0
    engine = make_engine(f"sqlite:///{home / 'yuqing.db'}")
    with transaction(session_factory(engine)) as session:
        build_november(session)
    engine.dispose()
    capsys.readouterr()
    return tmp_path


PERIOD = ["report", "--from", "2026-11-01", "--to", "2026-11-30"]


def test_report_writes_csv_and_html_files(store, capsys):
    # The CLI reads the real clock: assert only figures that do not depend on it.
    out_csv = store / "november.csv"
    assert main([*PERIOD, "--format", "csv", "--out", str(out_csv)]) == 0
    assert f"wrote {out_csv}: 12 cases" in capsys.readouterr().out
    rows = {(r["kind"], r["unit"]): r for r in csv.DictReader(out_csv.open(encoding="utf-8"))}
    water = rows[("department", WATER)]
    assert (water["cases"], water["overdue"]) == ("4", "2")
    assert rows[("region", "中牟县")]["cases"] == "5"

    out_html = store / "november.html"
    assert main([*PERIOD, "--format", "html", "--out", str(out_html)]) == 0
    page = out_html.read_text("utf-8")
    assert "data:image/png;base64," in page and WATER in page


def test_report_prints_markdown_by_default(store, capsys):
    assert main(PERIOD) == 0
    text = capsys.readouterr().out
    interview = text.split("## 拟约谈单位")[1].split("##")[0]
    assert WATER in interview


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["report", "--from", "2026-11-31", "--to", "2026-12-01"], "bad date '2026-11-31'"),
        (["report", "--from", "2026-11-01", "--to", "30/11/2026"], "bad date '30/11/2026'"),
        (["report", "--from", "2026-11-30", "--to", "2026-11-01"], "ends (2026-11-01) before"),
    ],
)
def test_report_rejects_bad_dates_in_one_line(store, capsys, argv, message):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err
    assert err.startswith("yuqing report: ") and err.count("\n") == 1


def test_report_names_a_file_it_cannot_write(store, capsys):
    target = store / "no-such-dir" / "r.md"
    assert main([*PERIOD, "--out", str(target)]) == 2
    assert f"cannot write {target}" in capsys.readouterr().err
