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
