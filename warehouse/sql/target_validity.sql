-- fct_target validity (docs/time.md): the targets of one natural key, year and scope
-- (dim_indicator.indicator_key, year, scope) across a plan and its revisions, ordered by
-- their plan's effective_from; each is valid from its plan's effective_from (NULL: open)
-- to the day before the next one's. A revision replaces only the targets it states:
-- a target it does not restate stays valid. Only rows that change are written.
-- {lineage_filter}: empty, or the chains (dim_plan.lineage_id) to redo.
UPDATE fct_target
SET valid_from = v.valid_from, valid_to = v.valid_to
FROM (
    SELECT t.indicator_id, t.year, t.scope, p.effective_from AS valid_from,
           LEAD(p.effective_from) OVER (PARTITION BY i.indicator_key, t.year, t.scope
                                        ORDER BY p.effective_from NULLS FIRST, p.plan_id) - 1
               AS valid_to
    FROM fct_target t
    JOIN dim_indicator i ON i.indicator_id = t.indicator_id
    JOIN dim_plan p ON p.plan_id = t.plan_id
    WHERE 1 = 1{lineage_filter}
) v
WHERE fct_target.indicator_id = v.indicator_id AND fct_target.year = v.year
  AND fct_target.scope = v.scope
  AND (fct_target.valid_from IS DISTINCT FROM v.valid_from
       OR fct_target.valid_to IS DISTINCT FROM v.valid_to)
