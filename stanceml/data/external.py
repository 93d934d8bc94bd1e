"""Converters for public labelled data, kept apart from the gold corpus.

* NewsMTSC (Hamborg & Donnay, EACL 2021; MIT): sentiment of a news sentence toward one
  marked mention. Mapped onto stance with the sentence's author as the actor and the mention
  as the target (negative -> oppose, neutral -> neutral, positive -> support); the mention's
  span is what the model sees marked. A proxy: "portrayed negatively" is not "opposed".
* IBM Debater Claim Stance (Bar-Haim et al., EACL 2017; CC BY-SA 3.0): Wikipedia claims PRO
  or CON a debate motion. The claim is the sentence, the motion the target, "the claim" the
  actor; there is no neutral class.

Both are read by path from a config value and never copied into the project.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
from pathlib import Path
from typing import Any

from stanceml.io import Problem, atomic_dir, iter_json_objects, read_text_checked, write_json
from stanceml.labels import LABEL2ID

Rows = list[dict[str, Any]]
AUTHOR = "the author"
_POLARITY = {-1: "oppose", 0: "neutral", 1: "support", 2.0: "oppose", 4.0: "neutral", 6.0: "support"}


class ExternalDataError(ValueError):
    """A missing folder or a line of an external file that does not convert."""


def _article_of(gid: str) -> str:
    # NewsMTSC ids look like "allsides_1000_401_25_Name_0_6": source, article, ..., sentence.
    parts = gid.split("_")
    return "_".join(parts[:3]) if len(parts) >= 3 else gid


def _row(sentence: str, start: int, end: int, mention: str, stance: str, gid: str) -> dict[str, Any]:
    return {
        "article_id": _article_of(gid),
        "topic": "newsmtsc",
        "sentence": sentence,
        "actor": AUTHOR,
        "target": mention.strip() or sentence[start:end],
        "stance": stance,
        "label": LABEL2ID[stance],
        "tags": [],
        "span_start": start,
        "span_end": end,
    }


def read_newsmtsc(path: str | Path) -> Rows:
    """Read a NewsMTSC file in either of its formats into stance rows.

    ``hf-*/*.jsonl``: one target per line (``sentence``, ``mention``, ``from``, ``to``,
    ``polarity`` in -1/0/1). ``train.jsonl``/``devtest_*.jsonl``: one sentence per line
    (``sentence_normalized``, ``targets[]`` with ``from``, ``to``, ``mention``, ``polarity``
    in 2/4/6).
    """
    path = Path(path)
    if not path.exists():
        raise ExternalDataError(f"{path} does not exist (NewsMTSC is read from ../shared/external/newsmtsc)")
    problems: list[Problem] = []
    raw = read_text_checked(path, problems)
    rows: Rows = []
    for number, rec in iter_json_objects(raw or "", path, problems):
        try:
            rows += _rows_of(rec, number)
        except (KeyError, ValueError, TypeError) as err:
            raise ExternalDataError(f"{path}:{number}: cannot convert NewsMTSC line: {err!r}") from err
    if problems:
        raise ExternalDataError(f"{problems[0]} (NewsMTSC)")
    return rows


def _rows_of(rec: dict[str, Any], number: int) -> Rows:
    """The stance rows of one NewsMTSC record, in either format."""
    if "targets" in rec:
        sentence = rec["sentence_normalized"]
        targets = [(t["from"], t["to"], t["mention"], t["polarity"], t.get("Input.gid", rec["primary_gid"]))
                   for t in rec["targets"]]  # fmt: skip
    else:
        sentence = rec["sentence"]
        targets = [(rec["from"], rec["to"], rec["mention"], rec["polarity"], rec.get("id", f"line{number}"))]
    rows = []
    for start, end, mention, polarity, gid in targets:
        start, end = int(start), int(end)
        if not 0 <= start < end <= len(sentence):
            raise ValueError(f"span {start}-{end} outside the sentence")
        rows.append(_row(sentence, start, end, mention, _POLARITY[polarity], gid))
    return rows


def is_newsmtsc_file(path: str | Path) -> bool:
    """True when the first non-empty line looks like NewsMTSC (``polarity`` and a span)."""
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                try:
                    rec = json.loads(line)
                except json.JSONDecodeError:
                    return False
                return isinstance(rec, dict) and ("targets" in rec or {"polarity", "from", "to"} <= set(rec))
    return False


def read_claim_stance(path: str | Path, split: str | None = "test") -> Rows:
    """IBM Claim Stance rows (``claims.claimCorrectedText`` PRO/CON ``topicText``).

    The motion ("This house would ban X") becomes the target ("ban X"); ``split`` selects
    the dataset's own train/test split (test motions are disjoint from train motions).
    """
    path = Path(path)
    if not path.exists():
        raise ExternalDataError(f"{path} does not exist (IBM Claim Stance is read from ../shared/external/ibm_claim_stance)")
    rows: Rows = []
    with open(path, encoding="utf-8", newline="") as fh:
        for number, rec in enumerate(csv.DictReader(fh), start=2):
            if split and rec["split"] != split:
                continue
            stance = {"PRO": "support", "CON": "oppose"}.get(rec["claims.stance"])
            if stance is None:
                raise ExternalDataError(f"{path}:{number} [claims.stance]: expected PRO or CON")
            motion = re.sub(r"^this house (believes that|would|should)\s+", "", rec["topicText"].strip(), flags=re.I)
            rows.append({
                "article_id": f"ibm-topic-{rec['topicId']}",
                "topic": f"ibm-topic-{rec['topicId']}",
                "sentence": rec["claims.claimCorrectedText"].strip(),
                "actor": "the claim",
                "target": motion,
                "stance": stance,
                "label": LABEL2ID[stance],
                "tags": [],
                "span_start": -1,
                "span_end": -1,
            })
    return rows


def build_newsmtsc(source_dir: str | Path, output_dir: str | Path) -> dict[str, Any]:
    """Convert NewsMTSC into a DatasetDict: train (train.jsonl), validation (hf-rw/dev),
    test (hf-rw/test, the real-world set) and test_mt (hf-mt/test, multi-target)."""
    from datasets import Dataset, DatasetDict

    src = Path(source_dir)
    if not src.is_dir():
        raise ExternalDataError(f"NewsMTSC folder {src} is absent; set data.source_dir to where it lies")
    parts = {
        "train": read_newsmtsc(src / "train.jsonl"),
        "validation": read_newsmtsc(src / "hf-rw" / "dev.jsonl"),
        "test": read_newsmtsc(src / "hf-rw" / "test.jsonl"),
        "test_mt": read_newsmtsc(src / "hf-mt" / "test.jsonl"),
    }
    dd = DatasetDict({k: Dataset.from_list(v) for k, v in parts.items()})
    card = {
        "source": str(src),
        "hash": _hash_rows(parts),
        "splits": {k: {"triples": len(v), "stance": {s: sum(r["stance"] == s for r in v) for s in LABEL2ID}}
                   for k, v in parts.items()},
    }
    with atomic_dir(output_dir) as tmp:
        dd.save_to_disk(str(tmp / "dataset"))
        write_json(tmp / "data_card.json", card)
    return card


def _hash_rows(parts: dict[str, Rows]) -> str:
    h = hashlib.sha256()
    for name in sorted(parts):
        for r in parts[name]:
            h.update(json.dumps([name, r["sentence"], r["span_start"], r["stance"]]).encode())
    return h.hexdigest()
