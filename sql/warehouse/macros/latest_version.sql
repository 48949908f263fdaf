{#
    Staging keeps every version of a row; this keeps the latest (highest _load_id) per key. `where` is applied
    before the latest version is picked: the incremental models pass their changed keys here, since a filter on
    a view or CTE of this (int_<entity>__current) would reach the rows only after every version was ranked on
    PostgreSQL (benchmarks/current_versions.py).
#}
{% macro latest_version(relation, key, where=none) -%}
    {{- adapter.dispatch('latest_version')(relation, key, where) -}}
{%- endmacro %}

{#
    PostgreSQL: distinct on, whose row estimate is the key's distinct count from the table's statistics. A filter
    on a ranked row_number() is always estimated at 0.5% of the rows: at scale 100 the planner then joined 350,300
    tracks to their albums by nested loops for minutes.
#}
{% macro postgres__latest_version(relation, key, where) -%}
select distinct on ({{ key }}) *
from {{ relation }}
{% if where %}where {{ where }}{% endif %}
order by {{ key }}, _load_id desc
{%- endmacro %}

{# Redshift has no distinct on (and would otherwise inherit PostgreSQL's). #}
{% macro redshift__latest_version(relation, key, where) -%}
    {{- default__latest_version(relation, key, where) -}}
{%- endmacro %}

{% macro default__latest_version(relation, key, where) -%}
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
