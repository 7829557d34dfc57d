"""Speech for a warning: how long the embedded engine takes for a 150-character Chinese warning.

    python bench/tts.py --json [--runs 20]

Target: audio ready within 1 s. Prints the engine, characters, audio seconds and p50/max synthesis time.
"""

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tongpin.settings")
os.environ.setdefault("TONGPIN_HOME", tempfile.mkdtemp(prefix="tongpin-tts-"))

import django  # noqa: E402

django.setup()

from tongpin.alerts import tts  # noqa: E402

WARNING = (
    "江西省气象台2026年6月1日8时发布暴雨红色预警：预计未来3小时，南昌、九江、景德镇等地降雨量将达100毫米以上，"
    "局地可超过150毫米，并伴有雷电和8到10级短时大风。请立即停止户外活动，危险地带人员迅速转移，"
    "注意防范山洪和城乡积涝。学校、幼儿园采取停课措施，已到校学生做好安全防护，低洼地区居民及时撤离。"
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    engine = tts.engine()
    folder = Path(tempfile.mkdtemp(prefix="tongpin-tts-"))
    times, seconds = [], 0.0
    for run in range(args.runs):
        began = time.perf_counter()
        speech = engine.synthesise(WARNING, folder / f"{run}.wav")
        times.append(time.perf_counter() - began)
        seconds = speech.seconds
    result = {
        "engine": engine.name,
        "characters": len(WARNING),
        "audio_seconds": round(seconds, 1),
        "synthesis_p50_ms": round(statistics.median(times) * 1000, 1),
        "synthesis_max_ms": round(max(times) * 1000, 1),
    }
    print(json.dumps(result, ensure_ascii=False, indent=1) if args.json else result)


if __name__ == "__main__":
    main()
