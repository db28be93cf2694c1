from dcai_lab.tools.cli import main


def test_demo_tours_the_lab(capsys):
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    assert "StillLocked(currentTime=" in out
    assert "withdraw" in out and "(deploy)" in out
    assert "each takes half of mallory's: 0.18 + 0.18 ETH" in out  # the deposit game played out


def test_build_check_reports_fresh_artifacts(capsys):
    assert main(["build", "--check"]) == 0
