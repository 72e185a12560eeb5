"""How much the report does on one model, planned before it does it.

Which layers and kernels it shows, how many images go through the model at once, and
how much of its costly sections fits in its time.

Everything here is a pure function of numbers the report measures or reads from the model
(:mod:`interp.report` passes them in), so each rule can be tested without a model.

The costly part of a report is explaining images: every attribution method, the deletion
and insertion curves and the cascading randomization run the model forward or take its
gradient, image after image. :func:`plan_work` counts those passes for the full settings,
prices them with the model's measured cost per image, and when they do not fit in the
time left, cuts them down a fixed ladder (:data:`LADDER`) until they do. Each cut is
recorded, with the estimate before and after, so the page can say what was left out and
why.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

#: The full settings: what the report does when the time allows.
SMOOTHGRAD_SAMPLES = 25
IG_STEPS = 50
CURVE_STEPS = 20
FLOOR_SEEDS = 5

#: The layer rule: models with at most this many convolution layers show them all.
ALL_LAYERS_UP_TO = 6
#: Otherwise at most this many are shown.
MAX_LAYERS = 8

#: Memory the outputs of one batch's layers may take (summed over the layers, float32).
ACTIVATION_MEMORY = 1.5 * 2**30

#: The methods' names on the page.
TITLES = {"saliency": "saliency", "smoothgrad": "SmoothGrad",
          "integrated_gradients": "integrated gradients", "grad_cam": "Grad-CAM",
          "occlusion": "occlusion", "guided_backprop": "guided backprop",
          "input_x_gradient": "input x gradient"}

#: Methods that take one input gradient per image, and those that compile a gradient
#: function of their own (the others share the plain input gradient).
OWN_GRADIENT = ("grad_cam", "guided_backprop")


# ---- layers, kernels, batches ---------------------------------------------------------------

def spread(n: int, k: int) -> list[int]:
    """*k* indices out of ``range(n)``, evenly spread, the first and the last included.

    Examples
    --------
    >>> spread(10, 4)
    [0, 3, 6, 9]
    >>> spread(3, 8)
    [0, 1, 2]

    """
    if k >= n:
        return list(range(n))
    if k <= 1:
        return [0][:k]
    return sorted({round(i * (n - 1) / (k - 1)) for i in range(k)})


LAYER_RULE_ALL = "all {n} of the model's convolution layers"
LAYER_RULE_STAGES = (
    "the model's first convolution and, for each size of feature map it computes, the "
    "deepest convolution that outputs that size (the last of each stage); convolutions "
    "whose output is 1x1 are left out{spread}")
LAYER_RULE_SPREAD = ("the model's first convolution and others spread evenly through its "
                     "depth, {k} in all (the sizes of their outputs are not known before "
                     "images run through it)")


def choose_layers(sizes: Sequence[tuple[int, ...] | None]) -> tuple[list[int], str]:
    """Which convolution layers the report shows by default, and the rule in words.

    Parameters
    ----------
    sizes : sequence of tuple or None
        For each convolution layer, in the model's order, the spatial size of its output
        (``(height, width)``; ``None`` where unknown or not a 2-D convolution).

    Returns
    -------
    indices : list of int
        Positions in *sizes*, in order.
    rule : str
        The rule that chose them.

    Examples
    --------
    >>> choose_layers([(26, 26), (24, 24)])
    ([0, 1], "all 2 of the model's convolution layers")
    >>> choose_layers([(112, 112)] + [(56, 56)] * 3 + [(28, 28)] * 3 + [(1, 1), (7, 7)])[0]
    [0, 3, 6, 8]

    """
    n = len(sizes)
    if n <= ALL_LAYERS_UP_TO:
        return list(range(n)), LAYER_RULE_ALL.format(n=n)
    known = [s for s in sizes if s is not None and all(d is not None for d in s)]
    if len(known) < n:
        k = ALL_LAYERS_UP_TO
        return spread(n, k), LAYER_RULE_SPREAD.format(k=k)
    deepest: dict[tuple, int] = {}
    for index, size in enumerate(sizes):
        if any(d != 1 for d in size):
            deepest[tuple(size)] = index  # later layers of the same size replace earlier
    chosen = sorted({0, *deepest.values()})
    note = ""
    if len(chosen) > MAX_LAYERS:
        chosen = [chosen[i] for i in spread(len(chosen), MAX_LAYERS)]
        note = f"; of those, {MAX_LAYERS} spread evenly through the depth"
    return chosen, LAYER_RULE_STAGES.format(spread=note)


KERNEL_RULE = ("the {n} kernels whose activation peaks highest over all the images (each "
               "kernel's first value in the top-activating search), shown in kernel order")


def choose_kernels(peaks: Sequence[float], n: int) -> list[int]:
    """Return the *n* kernels with the highest peaks (ties: the lower index), in index order.

    Examples
    --------
    >>> choose_kernels([0.5, 3.0, -1.0, 3.0, 2.0], 3)
    [1, 3, 4]

    """
    order = sorted(range(len(peaks)), key=lambda j: (-float(peaks[j]), j))
    return sorted(order[:n])


def choose_batch(per_image_bytes: float, batch_size: int) -> int:
    """Images per pass: at most *batch_size*, and no more than :data:`ACTIVATION_MEMORY` holds.

    Examples
    --------
    >>> choose_batch(142 * 2**20, 256)  # ResNet-50 at 224 px: 142 MiB of layer outputs
    10
    >>> choose_batch(50_000, 256)
    256

    """
    fits = int(ACTIVATION_MEMORY // max(per_image_bytes, 1.0))
    return max(1, min(batch_size, fits))


def occlusion_settings(height: int, width: int) -> tuple[int, int]:
    """Return the occlusion square and its step for images of this size (a seventh of a side).

    Examples
    --------
    >>> occlusion_settings(28, 28), occlusion_settings(224, 224)
    ((4, 2), (32, 16))

    """
    patch = max(2, round(min(height, width) / 7))
    patch = min(patch, height, width)
    return patch, max(1, patch // 2)


def occlusion_positions(height: int, width: int, patch: int, stride: int) -> int:
    """How many places the occlusion square takes (as :func:`interp.occlusion` moves it)."""
    return len(range(0, height - patch + 1, stride)) * len(range(0, width - patch + 1, stride))


# ---- the costs -------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Costs:
    """What the model costs on this machine, measured by the report before it plans.

    Attributes
    ----------
    forward : float
        Seconds per image of a forward pass to the class probabilities.
    gradient : float
        Seconds per image of one input gradient.
    compile : float
        Seconds to compile one more function of the model (the first call's extra time).

    """

    forward: float
    gradient: float
    compile: float


@dataclasses.dataclass(frozen=True)
class Request:
    """What the report was asked to do.

    Attributes
    ----------
    methods : tuple of str
        Attribution methods, by the command line's names.
    n_show : int
        Images whose maps are drawn.
    n_trust : int
        Images the measures of which map to trust may use (0: none).
    map_size : tuple of int
        Height and width of an attribution map (the images' real size).
    n_weighted : int
        Layers with weights, which the cascading randomization would randomize.
    budget : float or None
        Seconds the attribution and trust sections may take; ``None``: no limit.

    """

    methods: tuple[str, ...]
    n_show: int
    n_trust: int
    map_size: tuple[int, int]
    n_weighted: int
    budget: float | None


@dataclasses.dataclass(frozen=True)
class Cut:
    """One step down the ladder: what was cut, and the estimate before and after (s)."""

    what: str
    before: float
    after: float


@dataclasses.dataclass(frozen=True)
class Plan:
    """The settings of the costly sections.

    ``n_curves`` images get deletion and insertion curves (``curve_steps`` steps, against
    ``floor_seeds`` random maps); ``n_cascade`` images get the cascading randomization of
    ``cascade_layers`` layers, for the ``cascade_methods``. The attribution methods explain
    :attr:`n_maps` images: the drawn ones and those the measures need.
    """

    methods: tuple[str, ...]
    n_show: int
    map_size: tuple[int, int]
    samples: int
    steps: int
    patch: int
    stride: int
    n_curves: int
    curve_steps: int
    floor_seeds: int
    n_cascade: int
    cascade_layers: int
    cascade_methods: tuple[str, ...]
    cuts: tuple[Cut, ...] = ()
    estimate: float = 0.0
    full_estimate: float = 0.0
    over_budget: bool = False

    @property
    def n_maps(self) -> int:
        """Images every attribution method explains."""
        return max(self.n_show, self.n_curves, self.n_cascade)

    def settings(self) -> tuple:
        """Everything but the bookkeeping: equal settings mean equal work."""
        skip = {"cuts", "estimate", "full_estimate", "over_budget"}
        return tuple(getattr(self, f.name) for f in dataclasses.fields(self)
                     if f.name not in skip)


def full_plan(request: Request) -> Plan:
    """Return the plan with every setting at its full value."""
    patch, stride = occlusion_settings(*request.map_size)
    n_trust = request.n_trust
    return Plan(
        methods=tuple(request.methods), n_show=request.n_show,
        map_size=tuple(request.map_size), samples=SMOOTHGRAD_SAMPLES, steps=IG_STEPS,
        patch=patch, stride=stride,
        n_curves=n_trust, curve_steps=CURVE_STEPS, floor_seeds=FLOOR_SEEDS,
        n_cascade=n_trust, cascade_layers=request.n_weighted,
        cascade_methods=tuple(request.methods) if n_trust else ())


@dataclasses.dataclass(frozen=True)
class Work:
    """Passes through the model: images forward, input gradients, functions compiled."""

    forwards: int = 0
    gradients: int = 0
    compiles: int = 0

    def __add__(self, other: Work) -> Work:
        return Work(self.forwards + other.forwards, self.gradients + other.gradients,
                    self.compiles + other.compiles)

    def scaled(self, n: int) -> Work:
        return Work(self.forwards * n, self.gradients * n, self.compiles)

    def seconds(self, costs: Costs) -> float:
        return (self.forwards * costs.forward + self.gradients * costs.gradient
                + self.compiles * costs.compile)


def method_work(method: str, plan: Plan) -> Work:
    """Count the passes one method takes to explain one image (compiles not counted)."""
    if method == "smoothgrad":
        return Work(gradients=plan.samples)
    if method == "integrated_gradients":
        return Work(forwards=2, gradients=plan.steps)  # the path, and both ends' logits
    if method == "occlusion":
        return Work(forwards=occlusion_positions(*plan.map_size, plan.patch, plan.stride) + 1)
    return Work(gradients=1)  # saliency, input x gradient, guided backprop, Grad-CAM


def _functions(method: str) -> int:
    """Count the functions a method compiles besides the input gradient and the probabilities.

    Those two are compiled before the plan is made.
    """
    if method in OWN_GRADIENT:
        return 1
    if method == "integrated_gradients":
        return 1  # the logits at both ends of the path
    return 0


def work(plan: Plan) -> dict[str, Work]:
    """Count the passes each costly section takes under *plan*."""
    attribution = Work()
    for method in plan.methods:
        attribution += method_work(method, plan).scaled(plan.n_maps)
        attribution += Work(compiles=_functions(method))
    curves = Work()
    if plan.n_curves:
        per_curve = 2 * (plan.curve_steps + 1)  # deletion and insertion
        curves = Work(forwards=plan.n_curves * per_curve * (plan.floor_seeds + len(plan.methods)))
    cascade = Work()
    if plan.n_cascade and plan.cascade_layers:
        for method in plan.cascade_methods:
            # the trained maps again, then one set per randomized layer, on a copy of the
            # model: copying it and compiling its functions count as compiles
            per = method_work(method, plan).scaled(plan.n_cascade)
            cascade += per.scaled(1 + plan.cascade_layers)
            cascade += Work(compiles=2 + _functions(method))
    return {"attribution": attribution, "deletion and insertion": curves,
            "cascading randomization": cascade}


def estimate(plan: Plan, costs: Costs) -> float:
    """Seconds the costly sections take under *plan*, by the measured *costs*."""
    return sum(w.seconds(costs) for w in work(plan).values())


def _cap(**caps):
    def cut(plan: Plan) -> Plan:
        return dataclasses.replace(plan, **{name: min(getattr(plan, name), value)
                                            for name, value in caps.items()})
    return cut


def _no_overlap(plan: Plan) -> Plan:
    return dataclasses.replace(plan, stride=max(plan.stride, plan.patch))


def _quarter(plan: Plan) -> Plan:
    side = min(plan.map_size)
    patch = min(max(plan.patch, -(-side // 4)), side)
    return dataclasses.replace(plan, patch=patch, stride=max(plan.stride, patch))


#: The ladder of cuts, tried in this order until the plan fits: first what the page
#: shows least (layers randomized, images measured), then the methods' own settings.
LADDER: tuple[tuple[str, object], ...] = (
    ("cascading randomization: at most 8 layers, spread from the output down",
     _cap(cascade_layers=8)),
    ("measures of which to trust: at most 16 images", _cap(n_curves=16, n_cascade=16)),
    ("cascading randomization: at most 8 images", _cap(n_cascade=8)),
    ("SmoothGrad: 16 samples; integrated gradients: 32 steps", _cap(samples=16, steps=32)),
    ("deletion and insertion: 10 steps, 3 random maps", _cap(curve_steps=10, floor_seeds=3)),
    ("deletion and insertion: at most 8 images", _cap(n_curves=8)),
    ("cascading randomization: at most 4 layers", _cap(cascade_layers=4)),
    ("SmoothGrad: 10 samples; integrated gradients: 16 steps", _cap(samples=10, steps=16)),
    ("occlusion: the square moves by its own size (no overlap)", _no_overlap),
    ("cascading randomization: at most 4 images", _cap(n_cascade=4)),
    ("deletion and insertion: at most 4 images", _cap(n_curves=4)),
    ("cascading randomization: 2 layers (the output layer and the first)",
     _cap(cascade_layers=2)),
    ("deletion and insertion: 5 steps, 2 random maps", _cap(curve_steps=5, floor_seeds=2)),
    # then the cascade's costliest methods go, one at a time (see plan_work)
    ("deletion and insertion: 2 images", _cap(n_curves=2)),
    ("SmoothGrad: 8 samples; integrated gradients: 8 steps", _cap(samples=8, steps=8)),
    ("occlusion: a square a quarter of the side, without overlap", _quarter),
    ("deletion and insertion: not run", _cap(n_curves=0, n_cascade=0)),
)
#: The position in LADDER after which the cascade's methods are dropped.
_DROP_METHODS_AFTER = 13


def plan_work(request: Request, costs: Costs) -> Plan:
    """Plan the costly sections to fit *request.budget* at the measured *costs*.

    The full plan is kept when its estimate fits (or there is no budget). Otherwise the
    cuts of :data:`LADDER` are made one after another, each only where it lowers a
    setting, until the estimate fits; after the first 13, the cascading randomization
    drops its costliest method, one at a time; the last cut leaves out the measures of
    which to trust altogether. A plan that still does not fit is returned at the bottom
    of the ladder, marked ``over_budget``. The images drawn are never cut.

    Examples
    --------
    >>> request = Request(("saliency", "smoothgrad"), n_show=6, n_trust=32,
    ...                   map_size=(28, 28), n_weighted=3, budget=120.0)
    >>> plan_work(request, Costs(forward=1e-4, gradient=3e-4, compile=0.5)).cuts
    ()
    >>> slow = plan_work(request, Costs(forward=0.08, gradient=0.18, compile=4.0))
    >>> slow.estimate <= 120.0, slow.samples < 25
    (True, True)

    """
    plan = full_plan(request)
    full = estimate(plan, costs)
    plan = dataclasses.replace(plan, estimate=full, full_estimate=full)
    if request.budget is None or full <= request.budget:
        return plan
    cuts: list[Cut] = []
    current = full

    def step(what: str, cut) -> bool:
        nonlocal plan, current
        changed = cut(plan)
        if changed.settings() == plan.settings():
            return False
        after = estimate(changed, costs)
        cuts.append(Cut(what, current, after))
        plan, current = changed, after
        return current <= request.budget

    for index, (what, cut) in enumerate(LADDER):
        if step(what, cut):
            break
        if index + 1 == _DROP_METHODS_AFTER:
            done = False
            while plan.cascade_methods and not done:
                # the costliest per image; of equals, the one listed last
                costliest = max(plan.cascade_methods, key=lambda m: (
                    method_work(m, plan).seconds(costs), plan.methods.index(m)))
                left = tuple(m for m in plan.cascade_methods if m != costliest)
                done = step(f"cascading randomization: without {TITLES[costliest]}",
                            lambda p, left=left: dataclasses.replace(p, cascade_methods=left))
            if done:
                break
    return dataclasses.replace(plan, cuts=tuple(cuts), estimate=current, full_estimate=full,
                               over_budget=current > request.budget)
