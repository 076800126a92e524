"""A small sentiment classifier: TF-IDF and logistic regression on a generated corpus of reviews.

The corpus is made from templates with words we wrote, so the example needs no download and
has known answers: positive words make a positive review, negated ones a negative review.
"""

from __future__ import annotations

import itertools
import random

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline

POSITIVE = ["great", "excellent", "wonderful", "lovely", "fantastic", "good", "amazing", "pleasant"]
NEGATIVE = ["terrible", "awful", "horrible", "bad", "poor", "disappointing", "boring", "dreadful"]
THINGS = ["movie", "book", "meal", "hotel", "service", "phone", "concert", "flight"]
OPENERS = [
    "The {thing} was {adj}.",
    "This {thing} is {adj}.",
    "What a {adj} {thing}.",
    "I found the {thing} {adj}.",
]
NEGATED = ["The {thing} was not {adj}.", "This {thing} is not {adj}.", "I did not find the {thing} {adj}."]
PEOPLE = ["Anna", "Omar", "Lena", "Ravi", "Maria", "John", "Mei", "Kwame"]
TAILS = ["", " {person} said so.", " I went with {person}.", " {person} agreed."]


def corpus(seed: int = 0) -> tuple[list[str], list[int]]:
    """Reviews and labels (1 = positive): plain and negated sentences, with people's names added.

    Every name occurs as often in positive as in negative reviews, so a model has no reason to
    learn names; the order of the reviews is shuffled with ``seed``.
    """
    texts, labels = [], []
    for thing, opener, tail in itertools.product(THINGS, OPENERS + NEGATED, TAILS):
        for k, (adj, label) in enumerate([(a, 1) for a in POSITIVE] + [(a, 0) for a in NEGATIVE]):
            negated = opener in NEGATED
            text = opener.format(thing=thing, adj=adj) + tail.format(person=PEOPLE[k % len(PEOPLE)])
            texts.append(text)
            labels.append(1 - label if negated else label)
    order = list(range(len(texts)))
    random.Random(seed).shuffle(order)
    return [texts[i] for i in order], [labels[i] for i in order]


def train(seed: int = 0) -> Pipeline:
    texts, labels = corpus(seed)
    model = make_pipeline(
        TfidfVectorizer(ngram_range=(1, 2)), LogisticRegression(C=10, max_iter=1000, random_state=seed)
    )
    return model.fit(texts, labels)
