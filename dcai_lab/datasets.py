"""Real datasets, offline.

``load_sentiment`` reads the UCI "Sentiment Labelled Sentences" (Kotzias et al., KDD 2015; 3,000
one-line reviews from IMDB, Amazon and Yelp, labelled 0/1; CC BY 4.0). The three files are small and
ship inside the package (``dcai_lab/data/sentiment``, with their attribution and checksums), so they
work with no network. Larger sets are fetched once with ``download`` into ``data_home()``
(``$DCAI_LAB_DATA``, else ``~/.cache/dcai-lab``) and checked against a known SHA-256 sum.
``load_digits`` and ``load_breast_cancer`` come with scikit-learn.

For the paper's full-scale experiments, ``imdb_like`` generates reviews shaped like the 25k/25k IMDB
set in a second or two, with no download; ``load_imdb`` reads the real set where a user has it.
"""

from __future__ import annotations

import hashlib
import math
import os
import re
import tarfile
import urllib.request
from collections import Counter
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from .errors import ConfigError, real_number, whole_number

__all__ = [
    "IMDB_ARCHIVE", "IMDB_SHA256", "IMDB_URL", "Dataset", "data_home", "download", "imdb_like", "load_breast_cancer",
    "load_digits", "load_imdb", "load_sentiment", "sentence_features", "words",
]

#: The bundled sentiment files and their published SHA-256 sums (UCI id 331).
SENTIMENT_FILES = {
    "amazon_cells_labelled.txt": "47003fc0a0d4840b00e96e715b6189bad09e7443a3da41c4cbe12ffc79f86ae3",
    "imdb_labelled.txt": "aef2e49e3da25714d61175e3a6e68eeef74a20a2f914318dc3be9947ea86512d",
    "yelp_labelled.txt": "c76468b7b5c6e56a0804d728345c5f84aa2142ddb214420f61cc9cfd4c00d2ea",
}
_WORD = re.compile(r"[a-z']+")


@dataclass(frozen=True)
class Dataset:
    """A train/test split. For text, ``X`` rows are word-presence (``load_sentiment``) or word-count
    (``imdb_like``, ``load_imdb``) vectors over ``feature_names``, and ``text_train``/``text_test``
    hold the original texts where there are any."""

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


# -- IMDB-shaped data ------------------------------------------------------------------------------

#: Where Maas et al. publish the Large Movie Review Dataset (ACL 2011).
IMDB_URL = "https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz"
IMDB_ARCHIVE = "aclImdb_v1.tar.gz"
#: SHA-256 of that archive. Stanford publishes none; this is the sum that independent loaders
#: verify it against (e.g. JuliaML's DataDeps registration of the set, gomlx's IMDB loader).
IMDB_SHA256 = "c40f74a18d3b61f90feba1e17730e0d38e8b97c05fde7008942e91923d1658fe"
#: Buckets of the guide table that maps uniform draws to words (a power of two: u × size is exact).
_GUIDE_SIZE = 1 << 17


def _inverse_cdf(cdf: np.ndarray, u: np.ndarray) -> np.ndarray:
    """``np.searchsorted(cdf, u, side="right")``, twice as fast on millions of draws: a guide table
    sends each draw to the first word its bucket can hold, and a few vectorised steps walk on."""
    buckets = math.ceil(cdf[-1]) * _GUIDE_SIZE  # the draws lie in [0, cdf[-1])
    guide = np.searchsorted(cdf, np.arange(buckets) / _GUIDE_SIZE, side="right")
    index = guide[(u * _GUIDE_SIZE).astype(np.int64)]
    while len(behind := np.flatnonzero(cdf[index] <= u)):
        index[behind] += 1
    return index


def _class_word_cdfs(rng: np.random.Generator, vocabulary_size: int, zipf_exponent: float,
                     polar_fraction: float, polarity: float) -> np.ndarray:
    """The cumulative word distribution of class 0 followed by that of class 1 shifted up by one.

    Word r (0-based rank) has base rate ∝ 1 / (r + 2.7)^s (Zipf–Mandelbrot, close to English
    text); a random ``polar_fraction`` of the words lean towards one class, their log-odds between
    the classes drawn from an exponential of mean ``polarity`` with a random sign.
    """
    base = 1.0 / (np.arange(vocabulary_size) + 2.7) ** zipf_exponent
    polar = rng.random(vocabulary_size) < polar_fraction
    lean = np.zeros(vocabulary_size)
    lean[polar] = rng.choice([-1.0, 1.0], size=polar.sum()) * rng.exponential(polarity, size=polar.sum())
    cdfs = []
    for sign in (-1, 1):
        rates = base * np.exp(sign * lean / 2)
        cdf = np.cumsum(rates / rates.sum())
        cdf[-1] = 1.0
        cdfs.append(cdf + len(cdfs))
    return np.concatenate(cdfs)


