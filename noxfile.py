"""Developer tasks. ``pip install nox``, then ``nox -s tests`` or ``nox -s docs``."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import nox

nox.options.sessions = ["lint", "tests"]
nox.options.reuse_existing_virtualenvs = True
# pip, not uv: pip reads this machine's wheel directory and constraints (a CPU build of torch)
nox.options.default_venv_backend = "virtualenv"

# Quiet TensorFlow's C++ log in the terminal: level 3 keeps only fatal messages, so a
# machine without a GPU no longer prints "E0000 ... failed call to cuInit". (The notes
# it prints while loading, before its logging is set up, are dropped by docs/conf.py;
# pytest captures them in the tests.)
ENV = {"TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONHASHSEED": "0", "MPLBACKEND": "Agg"}


def _parallel(session: nox.Session) -> list[str]:
    """A whole run uses every core (pytest-xdist): most of the tests' time is Python
    driving small models, one core each. A run given arguments (a file, ``-k``) stays in
    one process, which starts sooner; ``-n auto`` asks for the workers there too."""
    return [] if session.posargs else ["-n", "auto"]


HTML = "docs/_build/html"
GENERATED = ["docs/auto_examples", "docs/generated", "docs/sg_execution_times.rst"]


# ---- one environment for the tests, the site and its checks ----------------------------
# tests, tests-jax, tests-torch, docs and the sessions that check the site share one
# environment, .nox/shared: each session adds what it needs (the test or docs extra, JAX,
# the CPU build of PyTorch, the browser driver) and names its backend in KERAS_BACKEND.
# TensorFlow is in every one of them (the site is built with it, and it is the other
# backends' oracle): installing it takes about 50 s on the project's machine, which an
# environment per session paid four times in CI. Run two of these sessions one after
# the other, not at once: both would install into the environment together.
SHARED = Path(".nox", "shared")


def _shared(session: nox.Session, *packages: str) -> str:
    """The shared environment's interpreter, made if missing, with *packages* installed."""
    python = SHARED / "bin" / "python"
    if not python.exists():
        session.run_install(sys.executable, "-m", "virtualenv", "-q", str(SHARED),
                            external=True)
    session.run_install(str(python), "-m", "pip", "install", "-q", *packages, external=True)
    return str(python)


def _activated(python: str, env: dict[str, str]) -> dict[str, str]:
    """The environment variables of a run in the shared environment, as if activated;
    TensorFlow unless *env* names another backend (the environment may have all three)."""
    bin_dir = Path(python).parent.resolve()
    return {**ENV, "KERAS_BACKEND": "tensorflow", **env, "VIRTUAL_ENV": str(bin_dir.parent),
            "PATH": os.pathsep.join([str(bin_dir), os.environ.get("PATH", "")])}


def _run(session: nox.Session, python: str, *args: str, env: dict[str, str]) -> None:
    """``python -m ...`` in the shared environment."""
    session.run(python, "-m", *args, external=True, env=_activated(python, env))


@nox.session(venv_backend="none")
def tests(session: nox.Session) -> None:
    """Run the unit tests and doctests (trains and caches the network on first use)."""
    python = _shared(session, "-e", ".[test]")
    _run(session, python, "pytest", *_parallel(session), *session.posargs, env={})


# The CPU build of torch, pinned: on the project's machines pip finds it in PIP_FIND_LINKS
# (/opt/wheels). An unpinned "torch" would pull the multi-GB CUDA build from PyPI; elsewhere,
# install it from https://download.pytorch.org/whl/cpu first.
TORCH = ["torch==2.13.0"]
# PyTorch's OpenMP threads spin while they wait; on a machine shared with other jobs they
# slow each other down 2-6 times over (benchmarks/bench_backends.py measures both ways).
TORCH_ENV = {"OMP_WAIT_POLICY": "PASSIVE"}
# The tests that depend on the backend (marked `backend` by tests/conftest.py); the rest
# run under TensorFlow in `nox -s tests`. `nox -s tests-jax -- -m ""` runs every test.
BACKEND_TESTS = ["-m", "backend"]


