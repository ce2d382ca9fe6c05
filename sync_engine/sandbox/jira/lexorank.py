"""Rank strings that sort as text, with room between any two (Jira Software's LexoRank idea).

A rank is ``"0|"`` (the bucket, fixed here) and a body of base-36 digits. :func:`between` finds a body
strictly between two others by digit-wise midpoint, so ranking an issue never rewrites its neighbours.
"""

from __future__ import annotations

ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"
BUCKET = "0|"
BASE = len(ALPHABET)


def _body(rank: str | None) -> str:
    if rank is None:
        return ""
    return rank[len(BUCKET):] if rank.startswith(BUCKET) else rank


def between(low: str | None, high: str | None) -> str:
    """A rank after ``low`` (None: the very start) and before ``high`` (None: no end)."""
    a, b = _body(low), _body(high) if high is not None else None
    if b is not None and b <= a:
        raise ValueError(f"rank {low!r} is not before {high!r}")
    out = []
    i = 0
    while True:
        da = ALPHABET.index(a[i]) if i < len(a) else 0
        db = ALPHABET.index(b[i]) if b is not None and i < len(b) else BASE
        if da == db:
            out.append(ALPHABET[da])
            i += 1
            continue
        mid = (da + db) // 2
        if mid > da:
            out.append(ALPHABET[mid])
            return BUCKET + "".join(out)
        out.append(ALPHABET[da])  # neighbours at this digit: go one digit deeper, no upper bound left there
        i += 1
        b = None


def _number(body: str) -> int:
    return int(body, BASE)


def _digits(value: int, width: int) -> str:
    out = []
    for _ in range(width):
        value, d = divmod(value, BASE)
        out.append(ALPHABET[d])
    return "".join(reversed(out))


WIDTH = 6
STEP = BASE**2  # room for ~10 inserts by halving between two issues created one after the other


def after(rank: str | None) -> str:
    """The next rank at the bottom: a fixed-width counter stepping by :data:`STEP`, so ranks stay short."""
    body = _body(rank)
    if not body:
        return BUCKET + "i" + "0" * (WIDTH - 1)
    if len(body) <= WIDTH:
        nxt = _number(body.ljust(WIDTH, "0")) + STEP
        if nxt < BASE**WIDTH:
            return BUCKET + _digits(nxt, WIDTH)
    return between(rank, None)
