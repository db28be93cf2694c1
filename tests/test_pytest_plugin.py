"""The shipped pytest plugin gives each test a fresh lab."""


def test_the_lab_fixture_isolates_tests(pytester):
    pytester.makepyfile("""
        def test_first_changes_the_chain(lab):
            lab.deploy_contract("TipJar", 10)
            lab.time_travel(days=2)
            assert lab.block_number == 2

        def test_second_sees_a_fresh_chain(lab):
            assert lab.block_number == 0 and lab.transactions == []
    """)
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)


GAS_TESTS = """
    def test_deploys_and_tips(lab):
        jar = lab.deploy_contract("TipJar", 10)
        jar.tip("hi", value=1, sender=lab.accounts.alice)

    def test_deploys_again(lab):
        lab.deploy_contract("TipJar", 10)

    def test_sends_nothing(lab):
        assert lab.block_number == 0
"""


def test_dcai_gas_prints_the_tables_of_everything_the_lab_fixture_sent(pytester):
    pytester.makepyfile(GAS_TESTS)
    result = pytester.runpytest("-p", "no:cacheprovider", "--dcai-gas")
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(["*dcai-lab gas*", "Gas used per call on the pyevm engine*"])
    # Both tests' deployments, although each test's chain was undone after it.
    result.stdout.re_match_lines([r"^TipJar\s+\(deploy\)\s+2\s+0\s", r"^\s+tip\s+1\s+0\s",
                                  r"^TipJar\s+2\s+\d+\s+\d+\s+\d+\s+[\d.]+\s+[\d.]+$"])


def test_without_dcai_gas_no_table_is_printed(pytester):
    pytester.makepyfile(GAS_TESTS)
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=3)
    assert "dcai-lab gas" not in result.stdout.str() and "(deploy)" not in result.stdout.str()


def test_dcai_gas_says_when_the_lab_fixture_sent_nothing(pytester):
    pytester.makepyfile("""
        def test_reads_only(lab):
            assert lab.block_number == 0
    """)
    result = pytester.runpytest("-p", "no:cacheprovider", "--dcai-gas")
    result.stdout.fnmatch_lines(["*dcai-lab gas*", "The lab fixture sent no transactions."])
