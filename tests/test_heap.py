"""Long-running processes exempt their startup objects from full garbage collections (tongpin.core.heap): a full
pass over them stalled the delivery worker for 100–200 ms under the warning bench."""

import gc

from django.core.management import call_command

from tongpin.core import heap


def test_freezing_exempts_what_is_alive_from_later_collections():
    try:
        frozen = heap.freeze_loaded()
        assert frozen > 1000 and gc.get_freeze_count() == frozen  # Django and the test run's objects at least
        kept = object()  # made afterwards: still collected and counted as usual
        assert gc.get_freeze_count() == frozen and gc.is_tracked([kept])
    finally:
        gc.unfreeze()
    assert gc.get_freeze_count() == 0


def test_the_worker_freezes_after_loading_and_before_its_loop(db, monkeypatch):
    from tongpin.core import periodic
    from tongpin.publishing import dispatcher

    calls = []
    monkeypatch.setattr(heap, "freeze_loaded", lambda: calls.append("freeze") or 0)
    monkeypatch.setattr(periodic, "run_forever", lambda stop: None)  # no thread left behind after the test

    real_run = dispatcher.Dispatcher.run
    monkeypatch.setattr(
        dispatcher.Dispatcher, "run", lambda self, once=False: calls.append("loop") or real_run(self, once)
    )
    call_command("worker", "--deliveries-only", "--batch")
    assert calls == ["freeze", "loop"]


def test_serve_freezes_in_the_master_before_the_web_processes_fork(monkeypatch, settings):
    from gunicorn.app.base import BaseApplication

    from tongpin.web.management.commands.serve import Command

    calls = []
    monkeypatch.setattr(heap, "freeze_loaded", lambda: calls.append("freeze") or 0)
    monkeypatch.setattr(BaseApplication, "run", lambda self: calls.append("fork"))
    Command._run_gunicorn("127.0.0.1", 1, 1, 1, False)
    assert calls == ["freeze", "fork"]
