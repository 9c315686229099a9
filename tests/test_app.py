from datetime import UTC, datetime
from pathlib import Path

import pytest

from yuqing.app import App
from yuqing.config import load_settings
from yuqing.models import registry
from yuqing.models.classifier import train
from yuqing.models.corpus import load_jsonl
from yuqing.models.errors import ModelNotFound

DATA = Path(__file__).parent / "models" / "data" / "train.jsonl"
NOW = datetime(2026, 11, 27, 4, 0, tzinfo=UTC)


def test_the_model_is_loaded_once_and_again_after_a_promotion(tmp_path):
    app = App(load_settings({"YUQING_HOME": str(tmp_path)}))
    with pytest.raises(ModelNotFound):
        app.model()
    classifier = train(load_jsonl(DATA))
    first = registry.save(classifier, app.settings.models_dir, now=NOW, name="a")
    model, version = app.model()
    assert version == first
    assert app.model()[0] is model  # kept, not re-read
    second = registry.save(classifier, app.settings.models_dir, now=NOW, name="b")
    assert registry.current_version(app.settings.models_dir) == second
    reloaded, version = app.model()
    assert version == second and reloaded is not model


def test_the_http_client_is_kept_for_the_process_and_closed_with_the_app(tmp_path):
    app = App(load_settings({"YUQING_HOME": str(tmp_path)}))
    client = app.http
    assert app.http is client  # one client: connections and TLS set-up are reused
    assert client.headers["User-Agent"] == app.settings.http.user_agent
    app.close()
    assert client.is_closed
