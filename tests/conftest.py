"""Shared fixtures: a small generated corpus, composed configs, and one tiny trained export.

Everything is written under pytest's tmp folders and nothing touches the network.
"""

from __future__ import annotations

import json
import os
import random
import sys
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

ACTORS = [
    "Hungary",
    "Poland",
    "Berlin",
    "the European Commission",
    "the Greens",
    "Acme Steel",
    "the dockworkers' union",
    "Spain",
    "several member states",
    "critics",
]
TARGETS = ["the sanctions package", "the tariff", "the merger", "the climate pact", "the pension reform"]
CUES = {
    "support": ["strongly supports {t}", "backed {t} on Monday", "pushed hard for {t}", "voted for {t}"],
    "oppose": ["firmly rejects {t}", "blocked {t} again", "voted against {t}", "condemned {t}"],
    "neutral": ["has not decided on {t}", "abstained on {t}", "is still studying {t}", "discussed {t} with officials"],
}


def write_corpus(root: Path, n_articles: int = 12, seed: int = 0, topics: int = 3) -> Path:
    """Write a small valid corpus in the project format under ``root`` and return ``root``.

    Sentences are templated so that even a tiny random model can learn them in seconds.
    """
    rng = random.Random(seed)
    (root / "articles").mkdir(parents=True, exist_ok=True)
    (root / "annotations").mkdir(parents=True, exist_ok=True)
    for a in range(n_articles):
        aid = f"topic{a % topics}-{a:02d}"
        sentences, triples = [], []
        for _ in range(8):
            target = rng.choice(TARGETS)
            if rng.random() < 0.3:
                a1, a2 = rng.sample(ACTORS, 2)
                s1, s2 = rng.sample(list(CUES), 2)
                text = (
                    f"While {a1} {rng.choice(CUES[s1]).format(t=target)}, {a2} {rng.choice(CUES[s2]).format(t=target)}."
                )
                triples += [(text, a1, target, s1, ["contrast"]), (text, a2, target, s2, ["contrast"])]
            else:
                actor, stance = rng.choice(ACTORS), rng.choice(list(CUES))
                text = f"{actor} {rng.choice(CUES[stance]).format(t=target)}."
                triples.append((text, actor, target, stance, []))
            sentences.append(text)
        body = " ".join(sentences[:4]) + "\n\n" + " ".join(sentences[4:])
        (root / "articles" / f"{aid}.md").write_text(
            f"---\nid: {aid}\ntitle: Article {a}\ndate: 2024-01-{a % 28 + 1:02d}\ntopic: topic{a % topics}\n---\n{body}\n",
            encoding="utf-8",
        )
        seen = set()
        with open(root / "annotations" / f"{aid}.jsonl", "w", encoding="utf-8") as fh:
            for text, actor, target, stance, tags in triples:
                if (text, actor, target) in seen:
                    continue
                seen.add((text, actor, target))
                fh.write(
                    json.dumps(
                        {
                            "article_id": aid,
                            "sentence": text,
                            "actor": actor,
                            "target": target,
                            "stance": stance,
                            "tags": tags,
                        }
                    )
                    + "\n"
                )
    return root


@pytest.fixture
def corpus_dir(tmp_path: Path) -> Path:
    """A fresh, valid generated corpus in ``tmp_path/data``."""
    return write_corpus(tmp_path / "data")


def compose(config_name: str, overrides: list[str] | None = None):
    """Compose a real config from ``configs/`` with overrides (schemas registered)."""
    import _schemas  # noqa: F401  (registers the schemas)
    from hydra import compose as hydra_compose
    from hydra import initialize_config_dir

    with initialize_config_dir(config_dir=str(ROOT / "configs"), version_base="1.3"):
        return hydra_compose(config_name=config_name, overrides=overrides or [])


def tmp_overrides(root: Path) -> list[str]:
    """Point every path of a run into ``root`` (data under ``root/data``)."""
    return [
        f"paths.root_dir={root}",
        "data=gold",  # the generated test corpus has the first corpus's layout (no data/v2)
        "data.agreement_path=null",
        "data.split.test_topics=[]",
        "data.split.test_hash=null",
    ]


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory) -> dict:
    """Build, train (tiny model, few steps) and export once for the whole session."""
    from omegaconf import OmegaConf

    from stanceml.data.dataset import build_dataset
    from stanceml.export.exporter import export_model
    from stanceml.training.trainer import train

    root = tmp_path_factory.mktemp("run")
    write_corpus(root / "data", n_articles=14)
    over = tmp_overrides(root) + ["experiment=tiny"]
    build_cfg = OmegaConf.to_object(compose("build", tmp_overrides(root)))
    card = build_dataset(build_cfg.data)
    train_cfg = OmegaConf.to_object(compose("train", over))
    result = train(train_cfg)
    export_dir = root / "models" / "stance-tiny"
    export_model(train_cfg.run_dir, export_dir)
    return {"root": root, "card": card, "train": result, "export_dir": export_dir, "train_cfg": train_cfg}


def pytest_collection_modifyitems(config, items):
    """Tier by what a test needs: one that uses the tiny trained export is an integration test."""
    for item in items:
        if "tiny_run" in getattr(item, "fixturenames", ()) and not item.get_closest_marker("slow"):
            item.add_marker(pytest.mark.integration)
