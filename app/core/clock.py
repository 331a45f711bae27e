"""Time as the database stores it: naive UTC. Shown in the user's zone by webhooks.local_time."""
import datetime as dt


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
