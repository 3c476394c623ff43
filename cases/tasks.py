"""Nightly housekeeping for the cases (thin: the work is in cases.search)."""

from celery import shared_task

from .search import name_words_prune


@shared_task(ignore_result=True, acks_late=True)
def name_words_prune_task() -> int:
    return name_words_prune()