@nox.session(name="tests-jax", venv_backend="none")
def tests_jax(session: nox.Session) -> None:
    """Run the backend's tests with KERAS_BACKEND=jax (TensorFlow too, as the oracle)."""
    python = _shared(session, "-e", ".[test,jax]")
    # XLA's compiled programs are kept on disk and shared by the test processes: the same
    # small networks are compiled in many tests and in both workers (the run took 332 s
    # instead of 402 s on the project's two cores). The tests of Ctrl-C turn it off in
    # the processes they interrupt (tests/test_cli.py).
    cache = Path(session.create_tmp()).resolve() / "jax-compilation-cache"
    _run(session, python, "pytest", *_parallel(session), *BACKEND_TESTS, *session.posargs,
         env={"KERAS_BACKEND": "jax", "JAX_COMPILATION_CACHE_DIR": str(cache),
              "JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS": "0"})


@nox.session(name="tests-torch", venv_backend="none")
def tests_torch(session: nox.Session) -> None:
    """Run the backend's tests with KERAS_BACKEND=torch, on a CPU build of PyTorch."""
    python = _shared(session, *TORCH, "-e", ".[test,torch]")
    _run(session, python, "pytest", *_parallel(session), *BACKEND_TESTS, *session.posargs,
         env={**TORCH_ENV, "KERAS_BACKEND": "torch"})


@nox.session
def lint(session: nox.Session) -> None:
    """Check the code with ruff."""
    session.install("ruff")
    session.run("ruff", "check", ".")


# The demo of `interp report` that docs/cli.rst links: the course's network on the first
# 500 test images, enough for every section and built in seconds. (The 10,000- and
# 60,000-image timings on that page are measured separately.)
COURSE_REPORT = f"{HTML}/course-report"
COURSE_REPORT_IMAGES = "500"


def _build_docs(session: nox.Session, pattern: str | None) -> None:
    python = _shared(session, "-e", ".[docs]")
    options = ["-nW", "--keep-going", "-b", "html"]
    env = {}
    if pattern:
        # the examples to run, given outside Sphinx's configuration: a changed
        # configuration would have Sphinx write every page again (docs/sphinxext)
        env["INTERP_DOCS_PATTERN"] = pattern
    report = None
    if not pattern:  # a partial build for one example skips it
        # The demo is this build's own output, remade every time: a report left by an
        # older interp (one that did not list its files) would otherwise stop the build.
        # It is made beside the build, which reads and writes the pages in one process
        # and leaves a core free for much of its time (the report alone takes about 10 s).
        shutil.rmtree(COURSE_REPORT, ignore_errors=True)
        command = [python, "-m", "interp", "report", "--course", "--max-images",
                   COURSE_REPORT_IMAGES, "--out", COURSE_REPORT, "--quiet"]
        session.log(" ".join(command) + " &")
        report = subprocess.Popen(command, env={**os.environ, **_activated(python, env)})
    try:
        _run(session, python, "sphinx", *options, "docs", HTML, env=env)
    finally:
        status = report.wait() if report is not None else 0
    if status:
        session.error(f"interp report --course failed (exit status {status})")
    session.log(f"site written to {Path(HTML).resolve() / 'index.html'}")


@nox.session(venv_backend="none")
def docs(session: nox.Session) -> None:
    """Build the site strictly; ``nox -s docs -- 05`` runs only examples matching '05'."""
    _build_docs(session, session.posargs[0] if session.posargs else None)


@nox.session(name="docs-example", venv_backend="none")
def docs_example(session: nox.Session) -> None:
    """Build the site running only the examples whose path matches a pattern (required)."""
    if not session.posargs:
        session.error("give a file-name pattern, e.g. nox -s docs-example -- 05")
    _build_docs(session, session.posargs[0])


@nox.session(name="docs-checks", venv_backend="none")
def docs_checks(session: nox.Session) -> None:
    """Check what a contributor and a reader do with the sources and the built site.

    - A contributor's first builds, ``nox -s docs -- NN`` from a fresh clone: in a copy of
      docs/ and examples/ with nothing generated, a page made from the template is built
      alone twice, then an existing page alone, strictly, then the new page broken (the
      junit report names it) (tests/docs/test_partial_build.py).
    - A reader's downloaded notebooks of pages 05, 22 and 28 run top to bottom with
      nbclient and print what the pages printed (tests/docs/test_notebooks.py).
    - The gallery's own build hooks (tests/docs/test_gallery_hooks.py).

    Run ``nox -s docs`` first: the notebooks are the built site's downloads.
    """
    python = _shared(session, "-e", ".[docs]", "pytest>=8", "nbclient>=0.10",
                     "ipykernel>=6.29")
    _run(session, python, "pytest", "tests/docs", "--confcutdir", "tests/docs",
         "-p", "no:cacheprovider", "-s", *session.posargs,
         env={"INTERP_DOCS_TESTS": "1"})


