"""The training settings of :class:`w2gm.Word2GM`: one owner of defaults, validation, help and storage.

Every setting is declared once, in :data:`SETTINGS`, with its default, its
type and range, and a one-line help text (in the spirit of fastText's
``args.cc``).  From that table come:

* the defaults of :class:`w2gm.Word2GM` (its signature reads :data:`DEFAULTS`);
* the validation (:func:`validate_settings`), run by the model's constructor
  and again by ``train``; a bad value raises
  :class:`w2gm.exceptions.ParameterError` (a ``ValueError``) naming the
  setting, the value and the accepted range;
* the model file's ``settings`` record (:func:`settings_to_json`,
  :func:`settings_from_json`);
* the ``w2gm train`` options, one ``--dashed-name`` per setting
  (:func:`add_arguments`), with the same help and defaults.

Where a default differs from the paper (Athiwaratkun & Wilson 2017,
Appendix A.2), the help text says so and ``docs/quality.md`` has the measurement.

Every integer setting except ``seed`` has a maximum (:attr:`Setting.high`),
far above any useful value and low enough that no size, index or loop in the
kernels can overflow or run for ever:

=================== ============ ==================================================
setting             maximum      why
=================== ============ ==================================================
``num_mixtures``    1000         each (w, c) pair evaluates K*K component pairs and
                                 the per-job scratch holds 2*K*K*Dv floats (the
                                 paper uses 2 or 3)
``vector_size``     10000        with ``num_mixtures`` bounds the kernel's sizes
``window``          10000        the corpus readers cut sentences at 10000 words
``negative``        1000         each negative is one more energy per window (or per pair)
                                 (word2vec uses 1 to 25)
``min_count``       2**63 - 1    word counts are int64
``epochs``          10000        one progress record per epoch is kept
``workers``         1024         one thread each, 2 queued jobs per worker
``batch_words``     10000000     a job is a 4-byte index per word (40 MB)
``max_vocab_size``  2**31 - 1    the vocabulary table holds at most 2**31 - 1
                                 distinct words, so a larger limit never applies
``max_final_vocab`` 2**31 - 1    as ``max_vocab_size``
``heldout_triples`` 100000000    the sample is held in memory (three int32 each)
=================== ============ ==================================================

``seed`` takes any integer >= 0: NumPy seeds from any integer, and the
kernel's 64-bit job seeds are derived from it modulo 2**64.  ``max_vocab_size``
and ``max_final_vocab`` also take None (no limit, their default).

``ns_exponent`` (the exponent of the unigram distribution negative words are
drawn from) is accepted in ``-10 .. 10``: every count is below 2**63, so
``count ** ns_exponent`` and its sum over at most 2**31 - 1 words stay finite
and positive in float64 for any exponent in that range (0.75 in word2vec and
the paper; 0 samples every word equally, negative values favour rare words).

The bool settings also accept the integers 0 and 1 (gensim's ``sorted_vocab=1``
style) and store them as ``False`` / ``True``; on the command line each is a
``--name`` / ``--no-name`` pair.
"""

import argparse
import math
import numbers
from typing import NamedTuple

import numpy as np

from w2gm.exceptions import ParameterError

__all__ = ["Setting", "SETTINGS", "DEFAULTS", "OLDER_FILE_VALUES", "SETTING_NAMES", "check_setting",
           "real_as_float", "validate_settings", "settings_to_json", "settings_from_json", "add_arguments",
           "arguments_to_settings"]


class Setting(NamedTuple):
    """Declaration of one training setting.

    Attributes
    ----------
    name : str
        The :class:`w2gm.Word2GM` parameter (and ``--dashed-name`` option).
    default : object
        Default value.
    kind : str
        ``"int"``, ``"optint"`` (None or an integer), ``"float"``,
        ``"choice"``, ``"bool"`` or ``"bounds"`` (None or a ``(lower,
        upper)`` pair of positive floats).
    help : str
        One line for ``w2gm train --help``.
    low : float or None
        Smallest accepted value (numbers only).
    strict : bool
        Whether ``low`` itself is excluded.
    choices : tuple
        Accepted values of a ``"choice"`` setting.
    high : int or None
        Largest accepted value of an ``"int"`` or ``"optint"`` setting (None: no maximum).
        Every integer that sizes memory, a loop or a C integer has one, so
        that a huge value is refused up front instead of overflowing (or
        running for ever) in the training kernel.
    """

    name: str
    default: object
    kind: str
    help: str
    low: object = None
    strict: bool = False
    choices: tuple = ()
    high: object = None

    def check(self, value):
        """Return `value` normalised (Python int/float/tuple) or raise :class:`ParameterError`."""
        return _CHECKERS[self.kind](self, value)


