"""The Label Studio round trip: candidate tasks out, a hand-built export back in, validated."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from conftest import ROOT, compose
from hydra.errors import ConfigCompositionException
from omegaconf import OmegaConf

from stanceml.config import BaselineConfig, CandidatesConfig, ImportLabelStudioConfig
from stanceml.data.corpus import read_corpus
from stanceml.data.labelstudio.importer import import_export, write_annotations
from stanceml.data.labelstudio.tasks import candidate_tasks, labeling_config
from stanceml.evaluation.baselines import RuleBaseline
from stanceml.io import DataError
from stanceml.labels import LABELS, TAGS
from stanceml.text.actors import Gazetteer

ARTICLE_ID = "ev-tariff-01"
S_HUNGARY = "Hungary firmly rejects the tariff on electric vehicles."
S_CONTRAST = "While Poland backed the tariff on Monday, Spain blocked the tariff again."
S_MEETING = "Spain's minister met his French counterpart in Madrid."
S_HEDGE = "The European Commission is still studying the tariff."
BODY = f"{S_HUNGARY} {S_CONTRAST}\n\n{S_MEETING} {S_HEDGE}"
TARGET = "the tariff on electric vehicles"


def write_article(folder: Path, article_id: str = ARTICLE_ID, body: str = BODY) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{article_id}.md"
    path.write_text(
        f"---\nid: {article_id}\ntitle: EU tariff row\ndate: 2024-06-12\ntopic: ev-tariff\n---\n{body}\n",
        encoding="utf-8",
    )
    return path


def rule_baseline():
    cfg = OmegaConf.to_object(compose("candidates", ["paths.root_dir=/unused"]))
    return RuleBaseline.from_config(cfg.baseline)


def by_actor(tasks: list[dict]) -> dict[tuple[str, str], dict]:
    return {(t["data"]["sentence"], t["data"]["actor"]): t for t in tasks}


def pre_label(task: dict) -> str:
    return task["predictions"][0]["result"][0]["value"]["choices"][0]


# ----------------------------------------------------------------------------- export builder


def result(stance: str | None, tags: list[str] = ()) -> list[dict]:
    """An annotation's ``result`` as Label Studio writes it for our labeling config."""
    out = []
    if stance is not None:
        out.append(
            {
                "value": {"choices": [stance]},
                "id": "aB3xY9",
                "from_name": "stance",
                "to_name": "text",
                "type": "choices",
                "origin": "manual",
            }
        )
    if tags:
        out.append(
            {
                "value": {"choices": list(tags)},
                "id": "Qz81Lm",
                "from_name": "tags",
                "to_name": "text",
                "type": "choices",
                "origin": "manual",
            }
        )
    return out


def annotation(
    ann_id: int,
    task_id: int,
    res: list[dict],
    *,
    cancelled: bool = False,
    created: str = "2024-06-20T10:00:00.000000Z",
    updated: str | None = None,
) -> dict:
    return {
        "id": ann_id,
        "completed_by": 3,
        "result": res,
        "was_cancelled": cancelled,
        "ground_truth": False,
        "created_at": created,
        "updated_at": updated or created,
        "draft_created_at": None,
        "lead_time": 12.4,
        "prediction": {},
        "result_count": 0,
        "unique_id": f"u-{ann_id}",
        "import_id": None,
        "last_action": None,
        "task": task_id,
        "project": 7,
        "updated_by": 3,
        "parent_prediction": None,
        "parent_annotation": None,
        "last_created_by": None,
    }


def export_task(task_id: int, data: dict, annotations: list[dict]) -> dict:
    """One task of a Label Studio JSON export (Export -> JSON), fields as Label Studio writes them."""
    return {
        "id": task_id,
        "annotations": annotations,
        "file_upload": "3f2a-tasks.json",
        "drafts": [],
        "predictions": [900 + task_id],
        "data": data,
        "meta": {},
        "created_at": "2024-06-19T08:00:00.000000Z",
        "updated_at": "2024-06-20T11:00:00.000000Z",
        "inner_id": task_id,
        "total_annotations": len(annotations),
        "cancelled_annotations": sum(a["was_cancelled"] for a in annotations),
        "total_predictions": 1,
        "comment_count": 0,
        "unresolved_comment_count": 0,
        "last_comment_updated_at": None,
        "project": 7,
        "updated_by": 3,
        "comment_authors": [],
    }


