"""The label set, fixed once for the whole package.

Every model saves these in ``config.json`` (``id2label``/``label2id``) and in
``stanceml.json``; loaders read them back from there and never infer an order from data.
"""

from __future__ import annotations

LABELS: tuple[str, ...] = ("support", "oppose", "neutral")
LABEL2ID: dict[str, int] = {label: i for i, label in enumerate(LABELS)}
ID2LABEL: dict[int, str] = {i: label for i, label in enumerate(LABELS)}

#: Tags an annotation may carry, for slicing the evaluation by phenomenon.
#: ``docs/annotation-guidelines.md`` says when each one applies.
TAGS: frozenset[str] = frozenset(
    {
        "hedge",  # non-commitment, "does not rule out", "is studying the proposal"
        "abstention",  # abstained, stayed away from a vote
        "veto",  # vetoed, blocked, held up
        "negation",  # the stance is carried by a negated expression
        "reported",  # reported or quoted speech ("X said that ...", "according to ...")
        "accusation",  # a third party accuses the actor of a stance
        "conditional",  # support or opposition that depends on a condition
        "implicit",  # stance shown by an action (ratified, withdrew, threatened a strike)
        "irony",  # ironic or sarcastic wording
        "contrast",  # the sentence holds actors with different stances on the same target
        "multi_clause",  # long sentence with several clauses
        "mention",  # the actor is merely mentioned with respect to the target
        # Added for corpus v2 (docs/annotation-guidelines.md, "Guidelines v2"):
        "pronoun",  # the stance reaches the actor through a pronoun or role noun
        "question",  # the sentence asks, or asks rhetorically
        "passive",  # the actor is the agent of a passive ("was rejected by the council")
        "nominal",  # the stance is carried by a noun ("Ghana's refusal to sign")
        "co_mention",  # actor and target both named, no stance between them
        "entity_target",  # the target is a person, organisation or country
        "denial",  # the actor denies a stance attributed to it
        "position_change",  # the actor's position changes or is qualified within the article
        "multi_target",  # the actor holds stances toward two targets in the sentence
        "minimal_pair",  # one edit away from another corpus sentence with another stance
    }
)
