"""Catalog rules in plain Python: search tokens, sort orders and cursors, price buckets."""

from __future__ import annotations

import base64
import binascii
import functools
import json
import math
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from service_runtime.errors import Conflict, InvalidInput
from service_runtime.lines import quantities_by_sku

MAX_TOKEN = 32
MAX_QUERY_TOKENS = 32
MIN_PREFIX = 2

# Where a token was found decides how much it counts; a whole word counts double a prefix,
# a Chinese bigram four times a single character.
NAME, BRAND, CATEGORY, DESCRIPTION = 8, 8, 4, 2

_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_RUNS = re.compile(rf"[{_CJK}]+|[a-z0-9]+")
_IS_CJK = re.compile(rf"[{_CJK}]")


def normalise(text: str) -> str:
    """Full-width to half-width, lower case (NFKC folds full-width letters and digits)."""
    return unicodedata.normalize("NFKC", text).lower()


def _runs(text: str) -> list[str]:
    return _RUNS.findall(normalise(text))


def index_tokens(text: str, weight: int) -> dict[str, int]:
    """The tokens a text is found by, each with its weight.

    English (and digits): each lower-cased word at ``weight`` and its prefixes of two or
    more characters at half of it, so ``kett`` finds kettles while typing. Chinese has
    no spaces: each character bigram at ``weight`` and each single character at a
    quarter, so 电热水壶 is found by 热水壶 as well as by 水壶.
    """
    return merge_tokens([(text, weight)])


@functools.lru_cache(maxsize=65536)
def _run_tokens(run: str, weight: int) -> tuple[tuple[str, int], ...]:
    """One run's tokens (see ``index_tokens``), each once at its highest weight. Cached:
    words, brands and Chinese runs repeat across products far more than whole texts
    do, and a bulk import tokenises thousands of products a second (do not change the
    answer of a cached run)."""
    tokens: dict[str, int] = {}

    def add(token: str, w: int) -> None:
        token = token[:MAX_TOKEN]
        if w > tokens.get(token, 0):
            tokens[token] = w

    if _IS_CJK.match(run):
        for i, char in enumerate(run):
            add(char, max(1, weight // 4))
            if i + 1 < len(run):
                add(run[i : i + 2], weight)
    else:
        add(run, weight)
        for end in range(MIN_PREFIX, min(len(run), MAX_TOKEN)):
            add(run[:end], max(1, weight // 2))
    return tuple(tokens.items())


def merge_tokens(parts: Iterable[tuple[str, int]]) -> dict[str, int]:
    """Tokens of several fields (text, weight); a token keeps its highest weight."""
    merged: dict[str, int] = {}
    get = merged.get
    for text, weight in parts:
        for run in _runs(text):
            for token, w in _run_tokens(run, weight):
                if w > get(token, 0):
                    merged[token] = w
    return merged


def product_tokens(name: str, brand: str, category_names: Iterable[str], description: str,
                   sku_attributes: Iterable[Mapping[str, str]]) -> dict[str, int]:
    """What a product is found by: its name, brand, category path (names in both
    languages), description and SKU attributes, each at its field's weight."""
    return merge_tokens([
        (name, NAME),
        (brand, BRAND),
        *[(category, CATEGORY) for category in category_names],
        (description, DESCRIPTION),
        *[(" ".join(str(v) for v in attributes.values()), DESCRIPTION)
          for attributes in sku_attributes],
    ])


def query_tokens(query: str) -> list[str]:
    """The tokens a query looks up: English words as typed, Chinese as bigrams.

    A single Chinese character is looked up as itself.
    """
    tokens: list[str] = []
    for run in _runs(query):
        if _IS_CJK.match(run):
            grams = [run] if len(run) == 1 else [run[i : i + 2] for i in range(len(run) - 1)]
        else:
            grams = [run[:MAX_TOKEN]]
        for gram in grams:
            if gram not in tokens:
                tokens.append(gram)
    return tokens[:MAX_QUERY_TOKENS]


def required_matches(token_count: int) -> int:
    """How many of a query's tokens a product must contain: two thirds, at least one."""
    return max(1, math.ceil(token_count * 2 / 3))


class Sort(StrEnum):
    RELEVANCE = "relevance"
    PRICE_ASC = "price_asc"
    PRICE_DESC = "price_desc"
    SALES = "sales"
    NEWEST = "newest"
    RATING = "rating"


SORTS = tuple(s.value for s in Sort)


class UnknownCategory(InvalidInput):
    slug, title = "unknown-category", "No such category"


class SkuTaken(Conflict):
    slug, title = "sku-taken", "A SKU with that code exists already"


class InvalidCursor(InvalidInput):
    slug, title = "invalid-cursor", "The cursor is not valid for this query"


@dataclass(frozen=True)
class Cursor:
    """Where a page ended: the sort it belongs to, the last item's sort value and id."""

    sort: str
    value: int | str | None
    last_id: int

    def encode(self) -> str:
        raw = json.dumps([self.sort, self.value, self.last_id], separators=(",", ":"))
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, token: str, sort: str) -> Cursor:
        try:
            padded = token + "=" * (-len(token) % 4)
            sort_of, value, last_id = json.loads(base64.urlsafe_b64decode(padded.encode()))
        except (ValueError, TypeError, binascii.Error) as exc:
            raise InvalidCursor("the cursor is malformed") from exc
        if sort_of != sort:
            raise InvalidCursor(f"the cursor belongs to sort={sort_of}, not sort={sort}")
        if not isinstance(last_id, int) or isinstance(last_id, bool):
            raise InvalidCursor("the cursor is malformed")
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | str)):
            raise InvalidCursor("the cursor is malformed")
        cursor = cls(sort_of, value, last_id)
        cursor.bound()  # a value of the wrong kind for its sort is as malformed
        return cursor

    def bound(self) -> int | datetime:
        """The sort value to continue after, as the sort column holds it."""
        if self.sort == Sort.NEWEST:
            try:
                parsed = datetime.fromisoformat(str(self.value))
            except ValueError as exc:
                raise InvalidCursor("the cursor is malformed") from exc
            if parsed.tzinfo is None:
                raise InvalidCursor("the cursor is malformed")
            return parsed
        if not isinstance(self.value, int):
            raise InvalidCursor("the cursor is malformed")
        return self.value


# Price buckets for the facet, in fen: [min, max) ranges, the last one open.
PRICE_BUCKETS: tuple[tuple[int, int | None], ...] = (
    (0, 5000),
    (5000, 10000),
    (10000, 20000),
    (20000, 50000),
    (50000, 100000),
    (100000, 300000),
    (300000, None),
)


def price_bucket(amount: int) -> int:
    for index, (low, high) in enumerate(PRICE_BUCKETS):
        if amount >= low and (high is None or amount < high):
            return index
    return 0


def rating_average(avg_x100: int, count: int) -> float | None:
    return round(avg_x100 / 100, 2) if count else None


def merge_quantities(lines: Iterable[tuple[str, int]]) -> list[tuple[str, int]]:
    """One line per SKU with quantities added, sorted by SKU.

    Taking row locks in one global order is what keeps concurrent multi-line
    reservations from deadlocking on PostgreSQL.
    """
    return sorted(quantities_by_sku(lines).items())
