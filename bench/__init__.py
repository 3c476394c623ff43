"""The side-by-side benchmark of issue 7 (`manage.py bench`, docs/performance.md).

Not an app and not in INSTALLED_APPS: `raw_views` is mounted only by config.bench_urls (the bench
settings), `runner` and `load` are used by the `bench` management command (seeds app)."""
