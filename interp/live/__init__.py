"""The network, live: a Keras CNN exported to run in a web page, layer by layer.

:func:`export_live` writes a model's weights and layer graph, a few images to pick from and
suggestions of what to try into one self-contained piece of HTML. Its JavaScript
(``interp/live/static/interp-live.js``, shipped with the package) runs the forward pass
and the input gradient in the page, with no other script, no WebAssembly and nothing
loaded from anywhere, so the view works from ``file://``, offline and on any static host.
The gallery page "The network, live" and ``interp report`` both call this package: it is
the only Python code that knows the format the JavaScript reads.

- :mod:`interp.live.spec`: the model as the page runs it (:func:`model_spec`,
  :func:`check_live`) and the page's colours (:func:`colormap`);
- :mod:`interp.live.view`: the view itself (:func:`export_live`, :class:`LiveView`,
  :func:`report_view` for ``interp report``);
- :mod:`interp.live.suggestions`: what to try on the course's network, measured
  (:func:`live_suggestions`, :class:`LiveSuggestion`);
- ``static/``: ``interp-live.js`` and ``interp-live.css``, inlined into every view.

What the page can run (anything else is refused with a :class:`LiveError` naming the layer):

- one image input of at most :data:`MAX_SIDE` x :data:`MAX_SIDE` pixels with 1 or 3
  channels, channels last;
- ``Conv2D`` (``valid`` or ``same`` padding, any strides and dilation, no groups),
  ``Dense`` on a flat input, ``Flatten``, ``MaxPooling2D``/``AveragePooling2D``,
  ``GlobalMaxPooling2D``/``GlobalAveragePooling2D``, ``BatchNormalization`` (as the
  per-channel scale and shift it computes at inference), ``Rescaling``, ``Add``,
  ``Concatenate`` (last axis), ``Activation``/``ReLU``/``LeakyReLU``/``Softmax`` and
  ``Dropout``-like layers (identities at inference);
- activations ``linear``, ``relu``, ``sigmoid``, ``tanh``, ``softmax``;
- Sequential and Functional models without nested models or shared layers.

Importing the package reads no file and imports neither Keras nor matplotlib.
"""

from .spec import FORMAT, MAX_SIDE, MAX_WEIGHTS, LiveError, check_live, colormap, model_spec
from .suggestions import LiveSuggestion, live_suggestions
from .view import MAX_CHANNELS, LiveView, export_live, report_view, runtime_files, standalone_page

__all__ = [
    "FORMAT", "MAX_CHANNELS", "MAX_SIDE", "MAX_WEIGHTS", "LiveError", "LiveSuggestion",
    "LiveView", "check_live", "colormap", "export_live", "live_suggestions", "model_spec",
    "report_view", "runtime_files", "standalone_page",
]
