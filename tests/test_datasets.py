"""Dataset loaders: download once (here from a loopback server), verify, cache, and split."""

import http.server
import io
import threading
import zipfile
from pathlib import Path

import numpy as np
import pytest

from dcai_lab import ConfigError
from dcai_lab import datasets

SHARED = Path(datasets.data_home()) / datasets.SENTIMENT_DIR


@pytest.fixture
def server():
    """Serve a zip shaped like UCI's on a free loopback port; yields (url, zip bytes setter)."""
    payload = {"body": b""}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.end_headers()
            self.wfile.write(payload["body"])

        def log_message(self, *args):
            pass

    httpd = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/sentiment.zip", payload
    httpd.shutdown()


def _zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            archive.writestr(f"sentiment labelled sentences/{name}", data)
    return buffer.getvalue()


def test_download_verifies_and_caches(tmp_path, monkeypatch, server):
    url, payload = server
    payload["body"] = _zip({name: (SHARED / name).read_bytes() for name in datasets.SENTIMENT_FILES})
    monkeypatch.setenv("DCAI_LAB_DATA", str(tmp_path))
    folder = datasets.fetch_sentiment(url)
    assert sorted(p.name for p in folder.iterdir()) == sorted(datasets.SENTIMENT_FILES)
    payload["body"] = b"not a zip any more"
    assert datasets.fetch_sentiment(url) == folder  # cached: no second download


def test_a_tampered_download_is_refused(tmp_path, monkeypatch, server):
    url, payload = server
    files = {name: (SHARED / name).read_bytes() for name in datasets.SENTIMENT_FILES}
    files["imdb_labelled.txt"] = files["imdb_labelled.txt"].replace(b"\t0\n", b"\t1\n", 1)
    payload["body"] = _zip(files)
    monkeypatch.setenv("DCAI_LAB_DATA", str(tmp_path))
    with pytest.raises(ConfigError, match="checksum"):
        datasets.fetch_sentiment(url)


def test_an_unreachable_source_says_what_to_do(tmp_path, monkeypatch):
    monkeypatch.setenv("DCAI_LAB_DATA", str(tmp_path))
    with pytest.raises(ConfigError, match="DCAI_LAB_DATA"):
        datasets.fetch_sentiment("http://127.0.0.1:9/nothing.zip")


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