@nox.session(name="docs-live")
def docs_live(session: nox.Session) -> None:
    """Serve the site and rebuild it whenever docs/, examples/ or interp/ change."""
    session.install("-e", ".[docs]", "sphinx-autobuild")
    ignores = [arg for path in GENERATED for arg in ("--ignore", f"*/{path}*")]
    session.run(
        "sphinx-autobuild", "-n", "docs", HTML, "--watch", "examples", "--watch", "interp",
        *ignores, *session.posargs, env=ENV,
    )


@nox.session(name="docs-clean")
def docs_clean(session: nox.Session) -> None:
    """Delete the built site and everything the gallery generated."""
    for path in [HTML, "docs/_build", *GENERATED]:
        target = Path(path)
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()


@nox.session(venv_backend="none")
def browser(session: nox.Session) -> None:
    """Open the built site in headless Chromium and check it (run nox -s docs first)."""
    # pytest and the Playwright driver, which launches the system Chromium by path, in the
    # shared environment: the live page's test computes what it must show with interp
    # and Keras, in the test process. --confcutdir keeps tests/conftest.py out.
    # axe-playwright-python brings axe-core's script (4.12.1 in 0.1.8, MPL-2.0) for the
    # accessibility audit, read from the disk: no network, and the built site does not
    # ship it. Pinned: a new axe-core may add rules.
    python = _shared(session, "-e", ".", "pytest>=8", "playwright>=1.45",
                     "axe-playwright-python==0.1.8")
    _run(session, python, "pytest", "tests/browser", "--confcutdir", "tests/browser",
         "-p", "no:cacheprovider", *session.posargs,
         env={"INTERP_BROWSER_TESTS": "1"})


@nox.session
def mutants(session: nox.Session) -> None:
    """Mutation-test the core modules with mutmut on the fast tests (config: pyproject.toml).

    ``nox -s mutants`` runs all of them (3,277 mutants: about 5 hours on two busy cores);
    ``nox -s mutants -- --every 12`` a fixed sample, every 12th mutant (the audit's 274:
    about 25 minutes);
    ``nox -s mutants -- 'interp.measure*'`` those whose name matches. Results are kept in
    ``mutants/``: a mutant already judged runs again only when named. mutmut does not copy
    a changed non-Python file (a report template) into ``mutants/`` again: delete the
    directory after changing one. The survivors are listed at the end as diffs, with the
    counts per module (``.ci/mutants/mutants_report.py``).
    """
    session.install("-e", ".[test]", "mutmut==3.8.1")
    # Derandomized hypothesis: a mutant is killed or not, the same on every run. One thread
    # per TensorFlow pool: two mutants run at once on two cores.
    env = {**ENV, "HYPOTHESIS_PROFILE": "ci", "TF_NUM_INTRAOP_THREADS": "1",
           "TF_NUM_INTEROP_THREADS": "1", "OMP_NUM_THREADS": "1"}
    args, report = list(session.posargs), ["--survivors"]
    if args[:1] == ["--every"]:
        report += ["--sample", args[1]]
        # Make the mutants, then pick. mutmut has no command that only makes them: a
        # pattern that names none makes them (and collects which tests reach which
        # function), then stops with exit code 1 ("nothing matches"). Any real failure
        # shows again in the run below.
        session.run("mutmut", "run", "interp.no-such-module*", env=env, success_codes=[0, 1])
        picked = session.run("python", ".ci/mutants/mutants_report.py", "--every", args[1],
                             silent=True, env=env)
        args = picked.split() + args[2:]
    session.run("mutmut", "run", *args, env=env)
    session.run("python", ".ci/mutants/mutants_report.py", *report, env=env)


