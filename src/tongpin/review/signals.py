"""Any change to the roster, by import or in the admin, bumps the rules' version, so checkers rebuild."""

from django.db.models.signals import post_delete, post_save

from .models import ProofRuleChange, RosterEntry


def _roster_changed(sender, instance: RosterEntry, **kwargs) -> None:
    action = "delete" if kwargs.get("signal") is post_delete else "change"
    ProofRuleChange.objects.create(rule_key=f"roster:{instance.name}", action=action)


def connect() -> None:
    post_save.connect(_roster_changed, sender=RosterEntry, dispatch_uid="review.roster_saved")
    post_delete.connect(_roster_changed, sender=RosterEntry, dispatch_uid="review.roster_deleted")
