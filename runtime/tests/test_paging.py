"""page_of: one more row than a page was read; it says whether another page follows."""

from service_runtime.paging import Page, page_of


class Row:
    def __init__(self, id: str) -> None:
        self.id = id


def test_a_full_page_with_one_row_more_points_at_its_last_row():
    rows = [Row("c"), Row("b"), Row("a")]
    page = page_of(rows, 2)
    assert [r.id for r in page.items] == ["c", "b"]
    assert page.next_cursor == "b"


def test_the_last_page_has_no_cursor_even_when_exactly_full():
    assert page_of([Row("b"), Row("a")], 2).next_cursor is None
    assert page_of([], 2) == Page([], None)


def test_the_cursor_of_a_row_can_be_chosen():
    assert page_of(["x", "y", "z"], 1, cursor_of=str).next_cursor == "x"
