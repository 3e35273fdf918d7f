"""PLANWH_EXECUTOR chooses the executor of every job (pipelines/executors.py)."""

from __future__ import annotations

import pytest
import yaml

from pipelines.definitions import build_definitions
from pipelines.executors import celery_config, celery_worker_config


def test_default_is_the_multiprocess_executor(monkeypatch):
    monkeypatch.delenv("PLANWH_EXECUTOR", raising=False)
    job = build_definitions().resolve_job_def("plan_job")
    assert job.executor_def.name == "multiprocess"


def test_celery_executor_from_the_environment(monkeypatch, tmp_path):
    pytest.importorskip("dagster_celery", reason="needs the distributed extra")
    monkeypatch.setenv("PLANWH_EXECUTOR", "celery")
    monkeypatch.setenv("PLANWH_CELERY_BROKER", "redis://broker.example:6379/3")
    monkeypatch.delenv("PLANWH_CELERY_BACKEND", raising=False)
    monkeypatch.setenv("PLANWH_CELERY_KEYPREFIX", "site-a:")
    defs = build_definitions()
    for name in ("plan_job", "stats_job", "refresh_job"):
        assert defs.resolve_job_def(name).executor_def.name == "planwh_celery"
    config = celery_config()
    assert config["broker"] == config["backend"] == "redis://broker.example:6379/3"
    assert config["config_source"]["broker_transport_options"]["global_keyprefix"] == "site-a:"
    # the workers read the same settings from the file `dagster-celery worker start -y` takes
    written = yaml.safe_load(celery_worker_config(tmp_path / "w.yaml").read_text())
    assert written == {"execution": {"config": config}}


def test_unknown_executor_is_refused(monkeypatch):
    monkeypatch.setenv("PLANWH_EXECUTOR", "k8s")
    with pytest.raises(ValueError, match="PLANWH_EXECUTOR"):
        build_definitions()
