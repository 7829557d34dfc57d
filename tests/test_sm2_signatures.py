"""SM2 signatures (publishing/ebpackage.py: gmssl's curve, OpenSSL's SM3) against gmssl's own sign/verify with SM3,
both ways (OpenSSL's check of a package is in test_emergency_broadcast.py)."""

import secrets

from gmssl import sm2

from tongpin.publishing import ebpackage


def test_signatures_and_keys_agree_with_gmssl_both_ways():
    for _ in range(4):
        key = ebpackage.new_private_key()
        public = ebpackage.public_key_of(key)
        theirs = sm2.CryptSM2(private_key=key, public_key="")
        theirs.public_key = public
        data = secrets.token_bytes(500)
        assert int(theirs._sm3_z(data), 16) == ebpackage._digest(data, public)  # OpenSSL's SM3 = gmssl's
        assert theirs.verify_with_sm3(ebpackage.sign(data, key), data)
        signature = theirs.sign_with_sm3(data, f"{secrets.randbelow(ebpackage._N - 1) + 1:064x}")
        assert ebpackage.verify(data, signature, public)
        assert not ebpackage.verify(data + b"!", signature, public)


def test_edge_values_are_refused_not_crashed():
    key = ebpackage.new_private_key()
    public = ebpackage.public_key_of(key)
    assert not ebpackage.verify(b"x", "0" * 128, public)  # r = s = 0
    assert not ebpackage.verify(b"x", f"{ebpackage._N:064x}" * 2, public)  # r = s = n
    assert not ebpackage.verify(b"x", ebpackage.sign(b"x", key), "1" * 128)  # not a point on the curve
