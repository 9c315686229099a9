"""to_utf8() / transcode() on real feed bytes in the encodings Chinese sources use."""

from __future__ import annotations

import codecs

import pytest

from yuqing.crawlers.encoding import charset_of, to_utf8, transcode

TEXT = "关于朱镕基同志题词碑修缮工程的公示（王堃）"  # 镕 and 堃 are in GBK, not in GB2312


def doc(declaration: str | None, text: str = TEXT) -> str:
    prolog = "" if declaration is None else f'<?xml version="1.0" encoding="{declaration}"?>\n'
    return f"{prolog}<rss version='2.0'><channel><title>{text}</title></channel></rss>"


def test_valid_utf8_is_returned_as_the_same_object(read_fixture):
    body = read_fixture("rss20_city_gov.xml")

    data, encoding = to_utf8(body, "application/rss+xml; charset=utf-8")

    assert data is body  # the fast path copies nothing
    assert encoding == "utf-8"


def test_ascii_is_returned_as_the_same_object():
    body = doc("utf-8", "Notice").encode("ascii")

    data, encoding = to_utf8(body, None)

    assert data is body
    assert encoding == "utf-8"


def test_gbk_fixture_declared_gb2312(read_fixture):
    body = read_fixture("gbk_declared_gb2312.xml")

    data, encoding = to_utf8(body, "text/xml; charset=gb2312")

    assert encoding == "gb18030"
    text = data.decode("utf-8")
    assert text.startswith('<?xml version="1.0" encoding="utf-8"?>')
    assert "镕达化工园区" in text and "王堃" in text


def test_gbk_fixture_undeclared(read_fixture):
    data, encoding = to_utf8(read_fixture("gbk_undeclared.xml"), "text/xml")

    assert encoding == "gb18030"
    assert "北河镇便民服务中心" in data.decode("utf-8")


@pytest.mark.parametrize(
    ("declaration", "content_type"),
    [
        ("gb2312", None),  # prolog only
        (None, "text/xml; charset=GB2312"),  # HTTP only
        ("gbk", "text/xml; charset=gb2312"),  # both, agreeing
        ("GB18030", "application/xml"),
        ("utf-8", "text/xml; charset=gbk"),  # contradicting: the bytes are GBK
        ("gbk", "text/xml; charset=utf-8"),  # contradicting the other way
        ("gbk", "text/html; charset=ISO-8859-1"),  # Tomcat's default charset: says nothing
        (None, "text/xml; charset=ISO-8859-1"),
        (None, None),  # nothing declared at all
        (None, "text/xml; charset=punycode"),  # a hostile "charset" is ignored
        (None, "text/xml; charset=no-such-charset"),
    ],
)
def test_gbk_bytes_are_read_as_gb18030(declaration, content_type):
    body = doc(declaration).encode("gbk")

    data, encoding = to_utf8(body, content_type)

    assert encoding == "gb18030"
    assert data.decode("utf-8") == doc(None if declaration is None else "utf-8")


def test_utf8_bytes_under_a_stale_gb2312_prolog_keep_their_text():
    body = doc("gb2312").encode("utf-8")

    data, encoding = to_utf8(body, "text/xml; charset=gb2312")

    assert encoding == "utf-8"
    assert data == doc("utf-8").encode("utf-8")  # only the declaration changed


def test_big5_declaration_is_honoured():
    text = "臺北市政府公告：颱風停班停課"
    body = doc("big5", text).encode("big5")

    data, encoding = to_utf8(body, None)

    assert encoding == "big5"
    assert data.decode("utf-8") == doc("utf-8", text)


def test_utf8_bom_is_stripped():
    body = codecs.BOM_UTF8 + doc("utf-8").encode("utf-8")

    data, encoding = to_utf8(body, None)

    assert encoding == "utf-8"
    assert data == doc("utf-8").encode("utf-8")


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_with_bom(codec):
    bom = codecs.BOM_UTF16_LE if codec.endswith("le") else codecs.BOM_UTF16_BE
    body = bom + doc("utf-16").encode(codec)

    data, encoding = to_utf8(body, "application/xml")

    assert encoding == codec
    assert data == doc("utf-8").encode("utf-8")


def test_utf16_without_bom_is_recognised_by_its_prolog():
    body = doc("utf-16").encode("utf-16-le")

    data, encoding = to_utf8(body, None)

    assert encoding == "utf-16-le"
    assert data.decode("utf-8") == doc("utf-8")


def test_cut_utf8_character_is_replaced_not_misread_as_gbk():
    head, tail = doc(None).encode("utf-8").split("修缮".encode())
    body = head + "修".encode() + "缮".encode()[:2] + tail

    result = transcode(body, None)

    assert result.encoding == "utf-8"
    assert result.lossy
    assert result.data.decode("utf-8") == doc(None, TEXT.replace("缮", "\ufffd"))


def test_gbk_with_a_stray_byte_is_replaced_not_misread_as_utf8():
    head, tail = doc("gbk").encode("gbk").split("修缮".encode("gbk"))
    body = head + b"\x80" + tail  # 0x80 is no GBK character

    result = transcode(body, "text/xml")

    assert result.encoding == "gb18030"
    assert result.lossy
    assert result.data.decode("utf-8") == doc("utf-8", TEXT.replace("修缮", "\ufffd"))


def test_clean_decoding_is_not_lossy(read_fixture):
    assert not transcode(read_fixture("gbk_undeclared.xml"), None).lossy
    assert not transcode(read_fixture("atom_news.xml"), None).lossy


def test_empty_body():
    assert to_utf8(b"", "text/xml") == (b"", None)


@pytest.mark.parametrize(
    ("content_type", "charset"),
    [
        ('text/xml; charset="GBK"', "GBK"),
        ("application/rss+xml;charset=utf-8", "utf-8"),
        ("text/html; boundary=x; charset='gb2312' ", "gb2312"),
        ("text/xml", None),
        ("text/xml; charset=", None),
        (None, None),
    ],
)
def test_charset_of(content_type, charset):
    assert charset_of(content_type) == charset
