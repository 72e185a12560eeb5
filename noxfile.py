"""Developer tasks. ``pip install nox``, then ``nox -s tests`` or ``nox -s docs``."""

import nox

nox.options.sessions = ["lint", "tests"]
nox.options.reuse_existing_virtualenvs = True

# Quiet TensorFlow's start-up chatter (CUDA probing, oneDNN notes) in logs.
ENV = {"TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONHASHSEED": "0"}


@nox.session
def tests(session: nox.Session) -> None:
    """Run the test suite (trains and caches the network on first use, about a minute)."""
    session.install(".[test]")
    session.run("pytest", *session.posargs, env=ENV)


@nox.session
def lint(session: nox.Session) -> None:
    """Check the code with ruff."""
    session.install("ruff")
    session.run("ruff", "check", ".")


@nox.session
def bench(session: nox.Session) -> None:
    """Time interp.convolve against tf.nn.conv2d, scipy and a Python loop."""
    session.install(".[bench]")
    session.run("python", "benchmarks/bench_convolve.py", *session.posargs, env=ENV)
