"""The one per-process cache (outreach.cache.ProcessCache): fingerprints, rechecks, expiry, size, databases."""
import pytest

from outreach.cache import ProcessCache


@pytest.fixture()
def calls():
    return []


def _compute(calls, value="v"):
    def compute():
        calls.append(value)
        return f"{value}{len(calls)}"
    return compute


def test_fingerprint_is_compared_on_every_call(app, calls):
    cache, state = ProcessCache(), {"version": (1,)}
    with app.app_context():
        first = cache.get(("k",), _compute(calls), fingerprint=lambda: state["version"])
        assert cache.get(("k",), _compute(calls), fingerprint=lambda: state["version"]) == first
        state["version"] = (2,)
        assert cache.get(("k",), _compute(calls), fingerprint=lambda: state["version"]) != first
    assert len(calls) == 2


def test_deep_fingerprint_is_checked_only_after_recheck_seconds(app, calls, monkeypatch):
    cache, clock, deep = ProcessCache(), {"t": 100.0}, {"stamp": ("a",), "asked": 0}
    monkeypatch.setattr("outreach.cache.time.monotonic", lambda: clock["t"])

    def deep_fn():
        deep["asked"] += 1
        return deep["stamp"]

    def get():
        return cache.get(("k",), _compute(calls), fingerprint=lambda: (1,), deep=deep_fn, recheck=2.0)

    with app.app_context():
        get()
        asked = deep["asked"]
        deep["stamp"] = ("b",)  # an edit the cheap fingerprint does not see
        clock["t"] += 1.0
        get()
        assert (len(calls), deep["asked"]) == (1, asked)  # within the recheck interval: not even asked
        clock["t"] += 1.5
        get()
        assert len(calls) == 2  # past it: the deep fingerprint changed, so the value is recomputed
        clock["t"] += 2.5
        get()
        assert len(calls) == 2  # asked again, unchanged: the value is kept


def test_a_changed_entry_is_updated_from_its_old_value_when_update_can(app, calls, monkeypatch):
    cache, clock, state, updates = ProcessCache(), {"t": 0.0}, {"cheap": (1,), "deep": ("a",)}, []
    monkeypatch.setattr("outreach.cache.time.monotonic", lambda: clock["t"])

    def update(old, cheap_changed):
        updates.append((old, cheap_changed))
        return None if state.get("refuse") else old + "+"

    def get():
        return cache.get(("k",), _compute(calls), fingerprint=lambda: state["cheap"], deep=lambda: state["deep"],
                         recheck=2.0, update=update)

    with app.app_context():
        assert get() == "v1" and updates == []  # nothing to update from: computed
        state["cheap"] = (2,)
        assert get() == "v1+" and updates[-1] == ("v1", True)
        state["deep"], clock["t"] = ("b",), 3.0
        assert get() == "v1++" and updates[-1] == ("v1+", False)
        assert get() == "v1++" and len(updates) == 2  # unchanged: neither updated nor computed
        state["cheap"], state["refuse"] = (3,), True
        assert get() == "v2"  # update gave None: computed afresh
    assert calls == ["v", "v"]


def test_without_deep_an_entry_expires_after_recheck(app, calls, monkeypatch):
    cache, clock = ProcessCache(), {"t": 0.0}
    monkeypatch.setattr("outreach.cache.time.monotonic", lambda: clock["t"])
    with app.app_context():
        cache.get(("k",), _compute(calls), recheck=60)
        clock["t"] = 59
        cache.get(("k",), _compute(calls), recheck=60)
        clock["t"] = 61
        cache.get(("k",), _compute(calls), recheck=60)
    assert len(calls) == 2


def test_least_recently_used_entries_go_first(app, calls):
    cache = ProcessCache(entries=2)
    with app.app_context():
        for key in ("a", "b", "a", "c"):  # "b" is the least recently used when "c" arrives
            cache.get((key,), _compute(calls, key))
        assert len(cache) == 2
        cache.get(("a",), _compute(calls, "a"))
        cache.get(("b",), _compute(calls, "b"))
    assert calls == ["a", "b", "c", "b"]


def test_entries_belong_to_one_database_and_clear_all_forgets(app, calls, monkeypatch):
    cache, database = ProcessCache(), {"url": "sqlite:///one"}
    monkeypatch.setattr("outreach.cache._database", lambda: database["url"])
    cache.get(("k",), _compute(calls))
    database["url"] = "sqlite:///two"
    cache.get(("k",), _compute(calls))
    assert len(calls) == 2 and len(cache) == 2
    ProcessCache.clear_all()
    assert len(cache) == 0
