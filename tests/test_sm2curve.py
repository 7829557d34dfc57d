"""The integer SM2 arithmetic (publishing/sm2curve.py) against gmssl's own, both ways (OpenSSL's check is in
test_emergency_broadcast.py)."""

import secrets

from gmssl import sm2

from tongpin.publishing import ebpackage, sm2curve


def test_signatures_and_keys_agree_with_gmssl_both_ways():
    for _ in range(8):
        key = ebpackage.new_private_key()
        public = ebpackage.public_key_of(key)
        theirs = sm2.CryptSM2(private_key=key, public_key="")
        theirs.public_key = public
        assert theirs._kg(int(key, 16), sm2.default_ecc_table["g"]) == public
        data = secrets.token_bytes(500)
        assert int(theirs._sm3_z(data), 16) == ebpackage._digest(data, public)  # OpenSSL's SM3 = gmssl's
        assert theirs.verify_with_sm3(ebpackage.sign(data, key), data)
        signature = theirs.sign_with_sm3(data, f"{secrets.randbelow(sm2curve.N - 1) + 1:064x}")
        assert ebpackage.verify(data, signature, public)
        assert not ebpackage.verify(data + b"!", signature, public)


def test_edge_values_are_refused_not_crashed():
    key = ebpackage.new_private_key()
    public = ebpackage.public_key_of(key)
    assert not ebpackage.verify(b"x", "0" * 128, public)  # r = s = 0
    assert not ebpackage.verify(b"x", f"{sm2curve.N:064x}" * 2, public)  # r = s = n
    assert not ebpackage.verify(b"x", ebpackage.sign(b"x", key), "1" * 128)  # not a point on the curve
    assert sm2curve.multiply_generator(sm2curve.N) is None  # n·G is the point at infinity
    assert sm2curve.multiply(sm2curve.N, sm2curve.G) is None
