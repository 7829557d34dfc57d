"""Ids from outside (URLs, forms, JSON) checked before they reach the database: a number past 64 bits
would make SQLite and PostgreSQL raise instead of simply finding nothing."""

MAX_ID = 2**63 - 1


def clean_id(value) -> int | None:
    """The id as an int when it is one a database row could have, else None."""
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return number if 0 < number <= MAX_ID else None
