"""NaiveBayes: the contract and its twin agree exactly, its logs are right, and it is as accurate as
scikit-learn's MultinomialNB on the same presence data (no underflow, unlike the reference)."""

import math
import random
from decimal import Decimal, localcontext

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.naive_bayes import MultinomialNB

from dcai_lab.datasets import load_digits
from dcai_lab.errors import ConfigError
from dcai_lab.models import NaiveBayes
from dcai_lab.models.naive_bayes import ALPHA_SCALE, MAX_COUNT, NO_SAMPLES_SCORE, log2_scaled, log_product
from dcai_lab.models._base import MARGIN_LIMIT
from dcai_lab.models._samples import pack_features

from .conftest import DIGITS_INK_THRESHOLD, LAB_PROPERTY, count_tables, sparse_samples, with_parameters


def exact_log2_scaled(*factors: int) -> Decimal:
    """2^16 · log2 of the product of the factors, to 120 digits."""
    with localcontext() as context:
        context.prec = 120
        return sum(Decimal(f).ln() for f in factors) / Decimal(2).ln() * 2**16


def make_model(feature_counts, class_counts, alpha: float = 1.0) -> NaiveBayes:
    """A twin with the given counts (one row of feature counts per class)."""
    feature_counts = np.array(feature_counts, dtype=np.int64)
    return with_parameters(NaiveBayes(feature_counts.shape[1], alpha=alpha), len(feature_counts),
                           feature_count_=feature_counts, class_count_=class_counts)


@st.composite
def models(draw):
    """Random twins; 2 … 14 classes, so both several features per slot and several slots per feature."""
    feature_counts, class_counts = draw(count_tables(max_features=6, max_classes=14, max_class_count=6))
    return make_model(feature_counts, class_counts, draw(st.sampled_from([1.0, 0.5, 0.01, 3.25])))


@pytest.fixture(scope="module")
def sentiment_model(sentiment_split):
    return NaiveBayes(1000).fit(sentiment_split.X_train, sentiment_split.y_train)


# -- the fixed-point log ---------------------------------------------------------------------------

@settings(LAB_PROPERTY, max_examples=10)
@given(xs=st.lists(st.integers(1, 2**256 - 1) | st.integers(1, 2**100), min_size=1, max_size=20))
def test_log2_on_chain_equals_twin(lab, xs):
    with lab.anchor():
        contract = lab.deploy_contract("NaiveBayes", 4, 2, ALPHA_SCALE, [0, 0])
        assert [contract.log2Scaled(x) for x in xs] == [log2_scaled(x) for x in xs]


def test_log2_on_chain_equals_twin_on_random_mantissas(lab):
    """Hypothesis' integers lean to simple and boundary values; a slip deep in the series (its last
    term is below one unit) changes the log of only a few random 64-bit mantissas in a hundred (the
    s⁷/7 term dropped: 4 of these 400), so compare 400 of them, seeded, at random scales."""
    rng = random.Random(2026)
    xs = [rng.getrandbits(64) | 1 << 63 for _ in range(400)]
    xs = [x << rng.randrange(193) for x in xs]
    with lab.anchor():
        contract = lab.deploy_contract("NaiveBayes", 4, 2, ALPHA_SCALE, [0, 0])
        assert [contract.log2Scaled(x) for x in xs] == [log2_scaled(x) for x in xs]


@settings(max_examples=400, deadline=None)
@given(x=st.integers(1, 2**256 - 1))
def test_log2_is_within_one_unit_of_the_exact_log(x):
    error = float(Decimal(log2_scaled(x)) - exact_log2_scaled(x))
    assert -1.01 < error <= 0.01


@settings(max_examples=400, deadline=None)
@given(x=st.integers(1, 2**100), step=st.integers(1, 2**40))
def test_log2_never_decreases(x, step):
    assert log2_scaled(x) <= log2_scaled(x + step)


