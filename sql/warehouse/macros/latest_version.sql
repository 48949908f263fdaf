{#
    Staging keeps every version of a row; this keeps the latest (highest _load_id) per key. `where` is applied
    inside the window's subquery, before the ranking: the incremental models pass their changed keys here, since
    a filter on a view or CTE of this (int_<entity>__current) would reach the rows only after every version was
    ranked on PostgreSQL (benchmarks/current_versions.py).
#}
{% macro latest_version(relation, key, where=none) -%}
select *
from (
    select
        *,
        row_number() over (partition by {{ key }} order by _load_id desc) as version_rank
    from {{ relation }}
    {% if where %}where {{ where }}{% endif %}
) as versions
where version_rank = 1
{%- endmacro %}
