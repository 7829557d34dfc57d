"""Recall and false findings of the proofreading engine on the project's own evaluation set.

    python bench/proofread_eval.py [--json] [--show-misses]

bench/proofread_eval/errors_*.txt: one sentence a line, each error marked [[text|category]] (\\n is a paragraph
break); clean/*.txt: news copy that must stay clean; roster.csv: the fictional leaders the sentences name. A
labelled error counts as found when a finding of the matching kind overlaps it. Findings on the error sentences
that overlap no label are counted too ("unlabelled"), and every finding on the clean copy is a false one.
"""

import argparse
import json
import re
import sys
from collections import Counter
from pathlib import Path

from tongpin.review.proofreading import Checker, starter_rules
from tongpin.review.proofreading.roster import load_roster

EVAL = Path(__file__).with_name("proofread_eval")
MARK = re.compile(r"\[\[([^\]|]+)\|([a-z]+)\]\]")
# Which findings answer which label.
ACCEPTS = {
    "nearmiss": lambda f: f.category == "typo",
    "banned": lambda f: f.category in ("prohibited", "advert"),
    "leader": lambda f: f.rule == "leader:order",
    "datetime": lambda f: f.category == "number" and f.rule != "number:mixed-units",
    "dedide": lambda f: f.rule == "typo:de-di-de",
    "quotes": lambda f: f.category == "punctuation",
    "units": lambda f: f.rule == "number:mixed-units",
}


def parse(line: str) -> tuple[str, list[tuple[int, int, str]]]:
    line = line.replace("\\n", "\n")
    text, labels, cursor = [], [], 0
    position = 0
    for m in MARK.finditer(line):
        text.append(line[cursor : m.start()])
        position += m.start() - cursor
        labels.append((position, position + len(m.group(1)), m.group(2)))
        text.append(m.group(1))
        position += len(m.group(1))
        cursor = m.end()
    text.append(line[cursor:])
    return "".join(text), labels


def sentences() -> list[tuple[str, str, list[tuple[int, int, str]]]]:
    items = []
    for path in sorted(EVAL.glob("errors_*.txt")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip() and not line.startswith("#"):
                items.append((path.stem, *parse(line)))
    return items


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--show-misses", action="store_true")
    args = parser.parse_args()
    checker = Checker(starter_rules(), load_roster(EVAL / "roster.csv"))

    found, total, misses, unlabelled = Counter(), Counter(), [], []
    file_found, file_total = Counter(), Counter()
    items = sentences()
    for name, text, labels in items:
        findings = checker.check(text)
        for start, end, category in labels:
            total[category] += 1
            file_total[name] += 1
            if any(f.start < end and start < f.end and ACCEPTS[category](f) for f in findings):
                found[category] += 1
                file_found[name] += 1
            else:
                misses.append((category, text[start:end], text))
        for f in findings:
            if not any(f.start < end and start < f.end for start, end, _ in labels):
                unlabelled.append((f.rule, f.text, f.severity, text))

    clean_chars, clean_findings = 0, []
    for path in sorted((EVAL / "clean").glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        clean_chars += len(re.sub(r"\s", "", text))
        clean_findings += [(path.name, f.rule, f.text, f.severity) for f in checker.check(text)]

    per_category = {
        c: {"found": found[c], "labelled": total[c], "recall": round(found[c] / total[c], 3)} for c in sorted(total)
    }
    result = {
        "sentences": len(items),
        "labelled_errors": sum(total.values()),
        "recall": round(sum(found.values()) / sum(total.values()), 3),
        "per_category": per_category,
        "per_file": {n: f"{file_found[n]}/{file_total[n]} = {file_found[n] / file_total[n]:.3f}" for n in file_total},
        "unlabelled_findings_on_error_sentences": len(unlabelled),
        "clean_chars": clean_chars,
        "clean_findings": len(clean_findings),
        "clean_errors": sum(1 for f in clean_findings if f[3] == "error"),
        "clean_findings_per_10k_chars": round(len(clean_findings) / clean_chars * 10000, 2),
    }
    if args.show_misses:
        result["misses"] = misses
        result["unlabelled"] = unlabelled
        result["clean_finding_list"] = clean_findings
    print(json.dumps(result, ensure_ascii=False, indent=None if args.json else 2))


if __name__ == "__main__":
    sys.exit(main())
