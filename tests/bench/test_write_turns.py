"""The writes' 1M/10k ratio compares like with like: each database's writes run in turns and
are pooled (issue 21, bench.run)."""

from bench import run


def test_the_writes_run_in_turns_that_mirror_each_other():
    # REQ NFR-4: a drift of the machine's speed weighs on each database alike
    assert run.turns(["1m", "10k"]) == ["1m", "10k", "10k", "1m"]
    assert run.turns(["smoke"]) == ["smoke", "smoke"]


def test_a_databases_turns_are_pooled_call_by_call_not_averaged():
    # REQ NFR-4: the p95 is over every call of both turns
    first = {
        "confirm": {
            "n": 3,
            "handled": 3,
            "errors": {"taken": 1},
            "samples": [[5.0, 10], [6.0, 10], [7.0, 10]],
        },
        "alerts_job": {
            "n": 1,
            "handled": 1,
            "errors": {},
            "samples": [[2.0, 4]],
            "mails": 3,
            "mails_max": 3,
        },
    }
    second = {
        "confirm": {
            "n": 3,
            "handled": 3,
            "errors": {"taken": 2, "closed": 1},
            "samples": [[1.0, 10], [2.0, 12], [100.0, 10]],
        },
        "alerts_job": {
            "n": 1,
            "handled": 1,
            "errors": {},
            "samples": [[4.0, 6]],
            "mails": 5,
            "mails_max": 5,
        },
        "reminders": {"n": 0, "errors": {}},
    }
    pooled = run.pool_writes([first, second])
    confirm = pooled["confirm"]
    assert confirm["n"] == 6 and confirm["handled"] == 6
    assert confirm["p50_ms"] == 5.5  # the median of all six calls, not the turns' medians
    assert confirm["p95_ms"] == 76.75  # the slow call of the second turn counts
    assert confirm["queries"] == 10 and confirm["queries_max"] == 12
    assert confirm["errors"] == {"taken": 3, "closed": 1}
    assert pooled["alerts_job"]["mails"] == 8 and pooled["alerts_job"]["mails_max"] == 5
    assert pooled["reminders"]["n"] == 0
    # The write table reads the pooled figures as it read one run's.
    results = {"1m": {"writes": pooled}, "10k": {"writes": pooled}}
    assert run.write_ratios(results)["confirm"] == 1.0
    assert "1m, 10k, 10k, 1m" in "\n".join(run.writes_markdown(results))


def test_the_page_ratio_is_read_from_the_turns_when_they_were_run():
    # REQ NFR-4: month and day p95 at 1M over 10k, each the mean of its turns
    results = {
        "1m": {
            "pages": {"month": {"p95_ms": 30.0}, "day": {"p95_ms": 30.0}},
            "scale": {
                "month": {"p95_ms": 21.0, "turns": [20.0, 22.0]},
                "day": {"p95_ms": 22.0, "turns": [21.0, 23.0]},
            },
        },
        "10k": {
            "pages": {"month": {"p95_ms": 20.0}, "day": {"p95_ms": 20.0}},
            "scale": {
                "month": {"p95_ms": 20.0, "turns": [19.0, 21.0]},
                "day": {"p95_ms": 20.0, "turns": [20.0, 20.0]},
            },
        },
    }
    assert run.scale_ratios(results) == {"month": 21.0 / 20.0, "day": 22.0 / 20.0}
    rows = {name: (value, ok) for name, value, ok in run.targets(results)}
    assert rows["month p95 1M / 10k ≤ 1.1× (by turns)"] == ("1.05×", True)
    assert "21.0 (20.0 / 22.0)" in "\n".join(run.scale_markdown(results))
    # Without turns, each database's own page run is read.
    for label in results:
        del results[label]["scale"]
    assert run.scale_ratios(results)["day"] == 1.5
    rows = {name: (value, ok) for name, value, ok in run.targets(results)}
    assert rows["day p95 1M / 10k ≤ 1.1×"] == ("1.50×", False)
    assert run.scale_markdown(results) == []