def _reviews(rng: np.random.Generator, n: int, cdfs: np.ndarray, vocabulary_size: int, mean_length: float,
             length_sigma: float) -> tuple[sp.csr_matrix, np.ndarray]:
    """``n`` reviews, half of each class in random order, as a CSR word-count matrix and labels."""
    y = rng.permutation(np.arange(n) % 2)
    median = mean_length / math.exp(length_sigma**2 / 2)  # a log-normal's mean is median·e^(σ²/2)
    lengths = np.clip(np.rint(rng.lognormal(math.log(median), length_sigma, n)), 10, 2_500).astype(np.int64)
    # One uniform draw per word; class c's draws are shifted up by c to land in its own half of cdfs.
    tokens = _inverse_cdf(cdfs, rng.random(int(lengths.sum())) + np.repeat(y, lengths)) % vocabulary_size
    indptr = np.concatenate([[0], np.cumsum(lengths)])
    X = sp.csr_matrix((np.ones(len(tokens), dtype=np.int32), tokens, indptr), shape=(n, vocabulary_size))
    X.sum_duplicates()
    return X, y


def imdb_like(n_train: int = 25_000, n_test: int = 25_000, *, vocabulary_size: int = 20_000, seed: int = 0,
              mean_length: float = 230.0, length_sigma: float = 0.75, zipf_exponent: float = 1.0,
              polar_fraction: float = 0.1, polarity: float = 0.55) -> Dataset:
    """Synthetic movie reviews shaped like the IMDB set, for full-scale runs without a download.

    Each review is a bag of words drawn from its class's word distribution: Zipf word frequencies
    over ``vocabulary_size`` words (``zipf_exponent`` s: rate ∝ 1/(rank + 2.7)^s), review lengths
    log-normal with mean ``mean_length`` words and log-spread ``length_sigma`` (IMDB: mean ~230,
    median ~174, a long tail; clipped to 10 … 2,500 words), and a ``polar_fraction`` of the words
    leaning positive or negative, each with class log-odds drawn from an exponential of mean
    ``polarity``. The defaults put models on presence of the 1,000 most frequent words where they
    are on the real set: logistic regression 0.865, naive Bayes 0.840 (0xDeCA10B: 0.832), the
    ``SparsePerceptron`` twin fitted on the first 2,000 reviews 0.797 (0xDeCA10B: 0.7945).

    ``X_train``/``X_test`` are CSR word-count matrices (int32) over ``feature_names``, made-up
    words in order of designed frequency (the first is the most frequent); labels are 0/1, half of
    each in each split (one more 0 when the split is odd). Both splits share the word distributions
    and nothing else.

    The same ``seed`` gives the same data on every run. Across machines it does as far as their
    float64 ``exp``/``power`` agree: numpy's ``Generator`` (PCG64) streams are platform-independent
    and everything else is IEEE arithmetic, but a math library may differ in a result's last bit,
    which moves a word only if its draw falls within that bit of a word boundary (~1e-16 a word).
    """
    n_train = whole_number("n_train", n_train, 2)
    n_test = whole_number("n_test", n_test, 2)
    vocabulary_size = whole_number("vocabulary_size", vocabulary_size, 10, 10_000_000)
    rng = np.random.default_rng(whole_number("seed", seed, 0))
    cdfs = _class_word_cdfs(rng, vocabulary_size, real_number("zipf_exponent", zipf_exponent, 0, 5),
                            real_number("polar_fraction", polar_fraction, 0, 1), real_number("polarity", polarity, 0, 20))
    shape = (vocabulary_size, real_number("mean_length", mean_length, 10, 2_500),
             real_number("length_sigma", length_sigma, 0, 3))
    X_train, y_train = _reviews(rng, n_train, cdfs, *shape)
    X_test, y_test = _reviews(rng, n_test, cdfs, *shape)
    return Dataset(X_train, X_test, y_train, y_test, _synthetic_words(vocabulary_size))


_SYLLABLES = [c + v for c in "bcdfghjklmnpqrstvwxz" for v in "aeiou"]


def _synthetic_words(n: int) -> list[str]:
    """``n`` distinct made-up words of equally many consonant-vowel syllables (``bababa``,
    ``bababe``, …), lower-case letters only, so that ``words`` splits a text of them back."""
    length = 1
    while len(_SYLLABLES) ** length < n:
        length += 1
    out = []
    for i in range(n):
        digits = []
        for _ in range(length):
            i, digit = divmod(i, len(_SYLLABLES))
            digits.append(_SYLLABLES[digit])
        out.append("".join(reversed(digits)))
    return out


