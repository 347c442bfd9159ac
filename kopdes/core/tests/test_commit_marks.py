"""Hooks for a commit's cache marks (kopdes/core/commit_marks.py), on any cache."""

from __future__ import annotations

import logging
import uuid

import pytest
from django.core.cache import cache
from django.db import transaction

from kopdes.core.commit_marks import Mark, run_together
from kopdes.core.generations import Bump, generation


@pytest.mark.django_db(transaction=True)
def test_a_mark_queues_once_while_it_lasts_and_a_failing_one_is_logged_as_django_logs_hooks(caplog):
    queued: list[str] = []
    key = f"test-mark-{uuid.uuid4().hex}"
    mark = Mark(key, 30, lambda: queued.append("task"))

    transaction.on_commit(mark)  # outside a transaction: called at once
    transaction.on_commit(mark)
    assert queued == ["task"]

    def failing():
        raise RuntimeError("the queue is down")

    with caplog.at_level(logging.ERROR):
        transaction.on_commit(Mark(f"{key}-2", 30, failing), robust=True)
    assert f"Mark('{key}-2')" in caplog.text and "the queue is down" in caplog.text
    cache.delete_many([key, f"{key}-2"])


@pytest.mark.django_db
def test_hooks_run_together_call_each_in_order_on_any_cache():
    name = f"test-generation-{uuid.uuid4().hex}"
    before = generation(name)
    seen: list[str] = []
    key = f"test-mark-{uuid.uuid4().hex}"

    run_together([(lambda: seen.append("event"), False), (Mark(key, 30, lambda: seen.append("task")), True)])
    run_together([(Bump(name), True), (Mark(key, 30, lambda: seen.append("task")), True)])

    assert seen in (["task", "event"], ["event", "task"])  # with Redis, the marks' tasks first
    assert generation(name) == before + 1
    cache.delete(key)
