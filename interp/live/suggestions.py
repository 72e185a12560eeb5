"""What to try in the live view of the course's network: six suggestions, each measured.

:func:`live_suggestions` measures, with Keras on the trained network, six things a reader
can do in the view of "The network, live" (draw a bar, erase a sole, zero a kernel, invert
a t-shirt, read one pixel's arithmetic, find the saliency's peak). Each is a
:class:`LiveSuggestion`: a sentence whose numbers were measured, the state it loads, and
claims the site's browser test verifies in the page.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from .._validate import describe
from .spec import _pixels, model_spec


@dataclasses.dataclass
class LiveSuggestion:
    """One thing to try in the live view: a sentence, the state it loads, and its evidence.

    Made by :func:`live_suggestions`; :func:`export_live` takes a list of them (or of
    dicts with the same keys) as ``suggestions``.

    Attributes
    ----------
    text : str
        The sentence on the suggestion's button. Each number in it was measured in Python
        and is the ``says`` of one of *checks*.
    pixels : numpy.ndarray
        The input the suggestion loads, shaped ``(h, w)``, values in [0, 1].
    checks : list of dict
        Claims a test can verify in the page after the suggestion is clicked (see
        :func:`live_suggestions`, Notes).
    numbers : dict of str to float
        The measured numbers behind *text*, by name.
    evidence : list of str
        How they were measured, as lines to print (at most 80 characters each).
    kernel : dict or None
        An edited kernel, ``{"layer", "index", "weights"}`` (weights row-major).
    inspect : dict or None
        The map pixel shown in the arithmetic panel, ``{"layer", "row", "col", "channel"}``.
    watch : dict or None
        The map outlined in the view, ``{"layer", "channel"}``.
    modes : dict of str to str
        The maps to switch to ``"before"`` or ``"after"`` their layer's activation.

    """

    text: str
    pixels: np.ndarray
    checks: list[dict]
    numbers: dict[str, float]
    evidence: list[str]
    kernel: dict | None = None
    inspect: dict | None = None
    watch: dict | None = None
    modes: dict = dataclasses.field(default_factory=dict)

    def as_dict(self) -> dict:
        """Return the keys :func:`export_live` reads, as a dict."""
        return {key: getattr(self, key) for key in ("text", "pixels", "checks", "kernel",
                                                    "inspect", "watch", "modes")}


def _side_box(mask: np.ndarray, offset: tuple[int, int]) -> tuple[list[int], list[int]]:
    """Return the rows and columns ``[start, stop)`` of a rectangular mask, minus *offset*."""
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    box = np.zeros_like(mask)
    box[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1] = True
    if not np.array_equal(box, mask):  # pragma: no cover - a bar's sides are rectangles
        raise AssertionError("live_suggestions: a side of the bar is not a rectangle")
    return ([int(rows[0]) - offset[0], int(rows[-1]) + 1 - offset[0]],
            [int(cols[0]) - offset[1], int(cols[-1]) + 1 - offset[1]])


def _brush_stroke(shape: tuple[int, int], x: float, top: float, bottom: float,
                  brush: float) -> np.ndarray:
    """Paint a vertical stroke as the view's brush does.

    1 within brush/2 of the line, fading over half a pixel, in steps of 1/255.
    """
    yy, xx = np.mgrid[0:shape[0], 0:shape[1]] + 0.5
    dy = np.maximum(np.maximum(top - yy, yy - bottom), 0.0)
    distance = np.hypot(xx - x, dy)
    return np.round(np.clip(brush / 2 + 0.5 - distance, 0.0, 1.0) * 255) / 255


def live_suggestions(model, images, labels, *, layer: str = "conv1") -> list[LiveSuggestion]:
    """Measure six things to try in the live view of a Fashion-MNIST network, each one true.

    The suggestions of the gallery page "The network, live", measured on *model* with
    Keras. Each carries the numbers its sentence states and machine-checkable claims
    (*checks*), which the site's browser test verifies in the page:

    1. **A vertical bar** (white, 4 pixels wide, on black): the kernel of *layer* that
       treats the bar's two edges most clearly with opposite signs, before the ReLU
       (the convolution plus the bias), by the rule of :func:`outline_response` (pages 05
       and 06): a side is the bar's outermost column and the column just outside it; it
       is *emphasized* when its mean is at least +10% of the map's largest absolute
       value, *suppressed* at -10%. The same verdicts are tried on bars 2 to 8 pixels
       wide and on strokes of every brush size the view offers.
    2. **A sneaker without its sole**: the first sneaker's lowest object rows (brighter
       than 0.05) erased one row at a time until another class gains 10 percentage
       points (at most ten rows).
    3. **A kernel set to zero**: the kernel of *layer* whose zeroing changes the most
       predictions among *images* (on a copy of the model), and the first image that
       changes.
    4. **Black and white swapped**: what the network calls the first t-shirt inverted.
    5. **The arithmetic of one pixel**: the first sneaker's most negative pixel before
       the ReLU on the bar's kernel map (its brightest one if none is negative).
    6. **Where the saliency is strongest**: the first trouser's pixel with the largest
       absolute :func:`saliency` of its predicted class.

    Parameters
    ----------
    model : keras.Model
        A model the view runs (see :func:`export_live`) that takes grayscale images and
        gives the 10 scores of :data:`interp.CLASS_NAMES`; it is read, never changed.
    images : array-like, shape (n, h, w) or (n, h, w, 1)
        The images the view offers to pick, values in [0, 1]; among them at least one
        sneaker, one t-shirt/top and one trouser.
    labels : array-like of int, shape (n,)
        Their classes, indices into :data:`interp.CLASS_NAMES`.
    layer : str, default "conv1"
        The convolution layer the suggestions are about: it reads the input image
        directly and applies a ReLU.

    Returns
    -------
    list of LiveSuggestion
        Six suggestions, in the order above.

    Raises
    ------
    ValueError
        If *images* or *labels* have the wrong shape or values, a class is missing, the
        model's output is not 10 scores, or *layer* is not a convolution with a ReLU that
        reads the image.
    LiveError
        If the view cannot run *model* (naming the layer or shape).

    Notes
    -----
    Every check is a dict with a ``"kind"``; ``"says"``, when present, is the part of the
    sentence the check verifies, and each number in it must equal the measured quantity
    to the digits shown. ``"pick": i`` means the check is made on image *i* of *images*
    rather than on the suggestion's own state; ``"trained": True`` with the trained
    kernels rather than the suggestion's edited one. The kinds and their quantities:

    - ``region``: ``stat`` (``"mean"`` or ``"ptp"``, the range) of map ``channel`` of
      ``layer`` over rows ``[r0, r1)`` and columns ``[c0, c1)``, in the view's
      coordinates; ``values`` is ``"before"`` or ``"after"`` the activation. Compared
      by ``op`` (``">"``, ``"<"``, ``"<="``) to ``value``, and/or to ``says``.
    - ``probability``: the probability of ``class``, in percent when ``says`` has a ``%``.
    - ``predicted``: the predicted class must be ``class``.
    - ``inspect``: ``inspect(layer, row, col, channel)[field]`` (``sum``, ``bias``,
      ``before`` or ``value``).
    - ``inspected``: ``[channel, row, col]``; the arithmetic panel shows that pixel.
    - ``extreme``: pixel ``[row, col]`` holds the ``which`` (``"min"`` or ``"max"``) of
      the map, ``values`` before or after the activation.
    - ``blank_rows``: ``[r1 - r0, r0, r1 - 1]``; rows ``[r0, r1)`` of the input are 0 where
      pick ``source`` had its lowest object rows.
    - ``saliency_peak``: ``[row, col]`` of the largest absolute saliency, of sign ``sign``.
    - ``watched``: map ``channel`` of ``layer`` is the one outlined in the view.

    Examples
    --------
    >>> import numpy as np
    >>> import interp
    >>> model = interp.trained_model(verbose=False)
    >>> _, (x_test, y_test) = interp.load_fashion_mnist()
    >>> picks = np.array([interp.images_of(y_test, name)[0] for name in interp.CLASS_NAMES])
    >>> tries = interp.live_suggestions(model, x_test[picks], y_test[picks])
    >>> tries[0].text.startswith("Draw a vertical bar")
    True
    >>> sorted({check["kind"] for check in tries[0].checks})
    ['region', 'watched']

    """
    import keras

    from .._model import Runner
    from ..attribution import saliency
    from ..convolution import convolve
    from ..data import CLASS_NAMES
    from ..kernels import get_kernels
    from ..measure import border_masks, outline_response

    func = "live_suggestions"
    if not isinstance(layer, str):
        raise TypeError(f"{func}: layer must be the name of a Conv2D layer, got "
                        f"{describe(layer)}")
    spec, _ = model_spec(model, func=func)
    h, w, c = spec["input"]["shape"]
    if c != 1 or h < 12 or w < 12:
        raise ValueError(f"{func}: model must take grayscale images of at least 12x12 "
                         f"pixels, got inputs shaped {(h, w, c)}")
    if spec["head"]["classes"] != len(CLASS_NAMES):
        raise ValueError(f"{func}: model must give the {len(CLASS_NAMES)} scores of "
                         f"interp.CLASS_NAMES, got {spec['head']['classes']}")
    found = {item["name"]: item for item in spec["layers"]}
    conv_spec = found.get(layer)
    if (conv_spec is None or conv_spec["type"] != "conv2d" or conv_spec["inputs"] != ["input"]
            or conv_spec["activation"] != "relu" or conv_spec["padding"] != "valid"
            or conv_spec["strides"] != [1, 1] or conv_spec["dilation"] != [1, 1]
            or not all(size % 2 for size in conv_spec["kernel_size"])):
        raise ValueError(f"{func}: layer must name a Conv2D layer that reads the input image "
                         "(valid padding, strides 1, no dilation, odd kernel sizes) and applies "
                         f"a ReLU, got {describe(layer)}")
    pixels = _pixels(func, "images", images, [h, w, 1])[..., 0] / np.float32(255)
    try:
        labels = np.asarray(labels)
    except (ValueError, TypeError):
        labels = np.array(None)
    if (labels.shape != (len(pixels),) or not np.issubdtype(labels.dtype, np.integer)
            or labels.min(initial=0) < 0 or labels.max(initial=0) >= len(CLASS_NAMES)):
        raise ValueError(f"{func}: labels must give one class in 0..{len(CLASS_NAMES) - 1} "
                         f"per image ({len(pixels)}), got {describe(labels)}")
    first = {}
    for name in ("Sneaker", "T-shirt/top", "Trouser"):
        where = np.flatnonzero(labels == CLASS_NAMES.index(name))
        if not len(where):
            raise ValueError(f"{func}: images must hold at least one {name} (label "
                             f"{CLASS_NAMES.index(name)}), got labels {sorted(set(labels))}")
        first[name] = int(where[0])
    conv = model.get_layer(layer)
    kernels, bias = get_kernels(conv)
    kh, kw = kernels.shape[:2]
    offset = (kh // 2, kw // 2)  # a valid map's pixel (i, j) is centred on (i + 1, j + 1)
    runner = Runner(func, model)
    low, high = spec["input"]["scale"]

    def probabilities(batch, net=runner):
        x = (low + (high - low) * np.asarray(batch, np.float32))[..., np.newaxis]
        return net.predict(x, kind="probabilities")

    def before(image):  # the layer's values before its ReLU, in the view's coordinates
        return convolve(low + (high - low) * image[..., np.newaxis], kernels) + bias

    def aligned(image):  # the same, aligned pixel for pixel with the image
        x = low + (high - low) * image[..., np.newaxis]
        return convolve(x, kernels, padding="same") + bias

    names = list(CLASS_NAMES)
    out = []

    # 1. a vertical bar
    bar = np.zeros((h, w), np.float32)
    bar[4:h - 4, w // 2 - 2:w // 2 + 2] = 1.0
    sides = [outline_response(aligned(bar)[:, :, k], bar) for k in range(kernels.shape[3])]
    contrast = np.array([s.contrast("left", "right") for s in sides])
    k_bar = int(np.argmax(np.abs(contrast)))
    verdict = sides[k_bar]
    masks = border_masks(bar, outside=True)
    boxes = {side: _side_box(masks[side], offset) for side in ("left", "right")}
    evidence = [f"a bar, rows 4-{h - 5}, columns {w // 2 - 2}-{w // 2 + 1}; {layer} before "
                "the ReLU, by side:"]
    for k, s in enumerate(sides):
        evidence.append(f"  kernel {k}: left {s.means['left']:+.2f} {s.verdicts['left']:<10} "
                        f"right {s.means['right']:+.2f} {s.verdicts['right']:<10} "
                        f"(10% of max: {s.limit:.2f})")
    lit = "left" if contrast[k_bar] > 0 else "right"
    dark = {"left": "right", "right": "left"}[lit]
    after = {side: float(np.maximum(before(bar)[r0:r1, c0:c1, k_bar], 0).mean())
             for side, ((r0, r1), (c0, c1)) in boxes.items()}
    region = {"kind": "region", "layer": layer, "channel": k_bar, "stat": "mean"}
    if contrast[k_bar] != 0:
        held = 0
        variants = [np.pad(np.ones((h - 8, width), np.float32),
                           ((4, 4), (w // 2 - 2, w - w // 2 + 2 - width)))
                    for width in range(2, 9)]
        variants += [_brush_stroke((h, w), x, 4.5, h - 4.5, brush)
                     for brush in np.arange(0.5, 4.01, 0.5) for x in (w / 2, w / 2 + 0.5)]
        for image in variants:
            s = outline_response(aligned(image)[:, :, k_bar], image)
            held += s.verdicts[lit] == "emphasized" and s.verdicts[dark] == "suppressed"
        means = {side: f"{verdict.means[side]:+.2f}" for side in ("left", "right")}
        text = (f"Draw a vertical bar and watch {layer} map {k_bar} before the ReLU: red "
                f"along the bar's {lit} edge (mean {means[lit]}), blue along its {dark} "
                f"edge (mean {means[dark]}). After the ReLU that edge's mean is "
                f"{after[dark]:.2f}.")
        checks = [{**region, "values": "before", "rows": boxes[lit][0], "cols": boxes[lit][1],
                   "op": ">", "value": verdict.limit, "says": f"mean {means[lit]}"},
                  {**region, "values": "before", "rows": boxes[dark][0],
                   "cols": boxes[dark][1], "op": "<", "value": -verdict.limit,
                   "says": f"mean {means[dark]}"},
                  {**region, "values": "after", "rows": boxes[dark][0],
                   "cols": boxes[dark][1], "says": f"mean is {after[dark]:.2f}"},
                  {"kind": "watched", "layer": layer, "channel": k_bar,
                   "says": f"map {k_bar}"}]
        evidence += [f"-> kernel {k_bar}: {lit} {means[lit]}, {dark} {means[dark]}; after the "
                     f"ReLU, {dark} {after[dark]:.2f}",
                     f"   the same verdicts on {held} of {len(variants)} other bars: 2-8 pixels "
                     "wide, and brush strokes"]
    else:
        held, variants = 0, []
        text = (f"Draw a vertical bar and compare the {len(sides)} maps of {layer} before the "
                "ReLU: none is red along one edge and blue along the other by the chapter's "
                "rule.")
        checks = []
        evidence.append("-> no kernel treats the two edges with clear opposite signs")
    out.append(LiveSuggestion(
        text, bar, checks,
        {"kernel": k_bar, "left": verdict.means["left"], "right": verdict.means["right"],
         "limit": verdict.limit, "contrast": float(contrast[k_bar]), "after": after[dark],
         "held": held, "variants": len(variants)},
        evidence, watch={"layer": layer, "channel": k_bar}, modes={layer: "before"}))

    # 2. a sneaker without its sole
    i_shoe = first["Sneaker"]
    shoe = pixels[i_shoe]
    rows = np.flatnonzero(shoe.max(axis=1) > 0.05)
    erased = []
    for n in range(1, min(10, len(rows)) + 1):
        copy = shoe.copy()
        copy[rows[-1] - n + 1:rows[-1] + 1] = 0.0
        erased.append(copy)
    p = probabilities(np.array([shoe, *erased]))
    gains = p[1:] - p[0]
    gains[:, int(p[0].argmax())] = -1.0
    enough = np.flatnonzero(gains.max(axis=1) >= 0.10)
    n = int(enough[0]) + 1 if len(enough) else len(erased)
    risen = int(np.argmax(gains[n - 1]))
    r0, r1 = int(rows[-1]) - n + 1, int(rows[-1]) + 1
    say_rows = f"bottom {n} rows, {r0}-{r1 - 1}"
    before_p, after_p = f"{p[0, risen]:.1%}", f"{p[n, risen]:.1%}"
    if len(enough):
        text = (f"Erase the sneaker's sole and lower edge (its {say_rows}) and watch "
                f"{names[risen]}'s probability: {before_p} before, {after_p} after.")
    else:
        text = (f"Erase the sneaker's sole and lower edge (its {say_rows}): no other class "
                f"gains ten percentage points; {names[risen]} goes from {before_p} to "
                f"{after_p}.")
    checks = [{"kind": "blank_rows", "rows": [r0, r1], "source": i_shoe, "says": say_rows},
              {"kind": "probability", "class": risen, "pick": i_shoe, "says": before_p},
              {"kind": "probability", "class": risen, "says": after_p}]
    evidence = [f"the first sneaker, rows {r0}-{r1 - 1} erased ({n} rows):"]
    evidence += [f"  {names[k]:<12} {p[0, k]:7.1%} -> {p[n, k]:7.1%}"
                 for k in np.argsort(-np.maximum(p[0], p[n]))[:4]]
    out.append(LiveSuggestion(text, erased[n - 1], checks,
                              {"rows": n, "first_row": r0, "class": risen,
                               "before": float(p[0, risen]), "after": float(p[n, risen])},
                              evidence))

    # 3. a kernel set to zero (on a copy: the model is never changed)
    edited = keras.models.clone_model(model)
    edited.set_weights(model.get_weights())
    edited_runner = Runner(func, edited)
    conv_copy = edited.get_layer(layer)
    trained = p_all = probabilities(pixels)
    changed = []
    for k in range(kernels.shape[3]):
        zeroed = kernels.copy()
        zeroed[..., k] = 0.0
        conv_copy.set_weights([zeroed, bias] if conv.use_bias else [zeroed])
        now = probabilities(pixels, edited_runner)
        changed.append((np.flatnonzero(now.argmax(axis=1) != p_all.argmax(axis=1)), now))
    k_zero = max(range(len(changed)), key=lambda k: (len(changed[k][0]), -k))
    flat_before, flat_after = f"{bias[k_zero]:+.3f}", f"{max(float(bias[k_zero]), 0.0):.3f}"
    whole = {"kind": "region", "layer": layer, "channel": k_zero, "stat": "mean",
             "rows": [0, conv_spec["shape"][0]], "cols": [0, conv_spec["shape"][1]]}
    checks = [{"kind": "watched", "layer": layer, "channel": k_zero,
               "says": f"kernel {k_zero}'s"},
              {**whole, "values": "before", "stat": "ptp", "op": "<=", "value": 1e-6},
              {**whole, "values": "before", "says": f"bias ({flat_before})"},
              {**whole, "values": "after", "says": f"and {flat_after} after"}]
    start = (f"Set kernel {k_zero}'s weights to zero: its map turns flat, the bias "
             f"({flat_before}) before the ReLU and {flat_after} after it")
    evidence = [f"kernel {k} at zero: {len(found_k)} of {len(pixels)} predictions change"
                for k, (found_k, _) in enumerate(changed)]
    if len(changed[k_zero][0]):
        target = int(changed[k_zero][0][0])
        was, now = int(trained[target].argmax()), changed[k_zero][1][target]
        guess = int(now.argmax())
        text = (f"{start}, and this {names[labels[target]]} is no longer called "
                f"{names[was]} but {names[guess]} ({now[guess]:.0%}).")
        checks += [{"kind": "predicted", "class": guess},
                   {"kind": "probability", "class": guess, "says": f"({now[guess]:.0%})"},
                   {"kind": "predicted", "class": was, "pick": target, "trained": True}]
        evidence.append(f"-> kernel {k_zero}; pick {target}, a {names[labels[target]]}: "
                        f"{names[was]} {trained[target, was]:.0%} -> {names[guess]} "
                        f"{now[guess]:.0%}")
    else:
        target = 0
        text = f"{start}; no picture to pick changes its prediction."
    out.append(LiveSuggestion(
        text, pixels[target], checks,
        {"kernel": k_zero, "bias": float(bias[k_zero]), "image": target,
         "changed": len(changed[k_zero][0])}, evidence,
        kernel={"layer": layer, "index": k_zero, "weights": np.zeros(kh * kw)},
        watch={"layer": layer, "channel": k_zero}))

    # 4. black and white swapped
    shirt = pixels[first["T-shirt/top"]]
    inverted = np.round((1.0 - shirt) * 255) / 255
    p = probabilities(np.array([shirt, inverted]))
    guess = int(p[1].argmax())
    text = (f"Invert the t-shirt: the network, which has only seen light objects on black, "
            f"calls it {names[guess]} ({p[1, guess]:.0%}).")
    checks = [{"kind": "predicted", "class": guess},
              {"kind": "probability", "class": guess, "says": f"({p[1, guess]:.0%})"}]
    evidence = [f"t-shirt: {names[int(p[0].argmax())]} {p[0].max():.1%}; inverted: "
                f"{names[guess]} {p[1, guess]:.1%}"]
    out.append(LiveSuggestion(text, inverted, checks,
                              {"class": guess, "probability": float(p[1, guess])}, evidence))

    # 5. the arithmetic of one pixel: the sneaker's most negative pixel on the bar's map
    pre = before(shoe)[:, :, k_bar]
    negative = pre.min() < 0
    row, col = np.unravel_index(int(np.argmin(pre) if negative else np.argmax(pre)), pre.shape)
    patch = (low + (high - low) * shoe)[row:row + kh, col:col + kw]
    products = patch * kernels[:, :, 0, k_bar]
    total = float(products.sum())
    value = float(pre[row, col])
    count = {9: "nine"}.get(products.size, str(products.size))
    where = f"{layer} map {k_bar} at row {row}, column {col}"
    says = {"sum": f"{total:+.2f}", "bias": f"{bias[k_bar]:+.2f}", "before": f"{value:+.2f}",
            "value": f"{max(value, 0.0):.2f}"}
    text = (f"Pick the sneaker and hover {where}, its "
            f"{'most negative' if negative else 'brightest'} pixel: the {count} products "
            f"add up to {says['sum']}, plus the bias {says['bias']}, give {says['before']} "
            f"before the ReLU, and the ReLU makes it {says['value']}.")
    at = {"layer": layer, "row": int(row), "col": int(col), "channel": k_bar}
    checks = [{"kind": "inspected", **at, "says": where},
              {"kind": "extreme", **at, "values": "before",
               "which": "min" if negative else "max"}]
    checks += [{"kind": "inspect", **at, "field": field, "says": token}
               for field, token in says.items()]
    evidence = [f"{where}: the patch times the kernel,",
                *("  " + line for line in np.array2string(
                    products, precision=3, suppress_small=True).splitlines()),
                f"  sum {total:+.3f} + bias {bias[k_bar]:+.3f} = {value:+.3f}; ReLU "
                f"{max(value, 0.0):.3f}"]
    out.append(LiveSuggestion(text, shoe, checks,
                              {"row": int(row), "col": int(col), "sum": total,
                               "bias": float(bias[k_bar]), "before": value,
                               "value": max(value, 0.0)}, evidence,
                              inspect=at, watch={"layer": layer, "channel": k_bar},
                              modes={layer: "before"}))

    # 6. where the saliency is strongest
    i_trouser = first["Trouser"]
    trouser = pixels[i_trouser]
    x = (low + (high - low) * trouser)[np.newaxis, :, :, np.newaxis]
    sal = saliency(model, x)[0]
    r, c = np.unravel_index(int(np.argmax(np.abs(sal))), sal.shape)
    sign = int(np.sign(sal[r, c]))
    colour = "red (raises" if sign > 0 else "blue (lowers"
    guess = int(trained[i_trouser].argmax())
    text = (f"Pick the first trouser and look at the saliency: its strongest pixel, at row "
            f"{r}, column {c}, is {colour} {names[guess]}'s logit). Draw there and watch it "
            "change.")
    checks = [{"kind": "saliency_peak", "row": int(r), "col": int(c), "sign": sign,
               "says": f"row {r}, column {c}"},
              {"kind": "predicted", "class": guess}]
    evidence = [f"the first trouser: largest |saliency| {abs(sal[r, c]):.3f} at row {r}, "
                f"column {c}, sign {sign:+d}"]
    out.append(LiveSuggestion(text, trouser, checks,
                              {"row": int(r), "col": int(c), "sign": sign,
                               "saliency": float(sal[r, c])}, evidence))
    return out