def load_imdb(path: str | os.PathLike | None = None) -> Dataset:
    """The Large Movie Review Dataset (Maas et al., ACL 2011): 25,000 training and 25,000 test reviews.

    ``path`` is a folder holding ``aclImdb/`` (or the ``aclImdb`` folder itself), or the
    ``aclImdb_v1.tar.gz`` archive. Without ``path``, the archive (84 MB) is downloaded once from
    ``IMDB_URL`` into ``data_home()`` and checked against ``IMDB_SHA256``.

    ``X_train``/``X_test`` are CSR word-count matrices over every word of the training reviews
    (lower-case, as ``words`` splits them; ``<br />`` tags dropped), sorted alphabetically;
    ``text_train``/``text_test`` hold the reviews. Labels: 1 for ``pos``, 0 for ``neg``; reviews in
    file-name order, negatives first. Encode with ``dcai_lab.encoders.TopWords`` for the paper's
    1,000 most frequent words.
    """
    source = Path(path) if path is not None else download(IMDB_URL, IMDB_ARCHIVE, IMDB_SHA256)
    if source.is_file():
        reviews = _imdb_from_archive(source)
    elif source.is_dir() and (source / "aclImdb").is_dir():
        reviews = _imdb_from_folder(source / "aclImdb")
    elif source.is_dir() and source.name == "aclImdb":
        reviews = _imdb_from_folder(source)
    else:
        raise ConfigError(f"{source} is neither the aclImdb_v1.tar.gz archive nor a folder holding aclImdb/; "
                          f"pass the path of either, or call load_imdb() to download {IMDB_URL} once.")
    from sklearn.feature_extraction.text import CountVectorizer

    vectorizer = CountVectorizer(tokenizer=words, token_pattern=None, lowercase=False, dtype=np.int32)
    X_train = vectorizer.fit_transform(reviews["train"][0])
    return Dataset(X_train, vectorizer.transform(reviews["test"][0]), reviews["train"][1], reviews["test"][1],
                   vectorizer.get_feature_names_out().tolist(), reviews["train"][0], reviews["test"][0])


_REVIEW_FILE = re.compile(r"(?:^|/)aclImdb/(train|test)/(pos|neg)/([^/]+)\.txt$")
_TAG = re.compile(r"<br\s*/?>")


def _imdb_reviews(files) -> dict[str, tuple[list[str], np.ndarray]]:
    """Texts and labels per split from (path inside the set, bytes) pairs, negatives first, by file name."""
    found: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for name, read in files:
        match = _REVIEW_FILE.search(name)
        if match:
            split, polarity, stem = match.groups()
            found.setdefault((split, polarity), []).append((stem, _TAG.sub(" ", read().decode("utf-8"))))
    missing = [f"aclImdb/{s}/{p}" for s in ("train", "test") for p in ("neg", "pos") if not found.get((s, p))]
    if missing:
        raise ConfigError(f"the IMDB set is incomplete: no reviews in {', '.join(missing)}; download {IMDB_URL} again.")
    out = {}
    for split in ("train", "test"):
        texts, labels = [], []
        for label, polarity in enumerate(("neg", "pos")):
            reviews = sorted(found[(split, polarity)], key=lambda item: _natural_key(item[0]))
            texts += [text for _, text in reviews]
            labels += [label] * len(reviews)
        out[split] = texts, np.array(labels)
    return out


def _natural_key(stem: str) -> tuple:
    """``10_7`` after ``9_3``: the files are named ``<id>_<rating>`` (a shorter number is smaller)."""
    return tuple((len(part), part) for part in stem.split("_"))


def _imdb_from_folder(folder: Path) -> dict[str, tuple[list[str], np.ndarray]]:
    files = folder.glob("*/*/*.txt")
    return _imdb_reviews((f"aclImdb/{p.relative_to(folder).as_posix()}", p.read_bytes) for p in files)


def _imdb_from_archive(archive: Path) -> dict[str, tuple[list[str], np.ndarray]]:
    try:
        with tarfile.open(archive, "r:gz") as tar:
            members = (m for m in tar if m.isfile())
            return _imdb_reviews((m.name, tar.extractfile(m).read) for m in members)
    except (tarfile.TarError, OSError, EOFError) as error:
        raise ConfigError(f"{archive} is not a readable aclImdb_v1.tar.gz ({error}); download {IMDB_URL} again.") \
            from error
