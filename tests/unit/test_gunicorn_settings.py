"""The repository's gunicorn.conf.py: read by gunicorn started from the project folder, and its
worker hook freezes the application's startup objects out of the collector's reach."""

import gc
import os
import runpy
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_gunicorn_started_from_the_project_folder_reads_its_settings_file():
    printed = subprocess.run(
        [sys.executable, "-m", "gunicorn", "--print-config", "groupement:create_app()"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "GROUPEMENT_ENV": "development"},
        timeout=60,
    ).stdout
    pairs = (line.split("=", 1) for line in printed.splitlines() if "=" in line)
    settings = {key.strip(): value.strip() for key, value in pairs}
    assert settings["config"] == "./gunicorn.conf.py"
    assert settings["post_worker_init"] == "<post_worker_init()>"


def test_a_worker_moves_the_objects_it_started_with_to_the_permanent_generation():
    hooks = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    gc.unfreeze()  # whatever an earlier test froze
    try:
        hooks["post_worker_init"](worker=None)
        assert gc.get_freeze_count() > 1000
    finally:
        gc.unfreeze()
