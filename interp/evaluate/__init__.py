"""Which explanation to trust: measurements of whether a map explains the network.

Three families of checks, all standard in the literature:

- **Faithfulness** (:mod:`interp.evaluate.faithfulness`). :func:`deletion` removes the
  pixels a map ranks highest and records how fast the class probability falls;
  :func:`insertion` puts them back into a blurred copy and records how fast it rises
  :cite:p:`petsiuk2018` ("RISE"); :func:`road` removes them too but imputes them from
  their neighbours, so that the removal's shape tells the model nothing
  :cite:p:`rong2022`.
- **Robustness** (:mod:`interp.evaluate.robustness`). :func:`max_sensitivity` reports
  the largest relative change of a map under small random perturbations of the image
  :cite:p:`yeh2019`.
- **Sanity checks** (:mod:`interp.evaluate.randomization`) :cite:p:`adebayo2018`. A map
  that hardly changes when the network changes was never explaining the network.
  :func:`model_randomization` draws every weight afresh; :func:`cascading_randomization`
  does it one layer more at a time, from the output down; :func:`independent_randomization`
  one layer alone at a time; :func:`data_randomization` compares with a network trained on
  shuffled labels (see :func:`interp.trained_model`); :func:`random_logit` compares the
  map for the target class with the map for a random other class :cite:p:`sixt2020`.

Maps are compared with :func:`rank_correlation`, Spearman's rank correlation with tied
values sharing their average rank. The randomization checks report it for the signed maps
(``similarity``) and for their absolute values (``similarity_abs``), as the paper does.
Every public name here is importable from ``interp``.
"""

from .faithfulness import (
    BLUR_SIGMA,
    BLUR_SIZE,
    Curve,
    Fidelity,
    deletion,
    infidelity,
    insertion,
    mu_fidelity,
    road,
)
from .randomization import (
    SANITY_LINE,
    LayerRandomization,
    RandomizationCheck,
    RandomLogit,
    cascading_randomization,
    data_randomization,
    independent_randomization,
    model_randomization,
    passes_sanity_check,
    random_logit,
    randomized_copy,
    rank_correlation,
)
from .robustness import Sensitivity, max_sensitivity

__all__ = [
    "BLUR_SIGMA",
    "BLUR_SIZE",
    "SANITY_LINE",
    "Curve",
    "Fidelity",
    "LayerRandomization",
    "RandomLogit",
    "RandomizationCheck",
    "Sensitivity",
    "cascading_randomization",
    "data_randomization",
    "deletion",
    "independent_randomization",
    "infidelity",
    "insertion",
    "max_sensitivity",
    "model_randomization",
    "mu_fidelity",
    "passes_sanity_check",
    "random_logit",
    "randomized_copy",
    "rank_correlation",
    "road",
]