@nox.session
def bench(session: nox.Session) -> None:
    """Run the benchmarks: ``nox -s bench`` runs all, ``nox -s bench -- top`` one of them.

    Its environment has every backend (``bench -- backends`` runs each in its own process).
    """
    session.install(*TORCH)
    session.install("-e", ".[bench,jax,torch]", "playwright>=1.45")  # bench_live drives Chromium
    scripts = sorted(Path("benchmarks").glob("bench_*.py"))
    # nox -s bench-peers and bench-peers-torch, in their own environments
    scripts = [s for s in scripts if not s.name.startswith("bench_peers")]
    if session.posargs:
        scripts = [s for s in scripts if any(word in s.name for word in session.posargs)]
    for script in scripts:
        session.run("python", str(script), env=ENV)


@nox.session(name="bench-peers")
def bench_peers(session: nox.Session) -> None:
    """Time interp against Xplique 2.0.2 (TensorFlow) on the same model, images and settings."""
    session.install("-e", ".[bench]", "xplique==2.0.2")
    session.run("python", "benchmarks/bench_peers.py", *session.posargs, env=ENV)


# The peers of tests/parity, pinned: their numbers are what the tests compare against.
# grad-cam (pytorch-grad-cam) needs torchvision: 0.28.0 is the release for torch 2.13.0
# (it requires torch==2.13.0, which the CPU build installed first satisfies); an unpinned
# torchvision requires a newer torch, which pip would fetch as the multi-GB CUDA build.
PEERS = ["captum==0.9.*", "xplique==2.0.2", "grad-cam==1.5.7", "torchvision==0.28.0"]
# zennit 1.0.0 (its LRP composites) declares Requires-Python >=3.11.11, a patch level: the
# CPU torch wheel here is for CPython 3.11, whose interpreter may be an older 3.11.x (3.11.7
# on the project's machines), so it is installed with --ignore-requires-python, beside the
# same torch and torchvision pins (it requires torchvision, unpinned).
ZENNIT = ["zennit==1.0.0", *TORCH, "torchvision==0.28.0"]


@nox.session
def parity(session: nox.Session) -> None:
    """Check interp against the peers' own code (tests/parity; issue #20).

    Captum 0.9, pytorch-grad-cam 1.5.7 and zennit 1.0.0 on a pure-PyTorch copy of the
    course network (CPU torch, installed first), Xplique 2.0.2 on the Keras model itself
    (TensorFlow), on 64 real test images. Prints each pair's largest difference and, at
    the end, a table of all of them. Not part of CI (.ci/run): run it when a method, a
    measure or a peer's version changes. On two shared cores it took 52 s once installed
    (39 tests, the CAM family, LRP, KernelSHAP and RISE included; random_logit's came
    after), and 146 s from a fresh environment before zennit and those tests were added
    (installing torch and the peers; Xplique brings TensorFlow's CUDA libraries, 4.2 GB,
    through its tensorflow[and-cuda] requirement on Linux); it trains the course network
    first if the cache lacks it.
    """
    session.install(*TORCH)
    session.install("-e", ".[test]", *PEERS)
    session.install("--ignore-requires-python", *ZENNIT)
    session.run("pytest", "tests/parity", "-p", "no:cacheprovider", "-s", *session.posargs,
                env={**ENV, **TORCH_ENV, "INTERP_PARITY_TESTS": "1"})


@nox.session(name="bench-peers-torch")
def bench_peers_torch(session: nox.Session) -> None:
    """Time interp's newer methods against their peers (benchmarks/bench_peers_torch.py).

    Grad-CAM++, Score-CAM, LayerCAM against pytorch-grad-cam, KernelSHAP and LRP epsilon
    against Captum (and LRP against zennit) on the PyTorch copy of the course network; RISE
    against Xplique. The parity session's environment and pins (CPU torch installed
    first, so pip never fetches the CUDA build). Not part of CI (.ci/run).
    """
    session.install(*TORCH)
    session.install("-e", ".[bench]", *PEERS)
    session.install("--ignore-requires-python", *ZENNIT)
    session.run("python", "benchmarks/bench_peers_torch.py", *session.posargs,
                env={**ENV, **TORCH_ENV})

