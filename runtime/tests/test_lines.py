from service_runtime.lines import quantities_by_sku


def test_lines_naming_one_sku_are_added_up_in_the_order_first_named():
    merged = quantities_by_sku([("B", 1), ("A", 2), ("B", 3), ("C", 1)])
    assert merged == {"B": 4, "A": 2, "C": 1}
    assert list(merged) == ["B", "A", "C"]


def test_no_lines_merge_to_nothing():
    assert quantities_by_sku([]) == {}