def test_log2_is_exact_at_powers_of_two():
    powers = (0, 1, 30, 64, 65, 200, 255)
    assert [log2_scaled(2**n) for n in powers] == [n * 2**16 for n in powers]


def test_log_product_is_the_log_of_the_exact_product():
    factors = [10**9 * c + 10**9 for c in range(1, 60)] + [3, 2**63 + 5]
    # the mantissa loses bits below its top 64 a few times: far below one unit
    assert -1.02 < float(Decimal(log_product(factors)) - exact_log2_scaled(*factors)) <= 0.01


def test_log2_of_zero_reverts(lab):
    contract = lab.deploy_contract("NaiveBayes", 4, 2, ALPHA_SCALE, [0, 0])
    with lab.reverts("LogOfZero"):
        contract.log2Scaled(0)


# -- the contract and the twin agree ---------------------------------------------------------------

@LAB_PROPERTY
@given(data=st.data())
def test_predictions_match_twin_on_random_models(checks, data):
    checks.random_predictions_agree(data, models(), sparse_samples, max_samples=4)


@LAB_PROPERTY
@given(data=st.data())
def test_scores_match_twin_exactly_on_random_models(lab, data):
    model = data.draw(models())
    xs = data.draw(st.lists(sparse_samples(model.n_features), min_size=1, max_size=4))
    with lab.anchor():
        handle = lab.deploy(model)
        assert [handle.contract.scores(pack_features(x)) for x in xs] == model.scores(xs)


@LAB_PROPERTY
@given(data=st.data())
def test_assessments_match_twin_on_random_models(checks, data):
    checks.random_assessments_agree(data, models(), sparse_samples, max_samples=4)


@LAB_PROPERTY
@given(data=st.data())
def test_updates_leave_contract_and_twin_with_equal_parameters(checks, data):
    checks.random_updates_agree(data, models(), sparse_samples, also=("alpha_scaled",))


def test_larger_model_matches_twin_after_updates(lab, checks):
    rng = np.random.default_rng(7)
    X = (rng.random((80, 200)) < 0.08).astype(int)
    X[:, 0] = 1
    model = NaiveBayes(200, alpha=0.3).fit(X, np.arange(80) % 7)
    handle = lab.deploy(model)
    for label in rng.integers(0, 7, 6):
        checks.update_both(handle, model, sorted(rng.choice(200, 25, replace=False).tolist()), int(label))
    checks.assert_same_parameters(handle, model, also=("alpha_scaled",))
    test = [sorted(rng.choice(200, 30, replace=False).tolist()) for _ in range(12)]
    assert [handle.contract.scores(pack_features(x)) for x in test] == model.scores(test)
    checks.assert_predictions_agree(handle, model, test)


def test_class_totals_are_the_sums_of_the_loaded_counts(lab):
    model = make_model([[3, 0, 2, 1], [0, 0, 4, 4], [1, 1, 1, 1]], [3, 4, 1])
    handle = lab.deploy(model)
    sample_counts, totals = handle.contract.classCounts()
    assert sample_counts == [3, 4, 1]
    assert totals == [6, 8, 4]


def test_fit_and_partial_fit_give_the_same_counts():
    X = [[0, 1], [1, 2], [0, 2], [2]]
    y = [0, 1, 1, 0]
    fitted = NaiveBayes(3).fit(X, y)
    trained = NaiveBayes(3).partial_fit(X[:2], y[:2]).partial_fit(X[2:], y[2:])
    assert fitted.feature_count_.tolist() == trained.feature_count_.tolist() == [[1, 1, 1], [1, 1, 2]]
    assert fitted.class_count_.tolist() == trained.class_count_.tolist() == [2, 2]


# -- what it predicts --------------------------------------------------------------------------------

def test_ties_go_to_the_lowest_class(lab):
    model = make_model([[1, 2], [3, 1], [3, 1]], [3, 4, 4])
    handle = lab.deploy(model)
    # classes 1 and 2 are identical and beat class 0 on feature 0
    assert handle.predict([0]) == model.predict([[0]])[0] == 1


