"""Preflight against the Hugging Face hub: repository metadata (one request per repository), at most the first
rows of a split by streaming, never a download.

A dataset repository's card (``dataset_info``/``configs`` in its README) lists its configs, their splits,
features (columns, class-label names) and sizes; a repository that still ships a loading script is refused by
``datasets`` >= 3, so it fails here too. When the card does not describe a config's features, its first rows
are streamed instead. Without the hub (``HF_HUB_OFFLINE=1`` or unreachable) nothing is asked: the checks that
need it say so, and models are looked up in the local cache.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

from huggingface_hub import HfApi, constants, try_to_load_from_cache
from huggingface_hub.errors import HfHubHTTPError

from pipeline.preflight.needs import DataNeed
from pipeline.preflight.result import Check
from pipeline.preflight.rows import FIRST_ROWS, judge_rows, missing_columns

TIMEOUT = 15.0
#: Files a model needs besides its weights: its config and one of these tokenizer files.
TOKENIZER_FILES = ("tokenizer.json", "sentencepiece.bpe.model", "tokenizer.model", "spiece.model", "vocab.txt")
WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin")
DEFAULT_CONFIG = "default"


class HubUnavailable(Exception):
    """The hub cannot be asked (offline mode, or the first request failed to connect)."""


@dataclass
class ConfigMeta:
    """What a dataset card says about one config (None: not said)."""

    splits: dict[str, int | None] = field(default_factory=dict)
    features: dict[str, tuple[str, ...] | None] | None = None
    download_bytes: int | None = None
    #: Marked ``default: true`` in the card's ``configs`` (or named "default").
    default: bool = False


@dataclass
class DatasetMeta:
    script: bool
    configs: dict[str, ConfigMeta]

    def config_name(self, config: str | None) -> str:
        """The config ``load_dataset`` reads for ``config`` (None: the card's default, or its only config)."""
        if config is not None:
            return config
        marked = [name for name, meta in self.configs.items() if meta.default]
        if marked:
            return marked[0]
        return next(iter(self.configs)) if len(self.configs) == 1 else DEFAULT_CONFIG


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:200] if text else type(exc).__name__


def _class_names(label: Mapping[str, Any]) -> tuple[str, ...]:
    names = label.get("names", ())
    if isinstance(names, Mapping):
        return tuple(names[k] for k in sorted(names, key=int))
    return tuple(names)


def _walk(name: str, spec: Mapping[str, Any], out: dict[str, tuple[str, ...] | None]) -> None:
    """Record ``name`` and its nested fields (dotted, as ``Dataset.flatten`` names them) with class-label names."""
    if "class_label" in spec:
        out[name] = _class_names(spec["class_label"])
    else:
        out.setdefault(name, None)
    for key in ("struct", "sequence", "list", "large_list"):
        inner = spec.get(key)
        if isinstance(inner, list):
            for sub in inner:
                _walk(f"{name}.{sub['name']}", sub, out)
        elif isinstance(inner, Mapping):
            _walk(name, inner, out)


def card_configs(card: Mapping[str, Any]) -> dict[str, ConfigMeta]:
    """Configs of a dataset card's ``configs`` and ``dataset_info`` entries."""
    configs: dict[str, ConfigMeta] = {}
    for entry in card.get("configs") or ():
        if isinstance(entry, Mapping):
            name = entry.get("config_name", DEFAULT_CONFIG)
            meta = configs.setdefault(name, ConfigMeta())
            meta.default = bool(entry.get("default")) or name == DEFAULT_CONFIG
            files = entry.get("data_files")
            for item in files if isinstance(files, list) else ():
                if isinstance(item, Mapping) and "split" in item:
                    meta.splits.setdefault(item["split"], None)
    infos = card.get("dataset_info") or ()
    for info in [infos] if isinstance(infos, Mapping) else infos:
        meta = configs.setdefault(info.get("config_name", DEFAULT_CONFIG), ConfigMeta())
        for split in info.get("splits") or ():
            meta.splits[split["name"]] = split.get("num_examples")
        if info.get("features"):
            meta.features = {}
            for feature in info["features"]:
                _walk(feature["name"], feature, meta.features)
        sizes = [info.get("download_size"), info.get("dataset_size")]
        meta.download_bytes = int(sum(s for s in sizes if s)) if any(sizes) else None
    return configs


def _listed(names: list[str], n: int = 6) -> str:
    return ", ".join(names[:n]) + (f", … ({len(names)} in all)" if len(names) > n else "")


