"""Spoken warnings for radio: Chinese text normalisation, then a pluggable speech engine.

`normalise()` turns what a reader would not pronounce as written into words: units (mm → 毫米, ℃ → 摄氏度,
km/h → 公里每小时), clock times (10:45 → 10点45分), dates, ranges (6~7级 → 6到7级), Roman levels (IV级 → 四级),
and list separators into pauses. Digits stay digits: the engines read them as Chinese numbers.

Engines: `espeak` (espeak-ng, the Debian package; voice cmn-latn-pinyin, which speaks Mandarin phonemes —
the `cmn` voice spells most characters out in English) is the embedded default. It sounds robotic, so a
station can install a better voice and point `TONGPIN_TTS_COMMAND` at it: a command line with `{text_file}`
and `{wav}` placeholders (for example a neural voice model run by piper). Other packages may register engines
through the `tongpin.tts_engines` entry point.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import tempfile
import wave
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path

from django.conf import settings

UNITS = [
    (r"(?<=\d)\s*(?:mm|毫米)", "毫米"),
    (r"(?<=\d)\s*(?:cm)", "厘米"),
    (r"(?<=\d)\s*(?:km/h|公里/小时|km/小时)", "公里每小时"),
    (r"(?<=\d)\s*(?:m/s|米/秒)", "米每秒"),
    (r"(?<=\d)\s*(?:km)", "公里"),
    (r"(?<=\d)\s*(?:℃|°C|摄氏度)", "摄氏度"),
    (r"(?<=\d)\s*%", "%"),  # handled below (百分之…)
    (r"(?<=\d)\s*(?:hPa)", "百帕"),
    (r"(?<=\d)\s*(?:m)(?![a-zA-Z])", "米"),
]
ROMAN = {"Ⅰ": "一", "Ⅱ": "二", "Ⅲ": "三", "Ⅳ": "四", "I": "一", "II": "二", "III": "三", "IV": "四"}
LEVEL_WORDS = {"red": "红色", "orange": "橙色", "yellow": "黄色", "blue": "蓝色"}


def _clock(match: re.Match) -> str:
    minutes = int(match[2])
    return f"{int(match[1])}点{minutes}分" if minutes else f"{int(match[1])}点"


def normalise(text: str) -> str:
    text = " ".join((text or "").split())
    text = re.sub(r"(\d{4})-(\d{1,2})-(\d{1,2})", lambda m: f"{m[1]}年{int(m[2])}月{int(m[3])}日", text)
    text = re.sub(r"(\d{1,2}):(\d{2})(?::\d{2})?", _clock, text)
    text = re.sub(r"(\d+(?:\.\d+)?)\s*%", lambda m: f"百分之{m[1]}", text)
    for pattern, word in UNITS:
        if word != "%":
            text = re.sub(pattern, word, text)
    text = re.sub(r"(\d+(?:\.\d+)?)\s*[~～\-—–]\s*(\d+(?:\.\d+)?)", r"\1到\2", text)
    text = re.sub(r"\b(IV|III|II|I)(?=级)", lambda m: ROMAN[m[1]], text)
    text = re.sub(r"[ⅠⅡⅢⅣ](?=级)", lambda m: ROMAN[m[0]], text)
    text = re.sub(r"(\d)\.(\d)", r"\1点\2", text)
    text = text.replace("[", "，").replace("]", "，").replace("/", "，").replace("、", "，")
    text = re.sub(r"[（(]", "，", text)
    text = re.sub(r"[）)]", "，", text)
    text = re.sub(r"，{2,}", "，", text)
    return text.strip("， ")


@dataclass
class Speech:
    path: Path
    seconds: float
    engine: str


class Engine:
    name = "base"

    def synthesise(self, text: str, target: Path) -> Speech:
        raise NotImplementedError


def _duration(path: Path) -> float:
    with wave.open(str(path), "rb") as audio:
        return audio.getnframes() / float(audio.getframerate() or 1)


class EspeakEngine(Engine):
    name = "espeak"
    voice = "cmn-latn-pinyin"

    def synthesise(self, text: str, target: Path) -> Speech:
        binary = shutil.which("espeak-ng")
        if binary is None:
            raise RuntimeError("espeak-ng is not installed (apt-get install espeak-ng)")
        target.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(  # noqa: S603  (fixed argument list; the text goes through stdin)
            [binary, "-v", self.voice, "-s", str(settings.TONGPIN_TTS_RATE), "-w", str(target), "--stdin"],
            input=normalise(text).encode(),
            check=True,
            timeout=30,
            capture_output=True,
        )
        return Speech(target, _duration(target), self.name)

    def phonemes(self, text: str) -> str:
        """espeak-ng's phoneme transcription: how a test tells Mandarin from letters read out."""
        binary = shutil.which("espeak-ng") or "espeak-ng"
        done = subprocess.run(  # noqa: S603
            [binary, "-v", self.voice, "-x", "-q", "--stdin"],
            input=normalise(text).encode(),
            check=True,
            timeout=30,
            capture_output=True,
        )
        return done.stdout.decode("utf-8", "replace")


class CommandEngine(Engine):
    """An operator-installed voice: TONGPIN_TTS_COMMAND with {text_file} and {wav} placeholders."""

    name = "command"

    def __init__(self, template: str):
        self.template = template

    def synthesise(self, text: str, target: Path) -> Speech:
        target.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", suffix=".txt", encoding="utf-8", delete=False) as handle:
            handle.write(normalise(text))
        try:
            arguments = [part.format(text_file=handle.name, wav=str(target)) for part in shlex.split(self.template)]
            subprocess.run(arguments, check=True, timeout=60, capture_output=True)  # noqa: S603
        finally:
            Path(handle.name).unlink(missing_ok=True)
        return Speech(target, _duration(target), self.name)


def engine() -> Engine:
    if settings.TONGPIN_TTS_COMMAND:
        return CommandEngine(settings.TONGPIN_TTS_COMMAND)
    name = settings.TONGPIN_TTS_ENGINE
    if name != "espeak":
        for entry in entry_points(group="tongpin.tts_engines"):
            if entry.name == name:
                return entry.load()()
    return EspeakEngine()


def speak(text: str, target: Path) -> Speech | None:
    """Synthesise, or None when no engine is available (the radio rendition then carries the script only)."""
    try:
        return engine().synthesise(text, target)
    except (RuntimeError, OSError, subprocess.SubprocessError):
        return None
