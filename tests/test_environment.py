"""cnnviz.environment: an operator's typo never switches a limit off."""

from cnnviz import environment


def test_numbers_and_counts_fall_back_to_the_default_unless_they_make_sense(monkeypatch):
    for raw, number, count in [("2.5", 2.5, 5), ("0", 0.0, 5), ("-3", 7.0, 5), ("many", 7.0, 5), ("nan", 7.0, 5),
                               ("12", 12.0, 12)]:
        monkeypatch.setenv("CNNVIZ_TEST_LIMIT", raw)
        assert environment.number("CNNVIZ_TEST_LIMIT", 7.0) == number, raw
        assert environment.count("CNNVIZ_TEST_LIMIT", 5) == count, raw
    monkeypatch.delenv("CNNVIZ_TEST_LIMIT")
    assert environment.number("CNNVIZ_TEST_LIMIT", 7.0) == 7.0 and environment.count("CNNVIZ_TEST_LIMIT", 5) == 5
