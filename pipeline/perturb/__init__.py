"""Seeded, language-aware perturbations of evaluation inputs (never of training data).

``Perturber(parse_perturbation('char_noise@0.1'), lang='de', seed=0)`` perturbs examples of any
head (``perturb_examples``); ``str(spec)`` is the store's ``perturbation`` value. See ``registry``
for the perturbations, ``examples`` for how labels and QA answers stay true, ``lexicon`` for the
code-switching word-list format.
"""

from pipeline.perturb.aligned import Aligned
from pipeline.perturb.context import Context
from pipeline.perturb.examples import HEADS, PerturbedData, Perturber, perturb_examples
from pipeline.perturb.lexicon import Lexicon, parse_lexicon, read_lexicon
from pipeline.perturb.registry import PERTURBATIONS, Perturbation, check_perturbation, get_perturbation, perturb_text
from pipeline.perturb.spec import CLEAN, PerturbationSpec, format_perturbation, parse_perturbation

__all__ = [
    "CLEAN",
    "HEADS",
    "PERTURBATIONS",
    "Aligned",
    "Context",
    "Lexicon",
    "Perturbation",
    "PerturbationSpec",
    "PerturbedData",
    "Perturber",
    "check_perturbation",
    "format_perturbation",
    "get_perturbation",
    "parse_lexicon",
    "parse_perturbation",
    "perturb_examples",
    "perturb_text",
    "read_lexicon",
]
