"""Self-checks for the notebooks' exercises: each prints "correct" or what is still missing.

A notebook lays out its exercises so that a test can run them (``tests/test_exercises_unsolved.py``):

- every code cell a student fills in is tagged ``exercise`` (cell metadata ``"tags": ["exercise"]``);
- every exercise ends in one code cell tagged ``check`` that calls one ``check_*`` function from
  this module, which prints one line: ``correct`` or ``not yet: …``;
- the reference solution of each ``exercise`` cell is in ``tests/notebook_solutions.py``, under the
  notebook's file name and the cell's id; it replaces the whole cell.

The test runs each notebook with such cells twice: as it is, where every check must say "not yet"
(no exercise is solved before the student starts), and with the solutions in place, where every
check must say "correct".
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from .chain.contract import Contract
from .incentives.deposit_refund_take import deposit_cost
from .incentives.points import BADGES
from .lab import Lab
from .models._samples import rows

if TYPE_CHECKING:
    import pandas as pd

    from .datasets import Dataset
    from .models import OnChainModel
    from .simulation import SimulationResult
    from .trainers import DeployedModel, MarketTrainer, PointsTrainer, Trainer


def _verdict(problem: str | None) -> None:
    print("correct" if problem is None else f"not yet: {problem}")


def check_carol_tipped(lab: Lab, jar: Contract) -> None:
    """Exercise 01.1: carol tipped exactly 0.5 ether with the note "for the TA"."""
    carol = lab.accounts.carol
    tips = [e for r in lab.transactions if r.sender == carol for e in r.events if e.name == "Tipped"]
    if not tips:
        return _verdict("no tip from carol yet; call jar.tip(note, value=…, sender=carol).")
    if not any(e["note"] == "for the TA" for e in tips):
        return _verdict('carol tipped, but not with the note "for the TA".')
    if not any(e["amount"] == 10**18 // 2 and e["note"] == "for the TA" for e in tips):
        return _verdict("the amount is off: 0.5 ether is 5 * 10**17 wei.")
    _verdict(None)


def check_deploy_gas(lab: Lab, answer: int | None) -> None:
    """Exercise 01.2: the gas used by the first deployment."""
    deployments = [r for r in lab.transactions if r.method == "(deploy)"]
    if answer is None:
        return _verdict("set deploy_gas to a number.")
    if answer != deployments[0].gas_used:
        return _verdict(f"{answer:,} is not it; look for the row with method '(deploy)'.")
    _verdict(None)


def check_what_if_withdrawal(lab: Lab, jar: Contract, answer: int | None, jar_should_hold: int) -> None:
    """Exercise 01.3: the owner's balance after a withdrawal that an anchor undid."""
    if lab.balance(jar) != jar_should_hold:
        return _verdict("the jar's balance changed: did the withdrawal happen outside `with lab.anchor():`?")
    if answer is None:
        return _verdict("set owner_would_have to the owner's balance inside the anchor, after withdrawing.")
    if answer != lab.balance(lab.accounts.deployer) + lab.balance(jar):
        return _verdict(f"{answer:,} wei is not it; read lab.balance(lab.accounts.deployer) inside the anchor.")
    _verdict(None)


def check_first_mistake(model: DeployedModel, data: Dataset, answer: int | None) -> None:
    """Exercise 02.1: the first test sentence the on-chain model gets wrong."""
    if answer is None:
        return _verdict("set i to the index of a test sentence.")
    first = next(i for i in range(data.X_test.shape[0])
                 if data.X_test[i].nnz and model.predict(data.X_test[i]) != data.y_test[i])
    if answer != first:
        return _verdict(f"sentence {answer} is not the first mistake; compare model.predict(data.X_test[i]) "
                        "with data.y_test[i] for i = 0, 1, 2, …")
    _verdict(None)


