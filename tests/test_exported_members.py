"""The public surface changes only on purpose."""

import dcai_lab
import dcai_lab.incentives


def test_public_names_are_pinned():
    assert dcai_lab.__all__ == [
        "Account",
        "BuildError",
        "ConfigError",
        "Contract",
        "DcaiLabError",
        "GasReport",
        "Lab",
        "NotSupportedError",
        "RevertError",
        "Trainer",
        "TxRecord",
    ]


def test_every_public_name_is_importable():
    for name in dcai_lab.__all__:
        assert getattr(dcai_lab, name).__module__.startswith("dcai_lab.")


def test_incentive_names_are_pinned():
    assert dcai_lab.incentives.__all__ == [
        "DepositRefundTake", "Incentive", "Points", "PredictionMarket", "days", "hours", "minutes",
    ]
