from pathlib import Path

import pytest

from yuqing.config import ConfigError, HttpLimits, load_settings


def test_defaults_live_under_the_home_directory(tmp_path):
    settings = load_settings({"YUQING_HOME": str(tmp_path)})
    assert settings.database_url == f"sqlite:///{tmp_path / 'yuqing.db'}"
    assert settings.sources_file == tmp_path / "sources.toml"
    assert settings.models_dir == tmp_path / "models"
    assert settings.http == HttpLimits()
    assert settings.is_sqlite
    assert load_settings({}).home == Path("var")


def test_the_config_file_and_the_environment(tmp_path):
    (tmp_path / "yuqing.toml").write_text(
        'database_url = "postgresql+psycopg://u@127.0.0.1/db"\n'
        'sources = "/etc/yuqing/sources.toml"\n'
        "[http]\nread_timeout = 30\nmax_bytes = 1000\n",
        "utf-8",
    )
    settings = load_settings({"YUQING_HOME": str(tmp_path)})
    assert settings.database_url == "postgresql+psycopg://u@127.0.0.1/db"
    assert settings.sources_file == Path("/etc/yuqing/sources.toml")
    assert (settings.http.read_timeout, settings.http.max_bytes) == (30.0, 1000)
    assert settings.http.connect_timeout == HttpLimits().connect_timeout
    # the environment wins over the file
    env = {"YUQING_HOME": str(tmp_path), "YUQING_DATABASE_URL": "sqlite:///x.db"}
    assert load_settings(env).database_url == "sqlite:///x.db"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("database_url = ", "yuqing.toml"),
        ("[http]\nspeed = 3\n", "unknown keys ['speed']"),
        ('[http]\nread_timeout = "soon"\n', "[http]"),
        ("database_url = 5\n", "'database_url'"),
    ],
)
def test_a_bad_config_file_is_named(tmp_path, text, message):
    (tmp_path / "yuqing.toml").write_text(text, "utf-8")
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("]", r"\]")):
        load_settings({"YUQING_HOME": str(tmp_path)})


def test_a_named_config_file_must_exist(tmp_path):
    with pytest.raises(ConfigError, match="not a file"):
        load_settings({"YUQING_CONFIG": str(tmp_path / "missing.toml")})


def test_the_crawl_time_limit_from_the_file_or_the_environment(tmp_path):
    assert load_settings({"YUQING_HOME": str(tmp_path)}).crawl_time_limit_s == 600.0
    (tmp_path / "yuqing.toml").write_text("crawl_time_limit = 120\n", "utf-8")
    assert load_settings({"YUQING_HOME": str(tmp_path)}).crawl_time_limit_s == 120.0
    env = {"YUQING_HOME": str(tmp_path), "YUQING_CRAWL_TIME_LIMIT": "4.5"}
    assert load_settings(env).crawl_time_limit_s == 4.5


@pytest.mark.parametrize("value", ["0", "-3", "soon", "inf", "nan"])
def test_a_crawl_time_limit_that_is_not_positive_seconds_is_named(tmp_path, value):
    env = {"YUQING_HOME": str(tmp_path), "YUQING_CRAWL_TIME_LIMIT": value}
    with pytest.raises(ConfigError, match=f"YUQING_CRAWL_TIME_LIMIT.*'{value}'"):
        load_settings(env)