def check_taught(model: DeployedModel, features: list[int], label: int) -> None:
    """Exercise 02.2: after training, the chain predicts ``label`` for ``features``."""
    if model.predict(features) != label:
        return _verdict(f"the model still predicts {1 - label}; call model.update(features, {label}) until it "
                        f"predicts {label}: one update may not be enough.")
    _verdict(None)


def check_deposit_after(answer: int | None, cost_weight: int, seconds: int) -> None:
    """Exercise 03.1: the deposit after ``seconds`` of quiet, ``cost_weight · 3600 // ⌊√Δt⌋``."""
    if answer is None:
        return _verdict("set deposit to a whole number of wei.")
    if not isinstance(answer, int):
        return _verdict(f"{answer!r} is not a whole number: deposits are in wei; divide with //, not /.")
    if answer != deposit_cost(cost_weight, seconds):
        return _verdict(f"{answer:,} wei is not it; Δt is {seconds} seconds: take the whole square root of Δt "
                        "(math.isqrt), then cost_weight * 3600 // that root.")
    _verdict(None)


def check_take_share(trainer: Trainer, taker: str, deposit: int, answer: int | None) -> None:
    """Exercise 03.2: what ``taker`` may take from a bad deposit, ``deposit · validated // total``."""
    if answer is None:
        return _verdict("set bob_takes to a whole number of wei.")
    mine, total = trainer.contract.validated(taker), trainer.contract.totalValidated()
    if answer != deposit * mine // total:
        name = trainer.lab.accounts.name_of(taker)
        return _verdict(f"{answer!r} is not it; the share is deposit * validated(taker) // total validated, with "
                        f"trainer.contract.validated({name}) and trainer.contract.totalValidated().")
    _verdict(None)


def check_refunded(trainer: Trainer, contributor: str) -> None:
    """Exercise 03.3: ``contributor`` added data and got the deposit back (a refund pays all of it)."""
    name = trainer.lab.accounts.name_of(contributor)
    events = [e for r in trainer.lab.transactions if r.address == trainer.address for e in r.events]
    if not any(e.name == "ContributionAdded" and e["contributor"] == contributor for e in events):
        return _verdict(f"{name} has not contributed yet: trainer.add_data(x, label, sender={name}).")
    if not any(e.name == "Refunded" and e["contributor"] == contributor for e in events):
        return _verdict(f"{name} contributed; travel past the refund wait (lab.time_travel(days=1)) and call "
                        f"trainer.refund(c, sender={name}).")
    _verdict(None)


def check_badge(trainer: PointsTrainer, player: str, badge: str) -> None:
    """Exercise 04.1: ``player`` holds ``badge`` (one of ``incentives.points.BADGES``'s names)."""
    name = trainer.lab.accounts.name_of(player)
    points, _reports, badges = trainer.contract.players(player)
    bit = next(bit for bit, label in BADGES.items() if label == badge)
    if badges & bit:
        return _verdict(None)
    if not any(c.contributor == player for c in trainer.contributions()):
        return _verdict(f"{name} has not contributed yet: trainer.add_data(x, label, sender={name}).")
    _verdict(f"{name} has {points} points; after the validation wait (lab.time_travel(days=1)) validate with "
             f"trainer.refund(c, sender={name}) — the model must still agree with the label.")


def check_sponsored(trainer: Trainer, contributor: str, sponsor: str) -> None:
    """Exercise 04.2: a contribution credited to ``contributor`` and paid for by ``sponsor``."""
    names = trainer.lab.accounts.name_of(contributor), trainer.lab.accounts.name_of(sponsor)
    credited = [c for c in trainer.contributions() if c.contributor == contributor]
    if any(c.payer == sponsor for c in credited):
        return _verdict(None)
    if credited:
        return _verdict(f"{names[0]} is credited, but {names[1]} did not submit it: "
                        f"trainer.add_data_for(signed, sender={names[1]}).")
    _verdict(f"nothing is credited to {names[0]} yet: signed = trainer.sign_contribution(x, y, {names[0]}), then "
             f"trainer.add_data_for(signed, sender={names[1]}).")


