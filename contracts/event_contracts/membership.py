"""The membership ladder: levels by growth value and the perks pricing applies.

The user service moves members up the ladder; the marketing service's pricing applies the
perks (member prices, the free-shipping threshold). Both read this one table.
"""

from dataclasses import dataclass
from enum import StrEnum


class MemberLevel(StrEnum):
    REGULAR = "regular"  # 普通
    SILVER = "silver"  # 白银
    GOLD = "gold"  # 黄金
    PLATINUM = "platinum"  # 铂金


@dataclass(frozen=True)
class Level:
    level: MemberLevel
    name_zh: str
    min_growth: int  # growth value (1 per whole yuan paid) needed to reach it
    free_shipping_threshold: int  # fen of goods after discounts for free standard delivery


LEVELS: tuple[Level, ...] = (
    Level(MemberLevel.REGULAR, "普通会员", 0, 9900),
    Level(MemberLevel.SILVER, "白银会员", 1_000, 7900),
    Level(MemberLevel.GOLD, "黄金会员", 5_000, 4900),
    Level(MemberLevel.PLATINUM, "铂金会员", 20_000, 0),
)

LEVEL_VALUES = tuple(level.value for level in MemberLevel)


def level_for_growth(growth: int) -> Level:
    """The highest level whose threshold ``growth`` reaches."""
    reached = LEVELS[0]
    for level in LEVELS:
        if growth >= level.min_growth:
            reached = level
    return reached


def level_info(level: str) -> Level:
    for candidate in LEVELS:
        if candidate.level == level:
            return candidate
    raise ValueError(f"unknown member level {level!r}")
