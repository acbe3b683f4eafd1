"""gunicorn settings read automatically from the working directory: its own log lines as JSON too.

The Procfile's `web:` line sets workers and the bind address; operators add options with GUNICORN_CMD_ARGS.
"""

# gunicorn's start-up, worker and error lines in the same JSON-lines format as the app's (ivr/logs.py);
# the app's loggers have their own handlers, so the root logger stays silent to avoid printing them twice.
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "ivr.logs.JsonFormatter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}},
    "root": {"level": "WARNING", "handlers": []},
    "loggers": {
        "gunicorn.error": {"level": "INFO", "handlers": ["console"], "propagate": False},
        "gunicorn.access": {"level": "INFO", "handlers": ["console"], "propagate": False},
    },
}