def check_payout(trainer: MarketTrainer, stake: int, score: int, answer: int | None) -> None:
    """Exercise 05.1: what a contribution staking ``stake`` wei and scoring ``score`` withdraws from
    ``trainer``'s market: the stake minus the scoring fee, plus the gain or minus the loss, each
    ``min(|score| · price, stake − fee)``."""
    if answer is None:
        return _verdict("set dave_withdraws to a whole number of wei.")
    if not isinstance(answer, int) or isinstance(answer, bool):
        return _verdict(f"{answer!r} is not a whole number: payouts are in wei; multiply and use min(), not /.")
    price, fee = int(trainer.contract.pricePerPoint()), int(trainer.contract.scoringFee())
    at_risk = stake - fee
    change = min(abs(score) * price, at_risk)
    expected = at_risk + (change if score > 0 else -change)
    if answer == expected:
        return _verdict(None)
    if answer == stake + (change if score > 0 else -change):
        return _verdict(f"{answer:,} wei forgets the scoring fee: {fee:,} wei of the stake go to the scorer, so only "
                        f"stake − fee is at risk, and that is what comes back before the gain or loss.")
    if answer == at_risk + (score * price):
        return _verdict(f"{answer:,} wei forgets the cap: a gain or loss is at most what is at risk, "
                        f"min(|score| · price, stake − fee), with price = trainer.contract.pricePerPoint().")
    _verdict(f"{answer:,} wei is not it; withdraws = (stake − fee) + min(score · price, stake − fee) for a score "
             f"above 0, with price = trainer.contract.pricePerPoint() and fee = trainer.contract.scoringFee().")


def check_drawn_piece(trainer: MarketTrainer, n_pieces: int, answer: int | None) -> None:
    """Exercise 05.2: the piece the commit block's hash draws among ``n_pieces``."""
    if answer is None:
        return _verdict("set piece_of_6 to a piece index.")
    block_hash = trainer.lab.w3.eth.get_block(trainer.contract.commitBlock())["hash"]
    if answer != int.from_bytes(block_hash, "big") % n_pieces:
        return _verdict(f"piece {answer!r} is not it; read the commit block's hash as a number "
                        f"(int.from_bytes(block_hash, 'big')) and take it modulo {n_pieces}.")
    _verdict(None)


def check_next_losers(trainer: MarketTrainer, X: Any, y: Any, answer: int | None) -> None:
    """Exercise 05.3: how many of the samples ``X`` (labels ``y``), each contributed alone to the model
    ``trainer``'s market left behind, would score below 0 on the market's evaluation set."""
    if answer is None:
        return _verdict("set losers to a whole number: how many candidates would score below 0.")
    scores = [trainer.would_score(x, int(label)) for x, label in zip(rows(X), y)]
    if answer == sum(s < 0 for s in scores):
        return _verdict(None)
    hint = ""
    if answer == sum(s <= 0 for s in scores):
        hint = " (that counts the scores of 0 too: those lose only the fee, not money at risk)"
    elif answer == sum(s > 0 for s in scores):
        hint = " (that counts the ones that would gain)"
    _verdict(f"{answer!r} is not it{hint}; for each candidate, trainer.would_score(x, label) is the score it "
             f"would get now: count those below 0.")


