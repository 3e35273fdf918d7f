-- attained: the actual against the target, by comparator; NULL without an actual and
-- for milestones. {eps}: the relative slack for float noise (warehouse/attainment.py).
-- Aliases: t (evaluated_targets), a (actuals).
CASE
    WHEN t.comparator = 'milestone' OR a.actual_value IS NULL THEN NULL
    WHEN t.comparator = '>=' THEN a.actual_value >= t.target_value - {eps}
    WHEN t.comparator = '>'  THEN a.actual_value >  t.target_value + {eps}
    WHEN t.comparator = '<=' THEN a.actual_value <= t.target_value + {eps}
    WHEN t.comparator = '<'  THEN a.actual_value <  t.target_value - {eps}
    WHEN t.comparator = '='  THEN ABS(a.actual_value - t.target_value) <= {eps}
    WHEN t.comparator = 'between' THEN a.actual_value >= t.target_value - {eps}
                                   AND a.actual_value <= t.target_value_high + {eps}
    WHEN t.comparator = 'about' THEN ABS(a.actual_value - t.target_value)
                                     <= t.tolerance * ABS(t.target_value) + {eps}
END