GOLD = {
    (S_HUNGARY, "Hungary"): ("oppose", ["veto"]),
    (S_CONTRAST, "Poland"): ("support", ["contrast"]),
    (S_CONTRAST, "Spain"): ("oppose", ["contrast", "veto"]),
    (S_HEDGE, "The European Commission"): ("neutral", ["hedge"]),
}


def build_export(tasks: list[dict]) -> list[dict]:
    """Annotate the candidate tasks the way a team would, with the awkward cases an export has."""
    out = []
    for i, task in enumerate(tasks, start=1):
        data = copy.deepcopy(task["data"])
        key = (data["sentence"], data["actor"])
        if key in GOLD:
            stance, tags = GOLD[key]
            anns = [annotation(10 * i, i, result(stance, tags))]
            if data["actor"] == "Poland":
                # Two annotators: the later one wins, whatever the list order.
                anns = [
                    annotation(10 * i + 1, i, result("support", ["contrast"]), created="2024-06-21T09:00:00Z"),
                    annotation(10 * i + 2, i, result("neutral"), created="2024-06-20T09:00:00Z"),
                ]
            if data["actor"] == "Spain":
                # A newer cancelled (skipped) annotation does not hide the older real one.
                anns.append(annotation(10 * i + 3, i, [], cancelled=True, created="2024-06-22T09:00:00Z"))
        elif data["actor"] == "Madrid":
            anns = [annotation(10 * i, i, [], cancelled=True)]  # skipped: nothing to say
        else:
            anns = []  # not annotated yet
        out.append(export_task(i, data, anns))
    return out


@pytest.fixture
def project(tmp_path: Path) -> dict:
    articles = tmp_path / "data" / "articles"
    write_article(articles)
    # Every sentence, so that the export has tasks to skip (the meeting sentence).
    tasks = candidate_tasks(articles, [TARGET], Gazetteer.default(), rule_baseline(), relevance="all")
    export = tmp_path / "export.json"
    export.write_text(json.dumps(build_export(tasks), indent=1), encoding="utf-8")
    return {"articles": articles, "annotations": tmp_path / "data" / "annotations", "tasks": tasks, "export": export}


# ----------------------------------------------------------------------------- candidates


def test_candidates_have_spans_and_rule_prelabels(project):
    tasks = project["tasks"]
    found = by_actor(tasks)
    assert set(found) == {
        (S_HUNGARY, "Hungary"),
        (S_CONTRAST, "Poland"),
        (S_CONTRAST, "Spain"),
        (S_MEETING, "Spain"),
        (S_MEETING, "Madrid"),
        (S_HEDGE, "The European Commission"),
    }
    for task in tasks:
        data = task["data"]
        assert data["sentence"][data["actor_start"] : data["actor_end"]] == data["actor"]
        assert data["text"] == data["sentence"] and data["target"] == TARGET and data["article_id"] == ARTICLE_ID
        (pred,) = task["predictions"]
        assert pred["model_version"] == "rule-baseline" and 0 < pred["score"] <= 1
        (item,) = pred["result"]
        assert item == {
            "from_name": "stance",
            "to_name": "text",
            "type": "choices",
            "value": {"choices": [pre_label(task)]},
        }
    assert found[(S_CONTRAST, "Spain")]["data"]["actor_start"] == S_CONTRAST.index("Spain")
    assert found[(S_MEETING, "Madrid")]["data"]["canonical_actor"] == "Spain"
    # The rule baseline reads the actor's own clause.
    assert pre_label(found[(S_HUNGARY, "Hungary")]) == "oppose"
    assert pre_label(found[(S_CONTRAST, "Poland")]) == "support"
    assert pre_label(found[(S_CONTRAST, "Spain")]) == "oppose"
    assert pre_label(found[(S_HEDGE, "The European Commission")]) == "neutral"
    json.dumps(tasks)  # plain JSON all the way down


