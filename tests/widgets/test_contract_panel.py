"""The contract panel does what a click promises."""

import pytest

from dcai_lab.widgets import contract_panel


@pytest.fixture
def panel_parts(lab):
    jar = lab.deploy_contract("TipJar", 60)
    panel = contract_panel(jar)
    _, choose, sender, value, arguments, button, output = panel.children
    return jar, choose, sender, value, arguments, button, output


def _printed(output) -> str:
    return "".join(o.get("text", "") for o in output.outputs)


def test_sending_a_tip_through_the_panel(lab, panel_parts):
    jar, choose, sender, value, arguments, button, output = panel_parts
    choose.value = "tip(string)"
    sender.value = lab.accounts.alice
    value.value = 42
    arguments.children[0].value = "from the panel"
    button.click()
    assert jar.tippedBy(lab.accounts.alice) == 42
    assert "event Tipped" in _printed(output)


def test_a_revert_is_shown_decoded(lab, panel_parts):
    _, choose, sender, _, arguments, button, output = panel_parts
    choose.value = "withdraw(uint256)"
    arguments.children[0].value = "1"
    button.click()
    assert "reverted: StillLocked(currentTime=" in _printed(output)


def test_views_are_free_and_value_is_disabled(lab, panel_parts):
    jar, choose, _, value, _, button, output = panel_parts
    block = lab.block_number
    choose.value = "tipCount()"
    assert value.disabled and button.description == "call (free)"
    button.click()
    assert "returned: 0" in _printed(output) and lab.block_number == block


def test_an_address_is_typed_as_an_account_name_or_in_hex(lab, panel_parts):
    jar, choose, sender, value, arguments, button, output = panel_parts
    jar.tip("hi", value=42, sender=lab.accounts.alice)
    choose.value = "tippedBy(address)"
    for clicks, typed in enumerate(("alice", lab.accounts.alice.lower(), f"  {lab.accounts.alice}  "), start=1):
        arguments.children[0].value = typed
        button.click()
        assert _printed(output) == "returned: 42\n" * clicks, typed  # (outside a notebook, output accumulates)
