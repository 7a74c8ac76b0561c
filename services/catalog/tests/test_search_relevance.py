"""Search relevance on the demo catalog: the judged queries' best products come first."""

import pytest

from catalog.judged_queries import JUDGED, ndcg_at


@pytest.fixture(scope="module")
def client(demo_app):
    return demo_app.test_client()


@pytest.mark.parametrize(("q", "first"), JUDGED, ids=[q for q, _ in JUDGED])
def test_the_products_that_must_come_first_do(client, q, first):
    response = client.get("/api/v1/products", query_string={"q": q, "limit": 20})
    assert response.status_code == 200
    ranked = [item["name"] for item in response.json["items"]]
    assert set(ranked[: len(first)]) == set(first), ranked
    assert ndcg_at(ranked, first) == 1.0


def test_ndcg_rewards_relevant_products_ranked_higher():
    assert ndcg_at(["a", "b", "x"], ["a", "b"]) == 1.0
    assert ndcg_at(["x", "a", "b"], ["a", "b"]) < ndcg_at(["a", "x", "b"], ["a", "b"]) < 1.0
    assert ndcg_at(["x", "y"], ["a"]) == 0.0
