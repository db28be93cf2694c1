"""The deploy panel deploys what the form says; the gas panel follows every transaction."""

from dcai_lab.widgets import deploy_panel, gas_panel
from dcai_lab.widgets._common import shown


def test_deploying_from_the_form(lab):
    panel = deploy_panel(lab)
    panel.model.value = "NearestCentroid"
    assert panel.dataset.options == ("breast cancer", "digits")
    panel.dataset.value = "breast cancer"
    panel.n_train.value = 50
    panel.mechanism.value = "Points"
    assert [box.description for box in panel.parameters.children] == ["validation_wait"]
    first = len(lab.transactions)
    panel.deploy.click()
    assert panel.trainer.contract.contract_name == "NearestCentroidWithPoints"
    assert panel.trainer.contract.initialised()
    assert shown(panel.output).startswith("deployed NearestCentroidWithPoints")
    sent = lab.transactions[first:]
    assert len(sent) == 3 and all(f"<td>{r.method}</td>\n      <td>{r.gas_used}</td>" in panel.gas.value for r in sent)


def test_bad_parameters_are_explained_and_nothing_is_sent(lab):
    panel = deploy_panel(lab)
    panel.mechanism.value = "DepositRefundTake"
    boxes = {box.description: box for box in panel.parameters.children}
    boxes["take_wait"].value = boxes["refund_wait"].value
    first = len(lab.transactions)
    panel.deploy.click()
    assert shown(panel.output).startswith("Not sent: refund_wait")
    assert len(lab.transactions) == first and panel.trainer is None


def test_the_gas_panel_follows_transactions_and_anchors(lab):
    panel = gas_panel(lab)
    try:
        jar = lab.deploy_contract("TipJar", 60)
        with lab.anchor():
            jar.tip("hi", value=1, sender=lab.accounts.alice)
            assert len(panel.bars.data[0].y) == len(lab.transactions)
            assert "tip" in panel.table.value and panel.bars.data[0].hovertext[-1] == "TipJar.tip from alice"
        assert list(panel.bars.data[0].y) == [r.gas_used for r in lab.transactions]
        assert ">tip<" not in panel.table.value
    finally:
        panel.close()
