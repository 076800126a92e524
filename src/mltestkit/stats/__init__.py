"""Statistics behind the verdicts: intervals, decision rules, multiplicity, paired comparison."""
