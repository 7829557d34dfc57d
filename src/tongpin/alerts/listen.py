"""The warning as radio will say it, for staff who may see the alert: the spoken rendition that went on air, or —
while the alert waits for a duty officer and no rendition exists yet — a preview spoken from the same script.

Renditions are built only when an alert is released (release.py), so a pending alert has none; the preview uses
the radio rendition's script (`renditions.spoken`, cut the same way) and the same engine, so what the duty
officer hears is what radio would play. Previews live in a sub-folder the public `/alerts/audio/` route does not
serve; they are made on first listen and kept under a name that changes with the script.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.urls import reverse

from tongpin.publishing.models import Delivery, Rendition
from tongpin.publishing.text import fit

from . import renditions, tts
from .models import Alert, AlertState
from .release import target_channels

SCRIPT_LIMIT = 3000  # as renditions.build cuts the radio script


@dataclass(frozen=True)
class Audio:
    url: str
    preview: bool
    seconds: float | None = None


def _spoken_rendition(alert: Alert, deliveries: list[Delivery] | None = None) -> Rendition | None:
    if alert.publication_id is None:
        return None
    if deliveries is not None:  # the console has them already, with their renditions
        candidates = [d.rendition for d in deliveries]
    else:
        candidates = list(Rendition.objects.filter(publication_id=alert.publication_id))
    return next((r for r in candidates if r.kind in renditions.SPOKEN_KINDS and r.fields.get("audio")), None)


def on_air_path(alert: Alert) -> Path | None:
    rendition = _spoken_rendition(alert)
    if rendition is None:
        return None
    path = renditions.audio_folder() / Path(rendition.fields["audio"]).name
    return path if path.is_file() else None


def engine_available() -> bool:
    engine = tts.engine()
    return not isinstance(engine, tts.EspeakEngine) or shutil.which("espeak-ng") is not None


def previewable(alert: Alert, targets: list | None = None) -> bool:
    """Before release, when a channel that speaks (radio, emergency broadcast) would carry the alert."""
    if alert.state not in (AlertState.RECEIVED, AlertState.PENDING) or not engine_available():
        return False
    if targets is None:
        targets = target_channels(alert)
    return any(channel.kind in renditions.SPOKEN_KINDS for channel in targets)


def preview_script(alert: Alert) -> str:
    return fit(renditions.spoken(alert), SCRIPT_LIMIT)


def preview_path(alert: Alert) -> Path | None:
    """The preview's WAV, spoken now if it does not exist yet; None when no engine can speak."""
    script = preview_script(alert)
    engine = settings.TONGPIN_TTS_COMMAND or settings.TONGPIN_TTS_ENGINE
    digest = hashlib.sha256(f"{engine}\n{script}".encode()).hexdigest()[:24]
    path = renditions.audio_folder() / "preview" / f"{alert.pk}-{digest}.wav"
    if path.is_file():
        return path
    partial = path.with_name(f"{path.stem}.{uuid.uuid4().hex}.part.wav")
    if tts.speak(script, partial) is None:
        partial.unlink(missing_ok=True)
        return None
    os.replace(partial, path)  # two listeners at once: each writes its own file, the last rename wins
    return path


def on_air(alert: Alert, deliveries: list[Delivery] | None = None) -> Audio | None:
    """The player for the audio that went to radio, if any."""
    rendition = _spoken_rendition(alert, deliveries)
    if rendition is None:
        return None
    return Audio(reverse("alert-audio-on-air", args=[alert.pk]), False, rendition.fields.get("audio_seconds"))


def audio_for(alert: Alert, deliveries: list[Delivery] | None = None, targets: list | None = None) -> Audio | None:
    """What the page's player plays, if anything: the audio on air, else a preview before release."""
    played = on_air(alert, deliveries)
    if played is not None:
        return played
    if previewable(alert, targets):
        return Audio(reverse("alert-audio-preview", args=[alert.pk]), True)
    return None