def check_usd_cost(lab: Lab, tx: int, prices: pd.Series, answer: float | None) -> None:
    """Exercise 06.1: what transaction ``tx`` of ``lab`` costs in US dollars at the example ``prices``
    (a row of ``example_prices()``), under Prague: gas × (base fee + priority fee) × ETH price."""
    if answer is None:
        return _verdict("set usd to a number of US dollars.")
    gas = int(lab.gas.transactions().loc[tx, "prague"])
    gwei = prices["base_fee_gwei"] + prices["priority_fee_gwei"]
    expected = gas * gwei * 1e-9 * prices["eth_usd"]
    if abs(answer - expected) <= 1e-9 * expected:
        return _verdict(None)
    if abs(answer - gas * prices["base_fee_gwei"] * 1e-9 * prices["eth_usd"]) <= 1e-9 * expected:
        return _verdict("that leaves out the priority fee: a transaction pays base fee + priority fee per gas.")
    if abs(answer / expected - 1e9) < 1e3 or abs(answer * 1e9 / expected - 1) < 1e-6:
        return _verdict("off by a factor of 10⁹: a gwei is 10⁻⁹ ether.")
    _verdict(f"${answer:,.4f} is not it; take the transaction's gas from the 'prague' column of "
             f"lab.gas.transactions(), times (base fee + priority fee) in gwei, times 10⁻⁹ ether per gwei, "
             f"times dollars per ether.")


def check_largest_estimate(found: dict, answer: float | None, tolerance: float = 0.15) -> None:
    """Exercise 06.2: an estimate, by a straight line, of the most present features a contribution
    may have; ``found`` is what ``curves.largest_model`` measured."""
    if answer is None:
        return _verdict("set estimate to a number of present features.")
    measured = found["largest"]
    if abs(answer - measured) <= tolerance * measured:
        return _verdict(None)
    _verdict(f"{answer:,.0f} is more than {tolerance:.0%} away from what the search measured; the slope is "
             f"(gas₂ − gas₁) / (k₂ − k₁) between the last two points, and the line reaches the cap at "
             f"k₂ + (16,777,216 − gas₂) / slope.")


def check_cheapest(table: pd.DataFrame, answer: str | None) -> None:
    """Exercise 06.3: the model whose contribution that changes the model and is then taken costs
    least under deposit-refund-take (``addData, label ≠ prediction`` + ``report`` in ``table``)."""
    if answer is None:
        return _verdict("set cheapest to a model's name, e.g. 'NaiveBayes'.")
    drt = table.xs("DepositRefundTake", level="mechanism")
    _check_cheapest_model(drt["addData, label ≠ prediction"] + drt["report"], answer, "",
                          "its contribution and take cost {gas:,} gas; add the two columns for every model "
                          "under DepositRefundTake and take the smallest.")


def _check_cheapest_model(gas: pd.Series, answer: str, among: str, hint: str) -> None:
    """The verdict on ``answer`` as the model (an index label of ``gas``) with the least gas."""
    if answer == gas.idxmin():
        return _verdict(None)
    if answer not in gas.index:
        return _verdict(f"{answer!r} is not one of the models{among}: {', '.join(gas.index)}.")
    _verdict(f"{answer} is not it: " + hint.format(gas=int(gas[answer])))


def check_faster_attacker(result: SimulationResult) -> None:
    """Exercise 07.1: the attack simulated with an attacker every 20 minutes."""
    if result is None:
        return _verdict("set faster to what simulate(...) returns.")
    attacker = next((a for a in getattr(result, "agents", []) if a.get("role") == "attacker"), None)
    if attacker is None:
        return _verdict("faster is not a simulation result with an attacker; use simulate(attack(...)).")
    contributions = result.timeline[(result.timeline["agent"] == attacker["agent"])
                                    & (result.timeline["action"] == "contribute")]
    gaps = contributions["time"].diff().dropna()
    if gaps.empty or not 1_100 <= gaps.median() <= 1_300:
        return _verdict("the attacker does not contribute every 20 minutes: pass attacker_wait=20 * 60 (seconds).")
    _verdict(None)


def check_alice_takes(result: SimulationResult, answer: int | None) -> None:
    """Exercise 07.2: the number of takes by alice in the timeline."""
    if answer is None:
        return _verdict("set alice_takes to a number.")
    t = result.timeline
    expected = int(((t["agent"] == "alice") & (t["action"] == "take")).sum())
    if answer != expected:
        return _verdict(f"{answer} is not it; select rows with agent == 'alice' and action == 'take', then count them.")
    _verdict(None)