def test_class_without_samples_is_never_predicted(lab):
    model = make_model([[0, 0], [1, 5]], [0, 5])
    handle = lab.deploy(model)
    assert handle.predict([0]) == model.predict([[0]])[0] == 1


def test_untrained_model_predicts_class_zero(lab):
    handle = lab.deploy(make_model([[0, 0, 0]] * 3, [0, 0, 0]))
    assert handle.predict([0, 1, 2]) == 0
    assert handle.contract.scores(pack_features([0, 1, 2])) == [NO_SAMPLES_SCORE] * 3


# -- how right it is ----------------------------------------------------------------------------------

def test_margin_is_the_label_score_minus_the_best_other_among_three_classes(lab, checks):
    model = make_model([[3, 0, 2, 1], [0, 0, 4, 4], [1, 1, 1, 1]], [3, 4, 1])
    handle = lab.deploy(model)
    x = [0, 2]
    checks.assert_margins_over_the_best_other(handle, model, x, handle.contract.scores(pack_features(x)))


def test_equal_scores_have_margin_zero_and_the_lower_class_is_right(lab):
    model = make_model([[1, 2], [3, 1], [3, 1]], [3, 4, 4])
    handle = lab.deploy(model)
    # classes 1 and 2 are identical and beat class 0 on feature 0
    assert handle.assess([0], 1) == model.assess([[0]], [1])[0] == (0, True)
    assert handle.assess([0], 2) == model.assess([[0]], [2])[0] == (0, False)


def test_a_label_without_samples_has_the_lowest_margin(lab):
    model = make_model([[0, 0], [1, 5], [2, 1]], [0, 5, 3])
    handle = lab.deploy(model)
    assert handle.assess([0], 0) == model.assess([[0]], [0])[0] == (-MARGIN_LIMIT, False)
    # class 0 has no samples, so it is no rival: class 1's margin is over class 2 alone
    scores = handle.contract.scores(pack_features([0]))
    assert handle.assess([0], 1)[0] == model.assess([[0]], [1])[0][0] == scores[1] - scores[2]


def test_a_label_with_no_rival_with_samples_has_the_highest_margin(lab):
    model = make_model([[0, 0], [1, 5]], [0, 5])
    handle = lab.deploy(model)
    assert handle.assess([0], 1) == model.assess([[0]], [1])[0] == (MARGIN_LIMIT, True)


def test_an_untrained_model_rates_every_label_lowest_yet_predicts_class_zero(lab):
    model = make_model([[0, 0]] * 3, [0, 0, 0])
    handle = lab.deploy(model)
    assert [handle.assess([1], c) for c in range(3)] == model.assess([[1]] * 3, [0, 1, 2]) == \
        [(-MARGIN_LIMIT, True), (-MARGIN_LIMIT, False), (-MARGIN_LIMIT, False)]


def test_long_samples_do_not_underflow(lab):
    # Class 1 saw the even features three times as often as class 0 did. The reference's product
    # of floored probabilities is 0 for both classes after a few features; it then answers class 0.
    model = make_model([[2] * 300, [6, 0] * 150], [10, 10])
    handle = lab.deploy(model)
    x = list(range(0, 300, 2))
    assert handle.predict(x) == model.predict([x])[0] == 1


# -- limits: revert, never wrap ------------------------------------------------------------------------

def test_sample_count_limit_reverts_instead_of_wrapping(lab, checks):
    model = make_model([[0, 1], [0, 0]], [MAX_COUNT, 0])
    checks.assert_both_refuse_update(lab.deploy(model), model, [0], 0, error="SampleCountLimit", match="samples")


@pytest.mark.parametrize("other", [0, 1])  # class total MAX_COUNT, the least with a full count, and above
def test_feature_count_limit_reverts_instead_of_wrapping(lab, checks, other):
    model = make_model([[MAX_COUNT, other], [0, 0]], [MAX_COUNT - 1, 0])
    checks.assert_both_refuse_update(lab.deploy(model), model, [0, 1], 0, error="FeatureCountLimit",
                                     match="largest count")
    assert model.class_count_.tolist() == [MAX_COUNT - 1, 0]


