"""Reference solutions of the notebooks' exercises, for tests/test_exercises_unsolved.py.

``SOLUTIONS[notebook file][cell id]`` is the code that replaces the notebook's cell tagged
``exercise`` with that id (see the layout in ``dcai_lab/exercises.py``). Each is what a student
could write, using only the names the notebook defined before the cell.
"""

SOLUTIONS = {
    "01_your_first_chain.ipynb": {
        "33865ad9": """\
carol = lab.accounts.carol
jar.tip("for the TA", value=ETHER // 2, sender=carol)""",
        "fc527781": "deploy_gas = lab.transactions[0].gas_used",
        "8fa67d81": """\
with lab.anchor():
    lab.time_travel(days=30)
    jar.withdraw(lab.balance(jar))
    owner_would_have = lab.balance(lab.accounts.deployer)""",
    },
    "02_a_model_on_chain.ipynb": {
        "41ce43e3": """\
i = next(i for i in range(data.X_test.shape[0])
         if data.X_test[i].nnz and model.predict(data.X_test[i]) != data.y_test[i])""",
        "5c7a651f": """\
while model.predict(features) != 1:
    model.update(features, 1)""",
    },
    "03_deposit_refund_take.ipynb": {
        "6e2eea83": """\
import math

deposit = 10**15 * 3600 // math.isqrt(15 * 60)""",
        "2e58d3ec": "bob_takes = 6 * 10**16 * trainer.contract.validated(bob) // trainer.contract.totalValidated()",
        "6d7fc190": """\
c = trainer.add_data(data.X_train[308], 1, sender=carol)
lab.time_travel(days=1)
trainer.refund(c, sender=carol)""",
    },
    "04_points_and_badges.ipynb": {
        "1b2edc89": """\
erin = lab.accounts.erin
c = trainer.add_data(data.X_train[agreed[11]], int(data.y_train[agreed[11]]), sender=erin)
lab.time_travel(days=1)
trainer.refund(c, sender=erin)""",
        "20f29e73": """\
frank = lab.accounts.frank
signed = trainer.sign_contribution(data.X_train[agreed[0]], int(data.y_train[agreed[0]]), frank)
trainer.add_data_for(signed, sender=grace)""",
    },
    "05_prediction_market.ipynb": {
        "a744dbb2": """\
at_risk = 2 * 10**16 - trainer.contract.scoringFee()
dave_withdraws = at_risk + min(3_000 * trainer.contract.pricePerPoint(), at_risk)""",
        "7ea036e3": """\
block_hash = lab.w3.eth.get_block(trainer.contract.commitBlock())["hash"]
piece_of_6 = int.from_bytes(block_hash, "big") % 6""",
        "1eb35ee5": """\
losers = sum(trainer.would_score(data.X_train[i], int(data.y_train[i])) < 0 for i in candidates)""",
    },
    "06_gas_costs.ipynb": {
        "a0c1e028": """\
gas = int(lab.gas.transactions().loc[added, "prague"])
usd = gas * (event["base_fee_gwei"] + event["priority_fee_gwei"]) * 1e-9 * event["eth_usd"]""",
        "a0c1e031": """\
line = by_k[(by_k["model"] == "NaiveBayes") & (by_k["operation"] == "addData, label ≠ prediction")]
(k1, k2), (g1, g2) = line["x"].iloc[-2:], line["gas"].iloc[-2:]
estimate = k2 + (16_777_216 - g2) / ((g2 - g1) / (k2 - k1))""",
        "a0c1e034": """\
drt = table.xs("DepositRefundTake", level="mechanism")
cheapest = (drt["addData, label ≠ prediction"] + drt["report"]).idxmin()""",
    },
    "07_simulating_attacks.ipynb": {
        "f7a1c016": """\
faster = simulate(attack("deposit-refund-take", samples=200, test_samples=500, attacker_wait=20 * 60), engine="pyevm")""",
        "f7a1c019": """\
t = result.timeline
alice_takes = int(((t["agent"] == "alice") & (t["action"] == "take")).sum())""",
    },
    "09_beyond_sentiment.ipynb": {
        "b9e0c014": """\
cheapest_question = table.xs("sentiment", level="dataset")["predict"].idxmin()""",
        "b9e0c017": """\
X_test, y_test = DATA["digits"]["sparse"][1], DATA["digits"]["labels"][1]
before = len(trainers["digits", "NaiveBayes"].contributions())
trainers["digits", "NaiveBayes"].add_data(X_test[0], int(y_test[0]), sender=bob)
twins["digits", "NaiveBayes"].partial_fit(X_test[0:1], y_test[0:1])""",
    },
    "10_limits_and_attacks.ipynb": {
        "a10f0022": """\
packed = next(e for e in lab.events("ContributionAdded") if e["contributor"] == bob)["sample"]
bobs_words = {data.feature_names[int.from_bytes(packed[i:i + 4], "big")] for i in range(0, len(packed), 4)}""",
        "a10f0025": """\
now = trainer.local_model()
right_now = now.predict(X_test) == y_test
my_target = next(i for i in range(X_test.shape[0])
                 if i != target and X_test[i].nnz and right_now[i] and flipped_by_one(now, X_test[i]))""",
    },
}

SOLUTIONS["08_bring_your_own.ipynb"] = {
    "b8000042": """\
import copy

trial, flips, mallory_pays = copy.deepcopy(twin), 0, 0
flipped = 1 - trial.predict(test[0])
while trial.predict(test[0]) != flipped:
    mallory_pays += trial.deposit_for(test[0], flipped)
    trial.partial_fit(test[0], flipped)
    flips += 1""",
    "b8000045": """\
triple = MAJORITY_VOTE.replace("2 * baseDeposit", "3 * baseDeposit")
mine = lab.deploy_contract(compile_source(triple, "MajorityVote.sol")["MajorityVote"], BASE_DEPOSIT, LOCK)""",
    "b8000048": """\
fresh = [f for f in range(1000) if twin.votes_[f] == [0, 0]][:2]
gas = []
for words in (fresh[:1], fresh):
    with lab.anchor():
        vote.addData(words, 1, value=vote.depositFor(words, 1), sender=bob)
        gas.append(lab.last_tx.gas_used)
per_new_word = gas[1] - gas[0]""",
}