def _flip_on_chain(lab: Lab, contract: Contract, features: list[int]) -> tuple[int, int]:
    """Contributions (and wei of deposits) that make ``contract`` predict the other class for
    ``features``, sent as mallory inside an anchor; for notebook 08's majority vote."""
    target, flips, paid = 1 - contract.predict(features), 0, 0
    with lab.anchor():
        while contract.predict(features) != target and flips < 1_000:
            deposit = contract.depositFor(features, target)
            contract.addData(features, target, value=deposit, sender=lab.accounts.mallory)
            flips, paid = flips + 1, paid + deposit
    return flips, paid


def check_flips_needed(lab: Lab, contract: Contract, features: list[int], flips: int | None,
                       paid: int | None) -> None:
    """Exercise 08.1: how many flipped contributions turn the majority vote's answer for
    ``features``, and the deposits they pay; checked by doing it on chain inside an anchor."""
    if flips is None or paid is None:
        return _verdict("set flips and mallory_pays to numbers.")
    expected_flips, expected_paid = _flip_on_chain(lab, contract, features)
    if flips != expected_flips:
        return _verdict(f"{flips} contributions is not it; train a copy of the twin with the flipped label "
                        f"(1 - twin.predict(x)) until its prediction changes, and count.")
    if paid != expected_paid:
        return _verdict(f"{paid:,} wei is not it; before each contribution add twin.deposit_for(x, flipped label) "
                        f"of the copy, then train the copy.")
    _verdict(None)


def check_triple_deposit(lab: Lab, contract: Contract | None) -> None:
    """Exercise 08.2: a majority vote whose disagreeing contributions pay three base deposits;
    checked inside an anchor by asking for the deposits and paying them."""
    if contract is None:
        return _verdict("set mine to your deployed contract: lab.deploy_contract(your_artifact, BASE_DEPOSIT, LOCK).")
    if not all(hasattr(contract, f) for f in ("baseDeposit", "depositFor", "addData", "predict")):
        return _verdict("mine has no baseDeposit, depositFor, addData or predict: deploy your version of MajorityVote.")
    base, features = contract.baseDeposit(), [0]
    agree = contract.predict(features)
    asked = contract.depositFor(features, 1 - agree)
    if contract.depositFor(features, agree) != base:
        return _verdict("a contribution the model agrees with should still pay baseDeposit.")
    if asked != 3 * base:
        return _verdict(f"a disagreeing contribution pays {asked:,} wei, {asked / base:g} × baseDeposit; make it 3 ×.")
    with lab.anchor():
        try:
            with lab.reverts("WrongDeposit"):
                contract.addData(features, 1 - agree, value=2 * base, sender=lab.accounts.bob)
        except AssertionError:
            return _verdict("addData accepts two base deposits for a disagreeing label; it should ask for three.")
        contract.addData(features, 1 - agree, value=3 * base, sender=lab.accounts.bob)
    _verdict(None)


def check_per_new_word(lab: Lab, contract: Contract, answer: int | None, tolerance: int = 200) -> None:
    """Exercise 08.3: the gas one more never-voted word adds to a majority-vote contribution; the
    check measures it with its own two words (calldata may differ by a few bytes: ``tolerance``)."""
    if answer is None:
        return _verdict("set per_new_word to a number of gas.")
    fresh = [f for f in range(1000) if contract.votes(f, 0) == contract.votes(f, 1) == 0][:2]
    gas = []
    for features in (fresh[:1], fresh):
        with lab.anchor():
            contract.addData(features, 1, value=contract.depositFor(features, 1), sender=lab.accounts.bob)
            gas.append(lab.last_tx.gas_used)
    measured = gas[1] - gas[0]
    if abs(answer - measured) > tolerance:
        return _verdict(f"{answer:,} gas is not it; send [word] and [word, another new word] from bob, each inside "
                        f"its own `with lab.anchor():`, and subtract their lab.last_tx.gas_used.")
    _verdict(None)


