"""What sealing costs: microseconds per seal and per unseal of a 64-character secret (an SM2 private key), for each
cipher, in a fresh home with no database stores registered.

    python bench/datakey.py [--n 20000] [--json]

A delivery opens its channel's secrets once per send, in the sending thread (docs/security.md, 数据保密性).
"""

import argparse
import json
import os
import tempfile
import time


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=20000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    os.environ["TONGPIN_HOME"] = tempfile.mkdtemp(prefix="tongpin-bench-")
    os.environ.pop("TONGPIN_DATA_KEY", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tongpin.settings")
    import django

    django.setup()
    from django.conf import settings

    from tongpin.core import datakey

    datakey._stores.clear()  # no database: nothing to check before the key file is made
    results = {}
    for cipher in datakey.CIPHERS:
        settings.TONGPIN_DATA_CIPHER = cipher
        context = "channel-setting:private_key"
        sealed = datakey.seal("a" * 64, context)
        started = time.perf_counter()
        for _ in range(args.n):
            datakey.seal("a" * 64, context)
        seal_us = (time.perf_counter() - started) / args.n * 1e6
        started = time.perf_counter()
        for _ in range(args.n):
            datakey.unseal(sealed, context)
        unseal_us = (time.perf_counter() - started) / args.n * 1e6
        results[cipher] = {"seal_us": round(seal_us, 1), "unseal_us": round(unseal_us, 1)}
    print(json.dumps(results) if args.json else "\n".join(f"{c}: {r}" for c, r in results.items()))


if __name__ == "__main__":
    main()
