from __future__ import annotations

import pytest

from yuqing.crawlers.urls import TRACKING_PARAMETERS, canonicalize_url, is_tracking_parameter


@pytest.mark.parametrize(
    ("url", "canonical"),
    [
        # scheme and host in lower case, default port dropped, fragment dropped
        ("HTTP://WWW.Gov.CN:80/zhengce/index.htm#top", "http://www.gov.cn/zhengce/index.htm"),
        ("https://www.gov.cn:443/a", "https://www.gov.cn/a"),
        ("https://www.gov.cn:8443/a", "https://www.gov.cn:8443/a"),
        ("http://www.gov.cn:443/a", "http://www.gov.cn:443/a"),  # 443 is not http's default
        # empty path is "/"; a trailing dot on the host goes
        ("http://www.gov.cn", "http://www.gov.cn/"),
        ("http://www.gov.cn.?", "http://www.gov.cn/"),
        # dot segments
        ("http://a.cn/a/./b/../c", "http://a.cn/a/c"),
        ("http://a.cn/../../x", "http://a.cn/x"),
        ("http://a.cn/a/b/..", "http://a.cn/a/"),
        ("http://a.cn/a/.", "http://a.cn/a/"),
        # IDNA host
        ("http://中国政府网.中国/", "http://xn--fiqs8sirgfmhq98a.xn--fiqs8s/"),
        ("http://例子.CN/路径", "http://xn--fsqu00a.cn/%E8%B7%AF%E5%BE%84"),
        # percent-encoding: upper-case hex, unreserved decoded, reserved kept encoded
        ("http://a.cn/%7euser/%e4%b8%ad", "http://a.cn/~user/%E4%B8%AD"),
        ("http://a.cn/a%2fb?q=%2f%41", "http://a.cn/a%2Fb?q=%2FA"),
        ("http://a.cn/a b?q=a b", "http://a.cn/a%20b?q=a%20b"),
        ("http://a.cn/100%", "http://a.cn/100%25"),
        ("http://a.cn/?q=%zz", "http://a.cn/?q=%25zz"),
        # query: tracking parameters out, the rest sorted by name (stable for repeated names)
        ("http://a.cn/p?b=2&a=1", "http://a.cn/p?a=1&b=2"),
        ("http://a.cn/p?a=2&b=0&a=1", "http://a.cn/p?a=2&a=1&b=0"),
        (
            "http://a.cn/p?id=7&utm_source=wx&utm_medium=share&UTM_Campaign=x&spm=a.b.c",
            "http://a.cn/p?id=7",
        ),
        ("http://a.cn/p?from=timeline&isappinstalled=0&id=1", "http://a.cn/p?id=1"),
        ("http://a.cn/p?fbclid=x&gclid=y&yclid=z&mc_cid=1&mc_eid=2&_hsenc=3", "http://a.cn/p"),
        ("http://a.cn/p?share_token=abc&shareid=9&share=1&id=3", "http://a.cn/p?id=3"),
        (
            "https://mp.weixin.qq.com/s?__biz=MzA3&mid=26&idx=1&sn=4f&chksm=8&scene=21"
            "&srcid=0811&sharer_sharetime=1&pass_ticket=T#wechat_redirect",
            "https://mp.weixin.qq.com/s?__biz=MzA3&chksm=8&idx=1&mid=26&sn=4f",
        ),
        ("http://a.cn/p?flag&x=", "http://a.cn/p?flag&x="),  # bare names keep their shape
        ("http://a.cn/p?&&", "http://a.cn/p"),
        ("http://a.cn/p?utm_source=x", "http://a.cn/p"),
        # user name and password are never kept
        ("http://user:secret@a.cn/x", "http://a.cn/x"),
        # IPv6 literal
        ("http://[2001:DB8::1]:80/x", "http://[2001:db8::1]/x"),
        # tabs and newlines inside, spaces around
        ("  http://a.cn/a\n/b\t  ", "http://a.cn/a/b"),
    ],
)
def test_canonical_form(url: str, canonical: str) -> None:
    assert canonicalize_url(url) == canonical


@pytest.mark.parametrize(
    ("url", "base", "canonical"),
    [
        ("../b/c.html?x=1#f", "http://a.cn/p/q/r.html", "http://a.cn/p/b/c.html?x=1"),
        ("/abs", "https://a.cn/p/q", "https://a.cn/abs"),
        ("//B.cn/x", "https://a.cn/", "https://b.cn/x"),
        ("?page=2", "http://a.cn/list/index.html?page=1", "http://a.cn/list/index.html?page=2"),
        ("https://other.cn/x", "http://a.cn/", "https://other.cn/x"),
    ],
)
def test_relative_urls_are_joined_to_the_base(url: str, base: str, canonical: str) -> None:
    assert canonicalize_url(url, base=base) == canonical


def test_canonical_form_is_a_fixed_point() -> None:
    url = "HTTPS://例子.中国:443/a/./b/%7e/中?z=1&utm_source=x&a=%e4%b8%ad#frag"
    once = canonicalize_url(url)
    assert canonicalize_url(once) == once


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://a.cn/x", "unsupported URL scheme 'ftp'"),
        ("mailto:office@a.cn", "unsupported URL scheme 'mailto'"),
        ("javascript:alert(1)", "unsupported URL scheme 'javascript'"),
        ("/relative/path", "a relative URL needs a base"),
        ("", "a relative URL needs a base"),
        ("http:///x", "has no host"),
        ("http://a..cn/", "empty host label"),
        ("http://a.cn:99999/", "bad port"),
        ("http://a.cn:port/", "bad port"),
        ("http://a<b>.cn/", "characters a host cannot have"),
    ],
)
def test_unusable_urls_raise_value_error_naming_the_url(url: str, message: str) -> None:
    with pytest.raises(ValueError, match=message) as caught:
        canonicalize_url(url)
    assert repr(url) in str(caught.value)


def test_relative_url_with_a_non_http_base_is_refused() -> None:
    with pytest.raises(ValueError, match="unsupported URL scheme 'file'"):
        canonicalize_url("x.html", base="file:///tmp/")


@pytest.mark.parametrize(
    "name", ["utm_source", "UTM_MEDIUM", "spm", "scene", "fbclid", "share_from"]
)
def test_tracking_parameters(name: str) -> None:
    assert is_tracking_parameter(name)


@pytest.mark.parametrize("name", ["id", "page", "q", "__biz", "sn", "scenery", "utm"])
def test_content_parameters_are_not_tracking(name: str) -> None:
    assert not is_tracking_parameter(name)


def test_tracking_list_is_lower_case_so_lookups_can_fold_case() -> None:
    assert all(p == p.lower() for p in TRACKING_PARAMETERS)
