"""Dataset loaders: the sentiment sentences ship with the package; larger sets are downloaded once
(here from a loopback server), verified and cached."""

import hashlib
import http.server
import threading

import numpy as np
import pytest

from dcai_lab import ConfigError
from dcai_lab import datasets


@pytest.fixture
def server():
    """Serve ``payload["body"]`` on a free loopback port; yields (url, payload, request count)."""
    payload = {"body": b"", "requests": 0}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            payload["requests"] += 1
            self.send_response(200)
            self.end_headers()
            self.wfile.write(payload["body"])

        def log_message(self, *args):
            pass

    httpd = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/reviews.csv", payload
    httpd.shutdown()


def test_the_sentiment_files_ship_inside_the_package_with_their_attribution():
    folder = datasets.resources.files("dcai_lab") / "data" / "sentiment"
    for name, digest in datasets.SENTIMENT_FILES.items():
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest
    attribution = (folder / "ATTRIBUTION.md").read_text()
    assert "CC BY 4.0" in attribution and "Kotzias" in attribution
    assert all(digest in attribution for digest in datasets.SENTIMENT_FILES.values())


def test_loading_sentiment_needs_no_cache_and_no_network(tmp_path, monkeypatch):
    monkeypatch.setenv("DCAI_LAB_DATA", str(tmp_path / "empty"))
    monkeypatch.setattr(datasets.urllib.request, "urlopen", lambda *a, **k: pytest.fail("network used"))
    data = datasets.load_sentiment(vocabulary_size=50)
    assert data.X_train.shape == (2250, 50)
    assert not (tmp_path / "empty").exists()


def test_download_verifies_and_caches(tmp_path, monkeypatch, server):
    url, payload = server
    payload["body"] = b"review\tlabel\ngood\t1\n"
    monkeypatch.setenv("DCAI_LAB_DATA", str(tmp_path))
    path = datasets.download(url, "reviews.csv", hashlib.sha256(payload["body"]).hexdigest())
    assert path == tmp_path / "reviews.csv" and path.read_bytes() == payload["body"]
    assert datasets.download(url, "reviews.csv", hashlib.sha256(payload["body"]).hexdigest()) == path
    assert payload["requests"] == 1  # the second call used the cache


def test_a_tampered_download_is_refused_and_not_cached(tmp_path, monkeypatch, server):
    url, payload = server
    payload["body"] = b"tampered"
    monkeypatch.setenv("DCAI_LAB_DATA", str(tmp_path))
    with pytest.raises(ConfigError, match="SHA-256"):
        datasets.download(url, "reviews.csv", hashlib.sha256(b"original").hexdigest())
    assert not (tmp_path / "reviews.csv").exists()


def test_an_unreachable_source_says_what_to_do(tmp_path, monkeypatch):
    monkeypatch.setenv("DCAI_LAB_DATA", str(tmp_path))
    with pytest.raises(ConfigError, match="DCAI_LAB_DATA"):
        datasets.download("http://127.0.0.1:9/nothing.csv", "nothing.csv", "0" * 64)


def test_sentiment_has_all_3000_sentences_and_a_train_only_vocabulary():
    data = datasets.load_sentiment(vocabulary_size=500)
    assert data.X_train.shape == (2250, 500) and data.X_test.shape == (750, 500)
    assert set(np.unique(data.y_train)) == {0, 1}
    assert data.feature_names[:3] == ["the", "and", "i"]
    # Every vocabulary word occurs in some training sentence; presence is 0/1.
    assert data.X_train.sum(axis=0).min() > 0 and data.X_train.max() == 1


def test_splits_are_deterministic_and_seeded():
    a, b = datasets.load_digits(seed=3), datasets.load_digits(seed=3)
    assert np.array_equal(a.y_test, b.y_test)
    assert not np.array_equal(a.y_test, datasets.load_digits(seed=4).y_test)


def test_a_sentence_becomes_the_indices_of_its_vocabulary_words():
    vocabulary = ["the", "movie", "great", "bad"]
    assert datasets.sentence_features("The movie was GREAT, the end.", vocabulary) == [0, 1, 2]
    assert datasets.sentence_features("nothing known here", vocabulary) == []
