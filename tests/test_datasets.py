"""Dataset loaders: the sentiment sentences ship with the package; larger sets are downloaded once
(here from a loopback server), verified and cached."""

import hashlib
import http.server
import tarfile
import threading

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegression

from dcai_lab import ConfigError
from dcai_lab import datasets
from dcai_lab.encoders import TopWords


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


# -- imdb_like ---------------------------------------------------------------------------------------

def _same(a: datasets.Dataset, b: datasets.Dataset) -> bool:
    return all((x != y).nnz == 0 for x, y in ((a.X_train, b.X_train), (a.X_test, b.X_test))) \
        and np.array_equal(a.y_train, b.y_train) and np.array_equal(a.y_test, b.y_test)


def test_imdb_like_is_the_same_for_a_seed_and_differs_between_seeds():
    first = datasets.imdb_like(400, 300, seed=3)
    assert _same(first, datasets.imdb_like(400, 300, seed=3))
    assert not _same(first, datasets.imdb_like(400, 300, seed=4))


def test_imdb_like_has_the_asked_shapes_balanced_labels_and_count_matrices():
    data = datasets.imdb_like(1000, 601, vocabulary_size=5000, seed=1)
    assert data.X_train.shape == (1000, 5000) and data.X_test.shape == (601, 5000)
    assert isinstance(data.X_train, sp.csr_matrix) and data.X_train.dtype == np.int32
    assert len(data.feature_names) == len(set(data.feature_names)) == 5000
    assert np.sum(data.y_train == 1) == 500 and np.sum(data.y_test == 1) == 300
    assert data.X_train.min() == 0 and data.X_train.max() > 1  # counts, not presence


def test_imdb_like_reviews_are_as_long_as_imdb_reviews():
    lengths = np.asarray(datasets.imdb_like(4000, 2, seed=0).X_train.sum(axis=1)).ravel()
    assert 220 < lengths.mean() < 240 and 160 < np.median(lengths) < 190  # IMDB: ~230 and ~174
    assert lengths.min() >= 10 and 1000 < lengths.max() <= 2500  # a long tail, clipped


def test_imdb_like_word_frequencies_follow_zipf():
    counts = np.asarray(datasets.imdb_like(2000, 2, seed=0).X_train.sum(axis=0)).ravel()
    ranks = np.arange(10, 2000)
    slope = np.polyfit(np.log(ranks), np.log(counts[ranks]), 1)[0]
    assert -1.15 < slope < -0.85


def test_a_linear_model_on_the_top_1000_words_reaches_the_papers_accuracy():
    data = datasets.imdb_like(5000, 5000, seed=0)
    top = TopWords(1000).fit(data.X_train)
    model = LogisticRegression(max_iter=1000).fit(top.transform(data.X_train), data.y_train)
    assert 0.75 <= model.score(top.transform(data.X_test), data.y_test) <= 0.88


def test_imdb_like_refuses_bad_parameters():
    with pytest.raises(ConfigError, match="n_train"):
        datasets.imdb_like(1)
    with pytest.raises(ConfigError, match="polar_fraction"):
        datasets.imdb_like(10, 10, polar_fraction=1.5)


# -- load_imdb, on a fabricated aclImdb folder --------------------------------------------------------

REVIEWS = {
    "train/pos/0_9.txt": "A great film.<br /><br />Great acting", "train/pos/10_8.txt": "great fun",
    "train/pos/2_7.txt": "Loved it", "train/neg/1_1.txt": "awful, boring film",
    "test/pos/0_10.txt": "great", "test/neg/0_2.txt": "boring and awful",
}


def _fabricate(root):
    for name, text in REVIEWS.items():
        path = root / "aclImdb" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def _check_fabricated(data: datasets.Dataset):
    assert data.text_train == ["awful, boring film", "A great film.  Great acting", "Loved it", "great fun"]
    assert data.y_train.tolist() == [0, 1, 1, 1] and data.y_test.tolist() == [0, 1]
    assert data.feature_names == sorted({w for t in data.text_train for w in datasets.words(t)})
    great = data.feature_names.index("great")
    assert data.X_train[:, great].toarray().ravel().tolist() == [0, 2, 0, 1]  # counts; "<br />" dropped
    assert data.X_test.shape == (2, len(data.feature_names))


def test_load_imdb_reads_an_unpacked_folder(tmp_path):
    root = _fabricate(tmp_path)
    _check_fabricated(datasets.load_imdb(root))
    _check_fabricated(datasets.load_imdb(root / "aclImdb"))


def test_load_imdb_reads_the_archive_it_downloads_once(tmp_path, monkeypatch):
    root = _fabricate(tmp_path / "unpacked")
    archive = tmp_path / datasets.IMDB_ARCHIVE
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(root / "aclImdb", arcname="aclImdb")
    calls = []
    monkeypatch.setattr(datasets, "download", lambda *args: calls.append(args) or archive)
    _check_fabricated(datasets.load_imdb())
    assert calls == [(datasets.IMDB_URL, "aclImdb_v1.tar.gz", datasets.IMDB_SHA256)]
    _check_fabricated(datasets.load_imdb(archive))


def test_load_imdb_without_the_data_says_what_to_do(tmp_path, monkeypatch):
    monkeypatch.setenv("DCAI_LAB_DATA", str(tmp_path))
    monkeypatch.setattr(datasets.urllib.request, "urlopen", lambda *a, **k: (_ for _ in ()).throw(OSError("offline")))
    with pytest.raises(ConfigError, match="put the file at .*aclImdb_v1.tar.gz"):
        datasets.load_imdb()
    with pytest.raises(ConfigError, match="neither"):
        datasets.load_imdb(tmp_path)
    (tmp_path / "broken.tar.gz").write_bytes(b"not an archive")
    with pytest.raises(ConfigError, match="not a readable"):
        datasets.load_imdb(tmp_path / "broken.tar.gz")


def test_load_imdb_refuses_an_incomplete_set(tmp_path):
    root = _fabricate(tmp_path)
    (root / "aclImdb" / "test" / "neg" / "0_2.txt").unlink()
    with pytest.raises(ConfigError, match="test/neg"):
        datasets.load_imdb(root)
