"""ML Test Score: the rubric's shape, coverage by kind and marker, manual points, the final score and bands."""

from __future__ import annotations

import pytest

from mltestkit.errors import InputError
from mltestkit.render import score_markdown
from mltestkit.report.score import BANDS, COVERAGE, RUBRIC, SECTIONS, band, score_report


def check(kind: str, outcome: str = "passed", score: list[str] | None = None) -> dict:
    return {"test": "t.py::test_x", "name": kind, "kind": kind, "outcome": outcome, "score": score or []}


def test_rubric_has_28_items_in_four_sections_of_seven() -> None:
    assert len(RUBRIC) == 28
    for section in SECTIONS:
        assert [k for k in RUBRIC if k.startswith(section + ".")] == [f"{section}.{i}" for i in range(1, 8)]
    assert all(item in RUBRIC for _, _, items in COVERAGE for item in items)


def test_kinds_markers_and_manual_items() -> None:
    report = {
        "checks": [
            check("metric"),
            check("slice", "failed"),
            check("fairness"),
            check("data", score=["data.7", "monitoring.2"]),
            check("latency", "error"),  # an error did not test anything
            check("custom", score=["nonsense.9"]),
        ]
    }
    s = score_report(report, manual=["model.1", "model.6", "monitoring.4"])
    how = {i["id"]: i["how"] for i in s["items"]}
    assert {k for k, v in how.items() if v == "automated"} == {
        "infrastructure.4",
        "model.6",
        "model.7",
        "data.1",
        "data.7",
        "monitoring.2",
    }
    assert {k for k, v in how.items() if v == "manual"} == {"model.1", "monitoring.4"}  # model.6 is automated
    assert s["sections"] == {"data": 2.0, "model": 2.5, "infrastructure": 1.0, "monitoring": 1.5}
    assert s["final"] == 1.0
    assert s["unknown"] == ["nonsense.9"]
    assert "Unknown items in score markers: nonsense.9" in score_markdown(s)


def test_a_baseline_comparison_covers_monitoring_7() -> None:
    s = score_report({"checks": [], "comparison": {"rows": [{"outcome": "same"}]}})
    assert [i["id"] for i in s["items"] if i["points"]] == ["monitoring.7"]


@pytest.mark.parametrize(
    ("final", "index"),
    [(0, 0), (0.5, 1), (1, 1), (1.5, 2), (2, 2), (2.5, 3), (3, 3), (3.5, 4), (5, 4), (5.5, 5), (7, 5)],
)
def test_bands_follow_the_paper(final: float, index: int) -> None:
    # the paper: 0 | (0, 1] | (1, 2] | (2, 3] | (3, 5] | > 5, on scores that move in steps of 0.5
    assert band(final) == BANDS[index][1]


def test_every_section_full_scores_seven() -> None:
    s = score_report({"checks": []}, manual=list(RUBRIC))
    assert s["final"] == 3.5 and s["band"] == BANDS[4][1]
    report = {"checks": [check("custom", score=list(RUBRIC))]}
    assert score_report(report)["final"] == 7


def test_unknown_manual_item_is_a_clear_error() -> None:
    with pytest.raises(InputError, match=r"^manual: unknown ML Test Score item 'model\.8'; use section\.N"):
        score_report({"checks": []}, manual=["model.8"])


def test_baselines_and_reproducibility_are_credited_whatever_the_check_is_called() -> None:
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    from mltestkit import check_beats_simple_model, check_reproducible

    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 3))
    y = (X[:, 0] + 0.3 * rng.normal(size=400) > 0).astype(int)
    model = LogisticRegression().fit(X[:300], y[:300])

    def train(data, seed):
        return LogisticRegression(random_state=seed).fit(*data)

    results = [
        check_beats_simple_model(model, X[:300], y[:300], X[300:], y[300:], name="my baseline"),
        check_reproducible(train, (X[:300], y[:300]), X[300:], y[300:], name="same seed, same model"),
    ]
    checks = [{"test": "t.py::test_b", **r.to_dict()} for r in results]
    how = {i["id"]: i["checks"] for i in score_report({"checks": checks})["items"] if i["how"] == "automated"}
    assert how["model.5"] == ["test_b::my baseline"]
    assert how["infrastructure.1"] == ["test_b::same seed, same model"]
    without = {i["id"]: i["how"] for i in score_report({"checks": checks[1:]})["items"]}
    assert without["model.5"] == "missing"  # a plain metric check does not count as a baseline
