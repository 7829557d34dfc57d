"""SM2 curve arithmetic (GB/T 32918) on Python integers, for ebpackage's signing and checking.

gmssl's own point arithmetic goes through hexadecimal strings: one signature cost ~66 ms here and a check ~60 ms,
which put SM2 on the critical path of a red warning (issue 16's ≤ 500 ms). This module does the same mathematics in
Jacobian coordinates on integers, with a fixed-base table for multiples of the generator (64 four-bit windows,
built once per process), so k·G is 64 mixed additions and a check's t·P a four-bit window. gmssl still provides
SM3 and Z_A (ebpackage.py). Nothing here is secret-dependent in memory access beyond what gmssl already did: the
station signs its own broadcasts on its own machine; this is not a side-channel-hardened implementation.
"""

from __future__ import annotations

from functools import lru_cache

from gmssl import sm2

_T = sm2.default_ecc_table
P = int(_T["p"], 16)
A = int(_T["a"], 16)
N = int(_T["n"], 16)
G = (int(_T["g"][:64], 16), int(_T["g"][64:], 16))
WINDOWS = 64  # 256 bits in 4-bit windows

Jacobian = tuple[int, int, int] | None  # None: the point at infinity


def _double(point: Jacobian) -> Jacobian:
    if point is None:
        return None
    x, y, z = point
    if y == 0:
        return None
    yy = y * y % P
    s = 4 * x * yy % P
    z2 = z * z % P
    m = (3 * x * x + A * z2 * z2) % P
    x3 = (m * m - 2 * s) % P
    y3 = (m * (s - x3) - 8 * yy * yy) % P
    return x3, y3, 2 * y * z % P


def _add(one: Jacobian, two: Jacobian) -> Jacobian:
    if one is None:
        return two
    if two is None:
        return one
    x1, y1, z1 = one
    x2, y2, z2 = two
    z1z1, z2z2 = z1 * z1 % P, z2 * z2 % P
    u1, u2 = x1 * z2z2 % P, x2 * z1z1 % P
    s1, s2 = y1 * z2 * z2z2 % P, y2 * z1 * z1z1 % P
    if u1 == u2:
        return _double(one) if s1 == s2 else None
    h, r = (u2 - u1) % P, (s2 - s1) % P
    hh = h * h % P
    hhh = h * hh % P
    v = u1 * hh % P
    x3 = (r * r - hhh - 2 * v) % P
    y3 = (r * (v - x3) - s1 * hhh) % P
    return x3, y3, h * z1 * z2 % P


def _affine(point: Jacobian) -> tuple[int, int] | None:
    if point is None:
        return None
    x, y, z = point
    inverse = pow(z, -1, P)
    inverse2 = inverse * inverse % P
    return x * inverse2 % P, y * inverse2 * inverse % P


@lru_cache(maxsize=1)
def _generator_table() -> list[list[Jacobian]]:
    """table[i][j] = j · 16^i · G (j = 0…15), as Jacobian points with z = 1."""
    table = []
    base: Jacobian = (G[0], G[1], 1)
    for _ in range(WINDOWS):
        row: list[Jacobian] = [None]
        for _j in range(15):
            row.append(_add(row[-1], base))
        row = [None] + [(*_affine(p), 1) for p in row[1:]]  # type: ignore[misc]
        table.append(row)
        for _d in range(4):
            base = _double(base)
        base = (*_affine(base), 1)  # type: ignore[assignment,misc]
    return table


def multiply_generator(k: int) -> Jacobian:
    """k · G through the fixed-base table."""
    table = _generator_table()
    result: Jacobian = None
    for i in range(WINDOWS):
        nibble = (k >> (4 * i)) & 15
        if nibble:
            result = _add(result, table[i][nibble])
    return result


def multiply(k: int, point: tuple[int, int]) -> Jacobian:
    """k · point, four bits at a time."""
    base: Jacobian = (point[0], point[1], 1)
    small: list[Jacobian] = [None, base]
    for _ in range(14):
        small.append(_add(small[-1], base))
    result: Jacobian = None
    for shift in range(252, -1, -4):
        for _ in range(4):
            result = _double(result)
        nibble = (k >> shift) & 15
        if nibble:
            result = _add(result, small[nibble])
    return result


def public_point(d: int) -> str:
    x, y = _affine(multiply_generator(d))  # type: ignore[misc]
    return f"{x:064x}{y:064x}"


def sign_digest(e: int, d: int, k: int) -> tuple[int, int] | None:
    """(r, s) for digest e = SM3(Z_A ‖ M) with private key d and nonce k; None when this nonce will not do."""
    x1, _y1 = _affine(multiply_generator(k))  # type: ignore[misc]
    r = (e + x1) % N
    if r == 0 or r + k == N:
        return None
    s = pow(1 + d, -1, N) * (k - r * d) % N
    return (r, s) if s else None


def verify_digest(e: int, r: int, s: int, public: tuple[int, int]) -> bool:
    if not (0 < r < N and 0 < s < N):
        return False
    t = (r + s) % N
    if t == 0:
        return False
    point = _affine(_add(multiply_generator(s), multiply(t, public)))
    return point is not None and (e + point[0]) % N == r


def on_curve(x: int, y: int) -> bool:
    b = int(_T["b"], 16)
    return 0 <= x < P and 0 <= y < P and (y * y - (x * x * x + A * x + b)) % P == 0
