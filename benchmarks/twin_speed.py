"""Predictions per second of every twin: one sample at a time (how ``predict`` worked before) and the
whole batch at once (``predict`` now), on the data of a full-scale run, with a check that both
give the same answers.

Sparse models: trained on ``imdb_like`` reviews encoded as the 1,000 most frequent words, asked
about the 25,000 test reviews. Dense models: scikit-learn's digits scaled into [-1, 1] and repeated
to 25,000 samples. "One at a time" is ``_predict_sample`` on each sample of ``to_samples`` (the
conversion included, as the old ``predict`` did it).

    python benchmarks/twin_speed.py            # 25,000 samples per model
    python benchmarks/twin_speed.py --quick    # 2,000
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from dcai_lab.datasets import imdb_like, load_digits
from dcai_lab.encoders import FixedPointScaler, TopWords
from dcai_lab.models import DensePerceptron, NaiveBayes, NearestCentroid, SparseNearestCentroid, SparsePerceptron


def per_second(n: int, seconds: float) -> str:
    return f"{n / seconds:>12,.0f}"


def sparse_setting(n: int):
    data = imdb_like(n, n, seed=0)
    top = TopWords(1000).fit(data.X_train)
    X_train, X_test = top.transform(data.X_train), top.transform(data.X_test)
    keep = np.diff(X_test.indptr) > 0  # a sample needs a present feature
    models = [SparsePerceptron(1000, max_iter=1), NaiveBayes(1000), SparseNearestCentroid(1000)]
    return [(m.fit(X_train, data.y_train), X_test[keep]) for m in models]


def dense_setting(n: int):
    digits = load_digits()
    scaler = FixedPointScaler().fit(digits.X_train)
    X_train = scaler.transform(digits.X_train)
    X_test = np.resize(scaler.transform(digits.X_test), (n, digits.X_test.shape[1]))
    models = [(DensePerceptron(64), digits.y_train % 2), (NearestCentroid(64), digits.y_train)]
    return [(m.fit(X_train, y), X_test) for m, y in models]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2,000 samples per model instead of 25,000")
    n = 2_000 if parser.parse_args().quick else 25_000
    print(f"{'model':<24}{'samples':>9}{'one at a time /s':>18}{'batch /s':>14}{'speed-up':>10}  same answers")
    differ = []
    for model, X in sparse_setting(n) + dense_setting(n):
        start = time.perf_counter()
        one_at_a_time = [model._predict_sample(s) for s in model.to_samples(X)]
        middle = time.perf_counter()
        batch = model.predict(X)
        end = time.perf_counter()
        rows = X.shape[0]
        print(f"{type(model).__name__:<24}{rows:>9,}{per_second(rows, middle - start):>18}"
              f"{per_second(rows, end - middle):>14}{(middle - start) / (end - middle):>9.0f}×"
              f"  {batch.tolist() == one_at_a_time}")
        if batch.tolist() != one_at_a_time:
            differ.append(type(model).__name__)
    if differ:
        raise SystemExit(f"the batch and the one-at-a-time predictions differ: {', '.join(differ)}")


if __name__ == "__main__":
    main()