def check_cheapest_question(table: pd.DataFrame, dataset: str, answer: str | None) -> None:
    """Exercise 09.1: the model whose ``predict`` costs least gas on ``dataset`` in notebook 09's table."""
    if answer is None:
        return _verdict("set cheapest_question to a model's name, e.g. 'NaiveBayes'.")
    _check_cheapest_model(table.xs(dataset, level="dataset")["predict"], answer, f" on the {dataset} data",
                          f"its predict costs {{gas:,}} gas; look at the 'predict' column of the {dataset} rows "
                          f"and take the smallest.")


def check_twin_follows(trainer: Trainer, twin: OnChainModel, x: Any, before: int) -> None:
    """Exercise 09.2: the sample ``x`` was added on chain after ``before`` contributions, and the twin
    learned it too: the contract's parameters, read back, predict as the twin does."""
    contributions = trainer.contributions()
    if len(contributions) <= before:
        return _verdict("the contract has no new contribution yet: call trainer.add_data(x, label, sender=bob).")
    if contributions[-1].sample != twin.to_sample(x):
        return _verdict("the last contribution is not X_test[0]: add that sample.")
    if contributions[-1].contributor.lower() != trainer.lab.accounts.bob.lower():
        return _verdict("the last contribution is not bob's: pass sender=bob.")
    on_chain = trainer.local_model()
    if (on_chain.class_count_.tolist(), on_chain.feature_count_.tolist()) != \
            (twin.class_count_.tolist(), twin.feature_count_.tolist()):
        return _verdict("the twin no longer matches the contract: train it on the same sample and label with "
                        "twin.partial_fit(X_test[0:1], y_test[0:1]), once.")
    _verdict(None)


def check_public_words(lab: Lab, feature_names: Sequence[str], contributor: str, answer: set[str] | None) -> None:
    """Exercise 10.1: the vocabulary words of ``contributor``'s first contribution, read back from the
    public ``ContributionAdded`` events."""
    if answer is None:
        return _verdict("set bobs_words to a set of words, e.g. {'good', 'movie'}.")
    events = [e for e in lab.events("ContributionAdded") if e["contributor"].lower() == contributor.lower()]
    packed = events[0]["sample"]
    expected = {feature_names[int.from_bytes(packed[i:i + 4], "big")] for i in range(0, len(packed), 4)}
    answer = set([answer] if isinstance(answer, str) else answer)
    if answer == expected:
        return _verdict(None)
    if answer < expected:
        return _verdict(f"{len(expected) - len(answer)} of the words are missing; every 4 bytes of the event's "
                        f"sample are one word's index in data.feature_names.")
    _verdict("that is not the set of words of that contribution: take the first ContributionAdded event whose "
             "contributor is bob, and turn each 4 bytes of its sample (int.from_bytes(…, 'big')) into "
             "data.feature_names[index].")


def check_one_flip(trainer: Trainer, X_test: Any, y_test: Any, answer: int | None, shown: int) -> None:
    """Exercise 10.2: a test sentence, not ``shown``, that the trainer's current model answers right and
    that one contribution with the other label would flip (tried on a copy of the twin)."""
    import copy

    if answer is None:
        return _verdict("set my_target to the index of a test sentence.")
    if answer == shown:
        return _verdict("that is mallory's target; find another one.")
    if not 0 <= answer < X_test.shape[0] or X_test[answer].nnz == 0:
        return _verdict(f"{answer} is not the index of a test sentence with at least one vocabulary word.")
    model = trainer.local_model()
    said = model.predict(X_test[answer])[0]
    if said != y_test[answer]:
        return _verdict(f"the model already answers sentence {answer} wrongly; pick one it answers right.")
    trial = copy.deepcopy(model).partial_fit(X_test[answer], [1 - said])
    if trial.predict(X_test[answer])[0] == said:
        return _verdict(f"one contribution with the wrong label does not flip sentence {answer}: it is too far "
                        f"from the line. Try each candidate on copy.deepcopy(trainer.local_model()).")
    _verdict(None)
