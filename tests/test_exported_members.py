"""The public surface changes only on purpose."""

import dcai_lab
import dcai_lab.datasets
import dcai_lab.encoders
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


def test_dataset_and_encoder_names_are_pinned():
    assert dcai_lab.datasets.__all__ == [
        "IMDB_ARCHIVE", "IMDB_SHA256", "IMDB_URL", "Dataset", "data_home", "download", "imdb_like", "load_breast_cancer",
        "load_digits",
        "load_imdb", "load_sentiment", "sentence_features", "words",
    ]
    assert dcai_lab.encoders.__all__ == [
        "FixedPointScaler", "HashedWords", "TopWords", "present_features", "present_features_by_row",
    ]


def test_gas_analysis_names_are_pinned():
    from dcai_lab.gas import curves, reference, snapshot

    assert dcai_lab.gas.__all__ == ["PRICES", "GasReport", "L1DataFee", "TxRecord", "example_prices"]
    assert curves.__all__ == ["AXES", "MECHANISMS", "MODELS", "comparison_table", "figure", "largest_model",
                              "operation_names", "scaling"]
    assert snapshot.__all__ == ["SNAPSHOT", "check", "compare", "format_snapshot", "main", "measure_snapshot",
                                "parse_snapshot"]
    assert reference.__all__ == ["PROVENANCE", "REFERENCE", "REFERENCE_TRANSACTIONS", "measure_ours",
                                 "reference_naive_bayes", "reference_perceptron", "side_by_side"]


def test_trainer_names_are_pinned():
    import dcai_lab.trainers
    from dcai_lab.trainers import registry

    assert dcai_lab.trainers.__all__ == ["Contribution", "ContributionStatus", "DeployedModel", "MarketTrainer",
                                         "PointsTrainer", "SignedContribution", "Trainer"]
    assert registry.__all__ == ["HANDLES", "INCENTIVES", "MODELS", "attach", "deploy", "handle_class",
                                "incentive_class", "model_class", "trainer_name"]


def test_simulation_names_are_pinned():
    import dcai_lab.simulation

    assert dcai_lab.simulation.__all__ == [
        "DESCRIPTIONS", "MECHANISMS", "MODELS", "SCENARIOS", "UNIT", "Agent", "Claims", "Comparison", "Flip",
        "Honest", "Progress", "Provider", "RandomLabels", "Scenario", "SimulationResult", "Targeted", "attack",
        "grid", "prediction_market", "run", "scenarios", "simulate", "sweep",
    ]
