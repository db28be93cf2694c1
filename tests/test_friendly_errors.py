"""Every mistake a student can make at a public entry point, as one table: the bad call, the error
it raises, and what its message must say. Messages say what was expected, so each pattern names
that, not only the bad value.

A row is ``(id, call, error, pattern)``. ``call(w)`` makes the bad call on ``w``, a ``World`` of
things to misuse, set up once for the module on the session's lab; each row runs inside
``lab.anchor()``. The error must be exactly ``error`` (the package's own errors subclass the
builtin that fits: ``ConfigError`` is a ``ValueError``, ``ArgumentTypeError`` also a
``TypeError``), and ``pattern`` is searched in its message. Special cases of ``error``:
``Shown`` means the contract panel prints the message instead of raising it, and ``SystemExit``
means the command line prints it (to stderr) and exits. Only rows whose id says "reverts" may
mine a transaction: every other mistake is caught before anything is sent.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest
from sklearn.linear_model import Perceptron
from sklearn.naive_bayes import MultinomialNB

from dcai_lab import Lab
from dcai_lab.chain._artifacts import ArtifactNotFoundError
from dcai_lab.tools.cli import main as cli
from dcai_lab.chain.engines._base import TX_GAS_CAP
from dcai_lab.errors import ArgumentTypeError, ConfigError, OutOfGasError, RevertError
from dcai_lab.incentives import DepositRefundTake, Points, days
from dcai_lab.models import DensePerceptron, NaiveBayes, NearestCentroid, SparseNearestCentroid, SparsePerceptron
from dcai_lab.trainers.trainer import _development_key
from dcai_lab.widgets import contract_panel

STRANGER = "0x0000000000000000000000000000000000000001"


class Shown(Exception):
    """Marks a row whose message the contract panel prints instead of raising."""


class World:
    """What the rows misuse: a tip jar, a fitted sparse and dense twin, and the sparse twin under
    Deposit-Refund-Take and Points, each with one contribution by alice a day old."""

    def __init__(self, lab: Lab) -> None:
        self.lab = lab
        self.a = lab.accounts
        self.jar = lab.deploy_contract("TipJar", 60)
        self.sparse = SparsePerceptron(4).fit([[0, 1], [2, 3]], [1, 0])
        self.dense = DensePerceptron(2).fit([[0.0, 1.0], [1.0, 0.0]], [1, 0])
        self.drt = lab.deploy(self.sparse, DepositRefundTake(cost_weight=10**12))
        self.points = lab.deploy(self.sparse, Points())
        self.c = self.drt.add_data([0, 1], 1, sender=self.a.alice)
        self.pc = self.points.add_data([0, 1], 1, sender=self.a.alice)
        lab.time_travel(days=1)

    def panel(self, contract: Any, function: str, *texts: str, value: int = 0) -> str:
        """Fill in the contract panel as a person would, press the button, and read what it shows."""
        _, choose, _, amount, arguments, button, output = contract_panel(contract).children
        choose.value = function
        amount.value = value
        for box, text in zip(arguments.children, texts):
            box.value = text
        button.click()
        return "".join(o.get("text", "") for o in output.outputs)


@pytest.fixture(scope="module")
def world(lab_session: Lab) -> Iterator[World]:
    with lab_session.anchor():
        yield World(lab_session)


# -- the rows' calls that do not fit in a lambda -------------------------------------------------------

def reverts_with_a_number(w: World) -> None:
    with w.lab.reverts(42):
        w.jar.withdraw(1)


def refund_sent_raw_by_someone_else(w: World) -> None:
    """The contract's own answer when the handle's check is bypassed."""
    c = w.drt.contract
    c.refund(w.drt._encode(w.c.sample), w.c.label, w.c.id, sender=w.a.bob)


def nearest_centroid_too_wide(w: World) -> None:
    n = TX_GAS_CAP // NearestCentroid.min_gas_per_feature + 1
    w.lab.deploy(NearestCentroid(n).fit(np.vstack([np.zeros(n), np.ones(n)]), [0, 1]))


ROWS: list[tuple[str, Callable[[World], Any], type[BaseException], str]] = [
    # -- the Lab ---------------------------------------------------------------------------------
    ("lab-url-not-a-string", lambda w: Lab(8545), ArgumentTypeError,
     r"a node is given by its URL, a str such as 'http://127\.0\.0\.1:8545', not 8545"),
    ("lab-url-without-scheme", lambda w: Lab("localhost:8545"), ConfigError,
     r"'localhost:8545' is not an http\(s\) URL: write it as http://host:port"),
    ("lab-with-one-key-for-a-list", lambda w: Lab("http://127.0.0.1:9", private_keys="0x" + "11" * 32),
     ArgumentTypeError, r"private_keys= takes a list of keys, e\.g\. private_keys=\[key\], not one key"),
    ("lab-with-a-broken-key", lambda w: Lab("http://127.0.0.1:9", private_keys=["0x12"]), ConfigError,
     r"private_keys holds '0x12', which is not a private key \(32 bytes, or 64 hex digits\)"),
    ("lab-unknown-engine", lambda w: Lab(engine="ganache"), ConfigError,
     r"unknown engine 'ganache'; choose one of pyevm, revm or pass a node URL"),
    ("time-travel-without-a-unit", lambda w: w.lab.time_travel(3600), ArgumentTypeError,
     r"exactly one of seconds=, minutes=, hours=, days= or blocks=, e\.g\. lab\.time_travel\(days=1\); "
     r"name the unit instead of time_travel\(3600\)"),
    ("time-travel-by-text", lambda w: w.lab.time_travel(days="1"), ArgumentTypeError,
     r"days= must be a number \(0 or more\), not '1' \(str\)"),
    ("time-travel-by-nan", lambda w: w.lab.time_travel(seconds=math.nan), ConfigError,
     r"seconds= must be a number \(0 or more\), not nan"),
    ("time-travel-in-two-units", lambda w: w.lab.time_travel(days=1, hours=1), ConfigError,
     r"takes exactly one of seconds=, minutes=, hours=, days= or blocks=, e\.g\. lab\.time_travel\(days=1\)"),
    ("time-travel-by-half-a-second", lambda w: w.lab.time_travel(seconds=1.5), ConfigError,
     r"seconds=1\.5 is not a whole, positive number of seconds"),
    ("time-travel-by-true-blocks", lambda w: w.lab.time_travel(blocks=True), ArgumentTypeError,
     r"blocks= must be a whole number \(1 or more\), not True \(bool\)"),
    ("send-ether-true", lambda w: w.lab.send_ether(w.a.bob, True), ArgumentTypeError,
     r"value must be a whole number \(0 or more\), not True \(bool\)\. It is in wei: 10\*\*18 wei is one ether"),
    ("send-ether-more-than-held", lambda w: w.lab.send_ether(w.a.bob, 10**30, sender=w.a.alice), ConfigError,
     r"alice holds [\d,]+ wei and cannot send 1,000,000,000,000,000,000,000,000,000,000"),
    ("send-ether-from-a-stranger", lambda w: w.lab.send_ether(w.a.bob, 1, sender=STRANGER), ConfigError,
     r"0x0+1 is not one of this lab's accounts, so the lab cannot sign for it: send from one of lab\.accounts "
     r"\(e\.g\. sender=lab\.accounts\.alice\)"),
    ("send-ether-to-an-alias", lambda w: w.lab.send_ether("bob", 1), ConfigError,
     r"'bob' is not an address \(a 0x-prefixed, 40-hex-digit string\)\. For the account called bob, write "
     r"lab\.accounts\.bob"),
    ("balance-of-an-alias", lambda w: w.lab.balance("alice"), ConfigError, r"write lab\.accounts\.alice"),
    ("deploy-a-misspelt-contract", lambda w: w.lab.deploy_contract("tipjar", 60), ArtifactNotFoundError,
     r"there is no contract called 'tipjar'\. Did you mean 'TipJar'\? The lab has: .*TipJar, WordCounter"),
    ("deploy-by-number", lambda w: w.lab.deploy_contract(3), ArgumentTypeError,
     r"a contract is named by a str such as 'TipJar' or given as an artifact dict, not 3"),
    ("deploy-without-arguments", lambda w: w.lab.deploy_contract("TipJar"), ConfigError,
     r"deploying TipJar takes 1 argument for its constructor \(uint256 lockSeconds\); got 0"),
    ("deploy-with-text-for-a-number", lambda w: w.lab.deploy_contract("TipJar", "60"), ArgumentTypeError,
     r"TipJar\(uint256 lockSeconds\): argument 1 \(lockSeconds\) must be a whole number from 0 to 2\*\*256 - 1, "
     r"not '60'"),
    ("deploy-with-gas-above-the-cap", lambda w: w.lab.deploy_contract("TipJar", 60, gas=20_000_000), ConfigError,
     r"gas=20,000,000 is above 16,777,216, the most one transaction may use \(EIP-7825\)\. Leave gas= out"),
    ("deploy-with-gas-below-the-intrinsic-cost", lambda w: w.lab.deploy_contract("TipJar", 60, gas=100),
     ConfigError, r"gas=100 does not cover the [\d,]+ gas this transaction costs before it runs"),
    ("deploy-with-gas-as-text", lambda w: w.lab.deploy_contract("TipJar", 60, gas="lots"), ArgumentTypeError,
     r"gas must be a whole number, not 'lots' \(str\)\. Leave gas= out to give a transaction the most it may use"),
    ("deploy-with-negative-value", lambda w: w.lab.deploy_contract("TipJar", 60, value=-1), ConfigError,
     r"value must be a whole number \(0 or more\), not -1\. It is in wei"),
    ("at-with-the-wrong-name", lambda w: w.lab.at("WordCounter", w.jar.address), ConfigError,
     r"the contract at 0x\w+ is a TipJar: its code differs from the WordCounter artifact"),
    ("at-a-short-address", lambda w: w.lab.at("TipJar", "0x123"), ConfigError,
     r"'0x123' is not an address \(a 0x-prefixed, 40-hex-digit string\)"),
    ("attach-a-tip-jar", lambda w: w.lab.attach(w.jar), ConfigError, r"is not one of dcai-lab's trainer contracts"),
    ("reverts-with-a-number", reverts_with_a_number, ArgumentTypeError,
     r"reverts takes an error's name \('StillLocked'\), text of the reason, or re\.compile\(…\), not 42"),
    ("events-by-number", lambda w: w.lab.events(3), ArgumentTypeError,
     r"events takes an event's name such as 'Tipped', not 3"),
    # -- contract handles --------------------------------------------------------------------------
    ("call-without-arguments", lambda w: w.jar.tip(), ConfigError,
     r"TipJar\.tip takes 1 argument: tip\(string note\); got 0"),
    ("call-with-a-number-for-text", lambda w: w.jar.tip(5, value=1), ArgumentTypeError,
     r"tip\(string note\): argument 1 \(note\) must be a str, not 5"),
    ("call-with-a-negative-amount", lambda w: w.jar.withdraw(-1), ConfigError,
     r"withdraw\(uint256 amount\): argument 1 \(amount\) must be a whole number from 0 to 2\*\*256 - 1, not -1"),
    ("call-with-a-number-for-an-address", lambda w: w.jar.tippedBy(5), ArgumentTypeError,
     r"tippedBy\(address\): argument 1 must be an address \(an account such as lab\.accounts\.alice, a "
     r"contract's \.address, or a '0x…' string\), not 5"),
    ("call-with-value-as-text", lambda w: w.jar.tip("x", value="1"), ArgumentTypeError,
     r"value must be a whole number \(0 or more\), not '1' \(str\)"),
    ("call-with-negative-value", lambda w: w.jar.tip("x", value=-1), ConfigError,
     r"value must be a whole number \(0 or more\), not -1"),
    ("call-a-view-with-value", lambda w: w.jar.tipCount(value=1), ConfigError,
     r"TipJar\.tipCount is a free view: it takes no value= or gas="),
    ("pay-a-function-that-is-not-payable", lambda w: w.jar.withdraw(1, value=1), ConfigError,
     r"TipJar\.withdraw is not payable: do not send value"),
    ("call-with-gas-above-the-cap", lambda w: w.jar.tip("x", value=1, gas=10**9), ConfigError,
     r"gas=1,000,000,000 is above 16,777,216"),
    ("call-from-an-alias", lambda w: w.jar.tip("x", value=1, sender="alice"), ConfigError,
     r"write lab\.accounts\.alice"),
    ("call-a-missing-function", lambda w: w.jar.steal(), AttributeError,
     r"TipJar has no function 'steal'; it has: .*tip, tipCount"),
    # -- models ----------------------------------------------------------------------------------
    ("model-with-features-as-text", lambda w: SparsePerceptron("10"), ArgumentTypeError,
     r"n_features must be a whole number from 1 to 4,294,967,296, not '10' \(str\)"),
    ("model-without-features", lambda w: SparsePerceptron(0), ConfigError,
     r"n_features must be a whole number from 1 to 4,294,967,296, not 0"),
    ("model-with-learning-rate-as-text", lambda w: SparsePerceptron(4, learning_rate="1"), ArgumentTypeError,
     r"learning_rate must be a number \(0 or more\), not '1' \(str\)"),
    ("model-with-learning-rate-nan", lambda w: DensePerceptron(4, learning_rate=math.nan), ConfigError,
     r"learning_rate must be a number \(0 or more\), not nan"),
    ("model-with-no-passes", lambda w: SparsePerceptron(4, max_iter=0), ConfigError,
     r"max_iter must be a whole number \(1 or more\), not 0"),
    ("naive-bayes-with-alpha-as-text", lambda w: NaiveBayes(4, alpha="1"), ArgumentTypeError,
     r"alpha must be a number from 1e-09 to 1,000,000, not '1' \(str\)"),
    ("nearest-centroid-with-features-as-text", lambda w: NearestCentroid("2"), ArgumentTypeError,
     r"n_features must be a whole number \(1 or more\), not '2' \(str\)"),
    ("sparse-nearest-centroid-with-half-features", lambda w: SparseNearestCentroid(2.5), ArgumentTypeError,
     r"n_features must be a whole number from 1 to 4,294,967,295, not 2\.5 \(float\)"),
    ("fit-with-class-names", lambda w: SparsePerceptron(4).fit([[0], [1]], ["spam", "ham"]), ArgumentTypeError,
     r"labels are class indices, whole numbers 0 … 1, not 'spam' \(str\); turn class names into indices first "
     r"\(e\.g\. with sklearn's LabelEncoder\)"),
    ("fit-with-a-label-short", lambda w: NaiveBayes(4).fit([[0], [1]], [1]), ConfigError,
     r"X has 2 samples but y has 1 label: give one label per sample"),
    ("fit-with-a-fractional-label", lambda w: SparsePerceptron(4).fit([[0], [1]], [1, 0.5]), ConfigError,
     r"labels are class indices, whole numbers 0 … 1, not 0\.5"),
    ("fit-nearest-centroid-with-a-label-short", lambda w: NearestCentroid(2).fit([[0, 0], [1, 1]], [0]),
     ConfigError, r"X has 2 samples but y has 1 label"),
    ("partial-fit-a-sample-too-long", lambda w: DensePerceptron(2).partial_fit([[1.0, 2.0, 3.0]], [1]), ConfigError,
     r"a sample must be a vector of 2 values, not shape \(3,\)"),
    ("predict-one-sample-unwrapped", lambda w: w.sparse.predict([0, 1]), ConfigError,
     r"X is a list of samples, one per row, but it holds numbers: \[0, 1\]\. For one sample x, pass \[x\]"),
    ("predict-a-1d-array", lambda w: w.sparse.predict(np.array([1, 0, 0, 1])), ConfigError,
     r"X must be 2-D \(samples × features\), not shape \(4,\); for one sample x, pass \[x\] or x\.reshape\(1, -1\)"),
    ("predict-a-0-1-list", lambda w: w.sparse.predict([[1, 0, 0, 1]]), ConfigError,
     r"feature 0 appears twice.*This looks like a 0/1 vector: pass it as np\.array\(…\), or list the present "
     r"features \(\[0, 3\]…\)"),
    ("predict-text", lambda w: w.sparse.predict(["0 1"]), ArgumentTypeError,
     r"a sample is a list of present feature indices or a vector of 4 values, not '0 1'"),
    ("predict-nan-in-a-sparse-sample", lambda w: w.sparse.predict(np.array([[math.nan, 0, 1, 0]])), ConfigError,
     r"the sample contains NaN or infinity: fill in or drop missing values first"),
    ("predict-a-negative-index", lambda w: w.sparse.predict([[-1]]), ConfigError,
     r"feature index -1 is out of range: this model has features 0 … 3"),
    ("predict-an-index-past-the-end", lambda w: w.sparse.predict([[4]]), ConfigError,
     r"feature index 4 is out of range: this model has features 0 … 3"),
    ("predict-a-fractional-index", lambda w: w.sparse.predict([[1.5]]), ArgumentTypeError,
     r"a list sample holds the indices of the present features \(whole numbers\), not 1\.5; for a vector of 4 "
     r"values pass a NumPy array"),
    ("predict-text-values", lambda w: w.dense.predict([["a", "b"]]), ArgumentTypeError,
     r"feature values must be numbers, not 'a'; turn text into numbers first"),
    ("predict-nan-in-a-dense-sample", lambda w: w.dense.predict([[math.nan, 1.0]]), ConfigError,
     r"the sample contains NaN or infinity: fill in or drop missing values first"),
    ("predict-before-fit", lambda w: SparsePerceptron(4).predict([[0]]), ConfigError,
     r"this SparsePerceptron has not been trained yet: call fit or partial_fit first"),
    ("predict-none", lambda w: w.sparse.predict(None), ArgumentTypeError,
     r"cannot read samples from a NoneType; pass a 2-D array, a sparse matrix or a list of samples"),
    ("score-with-a-label-short", lambda w: w.sparse.score([[0], [1]], [1]), ConfigError,
     r"X has 2 samples but y has 1 label: give one label per sample"),
    ("convert-an-unfitted-perceptron", lambda w: SparsePerceptron.from_sklearn(Perceptron()), ConfigError,
     r"the Perceptron is not fitted yet: call its fit first"),
    ("convert-an-unfitted-naive-bayes", lambda w: NaiveBayes.from_sklearn(MultinomialNB()), ConfigError,
     r"the MultinomialNB is not fitted yet: call its fit first"),
    ("deploy-a-model-too-wide-for-any-transaction", nearest_centroid_too_wide, ConfigError,
     r"a NearestCentroid with 22,370 features cannot predict or train on chain: it reads every feature of a "
     r"sample, each costs at least 750 gas and one transaction or call may use 16,777,216 \(at most 22,369 "
     r"features\)\. Use fewer features"),
    ("deploy-an-unfitted-model", lambda w: w.lab.deploy(SparsePerceptron(4)), ConfigError,
     r"has not been trained yet"),
    ("deploy-a-scikit-learn-model", lambda w: w.lab.deploy(Perceptron()), ArgumentTypeError,
     r"lab\.deploy takes one of dcai_lab\.models' twins \(SparsePerceptron, NaiveBayes, …\), not a Perceptron\. "
     r"Convert a fitted scikit-learn model first, e\.g\. SparsePerceptron\.from_sklearn\(estimator\)"),
    # -- trainers --------------------------------------------------------------------------------
    ("add-data-with-a-text-label", lambda w: w.drt.add_data([0, 1], "1", sender=w.a.alice), ArgumentTypeError,
     r"labels are class indices, whole numbers 0 … 1, not '1' \(str\)"),
    ("add-data-with-an-unknown-label", lambda w: w.drt.add_data([0, 1], 2, sender=w.a.alice), ConfigError,
     r"label 2 is not one of this model's classes \(0 … 1\)"),
    ("add-data-with-negative-value", lambda w: w.drt.add_data([0, 1], 1, sender=w.a.alice, value=-1), ConfigError,
     r"value must be a whole number \(0 or more\), not -1"),
    ("add-data-from-an-alias", lambda w: w.drt.add_data([0, 1], 1, sender="alice"), ConfigError,
     r"write lab\.accounts\.alice"),
    ("refund-by-someone-else", lambda w: w.drt.refund(w.c, sender=w.a.bob), ConfigError,
     r"only alice may refund contribution 0, not bob: the trainer looks a contribution up by the account that "
     r"sends the transaction, so send it with sender=lab\.accounts\.alice\. Others may report it \(trainer\.report\) "
     r"once the model disagrees with it"),
    ("refund-from-the-default-sender", lambda w: w.drt.refund(w.c), ConfigError,
     r"only alice may refund contribution 0, not deployer \(the default sender\)"),
    ("validate-by-someone-else", lambda w: w.points.validate(w.pc, sender=w.a.bob), ConfigError,
     r"only alice may validate contribution 0, not bob"),
    ("refund-by-id", lambda w: w.drt.refund(0, sender=w.a.alice), ArgumentTypeError,
     r"refund takes a Contribution \(what add_data returned, or e\.g\. trainer\.contributions\(\)\[0\]\), not 0"),
    ("report-by-id", lambda w: w.drt.report(3, sender=w.a.bob), ArgumentTypeError,
     r"report takes a Contribution \(what add_data returned, or e\.g\. trainer\.contributions\(\)\[3\]\), not 3"),
    ("status-by-id", lambda w: w.drt.status(0), ArgumentTypeError, r"status takes a Contribution"),
    ("refund-reverts-for-someone-else", refund_sent_raw_by_someone_else, RevertError,
     r"UnknownContribution\(id=0, contributor='0x3C44\w+'\): the trainer has no contribution 0 by 0x3C44\w+ with "
     r"exactly this sample and label \(it finds a contribution by the account that sends the refund, so only the "
     r"contributor can refund it\)"),
    ("sign-for-an-alias", lambda w: w.drt.sign_contribution([0, 1], 1, "alice"), ConfigError,
     r"write lab\.accounts\.alice"),
    ("sign-with-a-text-deadline", lambda w: w.drt.sign_contribution([0, 1], 1, w.a.carol, deadline="tomorrow"),
     ArgumentTypeError, r"deadline must be a whole number \([\d,]+ or more\), not 'tomorrow' \(str\)\. It is a "
     r"block time, the last at which the signature counts, e\.g\. lab\.timestamp \+ days\(1\)"),
    ("sign-with-a-duration-for-a-deadline", lambda w: w.drt.sign_contribution([0, 1], 1, w.a.carol, deadline=days(1)),
     ConfigError, r"deadline must be a whole number \([\d,]+ or more\), not 86400\. It is a block time"),
    ("sign-with-a-broken-key", lambda w: w.drt.sign_contribution([0, 1], 1, w.a.carol, private_key="0x12"),
     ConfigError, r"private_key is not a private key \(32 bytes, or 64 hex digits\)"),
    ("sign-with-someone-elses-key",
     lambda w: w.drt.sign_contribution([0, 1], 1, w.a.carol, private_key=_development_key(w.a.bob)), ConfigError,
     r"this private_key belongs to 0x3C44\w+, not to the contributor 0x90F7\w+: the contract would refuse the "
     r"signature"),
    ("add-data-for-an-unsigned-sample", lambda w: w.drt.add_data_for(5, sender=w.a.dave), ArgumentTypeError,
     r"add_data_for takes what sign_contribution returned, not 5"),
    # -- incentives ------------------------------------------------------------------------------
    ("cost-weight-as-text", lambda w: DepositRefundTake(cost_weight="1"), ArgumentTypeError,
     r"cost_weight must be a whole number from 0 to [\d,]+, not '1' \(str\)\. It is in wei: an hour after the "
     r"last contribution the deposit is 60 times it"),
    ("cost-weight-true", lambda w: DepositRefundTake(cost_weight=True), ArgumentTypeError,
     r"cost_weight must be a whole number from 0 to [\d,]+, not True \(bool\)"),
    ("wait-of-a-fraction-of-a-second", lambda w: DepositRefundTake(refund_wait=1.5), ArgumentTypeError,
     r"refund_wait must be a whole number from 0 to [\d,]+, not 1\.5 \(float\)\. Waits are in seconds: write "
     r"e\.g\. days\(1\) or hours\(2\)"),
    ("refund-wait-as-long-as-take-wait", lambda w: DepositRefundTake(refund_wait=days(1), take_wait=days(1)),
     ConfigError, r"refund_wait \(86400 s\) must be shorter than take_wait \(86400 s\)"),
    ("validation-wait-as-text", lambda w: Points(validation_wait="1d"), ArgumentTypeError,
     r"validation_wait must be a whole number from 0 to [\d,]+, not '1d' \(str\)\. Waits are in seconds"),
    ("deploy-the-incentive-class", lambda w: w.lab.deploy(w.sparse, DepositRefundTake), ArgumentTypeError,
     r"incentive= takes one of dcai_lab\.incentives' mechanisms with its rules, e\.g\. "
     r"DepositRefundTake\(refund_wait=days\(1\)\) or Points\(\), not the class DepositRefundTake \(call it: "
     r"DepositRefundTake\(…\)\)"),
    ("deploy-an-incentive-by-name", lambda w: w.lab.deploy(w.sparse, "Points"), ArgumentTypeError,
     r"incentive= takes one of dcai_lab\.incentives' mechanisms with its rules.*not a str"),
    # -- the contract panel ------------------------------------------------------------------------
    ("panel-negative-value", lambda w: w.panel(w.jar, "tip(string)", "hi", value=-5), Shown,
     r"^could not call it: value must be a whole number \(0 or more\), not -5"),
    ("panel-unknown-account-name", lambda w: w.panel(w.jar, "tippedBy(address)", "eve"), Shown,
     r"^could not read argument 1 \(address\) from 'eve': write an account's name \(alice\) or a 0x… address"),
    ("panel-word-for-a-number", lambda w: w.panel(w.jar, "withdraw(uint256)", "lots"), Shown,
     r"^could not read amount \(uint256\) from 'lots': write a whole number such as 42 \(0 or more\)"),
    ("panel-bad-hex-for-bytes", lambda w: w.panel(w.drt.contract, "addData(bytes, uint256)", "0xzz", "1"), Shown,
     r"^could not read sample \(bytes\) from '0xzz': write hex digits such as 0x1234"),
    # -- the command line ------------------------------------------------------------------------
    ("cli-unknown-command", lambda w: cli(["bogus"]), SystemExit,
     r"invalid choice: 'bogus' \(choose from 'build', 'demo', 'gas-snapshot', 'lab', 'simulate', 'sweep'\)"),
    ("cli-simulate-unknown-scenario", lambda w: cli(["simulate", "bogus", "--out", "x"]), SystemExit,
     r"invalid choice: 'bogus' \(choose from 'deposit-refund-take', 'prediction-market', 'points', 'comparison'\)"),
    ("cli-demo-with-an-option", lambda w: cli(["demo", "--bogus"]), SystemExit, r"demo takes no options, not --bogus"),
    ("cli-build-with-an-unknown-option", lambda w: cli(["build", "--bogus"]), SystemExit,
     r"unrecognized arguments: --bogus"),
]


@pytest.mark.parametrize(("call", "error", "pattern"), [pytest.param(c, e, p, id=i) for i, c, e, p in ROWS])
def test_a_mistake_is_explained(world, capsys, call, error, pattern, request):
    lab = world.lab
    with lab.anchor():
        sent = len(lab.transactions)
        if error is Shown:
            message = call(world)
        else:
            with pytest.raises(error) as caught:
                call(world)
            assert type(caught.value) is error
            message = capsys.readouterr().err if error is SystemExit else str(caught.value)
        assert re.search(pattern, message), f"{message!r} does not match {pattern!r}"
        if "reverts" not in request.node.callspec.id:
            assert len(lab.transactions) == sent, "the mistake was sent to the chain instead of explained"


@pytest.fixture(scope="module")
def revm_lab() -> Lab:
    return Lab(engine="revm")


@pytest.mark.parametrize("model_class", [SparsePerceptron, NaiveBayes, SparseNearestCentroid, DensePerceptron,
                                         NearestCentroid])
def test_a_sample_refused_as_too_wide_really_runs_out_of_gas(revm_lab, monkeypatch, model_class):
    """The refusal is honest: one feature past the limit, the contract itself runs out of gas both
    predicting and training, so the model's least gas per feature is a true lower bound."""
    n = TX_GAS_CAP // model_class.min_gas_per_feature + 1
    if model_class.sparse:
        handle = revm_lab.deploy(model_class(n).fit([list(range(n))] * 2, [0, 1]))
        with pytest.raises(ConfigError, match=rf"this sample has {n:,} present features, more than a "
                                              rf"{model_class.__name__} can read on chain \({n - 1:,}\)"):
            handle.predict(list(range(n)))
        sample = handle._encode(tuple(range(n)))
    else:
        model = model_class(n).fit(np.vstack([np.ones(n), 2 * np.ones(n)]), [0, 1])
        with pytest.raises(ConfigError, match=rf"a {model_class.__name__} with {n:,} features cannot predict"):
            revm_lab.deploy(model)
        monkeypatch.setattr(model_class, "check_fits_one_transaction", classmethod(lambda cls, n_present: None))
        handle = revm_lab.deploy(model)  # deployed anyway, to show what the refusal saves
        sample = handle._encode(handle._to_sample(np.full(n, 1.5)))
    with pytest.raises(OutOfGasError):
        handle.contract.predict(sample)
    for label in (0, 1):  # one of them changes the model; for a perceptron the other only predicts
        with pytest.raises(OutOfGasError):
            handle.contract.update(sample, label)
