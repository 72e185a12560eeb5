"""Benchmark: peak memory against the number of images, per attribution method and check.

Each (method, image count) runs in a fresh Python process. After loading TensorFlow, the
model and the images, the process resets its peak resident memory (Linux:
``/proc/self/clear_refs``) and reads it again after the call (``VmHWM``), so the peak is
that call's alone, TensorFlow's own buffers included. The
inputs (images; for deletion and insertion also one map per image) and the returned arrays
(maps; a curve per image; the maps after each randomization step) grow with the count by
necessity; everything else must not, at a fixed ``batch_size``. The table prints the peak,
the part of it that is neither the images nor the maps ("working"), and how much the
working memory grew from the smallest to the largest count. The peer is the same process
doing nothing but load TensorFlow, the model and the images.

    nox -s bench -- memory
"""

import json
import os
import subprocess
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

CHILD = r"""
import json, os, sys
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np
import interp

method, n, batch_size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
model = interp.trained_model(verbose=False)
_, (x_test, _) = interp.load_fashion_mnist()
images = np.ascontiguousarray(np.resize(x_test, (n, 28, 28, 1)))  # repeats the test set
del x_test
ranking = None
if method in ("deletion", "insertion"):  # a map per image: an input, like the images
    ranking = np.random.default_rng(0).random((n, 28, 28)).astype(np.float32)
shuffled = None
if method == "data_randomization":
    shuffled = interp.trained_model(labels="shuffled", verbose=False)


def saliency(m, x, target):
    return interp.saliency(m, x, target=target, batch_size=batch_size)


calls = {
    "baseline": lambda: np.zeros((n, 28, 28), np.float32),
    "saliency": lambda: interp.saliency(model, images, target=0, batch_size=batch_size),
    "guided_backprop": lambda: interp.guided_backprop(model, images, target=0,
                                                      batch_size=batch_size),
    "grad_cam": lambda: interp.grad_cam(model, images, target=0, batch_size=batch_size),
    "smoothgrad": lambda: interp.smoothgrad(model, images, target=0, samples=25,
                                            batch_size=batch_size),
    "integrated_gradients": lambda: interp.integrated_gradients(
        model, images, target=0, steps=50, batch_size=batch_size)[0],
    "occlusion": lambda: interp.occlusion(model, images, target=0, patch=4, stride=2,
                                          batch_size=batch_size),
    "deletion": lambda: interp.deletion(model, images, ranking, target=0,
                                        batch_size=batch_size),
    "insertion": lambda: interp.insertion(model, images, ranking, target=0,
                                          batch_size=batch_size),
    "cascading_randomization": lambda: interp.cascading_randomization(
        model, images, target=0, batch_size=batch_size, method=saliency),
    "data_randomization": lambda: interp.data_randomization(
        model, images, target=0, shuffled_model=shuffled, batch_size=batch_size,
        method=saliency),
}

def high_water():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024


import gc
gc.collect()
with open("/proc/self/clear_refs", "w") as refs:
    refs.write("5")  # reset the peak to the current resident size
result = calls[method]()
peak = high_water()
parts = result if isinstance(result, tuple) else (result,)
out = sum(part.nbytes for part in parts if isinstance(part, np.ndarray))
inputs = images.nbytes + (0 if ranking is None else ranking.nbytes)
print(json.dumps({"peak": peak, "images": inputs, "maps": out}))
"""

BATCH = 256
COUNTS = {
    "saliency": (1000, 4000, 16000),
    "guided_backprop": (1000, 4000, 16000),
    "grad_cam": (1000, 4000, 16000),
    "smoothgrad": (100, 400, 1600),
    "integrated_gradients": (100, 400, 1600),
    "occlusion": (100, 400, 1600),
    "deletion": (500, 2000, 8000),
    "insertion": (500, 2000, 8000),
    "cascading_randomization": (1000, 4000, 16000),
    "data_randomization": (1000, 4000, 16000),
}


def measure(method, n):
    out = subprocess.run([sys.executable, "-c", CHILD, method, str(n), str(BATCH)],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    mib = 2**20
    base = {n: measure("baseline", n) for n in (100, 16000)}
    idle = min(b["peak"] - b["images"] - b["maps"] for b in base.values())
    print(f"batch_size={BATCH}; working = peak - images - maps; the peer (load TensorFlow, "
          f"the model and the images, nothing else) works in {idle / mib:.0f} MiB\n")
    print(f"{'method':<22}{'images':>8}{'peak MiB':>10}{'working MiB':>13}")
    verdicts = []
    chosen = sys.argv[1:] or list(COUNTS)  # e.g. python bench_memory.py deletion insertion
    for method, counts in ((m, COUNTS[m]) for m in chosen):
        working = []
        for n in counts:
            m = measure(method, n)
            working.append(m["peak"] - m["images"] - m["maps"])
            print(f"{method:<22}{n:>8}{m['peak'] / mib:>10.0f}{working[-1] / mib:>13.0f}")
        growth = (working[-1] - working[0]) / mib
        verdicts.append((method, counts, growth))
    print(f"\n{'method':<22}{'growth of working MiB, smallest to largest count':>50}")
    for method, counts, growth in verdicts:
        flat = "flat" if growth < 64 else "GROWS"
        print(f"{method:<22}{f'{counts[0]} -> {counts[-1]} images: {growth:+.0f} MiB':>40}"
              f"  {flat}")


if __name__ == "__main__":
    main()