@pytest.mark.parametrize("others", [0, 1])
def test_two_class_counts_reach_the_limit_without_carrying(lab, checks, others):
    # Class 0's total is MAX_COUNT − 1 + others: below MAX_COUNT no count can be full and the
    # contract skips the check; from MAX_COUNT on it checks each count. Either way a count climbs
    # to MAX_COUNT exactly, and the neighbouring lanes (the other class, the next feature) keep theirs.
    model = make_model([[MAX_COUNT - 1, others, 0, 0, 0, 0, 0], [MAX_COUNT - 1, 0, 2, 0, 0, 0, 3]],
                       [MAX_COUNT - 2, MAX_COUNT - 1])
    handle = lab.deploy(model)
    checks.update_both(handle, model, [0, 2, 5, 6], 0)
    checks.update_both(handle, model, [0, 1, 6], 1)
    checks.assert_same_parameters(handle, model)
    assert model.feature_count_[:, 0].tolist() == [MAX_COUNT, MAX_COUNT]


@pytest.mark.parametrize(("args", "error"), [
    ((4, 2, 0, [0, 0]), "InvalidSmoothing"),
    ((4, 2, 2**63 + 1, [0, 0]), "InvalidSmoothing"),
    ((4, 1, ALPHA_SCALE, [0]), "TooFewClasses"),
    ((0, 2, ALPHA_SCALE, [0, 0]), "NumFeaturesOutOfRange"),
    ((2**32 + 1, 2, ALPHA_SCALE, [0, 0]), "NumFeaturesOutOfRange"),
    ((4, 3, ALPHA_SCALE, [0, 0]), "SampleCountsLength"),
    ((4, 2, ALPHA_SCALE, [MAX_COUNT + 1, 0]), "SampleCountLimit"),
])
def test_constructor_rejects_out_of_range_settings(lab, args, error):
    with lab.reverts(error):
        lab.deploy_contract("NaiveBayes", *args)


@pytest.mark.parametrize("settings_", [
    dict(n_features=0),
    dict(n_features=3, alpha=0.0),
    dict(n_features=3, alpha=2e6),
])
def test_twin_rejects_out_of_range_settings(settings_):
    with pytest.raises(ConfigError):
        NaiveBayes(**settings_).fit([[0]], [1])


# -- initialisation ----------------------------------------------------------------------------------

def deployed_uninitialised(lab, model):
    return lab.deploy_contract("NaiveBayes", *model._constructor_args())


def test_counts_must_be_loaded_chunk_after_chunk(lab):
    model = make_model([[1, 2, 3] * 4, [0, 1, 0] * 4], [3, 2])
    contract = deployed_uninitialised(lab, model)
    slots = model._count_slots()
    contract.setCounts(0, slots[:1])
    with lab.reverts("ChunkOutOfOrder"):
        contract.setCounts(2, slots[2:])


def test_counts_cannot_be_loaded_past_the_last_slot(lab):
    model = make_model([[1, 2, 3], [0, 1, 0]], [3, 2])  # three features, six per slot: one slot
    contract = deployed_uninitialised(lab, model)
    with lab.reverts("ChunkTooLong"):
        contract.setCounts(0, model._count_slots() + [1])


@pytest.mark.parametrize("lane", [
    6,   # feature 3 of a three-feature, two-class model (lanes 0 … 5 are used)
    12,  # above the twelve lanes of a slot
])
def test_count_outside_the_model_is_rejected(lab, lane):
    model = make_model([[1, 2, 3], [0, 1, 0]], [3, 2])
    contract = deployed_uninitialised(lab, model)
    with lab.reverts("CountOutsideModel"):
        contract.setCounts(0, [1 << (21 * lane)])


