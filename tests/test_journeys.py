"""What a learner reads when they run a check in the wrong place or make the commonest mistake
(issue 14): a check against the instructor edition says so instead of congratulating, a chapter
folder counts only its own chapter's work, and relu's in-place hint is about relu."""
from __future__ import annotations

import os
import subprocess
import sys

from conftest import CHAPTER, learner_folder, run_python
from grading import chapters

OWN = len(chapters.get(CHAPTER).graded)


def test_a_check_against_the_instructor_edition_says_so(tmp_path):
    # tmp_path holds no dlmath/: the installed (instructor) edition answers, as at the repository root on Binder
    done = run_python(["-m", "dlmath", "check", "sigmoid"], tmp_path)
    assert done.stdout.startswith("⚠ This is the instructor edition of dlmath"), done.stdout
    assert "not your work" in done.stdout and "workspace/<chapter>/" in done.stdout
    assert done.stdout.strip().splitlines()[-1].endswith("not yours")
    done = run_python(["-c", "import dlmath; dlmath.check('sigmoid')"], tmp_path)
    assert "instructor edition" in done.stdout, done.stdout


def test_without_arguments_a_chapter_folder_counts_only_its_own_chapter(tmp_path):
    folder = learner_folder(tmp_path / CHAPTER, bodies={"tanh": "return np.zeros_like(z)"})
    done = run_python(["-m", "dlmath", "check"], folder)
    lines = done.stdout.strip().splitlines()
    assert lines[0].startswith(f"Checking {CHAPTER}, this folder's chapter"), done.stdout
    assert lines[-1] == f"{OWN - 1}/{OWN} functions pass all their checks", done.stdout  # earlier chapters not counted
    assert "instructor edition" not in done.stdout


def test_a_student_edition_outside_a_chapter_folder_says_where_to_run(tmp_path):
    done = run_python(["-m", "dlmath", "check", "--summary"], learner_folder(tmp_path / "somewhere"))
    assert done.stdout.startswith("Not in a chapter folder"), done.stdout
    assert "instructor edition" not in done.stdout


def test_relus_in_place_hint_speaks_of_relu(tmp_path):
    folder = learner_folder(tmp_path / CHAPTER, bodies={"relu": "z[z < 0] = 0\nreturn z"})
    done = run_python(["-m", "dlmath", "check", "relu"], folder)
    assert "changed its input array in place" in done.stdout, done.stdout
    assert "`z[z < 0] = 0`" in done.stdout and "shifted" not in done.stdout


def test_the_feedback_page_names_each_hidden_test_cell_and_wraps_long_lines():
    from grading.nbgrader_plugins import readable

    page = ('<html><head><title>x</title></head><body><ol><li><a href="#test_sigmoid">Test cell</a> (Score: 1.0 / 1.0)</li>'
            '<li><a href="#test_Value-tanh">Test cell</a> (Score: 0.5 / 1.0)</li></ol></body></html>')
    shown = readable(page)
    assert "Test cell" not in shown
    assert '<a href="#test_sigmoid">Hidden tests of <code>sigmoid</code></a>' in shown
    assert '<a href="#test_Value-tanh">Hidden tests of <code>Value.tanh</code></a>' in shown
    head = shown.split("</head>")[0]
    assert "white-space: pre-wrap" in head and "div.output_area pre" in head


def test_tensorflow_is_loaded_only_when_the_learner_asks_for_it(tmp_path):
    code = ("import sys, dlmath, numpy, matplotlib.pyplot\n"
            "print('view', dlmath.frameworks.tensorflow())\n"
            "print('loaded', 'tensorflow' in sys.modules)\n"
            # VmHWM, not ru_maxrss: Linux carries ru_maxrss across fork and exec, so a child of a test
            # worker that imported TensorFlow would report the worker's peak
            "print('peak MB', int(open('/proc/self/status').read().split('VmHWM:')[1].split()[0]) // 1024)\n"
            "dlmath.frameworks.live()\nprint('asked', dlmath.frameworks.wanted())")
    env = {k: v for k, v in os.environ.items() if k not in ("DLMATH_TENSORFLOW", "PYTHONPATH")}
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, env=env)
    assert "view None" in done.stdout and "loaded False" in done.stdout and "asked True" in done.stdout, done.stdout + done.stderr
    assert "live view is off" in done.stdout and "dlmath.frameworks.live()" in done.stdout
    peak = int(done.stdout.split("peak MB ")[1].split()[0])
    print(f"\na kernel's footprint with dlmath, NumPy and Matplotlib, no TensorFlow: {peak} MB peak")
    assert peak < 300  # TensorFlow alone is ~630 MB
