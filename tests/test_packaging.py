"""Set-up files agree with each other: one dependency list, the commands the README names."""
from __future__ import annotations

import os
import re
import tomllib

import yaml

from grading.chapters import REPO

PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())


def test_environment_yml_installs_the_project_and_nothing_else():
    env = yaml.safe_load((REPO / "environment.yml").read_text())
    deps = env["dependencies"]
    pip_sections = [d["pip"] for d in deps if isinstance(d, dict)]
    conda = [d for d in deps if isinstance(d, str)]
    assert pip_sections == [["-e ."]]  # the dependency list comes from pyproject.toml
    assert sorted(re.split(r"[=<>]", d)[0] for d in conda) == ["pip", "python"]
    python = next(d for d in conda if d.startswith("python"))
    minimum = PYPROJECT["project"]["requires-python"].removeprefix(">=")
    assert tuple(map(int, python.split("=")[1].split("."))) >= tuple(map(int, minimum.split(".")))


def test_dependencies_are_the_course_stack_in_compatible_ranges():
    names = {re.split(r"[=<>~!]", d)[0]: d for d in PYPROJECT["project"]["dependencies"]}
    for needed in ["numpy", "matplotlib", "jupyterlab", "nbgrader", "tensorflow-cpu", "scikit-learn", "tqdm", "ipywidgets"]:
        assert needed in names
        assert re.search(r"[<=]", names[needed]), f"{needed} is unbounded"
    assert names["nbgrader"] == "nbgrader==0.9.6"
    assert {re.split(r"[=<>]", d)[0] for d in PYPROJECT["project"]["optional-dependencies"]["test"]} >= {"pytest", "hypothesis"}


def test_readme_ci_and_makefile_name_the_same_commands():
    readme = (REPO / "README.md").read_text()
    assert "make lab" in readme and "make test" in readme and "make demo" in readme
    assert "make test" in (REPO / ".ci" / "run").read_text()
    makefile = (REPO / "Makefile").read_text()
    assert "make test-fast" in readme
    for target in ("lab", "test", "test-fast", "demo"):
        assert re.search(rf"^{target}:", makefile, re.M)


def test_generated_folders_are_ignored_by_git():
    ignored = (REPO / ".gitignore").read_text().split()
    assert {"course/", ".venv/", "workspace/"} <= set(ignored)


def test_xdist_groups_take_effect(tmp_path):
    # make test relies on --dist loadgroup to build each chapter's graded class once; some pytest and
    # pytest-xdist pairs silently ignore the groups (pytest-xdist#1386), which doubles the suite's time
    import subprocess
    import sys
    (tmp_path / "conftest.py").write_text(
        "import importlib.util\n"
        f"spec = importlib.util.spec_from_file_location('suite_conftest', {str(REPO / 'tests' / 'conftest.py')!r})\n"
        "suite = importlib.util.module_from_spec(spec)\nspec.loader.exec_module(suite)\n"
        "pytest_collection_modifyitems = suite.pytest_collection_modifyitems  # the suite's grouping hook\n")
    (tmp_path / "test_class.py").write_text(
        "import os, pytest\n"
        "@pytest.mark.parametrize('chapter_id', ['a', 'b'])\n@pytest.mark.parametrize('k', range(4))\n"
        "def test_x(chapter_id, k):\n"
        "    with open(f'{chapter_id}.workers', 'a') as f:\n        f.write(os.environ['PYTEST_XDIST_WORKER'] + '\\n')\n")
    env = {**os.environ, "PYTHONPATH": str(REPO / "tests")}
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", "2", "--dist",
                           "loadgroup", "test_class.py"], cwd=tmp_path, capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    for chapter in "ab":
        workers = (tmp_path / f"{chapter}.workers").read_text().split()
        assert len(workers) == 4 and len(set(workers)) == 1, f"group {chapter} ran on {workers}"
