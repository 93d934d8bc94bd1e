"""scripts/run_pipeline.py: `make run`'s steps under one bar; a failing step stops the run."""

from __future__ import annotations

import json
import sys

import pytest
import run_pipeline


@pytest.fixture
def fake_steps(monkeypatch, tmp_path):
    times = tmp_path / "pipeline_times.json"
    monkeypatch.setattr(run_pipeline, "TIMES", times)
    monkeypatch.setattr(run_pipeline, "GUESS", {"first": 1, "second": 1, "third": 1})

    def use(*codes: int) -> None:
        plan = [(n, [sys.executable, "-c", f"raise SystemExit({c})"]) for n, c in zip(run_pipeline.GUESS, codes)]
        monkeypatch.setattr(run_pipeline, "steps", lambda model, python: plan)

    return use, times


def test_every_step_runs_and_its_time_is_kept_for_the_next_eta(fake_steps, capsys):
    use, times = fake_steps
    use(0, 0, 0)
    assert run_pipeline.run("tiny", sys.executable) == 0
    ((key, taken),) = json.loads(times.read_text()).items()
    assert key.startswith("tiny on ") and set(taken) == {"first", "second", "third"}
    assert "make run done in" in capsys.readouterr().out
    assert run_pipeline._expected(key)["first"] == taken["first"]  # the next run's estimate


def test_a_failing_step_stops_the_run_with_its_status(fake_steps, capsys):
    use, times = fake_steps
    use(0, 5, 0)
    assert run_pipeline.run("tiny", sys.executable) == 5
    assert "step second failed with exit status 5" in capsys.readouterr().err
    assert not times.exists()  # a failed run does not teach the ETA


def test_the_steps_are_the_makefile_targets_in_order():
    names = [name for name, _ in run_pipeline.steps("minilm", ".venv/bin/python")]
    assert names == ["build", "train", "export", "evaluate", "predict", "analyze"]
    assert run_pipeline.steps("tiny", "py")[1][1] == ["py", "scripts/train.py", "model=tiny"]
