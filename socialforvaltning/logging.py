import datetime
import json
import logging


class JsonFormatter(logging.Formatter):
    """One JSON object a line: easy for any log collector to read."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            # UTC, with its offset: lines from several servers and gunicorn's own agree.
            "time": datetime.datetime.fromtimestamp(record.created, datetime.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(getattr(record, "fields", {}))
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)
