"""Every config and experiment composes against its schema; mistakes fail at compose time."""

from __future__ import annotations

import pytest
from conftest import ROOT, compose
from hydra.errors import ConfigCompositionException
from omegaconf import OmegaConf
from omegaconf.errors import ConfigKeyError, ValidationError

from stanceml.config import BuildConfig, EvaluateConfig, ExportConfig, LearningCurveConfig, TrainConfig

SCHEMAS = {
    "build": BuildConfig,
    "train": TrainConfig,
    "export": ExportConfig,
    "evaluate": EvaluateConfig,
    "learning_curve": LearningCurveConfig,
}
EXPERIMENTS = sorted(
    str(p.relative_to(ROOT / "configs" / "experiment").with_suffix(""))
    for p in (ROOT / "configs" / "experiment").rglob("*.yaml")
)
MODELS = sorted(p.stem for p in (ROOT / "configs" / "model").glob("*.yaml"))


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_top_level_configs_compose_to_typed_objects(name, tmp_path):
    obj = OmegaConf.to_object(compose(name, [f"paths.root_dir={tmp_path}"]))
    assert isinstance(obj, SCHEMAS[name])
    assert obj.paths.root_dir == str(tmp_path)
    assert obj.data.articles_dir == f"{tmp_path}/data/articles"


@pytest.mark.parametrize("experiment", EXPERIMENTS)
def test_every_experiment_composes(experiment, tmp_path):
    obj = OmegaConf.to_object(compose("train", [f"paths.root_dir={tmp_path}", f"experiment={experiment}"]))
    assert isinstance(obj, TrainConfig)


@pytest.mark.parametrize("model", MODELS)
def test_every_model_composes(model, tmp_path):
    obj = OmegaConf.to_object(compose("train", [f"paths.root_dir={tmp_path}", f"model={model}"]))
    assert obj.model.name == model
    assert obj.run_dir.endswith(f"stance-{model}")


@pytest.mark.parametrize("name", ["train", "learning_curve"])
def test_per_model_trainer_settings_apply_only_to_their_model(name, tmp_path):
    """trainer_for_model/minilm.yaml caches MiniLM's bottom layers; the 2-layer tiny model, which
    has no such file, keeps the trainer defaults, and the command line still wins."""
    base = [f"paths.root_dir={tmp_path}"]
    assert OmegaConf.to_object(compose(name, base)).trainer.cache_layers == 3
    assert OmegaConf.to_object(compose(name, [*base, "model=tiny"])).trainer.cache_layers == 0
    assert OmegaConf.to_object(compose(name, [*base, "trainer.cache_layers=0"])).trainer.cache_layers == 0


def test_misspelt_key_fails_at_compose_time():
    with pytest.raises(ConfigCompositionException, match="lerning_rate"):
        compose("train", ["trainer.lerning_rate=0.1"])


def test_wrong_type_fails_at_compose_time():
    with pytest.raises((ValidationError, ConfigCompositionException)):
        OmegaConf.to_object(compose("train", ["trainer.batch_size=many"]))


def test_misspelt_key_in_a_group_file_fails(tmp_path):
    bad = tmp_path / "configs"
    import shutil

    shutil.copytree(ROOT / "configs", bad)
    (bad / "model" / "broken.yaml").write_text("name: broken\nhiden_size: 3\n")
    import _schemas  # noqa: F401
    from hydra import compose as hydra_compose
    from hydra import initialize_config_dir

    with (
        initialize_config_dir(config_dir=str(bad), version_base="1.3"),
        pytest.raises((ConfigCompositionException, ConfigKeyError), match="hiden_size"),
    ):
        hydra_compose(config_name="train", overrides=["model=broken"])


def test_default_paths_hang_off_one_root():
    cfg = compose("evaluate", ["paths.root_dir=/some/root"])
    assert cfg.model_dir == "/some/root/models/stance-minilm"
    assert cfg.report_dir == "/some/root/reports/stance-minilm"
    assert cfg.eval_data == "/some/root/data/processed/v2"  # corpus v2 is the default data


def _defaults_repeated(node: object, default: object, where: str) -> list[str]:
    """Leaves of a YAML mapping that set the value the dataclass already defaults to."""
    import dataclasses

    if isinstance(node, dict) and dataclasses.is_dataclass(default):
        out = []
        for key, value in node.items():
            if key in {f.name for f in dataclasses.fields(default)}:
                out += _defaults_repeated(value, getattr(default, key), f"{where}.{key}")
        return out
    return [where] if node == default else []


def test_yaml_never_repeats_a_dataclass_default():
    """One source of defaults: stanceml/config.py. A YAML value equal to its default is drift waiting to happen."""
    import yaml

    from stanceml.config import BaselineConfig, DataConfig, ModelConfig, PathsConfig, TrainerConfig

    groups = {
        "data": DataConfig,
        "model": ModelConfig,
        "trainer": TrainerConfig,
        "baseline": BaselineConfig,
        "paths": PathsConfig,
    }
    repeated = []
    for group, schema in groups.items():
        for path in sorted((ROOT / "configs" / group).glob("*.yaml")):
            node = yaml.safe_load(path.read_text()) or {}
            # model/minilm.yaml names the default choice; its name is the one allowed repeat.
            hits = _defaults_repeated(node, schema(), path.name)
            repeated += [h for h in hits if h != "minilm.yaml.name"]
    for name, schema in SCHEMAS.items():
        node = yaml.safe_load((ROOT / "configs" / f"{name}.yaml").read_text())
        node = {k: v for k, v in node.items() if k not in ("defaults", "hydra")}
        repeated += _defaults_repeated(node, schema(), f"{name}.yaml")
    assert not repeated, f"these YAML values repeat the dataclass default: {repeated}"


@pytest.mark.parametrize("step", ["export", "evaluate"])
def test_export_and_evaluate_name_the_run_that_training_writes(step, tmp_path):
    """One run identity: model=tiny trains, exports and evaluates the same run."""
    over = [f"paths.root_dir={tmp_path}", "model=tiny"]
    trained = OmegaConf.to_object(compose("train", over))
    obj = OmegaConf.to_object(compose(step, over))
    assert obj.run_name == trained.run_name == "stance-tiny"
    if step == "export":
        assert obj.run_dir == trained.run_dir
    else:
        assert obj.model_dir.endswith("/models/stance-tiny") and obj.report_dir.endswith("/reports/stance-tiny")
