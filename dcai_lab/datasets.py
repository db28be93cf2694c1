"""Real datasets, offline.

``load_sentiment`` reads the UCI "Sentiment Labelled Sentences" (Kotzias et al., KDD 2015; 3,000
one-line reviews from IMDB, Amazon and Yelp, labelled 0/1; CC BY 4.0). The three files are small and
ship inside the package (``dcai_lab/data/sentiment``, with their attribution and checksums), so they
work with no network. Larger sets are fetched once with ``download`` into ``data_home()``
(``$DCAI_LAB_DATA``, else ``~/.cache/dcai-lab``) and checked against a known SHA-256 sum.
``load_digits`` and ``load_breast_cancer`` come with scikit-learn.
"""

from __future__ import annotations

import hashlib
import os
import re
import urllib.request
from collections import Counter
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from .errors import ConfigError

#: The bundled sentiment files and their published SHA-256 sums (UCI id 331).
SENTIMENT_FILES = {
    "amazon_cells_labelled.txt": "47003fc0a0d4840b00e96e715b6189bad09e7443a3da41c4cbe12ffc79f86ae3",
    "imdb_labelled.txt": "aef2e49e3da25714d61175e3a6e68eeef74a20a2f914318dc3be9947ea86512d",
    "yelp_labelled.txt": "c76468b7b5c6e56a0804d728345c5f84aa2142ddb214420f61cc9cfd4c00d2ea",
}
_WORD = re.compile(r"[a-z']+")


@dataclass(frozen=True)
class Dataset:
    """A train/test split. For text, ``X`` rows are word-presence vectors over ``feature_names``
    and ``text_train``/``text_test`` hold the original sentences."""

    X_train: np.ndarray | sp.csr_matrix
    X_test: np.ndarray | sp.csr_matrix
    y_train: np.ndarray
    y_test: np.ndarray
    feature_names: list[str]
    text_train: list[str] | None = None
    text_test: list[str] | None = None


def data_home() -> Path:
    """Where downloaded datasets are cached: ``$DCAI_LAB_DATA`` or ``~/.cache/dcai-lab``."""
    return Path(os.environ.get("DCAI_LAB_DATA") or Path.home() / ".cache" / "dcai-lab")


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def download(url: str, filename: str, sha256: str) -> Path:
    """The cached copy of ``url`` in ``data_home()``, downloading it once and refusing a file whose
    SHA-256 sum is not ``sha256`` (a changed or truncated source is never used)."""
    path = data_home() / filename
    if path.exists() and _sha256(path.read_bytes()) == sha256:
        return path
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            data = response.read()
    except OSError as error:
        raise ConfigError(f"could not download {filename} from {url} ({error}); "
                          f"put the file at {path} yourself, or set DCAI_LAB_DATA to a folder holding it.") from error
    if _sha256(data) != sha256:
        raise ConfigError(f"the file downloaded from {url} does not match its published SHA-256 sum; not using it.")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def _sentences() -> tuple[list[str], np.ndarray]:
    """The 3,000 bundled sentences and their labels, amazon, imdb, yelp in file order."""
    folder = resources.files("dcai_lab") / "data" / "sentiment"
    texts, labels = [], []
    for name, digest in SENTIMENT_FILES.items():
        data = (folder / name).read_bytes()
        if _sha256(data) != digest:
            raise ConfigError(f"the bundled {name} is not the published file (its checksum differs); reinstall dcai-lab.")
        # Split on "\n" only: the IMDB file contains U+0085, which str.splitlines() would split on.
        for line in data.decode("utf-8").split("\n"):
            if line:
                text, label = line.rsplit("\t", 1)
                texts.append(text)
                labels.append(int(label))
    return texts, np.array(labels)


def words(text: str) -> list[str]:
    """The lower-case words of a sentence, as the sentiment vocabulary counts them."""
    return _WORD.findall(text.lower())


def sentence_features(text: str, vocabulary: list[str]) -> list[int]:
    """The indices of the vocabulary words a sentence contains: a sparse model's sample."""
    index = {w: i for i, w in enumerate(vocabulary)}
    return sorted({index[w] for w in words(text) if w in index})


def _split(n: int, test_size: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    order = np.random.default_rng(seed).permutation(n)
    n_test = round(n * test_size)
    return np.sort(order[n_test:]), np.sort(order[:n_test])


def load_sentiment(vocabulary_size: int = 1000, test_size: float = 0.25, seed: int = 0) -> Dataset:
    """Word-presence vectors of the 3,000 review sentences over the most frequent training words.

    The vocabulary is the ``vocabulary_size`` words that occur in most training sentences (ties
    alphabetical), so the test set never leaks into it.
    """
    texts, y = _sentences()
    train, test = _split(len(texts), test_size, seed)
    document_frequency = Counter(w for i in train for w in set(words(texts[i])))
    vocabulary = [w for w, _ in sorted(document_frequency.items(), key=lambda kv: (-kv[1], kv[0]))][:vocabulary_size]
    index = {w: i for i, w in enumerate(vocabulary)}

    def encode(ids: np.ndarray) -> sp.csr_matrix:
        matrix = sp.lil_matrix((len(ids), len(vocabulary)), dtype=np.int8)
        for row, i in enumerate(ids):
            for w in set(words(texts[i])):
                if w in index:
                    matrix[row, index[w]] = 1
        return matrix.tocsr()

    return Dataset(encode(train), encode(test), y[train], y[test], vocabulary,
                   [texts[i] for i in train], [texts[i] for i in test])


def _sklearn(loader, test_size: float, seed: int) -> Dataset:
    bunch = loader()
    train, test = _split(len(bunch.target), test_size, seed)
    return Dataset(bunch.data[train], bunch.data[test], bunch.target[train], bunch.target[test],
                   [str(n) for n in getattr(bunch, "feature_names", range(bunch.data.shape[1]))])


def load_digits(test_size: float = 0.25, seed: int = 0) -> Dataset:
    """scikit-learn's 8×8 handwritten digits (1,797 images, 10 classes), pixel values 0 … 16."""
    from sklearn.datasets import load_digits as sklearn_digits

    return _sklearn(sklearn_digits, test_size, seed)


def load_breast_cancer(test_size: float = 0.25, seed: int = 0) -> Dataset:
    """scikit-learn's Wisconsin breast cancer set (569 samples, 30 features, 2 classes), unscaled."""
    from sklearn.datasets import load_breast_cancer as sklearn_breast_cancer

    return _sklearn(sklearn_breast_cancer, test_size, seed)