def test_count_for_an_unknown_class_is_rejected(lab):
    model = make_model([[1, 2]] * 14, [3] * 14)  # fourteen classes: twelve in the first slot, two in the second
    contract = deployed_uninitialised(lab, model)
    with lab.reverts("CountOutsideModel"):
        contract.setCounts(0, [0, 1 << (21 * 2)])  # class 14


def test_counts_are_frozen_after_initialisation(lab):
    model = make_model([[1, 2], [0, 1]], [3, 2])
    handle = lab.deploy(model)
    with lab.reverts("AlreadyInitialised"):
        handle.contract.setCounts(len(model._count_slots()), [1])


def test_only_the_owner_trains(lab):
    handle = lab.deploy(make_model([[1, 2], [0, 1]], [3, 2]))
    with lab.reverts("NotOwner"):
        handle.update([0], 1, sender=lab.accounts[1])


# -- input validation ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("x", "label"), [
    (np.ones(5), 0),      # a dense vector of the wrong length
    ([0, 4], 0),          # a feature index outside the vocabulary
    ([], 0),              # an empty sample
    ([1, 1], 0),          # a feature given twice
    ([0, 1], 3),          # an unknown label
])
def test_bad_input_is_explained_before_sending(lab, checks, x, label):
    handle = lab.deploy(make_model([[1, 2, 0, 1], [0, 1, 1, 1], [2, 0, 0, 0]], [3, 2, 2]))
    checks.assert_explained_before_sending(handle.update, x, label)


@pytest.mark.parametrize(("x", "label", "error"), [
    ([0, 4], 0, "FeatureOutOfRange"),
    ([], 0, "EmptySample"),
    ([2, 1], 0, "FeaturesNotIncreasing"),
    ([0, 1], 3, "UnknownLabel"),
])
def test_bad_update_sent_to_the_contract_reverts(lab, checks, x, label, error):
    handle = lab.deploy(make_model([[1, 2, 0, 1], [0, 1, 1, 1], [2, 0, 0, 0]], [3, 2, 2]))
    checks.reverts_on_chain(handle.contract.update, pack_features(x), label, error=error)


@pytest.mark.parametrize(("x", "error"), [
    ([0, 4], "FeatureOutOfRange"),
    ([], "EmptySample"),
    ([2, 1], "FeaturesNotIncreasing"),
])
def test_bad_prediction_request_sent_to_the_contract_reverts(lab, checks, x, error):
    handle = lab.deploy(make_model([[1, 2, 0, 1], [0, 1, 1, 1]], [3, 2]))
    checks.reverts_on_chain(handle.contract.predict, pack_features(x), error=error)


# -- scikit-learn --------------------------------------------------------------------------------------

def test_from_sklearn_copies_the_counts_and_only_approximates_the_logs(binary_digits):
    X_train, y_train, _, _ = binary_digits
    estimator = MultinomialNB(alpha=0.5).fit(X_train, y_train)
    converted = NaiveBayes.from_sklearn(estimator)
    ours = NaiveBayes(64, alpha=0.5).fit(X_train, y_train)
    assert converted.feature_count_.tolist() == ours.feature_count_.tolist()
    assert converted.class_count_.tolist() == ours.class_count_.tolist()
    # one unit of the fixed-point log is 2^-16 · ln 2 ≈ 1.06e-5 natural-log units, two logs per term
    assert 0 < converted.quantisation_error_ < 2.2e-5


def test_from_sklearn_rejects_fractional_counts():
    estimator = MultinomialNB().fit([[1, 0], [0, 1]], [0, 1], sample_weight=[0.5, 1.0])
    with pytest.raises(ConfigError, match="whole numbers"):
        NaiveBayes.from_sklearn(estimator)


def test_from_sklearn_rejects_a_prior_that_is_not_the_empirical_one():
    estimator = MultinomialNB(fit_prior=False).fit([[1, 0], [0, 1]], [0, 1])
    with pytest.raises(ConfigError, match="empirical prior"):
        NaiveBayes.from_sklearn(estimator)


