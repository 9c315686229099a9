"""Classifying in worker processes gives exactly what classifying here gives, whether the
workers were forked (a single-threaded caller) or started fresh (a caller with threads)."""

import threading
from datetime import UTC, datetime

from yuqing.models import registry
from yuqing.models.pool import PredictorPool

NOW = datetime(2026, 11, 27, 4, 0, tzinfo=UTC)


def test_pool_predictions_match_in_process_ones(classifier, heldout_examples, tmp_path):
    version = registry.save(classifier, tmp_path, now=NOW, name="pool")
    texts = [e.text for e in heldout_examples]
    here = classifier.predict(texts)
    with PredictorPool(classifier, tmp_path, version, workers=2) as pool:
        futures = [pool.submit(texts[i::2]) for i in range(2)]
        there = [p for f in futures for p in f.result()]
    assert sorted(map(repr, there)) == sorted(map(repr, here))


def test_a_caller_with_threads_gets_fresh_workers_that_load_the_model(
    classifier, heldout_examples, tmp_path
):
    version = registry.save(classifier, tmp_path, now=NOW, name="pool")
    texts = [e.text for e in heldout_examples]
    stop = threading.Event()
    other = threading.Thread(target=stop.wait, daemon=True)
    other.start()
    try:
        with PredictorPool(None, tmp_path, version, workers=1) as pool:
            # None would crash a forked worker: these results prove the worker loaded the model
            assert pool.submit(texts).result(timeout=120) == classifier.predict(texts)
    finally:
        stop.set()
        other.join()
