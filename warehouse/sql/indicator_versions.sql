-- dim_indicator as a type-2 slowly changing dimension (docs/time.md): every row is a
-- version (indicator_id, the surrogate key) of a natural key (indicator_key) shared by
-- the same indicator in a plan and its revisions: md5 of the chain's first plan
-- (dim_plan.lineage_id), the indicator name and its occurrence among same-named rows of
-- its plan (table, row order). A version is in force from its plan's effective_from
-- (NULL: since the plan began) to the day before the next version's; is_current when no
-- later version replaced it. Only rows that change are written. {lineage_filter}: empty,
-- or the chains (dim_plan.lineage_id) to redo (warehouse/revisions.py).
UPDATE dim_indicator
SET indicator_key = v.indicator_key, valid_from = v.valid_from, valid_to = v.valid_to,
    is_current = v.valid_to IS NULL
FROM (
    SELECT k.indicator_id, k.indicator_key, k.valid_from,
           LEAD(k.valid_from) OVER (PARTITION BY k.indicator_key
                                    ORDER BY k.valid_from NULLS FIRST, k.plan_id) - 1
               AS valid_to
    FROM (
        SELECT i.indicator_id, i.plan_id, p.effective_from AS valid_from,
               SUBSTR(MD5(COALESCE(p.lineage_id, p.plan_id) || ':' || i.indicator_name || ':'
                          || CAST(ROW_NUMBER() OVER (PARTITION BY i.plan_id, i.indicator_name
                                                     ORDER BY i.source_table, i.source_row)
                                  AS VARCHAR)), 1, 16) AS indicator_key
        FROM dim_indicator i
        JOIN dim_plan p ON p.plan_id = i.plan_id
        WHERE 1 = 1{lineage_filter}
    ) k
) v
WHERE dim_indicator.indicator_id = v.indicator_id
  AND (dim_indicator.indicator_key IS DISTINCT FROM v.indicator_key
       OR dim_indicator.valid_from IS DISTINCT FROM v.valid_from
       OR dim_indicator.valid_to IS DISTINCT FROM v.valid_to
       OR dim_indicator.is_current IS DISTINCT FROM (v.valid_to IS NULL))