def test_overlap_relevance_drops_sentences_off_the_target(tmp_path):
    path = write_article(tmp_path / "a")
    gaz = Gazetteer.from_actors(["Hungary", "Spain"])
    tasks = candidate_tasks([path], ["the tariff", "the merger"], gaz, None)
    pairs = {(t["data"]["sentence"], t["data"]["actor"], t["data"]["target"]) for t in tasks}
    # "the tariff" occurs in the sentences: the meeting sentence is not asked about it.
    assert (S_MEETING, "Spain", "the tariff") not in pairs
    assert (S_HUNGARY, "Hungary", "the tariff") in pairs
    # No sentence mentions a merger: every actor sentence is asked (the analysis' fallback).
    assert (S_MEETING, "Spain", "the merger") in pairs
    assert all("predictions" not in t for t in tasks)  # no baseline, no pre-labels
    every = candidate_tasks([path], ["the tariff"], gaz, None, relevance="all")
    assert (S_MEETING, "Spain", "the tariff") in {
        (t["data"]["sentence"], t["data"]["actor"], t["data"]["target"]) for t in every
    }
    with pytest.raises(ValueError, match="relevance"):
        candidate_tasks([path], ["the tariff"], gaz, None, relevance="some")
    with pytest.raises(ValueError, match="target"):
        candidate_tasks([path], [], gaz, None)


def test_an_actor_named_twice_is_asked_about_once(tmp_path):
    path = write_article(tmp_path / "a", body="Hungary said Hungary would veto the tariff.")
    tasks = candidate_tasks(path, ["the tariff"], Gazetteer.from_actors(["Hungary"]), None)
    assert [(t["data"]["actor"], t["data"]["actor_start"]) for t in tasks] == [("Hungary", 0)]


def test_sentences_across_a_line_break_are_skipped_with_a_warning(tmp_path):
    # An annotation's sentence may not hold a line break, so such a task could never come back.
    path = write_article(tmp_path / "a", body="Hungary firmly\nrejects the tariff. Spain backed the tariff.")
    with pytest.warns(UserWarning, match="1 sentence"):
        tasks = candidate_tasks(path, ["the tariff"], Gazetteer.from_actors(["Hungary", "Spain"]), None)
    assert [t["data"]["actor"] for t in tasks] == ["Spain"]


def test_unusable_articles_are_reported_with_their_file(tmp_path):
    (tmp_path / "bad.md").write_text("no front matter here\n", encoding="utf-8")
    with pytest.raises(DataError, match="bad.md"):
        candidate_tasks(tmp_path, ["the tariff"], Gazetteer.from_actors(["Hungary"]), None)
    with pytest.raises(DataError, match="no such file or folder"):
        candidate_tasks(tmp_path / "missing", ["the tariff"], Gazetteer.from_actors(["Hungary"]), None)


def test_labeling_config_matches_the_tasks(project):
    root = ET.fromstring(labeling_config())
    choices = {c.get("name"): c for c in root.iter("Choices")}
    assert [c.get("value") for c in choices["stance"]] == list(LABELS)
    assert choices["stance"].get("toName") == "text" and choices["stance"].get("choice") == "single-radio"
    assert {c.get("value") for c in choices["tags"]} == set(TAGS)
    assert choices["tags"].get("choice") == "multiple"
    (text,) = root.iter("Text")
    assert text.get("name") == "text"
    data = project["tasks"][0]["data"]
    variables = {el.get("value")[1:] for el in root.iter() if (el.get("value") or "").startswith("$")}
    assert variables <= set(data)
    for task in project["tasks"]:
        for item in task["predictions"][0]["result"]:
            assert item["from_name"] in choices and item["to_name"] == text.get("name")


# ----------------------------------------------------------------------------- import


def test_round_trip_into_a_corpus_the_reader_accepts(project):
    records = import_export(project["export"], project["articles"])
    got = {(r["sentence"], r["actor"]): (r["stance"], r["tags"]) for r in records}
    assert got == {k: (s, sorted(t)) for k, (s, t) in GOLD.items()}
    assert all(list(r) == ["article_id", "sentence", "actor", "target", "stance", "tags"] for r in records)
    assert sorted(reason for _, _, reason in records.skipped) == [
        "every annotation was cancelled (skipped)",
        "not annotated",
    ]

    summary = write_annotations(records, project["annotations"])
    assert summary["added"] == 4 and summary["unchanged"] == 0
    corpus = read_corpus(project["articles"], project["annotations"])
    assert {(t.sentence, t.actor): (t.stance, list(t.tags)) for t in corpus.triples} == got
    assert all(t.target == TARGET and t.topic == "ev-tariff" for t in corpus.triples)

    # Importing the same export again changes nothing.
    before = (project["annotations"] / f"{ARTICLE_ID}.jsonl").read_bytes()
    again = write_annotations(import_export(project["export"], project["articles"]), project["annotations"])
    assert again["added"] == 0 and again["unchanged"] == 4 and again["files"] == []
    assert (project["annotations"] / f"{ARTICLE_ID}.jsonl").read_bytes() == before


