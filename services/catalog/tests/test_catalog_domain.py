"""Search tokens, cursors and the other pure rules of the catalog."""

import pytest

from catalog.domain import (
    Cursor,
    InvalidCursor,
    index_tokens,
    merge_quantities,
    merge_tokens,
    price_bucket,
    query_tokens,
    required_matches,
)


def test_chinese_is_indexed_as_bigrams_and_single_characters():
    tokens = index_tokens("电热水壶", 8)
    assert {t: w for t, w in tokens.items() if len(t) == 2} == {"电热": 8, "热水": 8, "水壶": 8}
    assert tokens["壶"] == 2  # a single character counts a quarter
    assert "电热水" not in tokens


def test_english_is_indexed_lowercased_with_prefixes_for_typing():
    tokens = index_tokens("Mi Electric KETTLE 1.7L", 8)
    assert tokens["kettle"] == 8 and tokens["electric"] == 8 and tokens["mi"] == 8
    assert tokens["kett"] == 4 and tokens["ke"] == 4  # prefixes count half
    assert "k" not in tokens  # one letter is too short to mean anything
    assert "Kettle" not in tokens


def test_full_width_text_is_folded_and_a_token_keeps_its_best_weight():
    assert "abc" in index_tokens("ＡＢＣ", 2)  # noqa: RUF001
    merged = merge_tokens([("kettle", 2), ("Kettle", 8), ("kettles", 8)])
    assert merged["kettle"] == 8  # full word in the name beats the description


def test_queries_look_up_words_and_bigrams():
    assert query_tokens("电热水壶") == ["电热", "热水", "水壶"]
    assert query_tokens("Mi 电热水壶 kettle") == ["mi", "电热", "热水", "水壶", "kettle"]
    assert query_tokens("壶") == ["壶"]
    assert query_tokens("  !!  ") == []
    assert len(query_tokens(" ".join(f"w{i}" for i in range(100)))) == 32


def test_two_thirds_of_the_query_tokens_must_match():
    assert [required_matches(n) for n in (1, 2, 3, 4, 6)] == [1, 2, 2, 3, 4]


def test_cursors_round_trip_and_refuse_tampering():
    cursor = Cursor("price_asc", 9900, 17)
    assert Cursor.decode(cursor.encode(), "price_asc") == cursor
    with pytest.raises(InvalidCursor):
        Cursor.decode(cursor.encode(), "sales")  # from another sort
    for bad in ("", "!!!", "bm90IGpzb24", Cursor("price_asc", [1], 2).encode(),
                Cursor("price_asc", 1, "2").encode()):  # type: ignore[arg-type]
        with pytest.raises(InvalidCursor):
            Cursor.decode(bad, "price_asc")


def test_price_buckets_cover_every_price_once():
    assert [price_bucket(p) for p in (0, 4999, 5000, 9900, 29900, 99999, 100000, 10**8)] == [
        0, 0, 1, 1, 3, 4, 5, 6]


def test_reservation_lines_merge_and_sort_so_locks_are_taken_in_one_order():
    assert merge_quantities([("B", 1), ("A", 2), ("B", 3)]) == [("A", 2), ("B", 4)]