class Hub:
    """Cached metadata requests; ``unavailable`` says why the hub is not asked (None: it is)."""

    def __init__(self, offline: bool | None = None, known: dict[str, DatasetMeta] | None = None) -> None:
        """``known``: dataset metadata already at hand (e.g. parsed from a saved card), asked for no more."""
        offline = constants.HF_HUB_OFFLINE if offline is None else offline
        self.unavailable: str | None = "offline mode (HF_HUB_OFFLINE=1)" if offline else None
        self.api = HfApi()
        self._datasets: dict[str, DatasetMeta | str] = dict(known or {})
        self._rows: dict[tuple, str] = {}
        #: (dataset, config) -> bytes its download and cache take.
        self.downloads: dict[tuple[str, str], int] = {}

    def _ask(self, call, repo: str):
        """The metadata of ``repo``, or the first line of the hub's HTTP error (missing, gated, …)."""
        if self.unavailable is not None:
            raise HubUnavailable(self.unavailable)
        try:
            return call(repo, timeout=TIMEOUT, files_metadata=True)
        except HfHubHTTPError as exc:
            return _first_line(exc)
        except Exception as exc:  # no connection (DNS, timeout, proxy): stop asking, check what is local
            self.unavailable = f"unreachable ({_first_line(exc)})"
            raise HubUnavailable(self.unavailable) from None

    def dataset(self, repo: str) -> DatasetMeta | str:
        """The card metadata of dataset ``repo`` (cached), or why it cannot be had."""
        if repo not in self._datasets:  # a known repository is checked even offline
            info = self._ask(self.api.dataset_info, repo)
            if isinstance(info, str):
                self._datasets[repo] = info
            else:
                card = info.card_data.to_dict() if info.card_data is not None else {}
                files = [s.rfilename for s in info.siblings or ()]
                script = f"{repo.split('/')[-1]}.py" in files
                self._datasets[repo] = DatasetMeta(script, card_configs(card))
        return self._datasets[repo]

    def first_rows_problem(self, need: DataNeed) -> str:
        """'' when the first streamed rows fit the registry, else the problem (cached per split and columns)."""
        from datasets import load_dataset  # heavy: only when a card does not describe a split

        source = need.source
        key = (source.dataset, source.config, source.split, tuple(need.columns()), need.label_names)
        if key not in self._rows:
            try:
                stream = load_dataset(source.dataset, source.config, split=source.split, streaming=True)
                self._rows[key] = judge_rows(need, list(islice(stream, FIRST_ROWS)))
            except Exception as exc:  # whatever datasets raises is the reason the run would fail
                self._rows[key] = f"streaming its first rows fails: {_first_line(exc)}"
        return self._rows[key]

    def check_data(self, need: DataNeed, what: str, fix: str) -> Check:
        """Whether ``need`` loads from the hub: repository, script, config, split, columns, label names."""
        source = need.source
        meta = self.dataset(source.dataset)
        if isinstance(meta, str):
            return Check("fail", what, f"hub: {meta}", fix, needs_hub=True)
        if meta.script:
            return Check("fail", what, "the hub repository is a loading script, which datasets >= 3 refuses",
                         fix, needs_hub=True)
        name = meta.config_name(source.config)
        config = meta.configs.get(name)
        if meta.configs and config is None:
            return Check("fail", what, f"no config {name!r}; it has {_listed(sorted(meta.configs))}", fix,
                         needs_hub=True)
        config = config or ConfigMeta()
        if config.splits and source.split not in config.splits:
            return Check("fail", what, f"no split {source.split!r}; {name} has {_listed(sorted(config.splits))}",
                         fix, needs_hub=True)
        problem = self._feature_problem(need, config)
        if problem:
            return Check("fail", what, problem, f"correct the registry's columns/label_names for {need.task}",
                         needs_hub=True)
        if not need.streamed and config.download_bytes:
            self.downloads[(source.dataset, name)] = config.download_bytes
        n = config.splits.get(source.split)
        return Check("ok", what, f"{n:,} rows" if n else "", needs_hub=True)

    def _feature_problem(self, need: DataNeed, config: ConfigMeta) -> str:
        if config.features is None:
            return self.first_rows_problem(need)
        problem = missing_columns(need, config.features)
        if problem:
            return problem
        column = need.label_column()
        names = config.features.get(column) if column else None
        if names is not None and need.label_names is not None and tuple(names) != tuple(need.label_names):
            return f"its {column} names are {', '.join(names)}; the registry's are {', '.join(need.label_names)}"
        if column and names is None and need.label_names is not None and need.source.filter is None:
            return self.first_rows_problem(need)  # string labels: are the values ones the registry names?
        return ""

    def check_model(self, model_id: str) -> Check:
        """Whether hub model ``model_id`` has a config, a tokenizer and weights (from the local cache offline)."""
        what = f"model {model_id} (hub)"
        try:
            info = self._ask(self.api.model_info, model_id)
        except HubUnavailable:
            cached = try_to_load_from_cache(model_id, "config.json")
            if isinstance(cached, str):
                return Check("ok", f"model {model_id} (local cache)", "config cached; the hub is not asked")
            return Check("fail", what, f"not in the local cache and the hub is {self.unavailable}",
                         "run once with hub access, or save_pretrained it to a folder and give --model-dir",
                         needs_hub=True)
        if isinstance(info, str):
            return Check("fail", what, f"hub: {info}", "check the model id (or give a local folder)", needs_hub=True)
        sizes = {s.rfilename: s.size or 0 for s in info.siblings or ()}
        weights = next((f for f in WEIGHT_FILES if f in sizes), None)
        missing = [label for label, ok in (("config.json", "config.json" in sizes),
                                           ("a tokenizer file", any(f in sizes for f in TOKENIZER_FILES)),
                                           ("weights", weights is not None)) if not ok]
        if missing:
            return Check("fail", what, f"the repository has no {', '.join(missing)}", "use another model id",
                         needs_hub=True)
        size = sizes[weights] + sum(sizes[f] for f in sizes if f in TOKENIZER_FILES or f == "config.json")
        return Check("ok", what, weights, download_bytes=size, needs_hub=True)