def test_merge_keeps_existing_lines_and_refuses_a_changed_stance(project):
    ann = project["annotations"]
    ann.mkdir(parents=True)
    path = ann / f"{ARTICLE_ID}.jsonl"
    existing = json.dumps(
        {
            "article_id": ARTICLE_ID,
            "sentence": S_HEDGE,
            "actor": "The European Commission",
            "target": "The tariff on electric vehicles",
            "stance": "neutral",
            "tags": [],
        }
    )
    unrelated = json.dumps(
        {
            "article_id": ARTICLE_ID,
            "sentence": S_HUNGARY,
            "actor": "Hungary",
            "target": "the EU budget",
            "stance": "neutral",
        }
    )
    path.write_text(f"{existing}\n{unrelated}", encoding="utf-8")  # no final newline
    records = import_export(project["export"], project["articles"])
    summary = write_annotations(records, ann)
    # Same triple (target compared normalised), same stance: the existing line stays as it is.
    assert summary == {"added": 3, "unchanged": 1, "files": [str(path)]}
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[:2] == [existing, unrelated] and len(lines) == 5
    read_corpus(project["articles"], ann)

    flipped = [dict(r, stance="support") if r["actor"] == "Hungary" else r for r in records]
    before = path.read_bytes()
    with pytest.raises(DataError) as err:
        write_annotations(flipped, ann)
    (problem,) = err.value.problems
    assert problem.path == str(path) and problem.line == 3 and problem.field == "stance"
    assert "already labelled 'oppose'" in problem.reason and "'support'" in problem.reason
    assert path.read_bytes() == before  # nothing written


def test_dry_run_writes_nothing(project):
    records = import_export(project["export"], project["articles"])
    summary = write_annotations(records, project["annotations"], dry_run=True)
    assert summary["added"] == 4
    assert not project["annotations"].exists()


def test_broken_export_names_file_position_and_field(project):
    tasks = json.loads(project["export"].read_text(encoding="utf-8"))
    annotated = [i for i, t in enumerate(tasks) if t["annotations"] and not t["annotations"][0]["was_cancelled"]]
    a, b, c, d = annotated
    tasks[a]["annotations"][0]["result"] = result("agree")
    tasks[b]["data"]["sentence"] = "Poland backed a tariff that nobody wrote about."
    tasks[c]["annotations"] = [annotation(1, tasks[c]["id"], result(None, ["hedge"]))]
    tasks[d]["annotations"][0]["result"] = result("neutral", ["sarcasm"])
    bad = project["export"].with_name("broken.json")
    bad.write_text(json.dumps(tasks), encoding="utf-8")
    with pytest.raises(DataError) as err:
        import_export(bad, project["articles"])
    found = {(p.line, p.field) for p in err.value.problems}
    assert found == {(a + 1, "stance"), (b + 1, "sentence"), (c + 1, "stance"), (d + 1, "tags")}
    assert all(p.path == str(bad) for p in err.value.problems)
    message = str(err.value)
    assert f"{bad}:{a + 1} [stance]: task id {tasks[a]['id']}: unknown stance 'agree'" in message
    assert f"{bad}:{b + 1} [sentence]" in message and "not found verbatim" in message
    assert f"{bad}:{c + 1} [stance]" in message and "no stance chosen" in message
    assert "sarcasm" in message


def test_conflicting_tasks_and_unknown_articles_are_reported(project):
    tasks = json.loads(project["export"].read_text(encoding="utf-8"))
    hungary = next(t for t in tasks if t["data"]["actor"] == "Hungary")
    twin = copy.deepcopy(hungary)
    twin["id"] = 99
    twin["annotations"][0]["result"] = result("support")
    stray = copy.deepcopy(hungary)
    stray["id"], stray["data"]["article_id"] = 100, "no-such-article"
    bad = project["export"].with_name("conflict.json")
    bad.write_text(json.dumps(tasks + [twin, stray]), encoding="utf-8")
    with pytest.raises(DataError) as err:
        import_export(bad, project["articles"])
    message = str(err.value)
    assert f"{bad}:{len(tasks) + 1} [stance]: task id 99: labelled 'support', but task id {hungary['id']}" in message
    assert "no-such-article.md" in message and f"{bad}:{len(tasks) + 2} [article_id]" in message