# -- real data -----------------------------------------------------------------------------------------

def test_twin_is_as_accurate_as_sklearn_on_digits_and_the_chain_agrees_on_every_8th_image(lab, checks, binary_digits, capsys):
    X_train, y_train, X_test, y_test = binary_digits
    model = NaiveBayes(64).fit(X_train, y_train)
    on_chain = checks.assert_predictions_agree(lab.deploy(model), model, X_test[::8])
    ours = model.score(X_test, y_test)
    sklearn = MultinomialNB().fit(X_train, y_train).score(X_test, y_test)
    pixels = load_digits()
    raw_pixels = MultinomialNB().fit(pixels.X_train, pixels.y_train).score(pixels.X_test, pixels.y_test)
    with capsys.disabled():
        print(f"\ndigits (pixel > {DIGITS_INK_THRESHOLD}): on-chain twin {ours:.4f}, "
              f"sklearn MultinomialNB {sklearn:.4f} "
              f"(raw pixel counts: {raw_pixels:.4f}); chain = twin on {len(on_chain)} test images")
    assert abs(ours - sklearn) <= 0.01
    assert ours > 0.8


def test_chain_predicts_both_classes_on_every_10th_review_and_the_twin_is_as_accurate_as_sklearn(
        lab, checks, sentiment_split, sentiment_model, capsys):
    X_train, y_train, X_test, y_test = sentiment_split
    subset = list(range(0, X_test.shape[0], 10))
    on_chain = np.array(checks.assert_predictions_agree(lab.deploy(sentiment_model), sentiment_model, X_test[subset]))
    subset_accuracy = float(np.mean(on_chain == y_test[subset]))
    ours = sentiment_model.score(X_test, y_test)
    sklearn = MultinomialNB().fit(X_train, y_train).score(X_test, y_test)
    with capsys.disabled():
        print(f"\nsentiment: on-chain {subset_accuracy:.4f} on {len(subset)} reviews (predicted 1 for "
              f"{int(on_chain.sum())}); twin {ours:.4f} on all {len(y_test)}, sklearn MultinomialNB {sklearn:.4f}")
    assert set(on_chain.tolist()) == {0, 1}
    assert subset_accuracy > 0.7
    assert abs(ours - sklearn) <= 0.01


def test_thousand_feature_model_deploys_in_chunks_under_the_gas_cap(checks, sentiment_model):
    # Every word was seen, so all 200 slots (five words × two classes each) hold counts. Make the
    # model five times wider so that the loading needs several chunks.
    wide = make_model(np.hstack([sentiment_model.feature_count_] * 5), sentiment_model.class_count_)
    _, deployment = checks.deploy_under_the_cap(sentiment_model)
    assert len(deployment) == 3  # constructor, one chunk of counts, finishInitialisation
    assert sum(tx.gas_used for tx in deployment) < 0.2 * 56_828_990  # the reference needed 56.8M gas in 14 transactions
    handle, deployment = checks.deploy_under_the_cap(wide)
    assert len(deployment) >= 4  # constructor, two or more chunks, finishInitialisation
    assert handle.contract.featureCounts(1, 4990, 10) == wide.feature_count_[1, 4990:].tolist()  # the last chunk landed


def test_feature_log_prob_matches_sklearn_within_the_log_resolution(sentiment_split):
    X_train, y_train, _, _ = sentiment_split
    estimator = MultinomialNB(alpha=1.0).fit(X_train, y_train)
    ours = NaiveBayes(1000).fit(X_train, y_train)
    assert np.max(np.abs(ours.feature_log_prob_ - estimator.feature_log_prob_)) < 2 * math.log(2) / 2**16 + 1e-12
    assert np.max(np.abs(ours.class_log_prior_ - estimator.class_log_prior_)) < 2 * math.log(2) / 2**16 + 1e-12
