"""Signals other apps listen to, so newsroom never imports them (review restarts a run on a new revision)."""

from django.dispatch import Signal

# Sent inside the saving transaction: story, revision, actor.
story_revised = Signal()
