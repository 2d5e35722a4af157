"""The exceptions w2gm raises for bad input, bad files and failed training.

Every one derives from :class:`W2GMError` and from the built-in exception a
caller would catch without knowing w2gm (``ValueError`` for a bad value,
``KeyError`` for an unknown word, ...), so ``except ValueError`` keeps
working and ``except W2GMError`` catches exactly what w2gm reports about its
input.  The command line prints a :class:`W2GMError` (and an ``OSError``) as
one line and exits with status 2; anything else is a bug and keeps its
traceback.

=========================== ======================= =============================================
exception                   also a                  raised when
=========================== ======================= =============================================
:class:`ParameterError`     ``ValueError``          a setting or argument is out of range
:class:`CorpusError`        ``TypeError``           a corpus is not a restartable iterable of
                                                    token lists, a token is not a ``str``, or
                                                    a corpus file's compressed data is corrupt
:class:`EmptyVocabularyError` ``ValueError``        the corpus is empty or ``min_count`` keeps
                                                    no word
:class:`NotTrainedError`    ``RuntimeError``        a model without vocabulary is trained/saved
:class:`WordNotInVocabularyError` ``KeyError``      a word is not in the vocabulary
:class:`ComponentIndexError` ``IndexError``         a mixture component index is out of range
:class:`ModelFileError`     ``ValueError``          a model file cannot be loaded
:class:`Word2VecFormatError` ``ValueError``         a word2vec file is malformed, or a word
                                                    cannot be written in that format
:class:`DatasetFormatError` ``ValueError``          an evaluation dataset holds no valid item,
                                                    or is not UTF-8 text, or is corrupt
:class:`TrainingDivergedError` ``FloatingPointError`` a loss or parameter became NaN/infinite
:class:`UnsupportedArgumentError` ``TypeError``     a gensim argument that does not apply to
                                                    Word2GM is passed (``sg``, ``hs``, ``size``...)
=========================== ======================= =============================================
"""

__all__ = [
    "W2GMError",
    "ParameterError",
    "CorpusError",
    "EmptyVocabularyError",
    "NotTrainedError",
    "WordNotInVocabularyError",
    "ComponentIndexError",
    "ModelFileError",
    "Word2VecFormatError",
    "DatasetFormatError",
    "TrainingDivergedError",
    "UnsupportedArgumentError",
]


class W2GMError(Exception):
    """Base class of every exception w2gm raises about its input or its training."""


class ParameterError(W2GMError, ValueError):
    """A setting or argument is out of range; the message names it and the valid values."""


class CorpusError(W2GMError, TypeError):
    """The corpus is not a restartable iterable of token lists, or a token is not a ``str``.

    Also raised while reading a corpus file whose compressed data is truncated
    or corrupt (:class:`w2gm.LineSentence`, :class:`w2gm.Text8Corpus`).
    """


class EmptyVocabularyError(W2GMError, ValueError):
    """The corpus is empty, or ``min_count`` leaves no word in the vocabulary."""


class NotTrainedError(W2GMError, RuntimeError):
    """The model has no vocabulary yet (call ``build_vocab`` or ``load`` first)."""


class WordNotInVocabularyError(W2GMError, KeyError):
    """A word is not in the vocabulary.

    ``str()`` gives the message itself (a plain ``KeyError`` would quote it).
    """

    def __str__(self):
        return str(self.args[0]) if self.args else ""


class ComponentIndexError(W2GMError, IndexError):
    """A mixture component index is not an integer in ``0 .. K-1``."""


class ModelFileError(W2GMError, ValueError):
    """A model file cannot be loaded: truncated, foreign, inconsistent or invalid."""


class Word2VecFormatError(W2GMError, ValueError):
    """A word2vec file is malformed, or a word cannot be written in the format."""


class DatasetFormatError(W2GMError, ValueError):
    """An evaluation dataset file holds no valid item, is not UTF-8 text, or is corrupt."""


class TrainingDivergedError(W2GMError, FloatingPointError):
    """A training loss or parameter became NaN or infinite; training stopped."""


class UnsupportedArgumentError(W2GMError, TypeError):
    """A gensim argument that has no meaning for Word2GM was passed (e.g. ``sg``, ``hs``, ``size``).

    The message names the argument, says why it does not apply (or which
    Word2GM argument replaces a gensim 3 name) and points to ``docs/gensim.md``.
    Keywords that gensim does not know either raise Python's plain
    ``TypeError``.
    """
