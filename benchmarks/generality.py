"""Do the learned variances order words by generality?  WordNet depth against ``generality``.

For every vocabulary word among the ``--top`` most frequent that is itself a WordNet noun lemma
(``wn.lemmas(word, pos="n")`` non-empty; nltk's morphological reduction alone would also map
plurals and inflected forms such as "was" -> washington to nouns), take the depth of its first (most
frequent) noun sense: the length of the shortest hypernym path from that
synset to the root ``entity.n.01`` (``Synset.min_depth``).  Shallower nouns are more general
("entity" 0, "animal" 6, "dog" 8).  The script prints, per model, Spearman correlations between:

* ``generality`` (``w2gm.senses.generality``: the mixture-weighted mean log-variance; larger is
  more general) and WordNet depth.  **Negative is the paper's hypothesis** (Section 4.6: general
  words get broad distributions);
* ``generality`` and log word count, and WordNet depth and log word count, because frequency
  could drive both;
* ``generality`` and depth within frequency bands (deciles of count among the scored words),
  averaged over the bands: the part of the relation that frequency does not explain.

Usage::

    python benchmarks/generality.py MODEL.npz [MODEL.npz ...] [--top 20000]

Needs nltk and its WordNet 3.0 data (``python -m nltk.downloader wordnet``).  Benchmark-only:
nltk is not a dependency of w2gm.  Offline, the figures in ``docs/quality.md`` used Debian's
``wordnet-base`` 3.0 database files copied to ``~/nltk_data/corpora/wordnet`` (nltk refuses a
symbolic link to ``/usr/share/wordnet``), plus the two files nltk opens that the package lacks: a
``lexnames`` file written from the lexnames(5WN) manual page (number, name, and syntactic category
1-4 of each of the 45 lexicographer files) and an empty ``index.sense`` (depths do not use it).
"""
import argparse

import numpy as np
from scipy.stats import spearmanr

from w2gm import Word2GM
from w2gm.senses import generality


def wordnet_depths(words):
    """Depth of each word's first noun synset, or -1 where the word is no WordNet noun lemma."""
    from nltk.corpus import wordnet as wn
    depths = np.full(len(words), -1, dtype=np.int64)
    for i, word in enumerate(words):
        lemmas = wn.lemmas(word, pos=wn.NOUN)
        if lemmas:
            depths[i] = lemmas[0].synset().min_depth()
    return depths


def banded_spearman(x, y, counts, bands=10):
    """Mean Spearman correlation of x and y within quantile bands of counts."""
    edges = np.quantile(counts, np.linspace(0, 1, bands + 1))
    band = np.clip(np.searchsorted(edges, counts, side="right") - 1, 0, bands - 1)
    rhos = [spearmanr(x[band == b], y[band == b])[0] for b in range(bands) if (band == b).sum() > 10]
    return float(np.mean(rhos)), len(rhos)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="+")
    parser.add_argument("--top", type=int, default=20000, help="most frequent words considered")
    args = parser.parse_args()
    print(f"{'model':40s} {'nouns':>6s} {'rho(g,depth)':>13s} {'rho(g,logc)':>12s} "
          f"{'rho(depth,logc)':>16s} {'rho(g,depth) in count deciles':>30s} {'mean var':>9s}")
    cache = {}
    for path in args.models:
        wv = Word2GM.load(path).wv
        words = list(wv.index_to_key[:args.top])
        key = tuple(words)
        if key not in cache:
            cache[key] = wordnet_depths(words)
        depths = cache[key]
        found = depths >= 0
        nouns = [w for w, f in zip(words, found) if f]
        g = generality(wv, nouns)
        counts = np.array([wv.get_vecattr(w, "count") for w in nouns], dtype=np.float64)
        d = depths[found].astype(np.float64)
        rho_gd = spearmanr(g, d)[0]
        rho_gc = spearmanr(g, np.log(counts))[0]
        rho_dc = spearmanr(d, np.log(counts))[0]
        banded, nb = banded_spearman(g, d, counts)
        mean_var = float(np.exp(np.asarray(wv.log_variances, dtype=np.float64)).mean())
        print(f"{path[-40:]:40s} {len(nouns):6d} {rho_gd:13.3f} {rho_gc:12.3f} {rho_dc:16.3f} "
              f"{banded:25.3f} ({nb:d}) {mean_var:9.3f}", flush=True)


if __name__ == "__main__":
    main()
