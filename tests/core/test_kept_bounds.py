"""Values kept per process stay bounded however many people a process serves: past
kept.MAX_ENTRIES the expired entries go first, then the least recently stored; what is still
kept is served from the process and a dropped value is loaded again, correctly."""
from __future__ import annotations

from app.core import kept


def test_a_process_keeps_at_most_max_entries_values_and_the_newest_stay(app, ctx, monkeypatch):
    loads = []

    def load(user_id):
        loads.append(user_id)
        return {"user": user_id}

    monkeypatch.setattr(kept, "MAX_ENTRIES", 10)
    value = kept.Kept("test_bounded_per_user", load, tables=set(), per_user=True)
    try:
        store = kept._store()
        for user_id in range(1, 31):
            assert value.get(user_id) == {"user": user_id}
        mine = [name for name in store.entries if name.startswith("test_bounded_per_user:")]
        assert 0 < len(store.entries) <= 10
        assert "test_bounded_per_user:30" in mine and "test_bounded_per_user:1" not in mine
        loads.clear()
        assert value.get(30) == {"user": 30} and loads == []          # still kept: not loaded again
        assert value.get(1) == {"user": 1} and loads == [1]           # dropped: loaded again
    finally:
        kept._declared.pop("test_bounded_per_user", None)
        with kept._store().lock:
            for name in [n for n in kept._store().entries if n.startswith("test_bounded_per_user:")]:
                del kept._store().entries[name]


def test_expired_values_go_before_fresh_ones(app, ctx, monkeypatch):
    monkeypatch.setattr(kept, "MAX_ENTRIES", 4)
    entries = {"old-a": ("t", 1, -10_000.0), "old-b": ("t", 2, -10_000.0), "new-a": ("t", 3, 10**12),
               "new-b": ("t", 4, 10**12)}
    kept._make_room(entries)
    assert set(entries) == {"new-a", "new-b"}