def _shown(value, limit=80):
    """``repr(value)``, cut to ``limit`` characters (a hostile value can be huge)."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


def _check_int(setting, value):
    if (isinstance(value, bool) or not isinstance(value, numbers.Integral)
            or value < setting.low or (setting.high is not None and value > setting.high)):
        raise ParameterError(f"{setting.name} must be an integer {_int_range(setting)}, got {_shown(value)}")
    return int(value)


def _check_optint(setting, value):
    if value is None:
        return None
    if (isinstance(value, bool) or not isinstance(value, numbers.Integral)
            or value < setting.low or (setting.high is not None and value > setting.high)):
        raise ParameterError(f"{setting.name} must be None or an integer {_int_range(setting)}, "
                             f"got {_shown(value)}")
    return int(value)


def _int_range(setting):
    if setting.high is None:
        return f">= {setting.low}"
    return f"from {setting.low} to {setting.high}"


def real_as_float(value):
    """`value` as a ``float`` if it is a real number other than a bool, else None.

    An integer beyond float's range becomes an infinity of its sign, where
    ``float()`` raises ``OverflowError``; the callers then refuse or clip it
    by their own range.
    """
    if not isinstance(value, numbers.Real) or isinstance(value, bool):
        return None
    try:
        return float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf


def _check_float(setting, value):
    if value is None and setting.default is None:  # resolved by validate_settings
        return None
    number = real_as_float(value)
    none_or = "None or " if setting.default is None else ""
    if number is None or not math.isfinite(number):
        raise ParameterError(f"{setting.name} must be {none_or}a finite number, got {_shown(value)}")
    low = setting.low if setting.low is not None else -FLOAT_MAX
    high = setting.high if setting.high is not None else FLOAT_MAX
    if (number <= low if setting.strict else number < low) or number > high:
        raise ParameterError(
            f"{setting.name} must be {none_or}{_float_range(setting, low, high)}, got {_shown(value)}")
    return number


def _float_range(setting, low, high):
    return f"{'>' if setting.strict else '>='} {low:g} and <= {high:g}"


def _check_choice(setting, value):
    if not isinstance(value, str) or value not in setting.choices:
        allowed = " or ".join(repr(c) for c in setting.choices)
        raise ParameterError(f"{setting.name} must be {allowed}, got {_shown(value)}")
    return value


def _check_bool(setting, value):
    # 0 and 1 as well: gensim's own signature writes sorted_vocab=1
    if not isinstance(value, (bool, np.bool_)) and not (
            isinstance(value, numbers.Integral) and value in (0, 1)):
        raise ParameterError(f"{setting.name} must be True or False (or 1 or 0), got {_shown(value)}")
    return bool(value)


def _check_bounds(setting, value):
    if value is None:
        return None
    try:
        lower, upper = (float(b) if isinstance(b, numbers.Real) and not isinstance(b, bool) else math.nan
                        for b in value)
    except (TypeError, ValueError, OverflowError):
        lower = upper = math.nan
    if not (FLOAT_TINY <= lower <= upper <= FLOAT_MAX):
        raise ParameterError(f"{setting.name} must be None or (lower, upper) with {FLOAT_TINY:g} <= lower "
                             f"<= upper <= {FLOAT_MAX:g}, got {_shown(value)}")
    return (lower, upper)


#: Largest magnitude of a float setting: the kernels compute in float32 (largest finite 3.4e38),
#: and squares and sums of settings-sized values must stay finite there.
FLOAT_MAX = 1e30
#: Smallest value of a float setting that must be positive (a variance, a learning rate): it
#: stays a normal float32 (smallest 1.2e-38), so its logarithm is finite.
FLOAT_TINY = 1e-30
#: Learning rate that ``alpha=None`` picks for Adagrad.
ADAGRAD_ALPHA = 0.1
#: ``alpha=None`` with plain SGD picks ``SGD_ALPHA / negative``: the centre word takes one gradient
#: step per negative, and on the shared corpus SGD diverged with 0.1, with 0.05 at ``negative=5``
#: and with 0.025 at ``negative=10``, while ``0.025 / negative`` trained in every combination
#: measured (``docs/robustness.md``).
SGD_ALPHA = 0.025


def default_alpha(optimizer, negative):
    """The learning rate ``alpha=None`` stands for (see :data:`ADAGRAD_ALPHA`, :data:`SGD_ALPHA`)."""
    return ADAGRAD_ALPHA if optimizer == "adagrad" else SGD_ALPHA / negative

_CHECKERS = {"int": _check_int, "optint": _check_optint, "float": _check_float,
             "choice": _check_choice, "bool": _check_bool, "bounds": _check_bounds}

#: Smallest positive ``heldout_fraction``: below it ``fraction * 2**64`` is a hash threshold so
#: small (0 below about 5e-20) that no sentence of any real corpus would be held out.
HELDOUT_FRACTION_MIN = 1e-9

#: The settings in the order of the :class:`w2gm.Word2GM` signature.
SETTINGS = (
    Setting("num_mixtures", 2, "int",
            "mixture components K per word (paper: 2; each pair costs K*K energies)", low=1, high=1000),
    Setting("vector_size", 50, "int", "dimension D of the component means (paper: 50)", low=1,
            high=10_000),
    Setting("covariance", "spherical", "choice", "covariance of each component",
            choices=("spherical", "diagonal")),
    Setting("window", 10, "int", "maximum context window; each centre word draws its own in 1..window "
            "(the corpus readers cut sentences at 10000 words by default)", low=1, high=10_000),
    Setting("min_count", 5, "int", "drop words rarer than this (counts are 64-bit)", low=1,
            high=2**63 - 1),
    Setting("sample", 1e-5, "float", "subsampling threshold of frequent words (0 disables)", low=0.0,
            high=1.0),
    Setting("negative", 5, "int",
            "negative context words per centre word's window with shared negatives (default), "
            "per (w, c) pair without (the paper: 1 per pair)", low=1, high=1000),
    Setting("margin", 1.0, "float", "margin m of the max-margin loss (Section 3.3)", low=FLOAT_TINY,
            high=1e6),
    Setting("var_scale", 0.5, "float", "initial variance of every component (paper: 0.05)",
            low=FLOAT_TINY, high=1e6),
    Setting("mu_scale", 1.0, "float", "means start uniform in +-mu_scale*sqrt(3/D)", low=0.0, high=1e6),
    Setting("alpha", None, "float", "initial learning rate (default: 0.1 with adagrad, paper: 0.05; "
            "0.025/negative with sgd)", low=FLOAT_TINY, high=FLOAT_MAX),
    Setting("min_alpha", 1e-5, "float", "final learning rate", low=0.0, high=FLOAT_MAX),
    Setting("epochs", 5, "int", "passes over the corpus", low=1, high=10_000),
    Setting("workers", 3, "int", "training threads", low=1, high=1024),
    Setting("seed", 1, "int", "random seed; workers=1 is deterministic", low=0),
    Setting("optimizer", "adagrad", "choice", "per-parameter Adagrad or plain SGD",
            choices=("adagrad", "sgd")),
    Setting("adagrad_initial_accumulator", 0.1, "float", "starting value of the Adagrad accumulators",
            low=FLOAT_TINY, high=FLOAT_MAX),
    Setting("separate_output", False, "bool",
            "separate output distributions for context words (the original's wout)"),
    Setting("var_bounds", None, "bounds", "clip variances to [LOWER, UPPER] after every update"),
    Setting("eps", 1e-4, "float", "epsilon added to summed variances (Appendix A.2)", low=0.0, high=1e6),
    Setting("batch_words", 10000, "int",
            "words per job handed to a worker thread (2 jobs per worker are queued)", low=1,
            high=10_000_000),
    Setting("compute_loss", True, "bool",
            "sum the training loss into running_training_loss (get_latest_training_loss)"),
    Setting("ns_exponent", 0.75, "float",
            "exponent of the unigram distribution negative words are drawn from (paper: 0.75)",
            low=-10.0, high=10.0),
    Setting("max_vocab_size", None, "optint",
            "prune the rarest words while scanning whenever more distinct words than this are held",
            low=1, high=2**31 - 1),
    Setting("max_final_vocab", None, "optint",
            "raise min_count so that at most this many words are kept", low=1,
            high=2**31 - 1),
    Setting("sorted_vocab", True, "bool",
            "order the vocabulary by decreasing count (else in first-seen order)"),
    Setting("shrink_windows", True, "bool",
            "draw each centre word's window uniformly from 1..window (else always the full window)"),
    Setting("heldout_fraction", 0.0, "float",
            "hold this fraction of the corpus out of training and report the loss of a fixed sample "
            f"of its triples after every epoch (0 disables; else {HELDOUT_FRACTION_MIN:g}..0.5)",
            low=0.0, high=0.5),
    Setting("heldout_triples", 100_000, "int", "(w, c, c') triples of the held-out sample", low=1,
            high=100_000_000),
    Setting("variance_lr_factor", 1.0, "float",
            "learning rate of the log-variances = alpha * this factor (1: the means' rate)",
            low=FLOAT_TINY, high=1e6),
    Setting("logit_lr_factor", 1.0, "float",
            "learning rate of the mixture logits = alpha * this factor (1: the means' rate)",
            low=FLOAT_TINY, high=1e6),
    Setting("max_partial_energy", False, "bool",
            "log energy = max over component pairs of log p_i + log q_j + xi_ij instead of their "
            "log-sum-exp (a log-domain variant of the original's max_pe, which takes the arg-max "
            "of the unweighted xi_ij and returns xi_max * p_i * q_j)"),
    Setting("norm_cap", None, "float",
            "after every update rescale each mean vector longer than this to this L2 norm "
            "(the original's norm_cap, 3.0 there; default: no cap)", low=FLOAT_TINY,
            high=FLOAT_MAX),
    Setting("shared_negatives", True, "bool",
            "draw the negative words once per centre word and pair them with every context word "
            "of its window (the window-batched kernel, pWord2Vec; a window costs contexts + "
            "negative energies instead of contexts * (1 + negative)); --no-shared-negatives "
            "--negative 1: the paper's one negative per (w, c) pair"),
    Setting("adagrad_state", "scalar", "choice",
            "Adagrad accumulators: 'scalar' one per parameter (the paper's Adagrad); 'row' one per "
            "parameter row (a component's D means or diagonal log-variances, a word's K logits), "
            "acc += mean(g^2) over the row, then every value steps by lr*g/sqrt(acc)",
            choices=("scalar", "row")),
)

#: Setting name -> default value.
DEFAULTS = {s.name: s.default for s in SETTINGS}

#: Values of settings whose default changed, for model files written before the change (their
#: settings record lacks the name): such a model keeps training as it was trained.  Issue 13 made
#: the window-batched kernel the default (``shared_negatives`` True, formerly False;
#: ``docs/training.md``, "Shared negatives").  ``negative`` changed its default too (5, formerly
#: 1), but every settings record holds it.
OLDER_FILE_VALUES = {"shared_negatives": False}
#: Setting names in signature order.
SETTING_NAMES = tuple(DEFAULTS)
_BY_NAME = {s.name: s for s in SETTINGS}


def check_setting(name, value):
    """Check one setting's value (e.g. an ``epochs`` override); return it normalised.

    Raises
    ------
    ParameterError
        If `value` is invalid for setting `name` (or `name` is unknown).
    """
    if name not in _BY_NAME:
        raise ParameterError(f"unknown setting {name!r}")
    return _BY_NAME[name].check(value)


def validate_settings(values):
    """Check every setting and their consistency; return them normalised.

    Parameters
    ----------
    values : dict
        ``{name: value}`` for every name in :data:`SETTING_NAMES`.

    Returns
    -------
    dict
        The values as plain Python types (NumPy scalars converted, bounds
        as a tuple).

    Raises
    ------
    ParameterError
        For the first invalid value (the message names the setting, the
        value and the accepted range), for ``min_alpha > alpha``, for a
        ``heldout_fraction`` in ``(0, HELDOUT_FRACTION_MIN)``, or for an
        unknown or missing name.

    Notes
    -----
    ``alpha=None`` becomes :func:`default_alpha` of the optimizer and ``negative``.
    """
    unknown = sorted(set(values) - set(_BY_NAME))
    missing = [name for name in SETTING_NAMES if name not in values]
    if unknown or missing:
        raise ParameterError(f"unknown settings {unknown} / missing settings {missing}")
    out = {name: _BY_NAME[name].check(values[name]) for name in SETTING_NAMES}
    if out["alpha"] is None:
        out["alpha"] = default_alpha(out["optimizer"], out["negative"])
    if out["min_alpha"] > out["alpha"]:
        raise ParameterError(f"min_alpha ({out['min_alpha']!r}) must not exceed alpha ({out['alpha']!r})")
    if 0 < out["heldout_fraction"] < HELDOUT_FRACTION_MIN:
        raise ParameterError(f"heldout_fraction must be 0 (off) or >= {HELDOUT_FRACTION_MIN:g} and <= 0.5, "
                             f"got {out['heldout_fraction']!r} (it would hold out nothing)")
    return out


def settings_to_json(values):
    """The settings as a JSON-serialisable dict (bounds as a list)."""
    return {name: list(v) if isinstance(v, tuple) else v for name, v in validate_settings(values).items()}


def settings_from_json(record):
    """Settings read back from a model file: known names only, each validated.

    Parameters
    ----------
    record : dict
        As written by :func:`settings_to_json`.  Names missing from an older
        file take their value in :data:`OLDER_FILE_VALUES` if they have one
        (a setting whose default changed since), else their default.

    Returns
    -------
    dict
        Validated settings for every name in :data:`SETTING_NAMES`.

    Raises
    ------
    ParameterError
        If `record` is not a dict, holds an unknown name, or a value is
        invalid.
    """
    if not isinstance(record, dict):
        raise ParameterError(f"the settings record is a {type(record).__name__}, not a dict")
    unknown = sorted(set(record) - set(_BY_NAME), key=str)
    if unknown:
        raise ParameterError(f"unknown settings {unknown}")
    values = {**DEFAULTS, **OLDER_FILE_VALUES, **record}
    if isinstance(values["var_bounds"], list):
        values["var_bounds"] = tuple(values["var_bounds"])
    return validate_settings(values)


_ARG_TYPES = {"int": int, "optint": int, "float": float, "choice": str}


def add_arguments(parser):
    """Add one ``--dashed-name`` option per setting to an argparse parser.

    Help texts, defaults and (for integers) the accepted range come from
    :data:`SETTINGS`; the values are validated by :func:`validate_settings`
    when the model is built.  A bool setting is a ``--name`` / ``--no-name``
    pair (``argparse.BooleanOptionalAction``), so that the settings whose
    default is True (``sorted_vocab``, ``shrink_windows``, ``compute_loss``,
    ``shared_negatives``) can be switched off.
    """
    for s in SETTINGS:
        flag = "--" + s.name.replace("_", "-")
        if s.kind == "bool":
            parser.add_argument(flag, dest=s.name, action=argparse.BooleanOptionalAction,
                                default=s.default, help=s.help)
        elif s.kind == "bounds":
            parser.add_argument(flag, dest=s.name, type=float, nargs=2, metavar=("LOWER", "UPPER"),
                                default=s.default, help=s.help)
        else:
            if s.kind == "optint":
                default = f" (default: none{_help_range(s)})"
            else:
                default = "" if s.default is None else f" (default: {s.default}{_help_range(s)})"
            parser.add_argument(flag, dest=s.name, type=_ARG_TYPES[s.kind], default=s.default,
                                help=s.help + default)


def _help_range(setting):
    if setting.kind not in ("int", "optint"):
        return ""
    if setting.high is None:
        return f"; >= {setting.low}"
    return f"; {setting.low}..{setting.high}"


def arguments_to_settings(args):
    """The settings of an argparse namespace built with :func:`add_arguments`."""
    values = {name: getattr(args, name) for name in SETTING_NAMES}
    if values["var_bounds"] is not None:
        values["var_bounds"] = tuple(values["var_bounds"])
    return values