@pytest.mark.parametrize(
    "content, reason",
    [
        ("{not json", "not valid JSON"),
        (json.dumps({"tasks": []}), "expected Label Studio's JSON export"),
        (json.dumps([{"id": 1, "text": "x", "stance": "oppose"}]), "JSON-MIN"),
    ],
)
def test_files_that_are_not_a_json_export(tmp_path, content, reason):
    path = tmp_path / "export.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(DataError, match=reason):
        import_export(path, tmp_path)


# ----------------------------------------------------------------------------- configs and scripts


def test_configs_compose_to_typed_objects(tmp_path):
    cand = OmegaConf.to_object(compose("candidates", [f"paths.root_dir={tmp_path}", "targets=[the tariff]"]))
    assert isinstance(cand, CandidatesConfig) and isinstance(cand.baseline, BaselineConfig)
    assert cand.output == f"{tmp_path}/outputs/labelstudio/tasks.json"
    assert cand.articles == f"{tmp_path}/data/incoming" and cand.targets == ["the tariff"]
    assert "rejects" in cand.baseline.oppose
    listed = OmegaConf.to_object(compose("candidates", [f"paths.root_dir={tmp_path}", "articles=[a.md,b]"]))
    assert listed.articles == ["a.md", "b"]
    imp = OmegaConf.to_object(compose("import_labelstudio", [f"paths.root_dir={tmp_path}", "export=x.json"]))
    assert isinstance(imp, ImportLabelStudioConfig) and imp.export == "x.json" and imp.dry_run is False
    assert imp.annotations_dir == f"{tmp_path}/data/annotations"
    assert imp.articles_dir == f"{tmp_path}/data/articles"
    with pytest.raises(ConfigCompositionException, match="relevence"):
        compose("candidates", ["relevence=all"])
    with pytest.raises(ConfigCompositionException):
        compose("import_labelstudio", ["dry_run=perhaps"])


def run_script(name: str, *overrides: str, env_root: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "STANCEML_ROOT": str(env_root)}
    return subprocess.run(
        [sys.executable, str(ROOT / "scripts" / name), *overrides], capture_output=True, text=True, env=env, timeout=120
    )


def test_scripts_round_trip(tmp_path):
    incoming = tmp_path / "data" / "incoming"
    write_article(incoming)
    proc = run_script("candidates.py", f"targets=[{TARGET}]", "relevance=all", env_root=tmp_path)
    assert proc.returncode == 0, proc.stderr
    out = tmp_path / "outputs" / "labelstudio"
    tasks = json.loads((out / "tasks.json").read_text(encoding="utf-8"))
    assert len(tasks) == 6 and "6 tasks from 1 article" in proc.stdout
    ET.fromstring((out / "labeling_config.xml").read_text(encoding="utf-8"))

    # The article moves into the corpus once its labels come back.
    articles = tmp_path / "data" / "articles"
    write_article(articles)
    export = tmp_path / "export.json"
    export.write_text(json.dumps(build_export(tasks)), encoding="utf-8")
    annotations = tmp_path / "data" / "annotations"
    proc = run_script("import_labelstudio.py", f"export={export}", "dry_run=true", env_root=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "would add 4 triple(s)" in proc.stdout and not annotations.exists()
    proc = run_script("import_labelstudio.py", f"export={export}", f"annotations_dir={annotations}", env_root=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert len(read_corpus(articles, annotations).triples) == 4

    broken = build_export(tasks)
    broken[0]["annotations"] = [annotation(1, 1, result("agree"))]
    export.write_text(json.dumps(broken), encoding="utf-8")
    proc = run_script("import_labelstudio.py", f"export={export}", env_root=tmp_path)
    assert proc.returncode != 0
    assert f"{export}:1 [stance]" in proc.stderr and "Traceback" not in proc.stderr
