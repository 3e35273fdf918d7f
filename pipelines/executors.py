"""Which Dagster executor runs the steps of a planwh run.

``PLANWH_EXECUTOR`` chooses it when the definitions are built (the code location,
``planwh run``, and every Celery worker import the same definitions):

- ``multiprocess`` (default): steps in child processes of the run, at most two at once;
- ``celery``: each step is a Celery task on a broker (Redis), run by whichever
  ``dagster-celery`` worker takes it, on this machine or another one
  (docs/operations.md, "Past one machine"). Needs the ``distributed`` extra.

The Celery settings come from the environment so that the run and its workers agree:
``PLANWH_CELERY_BROKER`` (default ``redis://127.0.0.1:6379/0``),
``PLANWH_CELERY_BACKEND`` (default: the broker URL) and ``PLANWH_CELERY_KEYPREFIX``
(a prefix for every Redis key of the broker and of the results, so that several
deployments or test sessions can share one Redis; default none). The workers must be
started with the same settings: :func:`celery_worker_config` writes them as the YAML
file ``dagster-celery worker start -y`` reads.
"""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg

EXECUTORS = ("multiprocess", "celery")
DEFAULT_BROKER = "redis://127.0.0.1:6379/0"
# dagster-celery's own transport defaults, kept when a key prefix is added
_TRANSPORT_DEFAULTS = {"max_retries": 3, "interval_start": 0, "interval_step": 0.2,
                       "interval_max": 0.5}


def executor_name() -> str:
    name = os.environ.get("PLANWH_EXECUTOR", "multiprocess").strip().lower() or "multiprocess"
    if name not in EXECUTORS:
        raise ValueError(f"PLANWH_EXECUTOR={name!r}: expected one of {', '.join(EXECUTORS)}")
    return name


def celery_config() -> dict:
    """The celery executor's config (the ``execution: config:`` block) from the environment."""
    broker = os.environ.get("PLANWH_CELERY_BROKER") or DEFAULT_BROKER
    config: dict = {"broker": broker, "backend": os.environ.get("PLANWH_CELERY_BACKEND") or broker}
    if prefix := os.environ.get("PLANWH_CELERY_KEYPREFIX"):
        config["config_source"] = {
            "broker_transport_options": {**_TRANSPORT_DEFAULTS, "global_keyprefix": prefix},
            "result_backend_transport_options": {"global_keyprefix": prefix},
        }
    return config


def celery_worker_config(path: Path) -> Path:
    """Write the YAML a ``dagster-celery worker start -y PATH`` reads: the same broker,
    backend and key prefix as :func:`celery_config`."""
    import yaml

    path.write_text(yaml.safe_dump({"execution": {"config": celery_config()}}), encoding="utf-8")
    return path


def make_executor(name: str | None = None) -> dg.ExecutorDefinition:
    """The executor ``name`` (default: ``PLANWH_EXECUTOR``), configured."""
    name = name or executor_name()
    if name == "celery":
        try:
            from dagster_celery import celery_executor
        except ImportError as e:  # pragma: no cover - depends on the install
            raise RuntimeError("PLANWH_EXECUTOR=celery needs the distributed extra: "
                               "pip install -e '.[distributed]'") from e
        return celery_executor.configured(celery_config(), name="planwh_celery")
    return dg.multiprocess_executor.configured({"max_concurrent": 2})
