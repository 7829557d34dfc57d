"""Proofreading benchmark: the whole checker over >= 5 MB of Chinese news-like text, and 5,000-character stories.

    python bench/proofread.py --json

The text is the synthetic corpus of bench/corpus.py with mistakes sown in (a typo, a prohibited or advert
term, a doubled 的, a half-width comma, a Traditional character or a leader with a wrong title, about one
every 400 characters), checked with the starter rule lists and a 200-person roster.
"""

import argparse
import json
import os
import random
import statistics
import sys
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tongpin.settings")

from corpus import Corpus  # noqa: E402
from tongpin.review.proofreading import Checker, starter_rules  # noqa: E402
from tongpin.review.proofreading.roster import Leader  # noqa: E402

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏韦傅方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = "建国明远文华志强海峰晓东立新光辉永平春生秋实德胜振华国庆卫东红旗学军思远嘉怡"
TITLES = ["厅长", "副厅长", "局长", "副局长", "处长", "主任", "副主任", "书记", "副书记", "区长"]


def roster(rng: random.Random, size: int = 200) -> list[Leader]:
    names: set[str] = set()
    while len(names) < size:
        names.add(rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN))
    return [Leader(name, rng.choice(TITLES), rank + 1) for rank, name in enumerate(sorted(names))]


def sow(rng: random.Random, text: str, leaders: list[Leader]) -> str:
    mistakes = ["再接再励", "防讯", "北朝鲜", "最低价", "的的", "工作,推进", "應急", "二0二三年"]
    pieces, cursor = [], 0
    while cursor < len(text):
        step = rng.randint(200, 600)
        pieces.append(text[cursor : cursor + step])
        leader = rng.choice(leaders)
        pieces.append(rng.choice(mistakes + [f"{rng.choice(TITLES)}{leader.name}"]))
        cursor += step
    return "".join(pieces)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=float, default=6.0, help="size of the text, UTF-8 MB (>= 5)")
    parser.add_argument("--stories", type=int, default=300, help="5,000-character stories to time")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    rng = random.Random(args.seed)
    leaders = roster(rng)
    started = time.perf_counter()
    checker = Checker(starter_rules(), leaders)
    build_s = time.perf_counter() - started

    corpus = Corpus(args.seed)
    parts, size = [], 0
    while size < args.megabytes * 1024 * 1024:
        body = corpus.story()[1] + "\n"
        parts.append(body)
        size += len(body.encode())
    text = sow(rng, "".join(parts), leaders)

    checker.check(text[:10000])  # warm up
    started = time.perf_counter()
    findings = checker.check(text)
    whole_s = time.perf_counter() - started

    timings = []
    for _ in range(args.stories):
        start = rng.randrange(0, len(text) - 5000)
        story = text[start : start + 5000]
        begun = time.perf_counter()
        checker.check(story)
        timings.append((time.perf_counter() - begun) * 1000)
    timings.sort()
    result = {
        "megabytes": round(len(text.encode()) / 1024 / 1024, 2),
        "chars": len(text),
        "rules": len(checker.rules),
        "roster": len(leaders),
        "build_s": round(build_s, 3),
        "findings": len(findings),
        "chars_per_s": round(len(text) / whole_s),
        "p50_ms": round(statistics.median(timings), 2),
        "p95_ms": round(timings[int(0.95 * (len(timings) - 1))], 2),
    }
    print(json.dumps(result, ensure_ascii=False) if args.json else json.dumps(result, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    sys.exit(main())
