"""Every config and experiment composes against its schema; mistakes fail at compose time."""

from __future__ import annotations


import pytest
from hydra.errors import ConfigCompositionException
from omegaconf import OmegaConf
from omegaconf.errors import ConfigKeyError, ValidationError

from conftest import ROOT, compose
from stanceml.config import BuildConfig, EvaluateConfig, ExportConfig, TrainConfig

SCHEMAS = {"build": BuildConfig, "train": TrainConfig, "export": ExportConfig, "evaluate": EvaluateConfig}
EXPERIMENTS = sorted(p.stem for p in (ROOT / "configs" / "experiment").glob("*.yaml"))
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

    with initialize_config_dir(config_dir=str(bad), version_base="1.3"):
        with pytest.raises((ConfigCompositionException, ConfigKeyError), match="hiden_size"):
            hydra_compose(config_name="train", overrides=["model=broken"])


def test_default_paths_hang_off_one_root():
    cfg = compose("evaluate", ["paths.root_dir=/some/root"])
    assert cfg.model_dir == "/some/root/models/stance-minilm"
    assert cfg.report_dir == "/some/root/reports/stance-minilm"
    assert cfg.eval_data == "/some/root/data/processed/gold"
