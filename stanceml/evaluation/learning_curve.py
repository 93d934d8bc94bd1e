"""How much more data pays: validation macro-F1 of the model and of TF-IDF + logistic
regression, trained on growing shares of the training articles.

Each point trains on a random subset of whole training articles (drawn per seed, so no
article is split) and is scored on the full validation split; the test split is never
looked at. The table goes to JSON and Markdown, the curve to a PNG.
"""

from __future__ import annotations

import random
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from stanceml.config import LearningCurveConfig, TrainConfig
from stanceml.data.dataset import load_splits
from stanceml.evaluation.baselines import tfidf_system
from stanceml.evaluation.metrics import macro_f1
from stanceml.io import atomic_dir, atomic_write_text, read_json, write_json
from stanceml.labels import LABELS
from stanceml.training.trainer import train


def article_subset(article_ids: list[str], fraction: float, seed: int) -> list[str]:
    """A seeded random share of the articles (at least one), whole articles only."""
    if not 0 < fraction <= 1:
        raise ValueError(f"fractions must be in (0, 1], got {fraction}")
    ids = sorted(set(article_ids))
    k = max(1, round(fraction * len(ids)))
    return sorted(random.Random(seed).sample(ids, k))


def _subset_dataset(data_dir: Path, keep: list[str], out: Path) -> None:
    """A processed dataset folder like ``data_dir`` whose train split holds only ``keep``."""
    dd = load_splits(data_dir)
    wanted = set(keep)
    dd["train"] = dd["train"].filter(lambda r: r["article_id"] in wanted)
    with atomic_dir(out) as tmp:
        dd.save_to_disk(str(tmp / "dataset"))
        write_json(tmp / "data_card.json", read_json(data_dir / "data_card.json"))


def _point(cfg: LearningCurveConfig, fraction: float, seed: int, train_ids: list[str]) -> dict[str, Any]:
    keep = article_subset(train_ids, fraction, seed)
    name = f"f{fraction:g}-s{seed}"
    work = Path(cfg.run_dir) / name
    _subset_dataset(Path(cfg.data.output_dir), keep, work / "data")
    run = TrainConfig(run_name=f"{cfg.run_name}-{name}", run_dir=str(work), paths=cfg.paths,
                      data=replace(cfg.data, output_dir=str(work / "data"), card_path=None),
                      model=cfg.model, trainer=replace(cfg.trainer, seed=seed))  # fmt: skip
    result = train(run)
    splits = load_splits(work / "data")
    val = splits["validation"].to_list()
    gold = [r["stance"] for r in val]
    tfidf = tfidf_system(splits["train"].to_list(), seed)(val).argmax(1)
    return {
        "fraction": fraction,
        "seed": seed,
        "train_articles": len(keep),
        "train_triples": len(splits["train"]),
        "model_val_macro_f1": round(result.metrics["validation"]["macro_f1"], 4),
        "tfidf_val_macro_f1": round(macro_f1(gold, [LABELS[i] for i in tfidf]), 4),
        "train_seconds": result.metrics["train_seconds"],
        "precision": result.metrics["precision"],
    }


def learning_curve(cfg: LearningCurveConfig) -> dict[str, Any]:
    """Train and score every (fraction, seed); write ``curve.json``, ``curve.md``, ``curve.png``."""
    train_ids = load_splits(cfg.data.output_dir)["train"].unique("article_id")
    points = [_point(cfg, f, s, train_ids) for f in sorted(cfg.fractions) for s in cfg.seeds]
    summary = []
    for f in sorted(cfg.fractions):
        rows = [p for p in points if p["fraction"] == f]
        summary.append({
            "fraction": f,
            "train_articles": rows[0]["train_articles"],
            "train_triples": round(float(np.mean([p["train_triples"] for p in rows]))),
            **{f"{k}_{stat}": round(float(fn([p[f"{k}_val_macro_f1"] for p in rows])), 4)
               for k in ("model", "tfidf") for stat, fn in (("mean", np.mean), ("sd", np.std))},
        })  # fmt: skip
    out = {"data_hash": read_json(Path(cfg.data.output_dir) / "data_card.json")["hash"], "seeds": cfg.seeds,
           "points": points, "summary": summary}  # fmt: skip
    with atomic_dir(cfg.output) as tmp:
        write_json(tmp / "curve.json", out)
        atomic_write_text(tmp / "curve.md", render_curve(out))
        plot_curve(out, tmp / "curve.png")
    return out


def render_curve(out: dict[str, Any]) -> str:
    """The learning curve as a Markdown table (validation macro-F1, mean and sd over seeds)."""
    lines = [
        f"Validation macro-F1 by share of training articles ({len(out['seeds'])} seeds; mean ± sd).",
        "",
        "| share | articles | triples | model | TF-IDF + LR |",
        "|---|---|---|---|---|",
    ]
    for s in out["summary"]:
        lines.append(
            f"| {s['fraction']:.0%} | {s['train_articles']} | {s['train_triples']} "
            f"| {s['model_mean']:.3f} ± {s['model_sd']:.3f} | {s['tfidf_mean']:.3f} ± {s['tfidf_sd']:.3f} |"
        )
    return "\n".join(lines) + "\n"


def plot_curve(out: dict[str, Any], path: str | Path) -> None:
    """Macro-F1 against training triples, model and TF-IDF, with the seeds' spread."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    s = out["summary"]
    x = [r["train_triples"] for r in s]
    fig, ax = plt.subplots(figsize=(5, 3.4))
    for key, label in (("model", "MiniLM (fine-tuned)"), ("tfidf", "TF-IDF + LR")):
        y, sd = np.array([r[f"{key}_mean"] for r in s]), np.array([r[f"{key}_sd"] for r in s])
        ax.plot(x, y, marker="o", label=label)
        ax.fill_between(x, y - sd, y + sd, alpha=0.2)
    ax.set_xscale("log")
    ax.set_xlabel("training triples")
    ax.set_ylabel("validation macro-F1")
    ax.legend()
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
