from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "cases"
    verbose_name = "Cases"

    def ready(self) -> None:
        from celery.schedules import crontab

        from config.celery import app

        # Names taken out of the records leave the name-search words the next night
        # (cases.search.name_words_prune). 03:15 UTC, after the exports' sweep.
        app.conf.beat_schedule.setdefault(
            "cases-name-words-prune",
            {"task": "cases.tasks.name_words_prune_task", "schedule": crontab(hour=3, minute=15)},
        )
