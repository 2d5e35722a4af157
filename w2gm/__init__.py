"""w2gm: multimodal word distributions (Word2GM) with fast nogil Cython kernels.

Athiwaratkun & Wilson (2017), "Multimodal Word Distributions", ACL.  Every
word is a Gaussian mixture of K components; see :class:`Word2GM`.
"""

import logging

from w2gm.corpora import LineSentence, Text8Corpus, sample_corpus, sample_corpus_path
from w2gm.keyed_mixtures import KeyedGaussianMixtures
from w2gm.plotting import plot_mixtures
from w2gm.projector import write_projector, write_tsv
from w2gm.senses import Disambiguation, Sense, SenseTag, WordSenses
from w2gm.word2gm import RULE_DEFAULT, RULE_DISCARD, RULE_KEEP, Word2GM

__version__ = "0.1.0"

__all__ = ["Word2GM", "KeyedGaussianMixtures", "LineSentence", "Text8Corpus", "sample_corpus",
           "sample_corpus_path", "RULE_DEFAULT", "RULE_DISCARD", "RULE_KEEP", "Disambiguation", "Sense",
           "SenseTag", "WordSenses", "plot_mixtures", "write_projector", "write_tsv", "__version__"]

logging.getLogger(__name__).addHandler(logging.NullHandler())
