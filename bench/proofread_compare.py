"""Tongpin's near-miss detector beside pycorrector's rule-based ProperCorrector, on the same evaluation sentences.

pycorrector's default corrector needs a KenLM language model downloaded at first use, and its package imports its
neural correctors (transformers, torch) on import; its ProperCorrector (idioms and proper names matched by pinyin
and stroke similarity, data shipped in the package) needs neither. So it is loaded on its own, in a venv of its
own, without pycorrector's package __init__:

    python3 -m venv /tmp/pcv && /tmp/pcv/bin/pip install pycorrector --no-deps \
        && /tmp/pcv/bin/pip install jieba pypinyin loguru six numpy pyahocorasick opencc
    PYTHONPATH=src:bench /tmp/pcv/bin/python bench/proofread_compare.py [--json] [--show]

Both are scored on the near-miss sentences of bench/proofread_eval/ (a hit: a finding that overlaps the labelled
span) and on the clean copy (findings per 10,000 characters).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import time
import types

from proofread_eval import EVAL, sentences
from tongpin.review.proofreading import Checker, starter_rules


def proper_corrector():
    """pycorrector's ProperCorrector, imported without the package __init__ (which loads its neural models)."""
    spec = importlib.util.find_spec("pycorrector")  # finds the package's folder without running its __init__
    if spec is None:
        sys.exit("pycorrector is not installed here (see this script's docstring)")
    package = types.ModuleType("pycorrector")
    package.__path__ = list(spec.submodule_search_locations)
    sys.modules["pycorrector"] = package
    from pycorrector.proper_corrector import ProperCorrector

    return ProperCorrector()


def overlaps(spans: list[tuple[int, int]], start: int, end: int) -> bool:
    return any(s < end and start < e for s, e in spans)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--show", action="store_true", help="list what each found that the other did not")
    args = parser.parse_args()

    theirs = proper_corrector()
    ours = Checker(starter_rules())
    cases = [(text, labels) for name, text, labels in sentences() if name.startswith("errors_nearmiss")]
    scores = {"tongpin": 0, "pycorrector": 0}
    only = {"tongpin": [], "pycorrector": []}
    timing = {"tongpin": 0.0, "pycorrector": 0.0}
    labelled = 0
    for text, labels in cases:
        started = time.perf_counter()
        found_ours = [(f.start, f.end) for f in ours.check(text) if f.category == "typo"]
        timing["tongpin"] += time.perf_counter() - started
        started = time.perf_counter()
        found_theirs = _spans(text, [wrong for wrong, _right, _begin in _errors(theirs, text)])
        timing["pycorrector"] += time.perf_counter() - started
        for start, end, _category in labels:
            labelled += 1
            hit = {"tongpin": overlaps(found_ours, start, end), "pycorrector": overlaps(found_theirs, start, end)}
            for who, yes in hit.items():
                scores[who] += yes
            if hit["tongpin"] != hit["pycorrector"]:
                who = "tongpin" if hit["tongpin"] else "pycorrector"
                only[who].append(text[start:end])
    clean = "".join(p.read_text(encoding="utf-8") for p in sorted((EVAL / "clean").glob("*.txt")))
    clean_findings = {
        "tongpin": sum(1 for f in ours.check(clean) if f.category == "typo"),
        "pycorrector": sum(len(_errors(theirs, line)) for line in clean.splitlines() if line.strip()),
    }
    result = {
        "labelled": labelled,
        "recall": {who: round(n / labelled, 3) for who, n in scores.items()},
        "only_found_by": {who: len(words) for who, words in only.items()},
        "clean_chars": len(clean),
        "clean_findings_per_10k": {who: round(n * 10000 / len(clean), 2) for who, n in clean_findings.items()},
        "seconds": {who: round(s, 3) for who, s in timing.items()},
    }
    if args.show:
        result["words_only_found_by"] = only
    print(json.dumps(result, ensure_ascii=False, indent=None if args.json else 2))


def _errors(corrector, text: str) -> list:
    return corrector.correct(text)["errors"]


def _spans(text: str, words: list[str]) -> list[tuple[int, int]]:
    """Where the reported words stand (pycorrector's offsets count from the clause it split off, not the text)."""
    spans = []
    for word in words:
        at = text.find(word)
        while at >= 0:
            spans.append((at, at + len(word)))
            at = text.find(word, at + 1)
    return spans


if __name__ == "__main__":
    main()
