"""The notebooks' self-checks accept a right answer and explain a wrong one."""

import pytest

from dcai_lab import exercises

ETHER = 10**18


@pytest.fixture
def jar(lab):
    jar = lab.deploy_contract("TipJar", 86_400)
    jar.tip("x", value=ETHER // 5, sender=lab.accounts.bob)
    return jar


def test_carol_tip(lab, jar, capsys):
    exercises.check_carol_tipped(lab, jar)
    jar.tip("for the TA", value=ETHER // 4, sender=lab.accounts.carol)
    exercises.check_carol_tipped(lab, jar)
    jar.tip("for the TA", value=ETHER // 2, sender=lab.accounts.carol)
    exercises.check_carol_tipped(lab, jar)
    assert capsys.readouterr().out.splitlines() == [
        "not yet: no tip from carol yet; call jar.tip(note, value=…, sender=carol).",
        "not yet: the amount is off: 0.5 ether is 5 * 10**17 wei.",
        "correct",
    ]


def test_deploy_gas(lab, jar, capsys):
    exercises.check_deploy_gas(lab, None)
    exercises.check_deploy_gas(lab, 1)
    exercises.check_deploy_gas(lab, lab.transactions[0].gas_used)
    assert capsys.readouterr().out.splitlines()[-1] == "correct"


def test_what_if_withdrawal(lab, jar, capsys):
    owner = lab.accounts.deployer
    with lab.anchor():
        lab.time_travel(days=30)
        jar.withdraw(lab.balance(jar))
        answer = lab.balance(owner)
    exercises.check_what_if_withdrawal(lab, jar, answer, jar_should_hold=ETHER // 5)
    lab.time_travel(days=30)
    jar.withdraw(1)
    exercises.check_what_if_withdrawal(lab, jar, answer, jar_should_hold=ETHER // 5)
    assert capsys.readouterr().out.splitlines() == [
        "correct",
        "not yet: the jar's balance changed: did the withdrawal happen outside `with lab.anchor():`?",
    ]
