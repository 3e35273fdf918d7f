-- gap > 0: better than the target; 0: exactly on it; < 0: short of it. NULL without
-- an actual and for milestones. Aliases: t (evaluated_targets), a (actuals).
CASE
    WHEN t.comparator = 'milestone' OR a.actual_value IS NULL THEN NULL
    WHEN t.comparator IN ('>=', '>') THEN a.actual_value - t.target_value
    WHEN t.comparator IN ('<=', '<') THEN t.target_value - a.actual_value
    WHEN t.comparator = 'between' THEN LEAST(a.actual_value - t.target_value,
                                             t.target_value_high - a.actual_value)
    WHEN t.comparator = 'about' THEN t.tolerance * ABS(t.target_value)
                                     - ABS(a.actual_value - t.target_value)
    WHEN t.comparator = '=' THEN -ABS(a.actual_value - t.target_value)
END
