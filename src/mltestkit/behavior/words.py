"""Small word lists for text perturbations and templates.

Written for this package: common first names, cities and countries, contractions, auxiliary
verbs for negation, and neutral phrases that should not change what a text means.
"""

from __future__ import annotations

FEMALE_NAMES: tuple[str, ...] = (
    "Mary", "Anna", "Emma", "Olivia", "Sophia", "Maria", "Laura", "Sarah", "Julia", "Grace",
    "Chloe", "Fatima", "Aisha", "Mei", "Yuki", "Priya", "Ana", "Elena", "Nadia", "Zoe",
)  # fmt: skip

MALE_NAMES: tuple[str, ...] = (
    "John", "James", "David", "Michael", "Daniel", "Peter", "Thomas", "Paul", "Mark", "Samuel",
    "Ahmed", "Omar", "Wei", "Kenji", "Raj", "Carlos", "Luca", "Ivan", "Kofi", "Noah",
)  # fmt: skip

NAMES: tuple[str, ...] = FEMALE_NAMES + MALE_NAMES

CITIES: tuple[str, ...] = (
    "London", "Paris", "Berlin", "Madrid", "Rome", "Lisbon", "Vienna", "Warsaw", "Cairo", "Lagos",
    "Nairobi", "Mumbai", "Delhi", "Tokyo", "Seoul", "Beijing", "Sydney", "Toronto", "Chicago", "Lima",
)  # fmt: skip

COUNTRIES: tuple[str, ...] = (
    "France", "Germany", "Spain", "Italy", "Portugal", "Poland", "Egypt", "Nigeria", "Kenya", "India",
    "Japan", "Korea", "China", "Australia", "Canada", "Mexico", "Brazil", "Peru", "Chile", "Norway",
)  # fmt: skip

#: Contracted form -> expanded form (lower case; the perturbation keeps an initial capital).
CONTRACTIONS: dict[str, str] = {
    "isn't": "is not",
    "aren't": "are not",
    "wasn't": "was not",
    "weren't": "were not",
    "don't": "do not",
    "doesn't": "does not",
    "didn't": "did not",
    "can't": "cannot",
    "couldn't": "could not",
    "won't": "will not",
    "wouldn't": "would not",
    "shouldn't": "should not",
    "haven't": "have not",
    "hasn't": "has not",
    "i'm": "i am",
    "you're": "you are",
    "we're": "we are",
    "they're": "they are",
    "it's": "it is",
    "that's": "that is",
    "there's": "there is",
    "i've": "i have",
    "i'll": "i will",
    "let's": "let us",
}

#: Auxiliary verbs after which "not" makes a negation ("is" -> "is not").
AUXILIARIES: tuple[str, ...] = (
    "is", "are", "was", "were", "am", "will", "can", "could", "should", "would", "does", "do", "did",
    "has", "have", "had", "must", "may", "might",
)  # fmt: skip

#: Phrases that add no meaning to a sentence.
NEUTRAL_PHRASES: tuple[str, ...] = (
    "To be honest,",
    "As I said,",
    "Well,",
    "Anyway,",
    "In any case,",
    "For what it is worth,",
)

#: Neighbouring keys on a QWERTY keyboard, for typos.
KEYBOARD: dict[str, str] = {
    "q": "wa", "w": "qes", "e": "wrd", "r": "etf", "t": "ryg", "y": "tuh", "u": "yij", "i": "uok",
    "o": "ipl", "p": "ol", "a": "qsz", "s": "adwx", "d": "sfec", "f": "dgrv", "g": "fhtb",
    "h": "gjyn", "j": "hkum", "k": "jlim", "l": "kop", "z": "asx", "x": "zcs", "c": "xvd",
    "v": "cbf", "b": "vng", "n": "bmh", "m": "nj",
}  # fmt: skip
