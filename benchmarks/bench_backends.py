"""Benchmark: the same methods on the same weights and images under each Keras backend.

Each backend runs in its own process (KERAS_BACKEND is read once, at import). On the course
model trained with TensorFlow (the same file loaded everywhere) and the Fashion-MNIST test
images, it times saliency on 1,000 images, integrated gradients with 50 steps on 100,
Grad-CAM on 1,000, occlusion (patch 4, stride 2) on 100 and SmoothGrad with 25 samples on
100, at interp's default batch sizes, warm (after one call that compiles). The backends
take turns for --rounds rounds of --repeat calls each, and the medians over all calls are
printed with the ratio to TensorFlow, so a machine busy with other work slows every
backend alike. PyTorch runs twice: as it comes, and with OMP_WAIT_POLICY=PASSIVE, which
stops its OpenMP threads from spinning while they wait (on a machine shared with other
work, spinning threads slow each other down several times over).

It also runs tests/backend_agreement.py under each backend and prints, per result, the
largest difference from TensorFlow's relative to the result's scale.

    nox -s bench -- backends
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

HERE = Path(__file__).resolve().parent
AGREEMENT = HERE.parent / "tests" / "backend_agreement.py"
RUNS = {
    "tensorflow": ("tensorflow", {}),
    "jax": ("jax", {}),
    "torch": ("torch", {}),
    "torch, passive": ("torch", {"OMP_WAIT_POLICY": "PASSIVE"}),
}
CASES = ["saliency", "integrated_gradients", "grad_cam", "occlusion", "smoothgrad"]
WORK = {"saliency": "1,000 images", "integrated_gradients": "100 images x 50 steps",
        "grad_cam": "1,000 images", "occlusion": "100 images, patch 4, stride 2",
        "smoothgrad": "100 images x 25 samples"}


def child(model_file: str, images_file: str, repeat: int) -> None:
    """Time every case under this process's backend; print one JSON line."""
    import keras
    import numpy as np

    import interp

    model = keras.saving.load_model(model_file)
    x = np.load(images_file)
    x1000, x100 = x[:1000], x[:100]
    cases = {
        "saliency": lambda: interp.saliency(model, x1000),
        "integrated_gradients": lambda: interp.integrated_gradients(model, x100, steps=50),
        "grad_cam": lambda: interp.grad_cam(model, x1000),
        "occlusion": lambda: interp.occlusion(model, x100, patch=4, stride=2),
        "smoothgrad": lambda: interp.smoothgrad(model, x100, samples=25),
    }
    times = {}
    for name, run in cases.items():
        start = time.perf_counter()
        run()
        first = time.perf_counter() - start
        warm = []
        for _ in range(repeat):
            start = time.perf_counter()
            run()
            warm.append(time.perf_counter() - start)
        times[name] = {"first": first, "warm": warm}
    print("RESULT " + json.dumps({"backend": keras.backend.backend(), "times": times}))


def run_child(name: str, args: list[str], extra: dict[str, str]) -> dict:
    backend, env = RUNS[name]
    done = subprocess.run([sys.executable, __file__, "--child", *args],
                          env={**os.environ, **env, **extra, "KERAS_BACKEND": backend},
                          capture_output=True, text=True, check=True)
    line = [row for row in done.stdout.splitlines() if row.startswith("RESULT ")][-1]
    result = json.loads(line[len("RESULT "):])
    assert result["backend"] == backend
    return result["times"]


def agreement(model_file: str, images_file: str, folder: Path) -> None:
    import numpy as np

    sys.path.insert(0, str(AGREEMENT.parent))
    from backend_agreement import EXACT, difference

    results = {}
    for backend in ("tensorflow", "jax", "torch"):
        out = folder / f"{backend}.npz"
        subprocess.run([sys.executable, str(AGREEMENT), model_file, images_file, str(out)],
                       env={**os.environ, "KERAS_BACKEND": backend}, check=True,
                       capture_output=True)
        results[backend] = dict(np.load(out))
    reference = results["tensorflow"]
    print("\nagreement with TensorFlow on the same weights: largest difference / largest "
          "magnitude")
    print(f"{'result':<34}{'jax':>12}{'torch':>12}")
    worst = {"jax": 0.0, "torch": 0.0}
    for name in sorted(reference):
        if name == "backend":
            continue
        cells = []
        for backend in ("jax", "torch"):
            got = results[backend][name]
            if name in EXACT:
                cells.append("equal" if np.array_equal(got, reference[name]) else "DIFFER")
                continue
            gap = difference(got, reference[name])
            worst[backend] = max(worst[backend], gap)
            cells.append(f"{gap:.1e}")
        print(f"{name:<34}{cells[0]:>12}{cells[1]:>12}")
    print(f"{'largest':<34}{worst['jax']:>12.1e}{worst['torch']:>12.1e}  (target <= 1e-3)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", nargs=3, metavar=("MODEL", "IMAGES", "REPEAT"))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], args.child[1], int(args.child[2]))
        return
    import numpy as np

    import interp

    model_file = str(interp.trained_model(verbose=False).training_info.cache_file)
    _, (x_test, _) = interp.load_fashion_mnist()
    with tempfile.TemporaryDirectory() as tmp:
        images_file = str(Path(tmp) / "images.npy")
        np.save(images_file, x_test[:1000])
        warm = {name: {case: [] for case in CASES} for name in RUNS}
        first = {name: {case: [] for case in CASES} for name in RUNS}
        for _ in range(args.rounds):
            for name in RUNS:
                times = run_child(name, [model_file, images_file, str(args.repeat)], {})
                for case in CASES:
                    warm[name][case] += times[case]["warm"]
                    first[name][case].append(times[case]["first"])
        print(f"median warm seconds of {args.rounds} rounds x {args.repeat} calls; "
              "(ratio to TensorFlow)")
        print(f"{'method':<22}{'work':<31}" + "".join(f"{name:>20}" for name in RUNS))
        for case in CASES:
            base = statistics.median(warm["tensorflow"][case])
            cells = []
            for name in RUNS:
                seconds = statistics.median(warm[name][case])
                cells.append(f"{seconds:.3f} ({seconds / base:.2f})")
            print(f"{case:<22}{WORK[case]:<31}" + "".join(f"{c:>20}" for c in cells))
        print("first call (compiles), median seconds:")
        for case in CASES:
            cells = [f"{statistics.median(first[name][case]):.2f}" for name in RUNS]
            print(f"  {case:<20}" + "".join(f"{c:>20}" for c in cells))
        agreement(model_file, images_file, Path(tmp))


if __name__ == "__main__":
    main()
