"""The public surface is small and deliberate: what the package exports, and that every module says what it exports."""

from __future__ import annotations

import importlib
import pkgutil

import chronique

PUBLIC = {
    "EMBEDDERS", "Article", "ChroniqueError", "ConfigError", "Disagreement", "Event", "EventClusterer", "Failure",
    "InputError", "Mention", "ModelError", "Pipeline", "RawDocument", "RunResult", "Settings", "Store", "StoreError",
    "Story", "SummarySentence", "TimeExpression", "build_report", "find_disagreements", "find_duplicates",
    "get_embedder", "load_settings", "pair_features", "pair_score", "register_embedder", "event_provenance", "outlet_of",
    "Interaction", "build_contacts",
}  # fmt: skip


def test_the_package_exports_what_it_means_to() -> None:
    assert set(chronique.__all__) == PUBLIC
    assert all(getattr(chronique, name, None) is not None for name in chronique.__all__)


def test_every_public_module_declares_its_exports() -> None:
    missing = []
    for info in pkgutil.walk_packages(chronique.__path__, "chronique."):
        if any(part.startswith("_") for part in info.name.split(".")[1:]):
            continue  # private modules (underscored) need not
        module = importlib.import_module(info.name)
        names = getattr(module, "__all__", None)
        if names is None or not all(hasattr(module, n) for n in names):
            missing.append(info.name)
    assert missing == []
