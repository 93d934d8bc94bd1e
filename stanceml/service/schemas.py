"""The HTTP service's request and response bodies (pydantic), converting to and from the
library's records."""

from __future__ import annotations

from typing import Literal, Optional, Union

from pydantic import BaseModel, Field

from stanceml.records import StanceInput


class TripleIn(BaseModel):
    """One question: where does ``actor`` stand on ``target`` in ``sentence``? (converts to
    :class:`stanceml.records.StanceInput`)"""

    sentence: str = Field(min_length=1, examples=["Hungary blocked the sanctions package again."])
    actor: str = Field(min_length=1, examples=["Hungary"])
    target: str = Field(min_length=1, examples=["the sanctions package"])
    span: Optional[tuple[int, int]] = Field(
        None, description="(start, end) of the actor's mention in the sentence, to mark one of several mentions"
    )

    def to_input(self) -> StanceInput:
        """The library's record (raises ValueError for a span outside the sentence)."""
        return StanceInput(self.sentence, self.actor, self.target, span=self.span)


class PredictRequest(BaseModel):
    inputs: list[TripleIn]


class Prediction(BaseModel):
    stance: str
    score: float
    probs: dict[str, float]
    actor_found: bool


class PredictResponse(BaseModel):
    predictions: list[Prediction]


class AnalyzeRequest(BaseModel):
    text: str = Field(min_length=1, description="the article, plain text")
    targets: list[str] = Field(description="the issues, proposals or entities to ask about")
    actors: Optional[Union[list[str], dict[str, list[str]]]] = Field(
        None, description="extra actors: names, or {canonical: [aliases]}"
    )
    replace_actors: bool = Field(False, description="use only `actors`, not the packaged gazetteer")
    relevance: Literal["fallback", "semantic", "overlap", "all"] = Field(
        "fallback", description="which sentences count for a target (see stanceml.analysis.analyze)"
    )


class EvidenceOut(BaseModel):
    sentence: str
    start: int
    end: int
    stance: str
    probs: dict[str, float]
    score: float
    mention: str
    mention_start: int
    mention_end: int


class ActorStanceOut(BaseModel):
    actor: str
    target: str
    stance: str
    score: float
    reason: str
    weights: dict[str, float]
    notes: list[str]
    evidence: list[EvidenceOut]


class AnalyzeResponse(BaseModel):
    results: list[ActorStanceOut]


class Labels(BaseModel):
    labels: list[str]


class Health(BaseModel):
    status: str
    model: str
    backend: str
    labels: list[str]
    version: str
    limits: dict[str, int]
